// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert 1.4.2: the TensorFlow Lite Java API, package names
// unchanged (org.tensorflow.lite). Signatures from the LiteRT Java reference,
// https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/
// Tensor ("public interface Tensor": abstract DataType dataType(); abstract int[] shape();
// abstract Tensor.QuantizationParams quantizationParams(); ...) and
// Tensor.QuantizationParams ("public static class": float getScale(); int getZeroPoint()).
package org.tensorflow.lite;

public interface Tensor {
    DataType dataType();

    int[] shape();

    int numBytes();

    Tensor.QuantizationParams quantizationParams();

    public static class QuantizationParams {
        public QuantizationParams(float scale, int zeroPoint) { throw new RuntimeException("Stub!"); }

        public float getScale() { throw new RuntimeException("Stub!"); }

        public int getZeroPoint() { throw new RuntimeException("Stub!"); }
    }
}
