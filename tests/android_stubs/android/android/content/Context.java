// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/content/Context
package android.content;

public abstract class Context {
    public abstract int checkSelfPermission(String permission);

    public abstract android.content.res.AssetManager getAssets();

    public abstract String getPackageName();

    public abstract void startActivity(Intent intent);

    public final String getString(int resId) { throw new RuntimeException("Stub!"); }

    public final String getString(int resId, Object... formatArgs) { throw new RuntimeException("Stub!"); }
}
