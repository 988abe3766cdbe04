// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.lifecycle 2.11.0 (lifecycle-viewmodel, Kotlin source). Members from the
// library's API signature file lifecycle/lifecycle-viewmodel/api/2.11.0-beta01.txt
// (androidx/androidx): "public abstract class ViewModel { ctor public ViewModel();
// method @EmptySuper protected void onCleared(); }" (closeable members left out).
package androidx.lifecycle

public abstract class ViewModel public constructor() {
    protected open fun onCleared(): Unit = throw RuntimeException("Stub!")
}
