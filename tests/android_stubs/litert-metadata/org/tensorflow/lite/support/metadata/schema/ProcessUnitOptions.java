// API stub for type-checking the generated app with kotlinc (never run or shipped).
// org.tensorflow.lite.support.metadata.schema: classes flatc (FlatBuffers Java generator)
// writes from tensorflow/tflite-support tensorflow_lite_support/metadata/metadata_schema.fbs,
// shipped in litert-metadata 1.4.2 (Interpreter app) and 1.0.0 (CompiledModel app).
// Table accessors follow flatc's Java conventions:
// vector field f -> f(int j) and fLength(); union u -> byte uType() and Table u(Table obj);
// enums -> final classes of byte constants.
// union ProcessUnitOptions { NormalizationOptions, ScoreCalibrationOptions, ScoreThresholdingOptions, ... }
package org.tensorflow.lite.support.metadata.schema;

public final class ProcessUnitOptions {
    private ProcessUnitOptions() {}

    public static final byte NONE = 0;
    public static final byte NormalizationOptions = 1;
    public static final byte ScoreCalibrationOptions = 2;
    public static final byte ScoreThresholdingOptions = 3;
}
