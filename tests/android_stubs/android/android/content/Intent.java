// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/content/Intent (only referenced by the androidx result-contract stubs)
package android.content;

public class Intent {
    public Intent() { throw new RuntimeException("Stub!"); }

    public Intent(String action, android.net.Uri uri) { throw new RuntimeException("Stub!"); }
}
