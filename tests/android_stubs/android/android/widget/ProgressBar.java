// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/widget/ProgressBar
package android.widget;

public class ProgressBar extends android.view.View {
    public ProgressBar(android.content.Context context) { super(context); throw new RuntimeException("Stub!"); }

    public synchronized int getMax() { throw new RuntimeException("Stub!"); }

    public synchronized void setMax(int max) { throw new RuntimeException("Stub!"); }

    public synchronized int getProgress() { throw new RuntimeException("Stub!"); }

    public synchronized void setProgress(int progress) { throw new RuntimeException("Stub!"); }
}
