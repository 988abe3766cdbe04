// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/graphics/Color (@ColorInt constants TRANSPARENT = 0, BLACK = 0xFF000000)
package android.graphics;

public class Color {
    public Color() { throw new RuntimeException("Stub!"); }

    public static final int TRANSPARENT = 0;
    public static final int BLACK = 0xFF000000;
}
