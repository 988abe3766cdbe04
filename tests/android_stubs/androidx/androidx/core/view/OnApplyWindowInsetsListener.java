// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.core:core 1.19.1 (Java). Members from the library's API signature file
// core/core/api/1.19.0-rc01.txt (androidx/androidx) and the reference,
// https://developer.android.com/reference/androidx/core/view/OnApplyWindowInsetsListener:
// "WindowInsetsCompat onApplyWindowInsets(android.view.View v, WindowInsetsCompat insets)".
package androidx.core.view;

public interface OnApplyWindowInsetsListener {
    WindowInsetsCompat onApplyWindowInsets(android.view.View v, WindowInsetsCompat insets);
}
