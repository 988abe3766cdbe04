// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert 1.4.2: the TensorFlow Lite Java API, package names
// unchanged (org.tensorflow.lite). Signatures from the LiteRT Java reference,
// https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/
// Delegate ("public interface Delegate extends Closeable": long getNativeHandle(); default void close()).
package org.tensorflow.lite;

public interface Delegate extends java.io.Closeable {
    long getNativeHandle();

    @Override
    default void close() {}
}
