// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/widget/FrameLayout
package android.widget;

public class FrameLayout extends android.view.ViewGroup {
    public FrameLayout(android.content.Context context) { super(context); throw new RuntimeException("Stub!"); }
}
