// API stub for type-checking the generated app with kotlinc (never run or shipped).
// The TensorFlow Lite Support metadata library (package org.tensorflow.lite.support.metadata),
// published as com.google.ai.edge.litert:litert-metadata: 1.4.2 for the Interpreter app,
// 1.0.0 beside LiteRT 2.x for the CompiledModel app (the pair Google's CompiledModel
// classifier sample pins: google-ai-edge/litert-samples, samples/litert/image_classification/
// kotlin_cpu_gpu/android/gradle/libs.versions.toml at commit 32a331c3).
// Signatures from tensorflow/tflite-support, tag v0.4.4,
// tensorflow_lite_support/metadata/java/src/java/org/tensorflow/lite/support/metadata/
// MetadataExtractor.java (public constructor from a ByteBuffer; hasMetadata();
// getInput/OutputTensorMetadata(int); getInput/OutputTensorShape(int) -> int[];
// getInput/OutputTensorType(int) -> byte, the schema's TensorType; getInput/
// OutputTensorQuantizationParams(int) -> the nested static class QuantizationParams with
// float getScale() and int getZeroPoint(); getAssociatedFile(String) -> InputStream), and
// the LiteRT Java reference, https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/
// support/metadata/MetadataExtractor.
package org.tensorflow.lite.support.metadata;

import java.io.InputStream;
import java.nio.ByteBuffer;
import org.tensorflow.lite.support.metadata.schema.TensorMetadata;

public class MetadataExtractor {
    public MetadataExtractor(ByteBuffer buffer) { throw new RuntimeException("Stub!"); }

    public boolean hasMetadata() { throw new RuntimeException("Stub!"); }

    public TensorMetadata getInputTensorMetadata(int inputIndex) { throw new RuntimeException("Stub!"); }

    public TensorMetadata getOutputTensorMetadata(int outputIndex) { throw new RuntimeException("Stub!"); }

    public int[] getInputTensorShape(int inputIndex) { throw new RuntimeException("Stub!"); }

    public int[] getOutputTensorShape(int outputIndex) { throw new RuntimeException("Stub!"); }

    public byte getInputTensorType(int inputIndex) { throw new RuntimeException("Stub!"); }

    public byte getOutputTensorType(int outputIndex) { throw new RuntimeException("Stub!"); }

    public QuantizationParams getInputTensorQuantizationParams(int inputIndex) { throw new RuntimeException("Stub!"); }

    public QuantizationParams getOutputTensorQuantizationParams(int outputIndex) { throw new RuntimeException("Stub!"); }

    public InputStream getAssociatedFile(String fileName) { throw new RuntimeException("Stub!"); }

    public static final class QuantizationParams {
        public QuantizationParams(float scale, int zeroPoint) { throw new RuntimeException("Stub!"); }

        public float getScale() { throw new RuntimeException("Stub!"); }

        public int getZeroPoint() { throw new RuntimeException("Stub!"); }
    }
}
