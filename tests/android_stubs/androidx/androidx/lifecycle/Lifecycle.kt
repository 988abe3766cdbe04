// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.lifecycle:lifecycle-common (pulled in by androidx.activity 1.13.0), Kotlin source.
// https://developer.android.com/reference/androidx/lifecycle/Lifecycle
// Only the type is needed: ComponentActivity exposes it through LifecycleOwner.
package androidx.lifecycle

public abstract class Lifecycle
