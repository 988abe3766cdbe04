// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/app/Activity
package android.app;

public class Activity extends android.view.ContextThemeWrapper {
    public Activity() { throw new RuntimeException("Stub!"); }

    protected void onCreate(android.os.Bundle savedInstanceState) { throw new RuntimeException("Stub!"); }

    protected void onStart() { throw new RuntimeException("Stub!"); }

    protected void onStop() { throw new RuntimeException("Stub!"); }

    protected void onDestroy() { throw new RuntimeException("Stub!"); }

    public void setContentView(int layoutResID) { throw new RuntimeException("Stub!"); }

    public <T extends android.view.View> T findViewById(int id) { throw new RuntimeException("Stub!"); }

    public final void runOnUiThread(Runnable action) { throw new RuntimeException("Stub!"); }

    public boolean shouldShowRequestPermissionRationale(String permission) { throw new RuntimeException("Stub!"); }

    @Override
    public void startActivity(android.content.Intent intent) { throw new RuntimeException("Stub!"); }
}
