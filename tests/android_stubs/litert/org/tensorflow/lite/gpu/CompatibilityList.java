// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert-gpu 1.4.2 (TensorFlow Lite GPU delegate, package
// org.tensorflow.lite.gpu). Signatures from
// https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/gpu/
// CompatibilityList ("public class CompatibilityList": CompatibilityList(); boolean
// isDelegateSupportedOnThisDevice(); void close(); getBestOptionsForThisDevice() left out).
package org.tensorflow.lite.gpu;

public class CompatibilityList {
    public CompatibilityList() { throw new RuntimeException("Stub!"); }

    public boolean isDelegateSupportedOnThisDevice() { throw new RuntimeException("Stub!"); }

    public void close() { throw new RuntimeException("Stub!"); }
}
