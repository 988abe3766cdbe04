// API stub for type-checking the generated app with kotlinc (never run or shipped).
// org.tensorflow.lite.support.metadata.schema: classes flatc (FlatBuffers Java generator)
// writes from tensorflow/tflite-support tensorflow_lite_support/metadata/metadata_schema.fbs,
// shipped in litert-metadata 1.4.2 (Interpreter app) and 1.0.0 (CompiledModel app).
// Table accessors follow flatc's Java conventions:
// vector field f -> f(int j) and fLength(); union u -> byte uType() and Table u(Table obj);
// enums -> final classes of byte constants.
// enum AssociatedFileType : byte { UNKNOWN = 0, DESCRIPTIONS = 1, TENSOR_AXIS_LABELS = 2, ... }
package org.tensorflow.lite.support.metadata.schema;

public final class AssociatedFileType {
    private AssociatedFileType() {}

    public static final byte UNKNOWN = 0;
    public static final byte DESCRIPTIONS = 1;
    public static final byte TENSOR_AXIS_LABELS = 2;
    public static final byte TENSOR_VALUE_LABELS = 3;
    public static final byte TENSOR_AXIS_SCORE_CALIBRATION = 4;
    public static final byte VOCABULARY = 5;
    public static final byte SCANN_INDEX_FILE = 6;
}
