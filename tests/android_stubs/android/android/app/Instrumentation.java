// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/app/Instrumentation (getContext(): the test APK's own context; getTargetContext(): the app's)
package android.app;

public class Instrumentation {
    public Instrumentation() { throw new RuntimeException("Stub!"); }

    public android.content.Context getContext() { throw new RuntimeException("Stub!"); }

    public android.content.Context getTargetContext() { throw new RuntimeException("Stub!"); }
}
