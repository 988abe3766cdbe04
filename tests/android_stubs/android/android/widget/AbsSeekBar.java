// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/widget/AbsSeekBar
package android.widget;

public abstract class AbsSeekBar extends ProgressBar {
    public AbsSeekBar(android.content.Context context) { super(context); throw new RuntimeException("Stub!"); }
}
