// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.core:core 1.19.1 (Java). Members from the library's API signature file
// core/core/api/1.19.0-rc01.txt (androidx/androidx) and the reference,
// https://developer.android.com/reference/androidx/core/view/ViewCompat: "public static void
// setOnApplyWindowInsetsListener(android.view.View, androidx.core.view.OnApplyWindowInsetsListener?)".
package androidx.core.view;

public class ViewCompat {
    protected ViewCompat() {}

    public static void setOnApplyWindowInsetsListener(android.view.View v, OnApplyWindowInsetsListener listener) {
        throw new RuntimeException("Stub!");
    }
}
