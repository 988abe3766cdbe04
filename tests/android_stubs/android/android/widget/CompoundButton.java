// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/widget/CompoundButton
package android.widget;

public abstract class CompoundButton extends Button {
    public CompoundButton(android.content.Context context) { super(context); throw new RuntimeException("Stub!"); }

    public boolean isChecked() { throw new RuntimeException("Stub!"); }

    public void setChecked(boolean checked) { throw new RuntimeException("Stub!"); }

    public void setOnCheckedChangeListener(CompoundButton.OnCheckedChangeListener listener) {
        throw new RuntimeException("Stub!");
    }

    public static interface OnCheckedChangeListener {
        public void onCheckedChanged(CompoundButton buttonView, boolean isChecked);
    }
}
