// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert-support / litert-metadata 1.4.2: the TensorFlow Lite
// Support library (tensorflow/tflite-support 0.4.4) republished under the LiteRT group with
// its package names (org.tensorflow.lite.support.*). Signatures from
// https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/support/
// metadata/MetadataExtractor: "public MetadataExtractor(ByteBuffer buffer)"; "boolean hasMetadata()";
// "TensorMetadata getInputTensorMetadata(int inputIndex)"; "TensorMetadata getOutputTensorMetadata(int
// outputIndex)"; "InputStream getAssociatedFile(String fileName)".
package org.tensorflow.lite.support.metadata;

import java.io.InputStream;
import java.nio.ByteBuffer;
import org.tensorflow.lite.support.metadata.schema.TensorMetadata;

public class MetadataExtractor {
    public MetadataExtractor(ByteBuffer buffer) { throw new RuntimeException("Stub!"); }

    public boolean hasMetadata() { throw new RuntimeException("Stub!"); }

    public TensorMetadata getInputTensorMetadata(int inputIndex) { throw new RuntimeException("Stub!"); }

    public TensorMetadata getOutputTensorMetadata(int outputIndex) { throw new RuntimeException("Stub!"); }

    public InputStream getAssociatedFile(String fileName) { throw new RuntimeException("Stub!"); }
}
