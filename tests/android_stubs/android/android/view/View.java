// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/view/View
package android.view;

public class View {
    public static final int VISIBLE = 0;
    public static final int INVISIBLE = 4;
    public static final int GONE = 8;

    public View(android.content.Context context) { throw new RuntimeException("Stub!"); }

    public int getVisibility() { throw new RuntimeException("Stub!"); }

    public void setVisibility(int visibility) { throw new RuntimeException("Stub!"); }

    public boolean isEnabled() { throw new RuntimeException("Stub!"); }

    public void setEnabled(boolean enabled) { throw new RuntimeException("Stub!"); }

    public void setPadding(int left, int top, int right, int bottom) { throw new RuntimeException("Stub!"); }

    public int getPaddingTop() { throw new RuntimeException("Stub!"); }

    public int getPaddingBottom() { throw new RuntimeException("Stub!"); }

    public void setOnClickListener(View.OnClickListener l) { throw new RuntimeException("Stub!"); }

    public static interface OnClickListener {
        void onClick(View v);
    }
}
