// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert 1.4.2: the TensorFlow Lite Java API, package names
// unchanged (org.tensorflow.lite). Signatures from the LiteRT Java reference,
// https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/
// DataType
package org.tensorflow.lite;

public enum DataType {
    FLOAT32, INT32, UINT8, INT64, STRING, BOOL, INT16, INT8;

    public int byteSize() { throw new RuntimeException("Stub!"); }
}
