// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.lifecycle:lifecycle-common, Kotlin source:
// https://developer.android.com/reference/androidx/lifecycle/LifecycleOwner
package androidx.lifecycle

public interface LifecycleOwner {
    public val lifecycle: Lifecycle
}
