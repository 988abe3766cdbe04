// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert-gpu 1.4.2 (TensorFlow Lite GPU delegate, package
// org.tensorflow.lite.gpu). Signatures from
// https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/gpu/GpuDelegate
// and the class's source in google-ai-edge/LiteRT at tag v1.4.1,
// tflite/delegates/gpu/java/src/main/java/org/tensorflow/lite/gpu/GpuDelegate.java: "public class GpuDelegate implements Delegate":
// GpuDelegate(GpuDelegateFactory.Options options); GpuDelegate();
// "@Deprecated public static class Options extends GpuDelegateFactory.Options {}";
// long getNativeHandle(); void close().
package org.tensorflow.lite.gpu;

public class GpuDelegate implements org.tensorflow.lite.Delegate {
    public GpuDelegate(GpuDelegateFactory.Options options) { throw new RuntimeException("Stub!"); }

    public GpuDelegate() { throw new RuntimeException("Stub!"); }

    @Deprecated
    public static class Options extends GpuDelegateFactory.Options {
        public Options() { throw new RuntimeException("Stub!"); }
    }

    @Override
    public long getNativeHandle() { throw new RuntimeException("Stub!"); }

    @Override
    public void close() { throw new RuntimeException("Stub!"); }
}
