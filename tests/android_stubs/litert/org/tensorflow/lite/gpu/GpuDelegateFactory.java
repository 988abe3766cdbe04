// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert-gpu-api 1.4.2 (package org.tensorflow.lite.gpu).
// Signatures from https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/gpu/GpuDelegateFactory.Options
// and the source in google-ai-edge/LiteRT at tag v1.4.1, tflite/delegates/gpu/java/src/main/
// java/org/tensorflow/lite/gpu/GpuDelegateFactory.java ("public class GpuDelegateFactory
// implements DelegateFactory"; GpuDelegateFactory(); "public static class Options": Options()). Only the type is used
// (the value CompatibilityList.getBestOptionsForThisDevice() returns, passed on to
// GpuDelegate(GpuDelegateFactory.Options)); its setters and the factory's
// DelegateFactory members are left out.
package org.tensorflow.lite.gpu;

public class GpuDelegateFactory {
    public GpuDelegateFactory() { throw new RuntimeException("Stub!"); }

    public static class Options {
        public Options() { throw new RuntimeException("Stub!"); }
    }
}
