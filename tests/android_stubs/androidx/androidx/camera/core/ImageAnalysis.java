// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.camera:camera-core 1.6.2 (Java source). Signatures from the library API files
// camera/camera-core/api/1.5.0-beta01.txt and api/1.7.0-rc01.txt (androidx/androidx), which
// agree on every member below, so they hold for 1.6.x; members the app does not use are
// left out (default methods included).
// "public final class ImageAnalysis extends UseCase { method public int getTargetRotation();
//  method public void setAnalyzer(java.util.concurrent.Executor, ImageAnalysis.Analyzer);
//  method public void setTargetRotation(int); field public static final int
//  OUTPUT_IMAGE_FORMAT_RGBA_8888 = 2; field public static final int STRATEGY_KEEP_ONLY_LATEST = 0; ... }",
// "ImageAnalysis.Analyzer { method public void analyze(ImageProxy); (default methods) }",
// "ImageAnalysis.Builder { ctor public Builder(); method public ImageAnalysis build();
//  method public ImageAnalysis.Builder setBackpressureStrategy(int);
//  method public ImageAnalysis.Builder setOutputImageFormat(int); ... }"
package androidx.camera.core;

import java.util.concurrent.Executor;

public final class ImageAnalysis extends UseCase {
    private ImageAnalysis() {}

    public static final int STRATEGY_KEEP_ONLY_LATEST = 0;
    public static final int STRATEGY_BLOCK_PRODUCER = 1;
    public static final int OUTPUT_IMAGE_FORMAT_YUV_420_888 = 1;
    public static final int OUTPUT_IMAGE_FORMAT_RGBA_8888 = 2;

    public void setAnalyzer(Executor executor, ImageAnalysis.Analyzer analyzer) { throw new RuntimeException("Stub!"); }

    public int getTargetRotation() { throw new RuntimeException("Stub!"); }

    public void setTargetRotation(int rotation) { throw new RuntimeException("Stub!"); }

    public static interface Analyzer {
        void analyze(ImageProxy image);
    }

    public static final class Builder {
        public Builder() { throw new RuntimeException("Stub!"); }

        public ImageAnalysis build() { throw new RuntimeException("Stub!"); }

        public ImageAnalysis.Builder setBackpressureStrategy(int strategy) { throw new RuntimeException("Stub!"); }

        public ImageAnalysis.Builder setOutputImageFormat(int outputImageFormat) { throw new RuntimeException("Stub!"); }
    }
}
