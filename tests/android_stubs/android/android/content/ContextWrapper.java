// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/content/ContextWrapper
package android.content;

public class ContextWrapper extends Context {
    public ContextWrapper(Context base) { throw new RuntimeException("Stub!"); }

    @Override
    public int checkSelfPermission(String permission) { throw new RuntimeException("Stub!"); }

    @Override
    public android.content.res.AssetManager getAssets() { throw new RuntimeException("Stub!"); }

    @Override
    public String getPackageName() { throw new RuntimeException("Stub!"); }

    @Override
    public void startActivity(Intent intent) { throw new RuntimeException("Stub!"); }
}
