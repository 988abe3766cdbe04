// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/content/res/AssetManager
package android.content.res;

public final class AssetManager implements AutoCloseable {
    private AssetManager() {}

    public java.io.InputStream open(String fileName) throws java.io.IOException { throw new RuntimeException("Stub!"); }

    public AssetFileDescriptor openFd(String fileName) throws java.io.IOException { throw new RuntimeException("Stub!"); }

    @Override
    public void close() { throw new RuntimeException("Stub!"); }
}
