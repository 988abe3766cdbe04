// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert 1.4.2: the TensorFlow Lite Java API, package names
// unchanged (org.tensorflow.lite). Signatures from the LiteRT Java reference,
// https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/
// Interpreter ("public final class Interpreter": Interpreter(ByteBuffer byteBuffer, Interpreter.Options
// options); void run(Object input, Object output); Tensor getInputTensor(int inputIndex);
// Tensor getOutputTensor(int outputIndex); void close()) and Interpreter.Options
// ("public static class Options extends InterpreterApi.Options": Options();
// Interpreter.Options setNumThreads(int numThreads); Interpreter.Options addDelegate(Delegate delegate)).
// The InterpreterApi supertypes are left out.
package org.tensorflow.lite;

import java.nio.ByteBuffer;

public final class Interpreter implements AutoCloseable {
    public Interpreter(ByteBuffer byteBuffer, Interpreter.Options options) { throw new RuntimeException("Stub!"); }

    public void run(Object input, Object output) { throw new RuntimeException("Stub!"); }

    public Tensor getInputTensor(int inputIndex) { throw new RuntimeException("Stub!"); }

    public Tensor getOutputTensor(int outputIndex) { throw new RuntimeException("Stub!"); }

    @Override
    public void close() { throw new RuntimeException("Stub!"); }

    public static class Options {
        public Options() { throw new RuntimeException("Stub!"); }

        public Interpreter.Options setNumThreads(int numThreads) { throw new RuntimeException("Stub!"); }

        public Interpreter.Options addDelegate(Delegate delegate) { throw new RuntimeException("Stub!"); }
    }
}
