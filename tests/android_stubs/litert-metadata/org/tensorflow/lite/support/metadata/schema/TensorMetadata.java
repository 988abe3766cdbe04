// API stub for type-checking the generated app with kotlinc (never run or shipped).
// org.tensorflow.lite.support.metadata.schema: classes flatc (FlatBuffers Java generator)
// writes from tensorflow/tflite-support tensorflow_lite_support/metadata/metadata_schema.fbs,
// shipped in litert-metadata 1.4.2 (Interpreter app) and 1.0.0 (CompiledModel app).
// Table accessors follow flatc's Java conventions:
// vector field f -> f(int j) and fLength(); union u -> byte uType() and Table u(Table obj);
// enums -> final classes of byte constants.
// table TensorMetadata { ... process_units:[ProcessUnit]; ... associated_files:[AssociatedFile]; ... }
package org.tensorflow.lite.support.metadata.schema;

public final class TensorMetadata extends com.google.flatbuffers.Table {
    public ProcessUnit processUnits(int j) { throw new RuntimeException("Stub!"); }

    public int processUnitsLength() { throw new RuntimeException("Stub!"); }

    public AssociatedFile associatedFiles(int j) { throw new RuntimeException("Stub!"); }

    public int associatedFilesLength() { throw new RuntimeException("Stub!"); }
}
