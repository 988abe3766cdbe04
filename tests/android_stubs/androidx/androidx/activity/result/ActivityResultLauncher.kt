// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.activity:activity 1.13.0, activity/activity/api/1.13.0-rc01.txt:
// "public abstract class ActivityResultLauncher<I> { ... method public void launch(I input);
//  method @MainThread public abstract void unregister(); ... }"
// (the launch overload taking ActivityOptionsCompat is left out).
package androidx.activity.result

public abstract class ActivityResultLauncher<I> {
    public open fun launch(input: I): Unit = throw RuntimeException("Stub!")

    public abstract fun unregister()
}
