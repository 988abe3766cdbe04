// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/Manifest.permission
package android;

public final class Manifest {
    public static final class permission {
        public static final String CAMERA = "android.permission.CAMERA";
    }
}
