// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/content/res/AssetFileDescriptor (also Parcelable, which the app does not use)
package android.content.res;

public class AssetFileDescriptor implements java.io.Closeable {
    private AssetFileDescriptor() {}

    public java.io.FileDescriptor getFileDescriptor() { throw new RuntimeException("Stub!"); }

    public long getStartOffset() { throw new RuntimeException("Stub!"); }

    public long getDeclaredLength() { throw new RuntimeException("Stub!"); }

    @Override
    public void close() throws java.io.IOException { throw new RuntimeException("Stub!"); }
}
