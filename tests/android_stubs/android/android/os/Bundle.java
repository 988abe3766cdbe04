// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/os/Bundle
package android.os;

public final class Bundle {
    public Bundle() { throw new RuntimeException("Stub!"); }
}
