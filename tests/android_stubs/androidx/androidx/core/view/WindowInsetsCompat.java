// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.core:core 1.19.1 (Java). Members from the library's API signature file
// core/core/api/1.19.0-rc01.txt (androidx/androidx) and the reference,
// https://developer.android.com/reference/androidx/core/view/WindowInsetsCompat: "public static
// final WindowInsetsCompat CONSUMED"; "Insets getInsets(int typeMask)"; "WindowInsetsCompat.Type":
// static int systemBars(), static int displayCutout().
package androidx.core.view;

public class WindowInsetsCompat {
    private WindowInsetsCompat() {}

    public static final WindowInsetsCompat CONSUMED = null;

    public androidx.core.graphics.Insets getInsets(int typeMask) { throw new RuntimeException("Stub!"); }

    public static final class Type {
        private Type() {}

        public static int systemBars() { throw new RuntimeException("Stub!"); }

        public static int displayCutout() { throw new RuntimeException("Stub!"); }
    }
}
