// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.test (instrumented tests): runner 1.7.0 and ext.junit 1.3.0. Signatures from
// the android/android-test sources and the reference,
// https://developer.android.com/reference/androidx/test/ext/junit/runners/AndroidJUnit4:
// "public final class AndroidJUnit4 extends Runner implements Filterable, Sortable";
// ctor AndroidJUnit4(Class<?> klass) throws InitializationError (Filterable, Sortable left out).
package androidx.test.ext.junit.runners;

public final class AndroidJUnit4 extends org.junit.runner.Runner {
    public AndroidJUnit4(Class<?> klass) throws org.junit.runners.model.InitializationError {
        throw new RuntimeException("Stub!");
    }

    @Override
    public org.junit.runner.Description getDescription() { throw new RuntimeException("Stub!"); }

    @Override
    public void run(org.junit.runner.notification.RunNotifier notifier) { throw new RuntimeException("Stub!"); }
}
