// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert-support / litert-metadata 1.4.2: the TensorFlow Lite
// Support library (tensorflow/tflite-support 0.4.4) republished under the LiteRT group with
// its package names (org.tensorflow.lite.support.*). Signatures from
// https://ai.google.dev/edge/api/tflite/java/org/tensorflow/lite/support/
// common/FileUtil: "public static MappedByteBuffer loadMappedFile(Context context, String filePath) throws IOException".
package org.tensorflow.lite.support.common;

import java.io.IOException;
import java.nio.MappedByteBuffer;

public class FileUtil {
    private FileUtil() {}

    public static MappedByteBuffer loadMappedFile(android.content.Context context, String filePath) throws IOException {
        throw new RuntimeException("Stub!");
    }
}
