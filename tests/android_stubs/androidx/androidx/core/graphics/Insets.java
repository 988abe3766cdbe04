// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.core:core 1.19.1 (Java). Members from the library's API signature file
// core/core/api/1.19.0-rc01.txt (androidx/androidx) and the reference,
// https://developer.android.com/reference/androidx/core/graphics/Insets: "public final class Insets":
// fields "public final int left, top, right, bottom".
package androidx.core.graphics;

public final class Insets {
    private Insets() { left = 0; top = 0; right = 0; bottom = 0; }

    public final int left;
    public final int top;
    public final int right;
    public final int bottom;
}
