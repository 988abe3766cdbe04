// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/widget/SeekBar
package android.widget;

public class SeekBar extends AbsSeekBar {
    public SeekBar(android.content.Context context) { super(context); throw new RuntimeException("Stub!"); }

    public void setOnSeekBarChangeListener(SeekBar.OnSeekBarChangeListener l) { throw new RuntimeException("Stub!"); }

    public static interface OnSeekBarChangeListener {
        public void onProgressChanged(SeekBar seekBar, int progress, boolean fromUser);

        public void onStartTrackingTouch(SeekBar seekBar);

        public void onStopTrackingTouch(SeekBar seekBar);
    }
}
