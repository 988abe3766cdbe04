// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.camera:camera-core 1.6.2 (Java source). Signatures from the library API files
// camera/camera-core/api/1.5.0-beta01.txt and api/1.7.0-rc01.txt (androidx/androidx), which
// agree on every member below, so they hold for 1.6.x; members the app does not use are
// left out (default methods included).
// 1.5/1.6 shape ("public interface ImageProxy extends java.lang.AutoCloseable { method public void close();
// method public int getFormat(); method public int getHeight(); method public ImageInfo getImageInfo();
// method public ImageProxy.PlaneProxy![] getPlanes(); method public int getWidth(); ... }",
// "ImageProxy.PlaneProxy { method public java.nio.ByteBuffer getBuffer(); method public int
// getPixelStride(); method public int getRowStride(); }"). 1.7 moves the size and plane getters
// into camera-common supertypes; the app reads them as Kotlin properties, which resolve either way.
package androidx.camera.core;

import java.nio.ByteBuffer;

public interface ImageProxy extends AutoCloseable {
    @Override
    void close();

    int getFormat();

    int getWidth();

    int getHeight();

    ImageInfo getImageInfo();

    ImageProxy.PlaneProxy[] getPlanes();

    public static interface PlaneProxy {
        ByteBuffer getBuffer();

        int getRowStride();

        int getPixelStride();
    }
}
