// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/view/ViewGroup
package android.view;

public abstract class ViewGroup extends View {
    public ViewGroup(android.content.Context context) { super(context); throw new RuntimeException("Stub!"); }
}
