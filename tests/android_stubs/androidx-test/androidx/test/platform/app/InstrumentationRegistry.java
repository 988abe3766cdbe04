// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.test (instrumented tests): runner 1.7.0 and ext.junit 1.3.0. Signatures from
// the android/android-test sources and the reference,
// https://developer.android.com/reference/androidx/test/platform/app/InstrumentationRegistry (in
// androidx.test:monitor, a dependency of runner): "public static Instrumentation getInstrumentation()".
package androidx.test.platform.app;

public final class InstrumentationRegistry {
    private InstrumentationRegistry() {}

    public static android.app.Instrumentation getInstrumentation() { throw new RuntimeException("Stub!"); }
}
