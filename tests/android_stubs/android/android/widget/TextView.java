// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/widget/TextView
package android.widget;

public class TextView extends android.view.View {
    public TextView(android.content.Context context) { super(context); throw new RuntimeException("Stub!"); }

    public CharSequence getText() { throw new RuntimeException("Stub!"); }

    public final void setText(CharSequence text) { throw new RuntimeException("Stub!"); }
}
