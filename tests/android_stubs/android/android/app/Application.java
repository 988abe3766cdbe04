// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/app/Application
package android.app;

public class Application extends android.content.ContextWrapper {
    public Application() { super(null); throw new RuntimeException("Stub!"); }
}
