// API stub for type-checking the generated app with kotlinc (never run or shipped).
// Platform API level 36 (compileSdk 36). Signatures as published in the Android
// reference, https://developer.android.com/reference/
// android/util/Log
package android.util;

public final class Log {
    public static int w(String tag, String msg) { throw new RuntimeException("Stub!"); }

    public static int w(String tag, String msg, Throwable tr) { throw new RuntimeException("Stub!"); }

    public static int e(String tag, String msg, Throwable tr) { throw new RuntimeException("Stub!"); }
}
