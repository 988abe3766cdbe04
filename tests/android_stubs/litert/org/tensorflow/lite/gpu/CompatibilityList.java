// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert-gpu 1.4.2 (TensorFlow Lite GPU delegate, package
// org.tensorflow.lite.gpu). Signatures from
// https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/gpu/CompatibilityList
// and the class's source in google-ai-edge/LiteRT at tag v1.4.1,
// tflite/delegates/gpu/java/src/main/java/org/tensorflow/lite/gpu/CompatibilityList.java: "public class CompatibilityList implements Closeable":
// CompatibilityList(); boolean isDelegateSupportedOnThisDevice();
// GpuDelegate.Options getBestOptionsForThisDevice(); void close().
package org.tensorflow.lite.gpu;

public class CompatibilityList implements java.io.Closeable {
    public CompatibilityList() { throw new RuntimeException("Stub!"); }

    public boolean isDelegateSupportedOnThisDevice() { throw new RuntimeException("Stub!"); }

    public GpuDelegate.Options getBestOptionsForThisDevice() { throw new RuntimeException("Stub!"); }

    @Override
    public void close() { throw new RuntimeException("Stub!"); }
}
