// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.lifecycle 2.11.0 (lifecycle-viewmodel, Kotlin source). Members from the
// library's API signature file lifecycle/lifecycle-viewmodel/api/2.11.0-beta01.txt
// (androidx/androidx): "public class ViewModelStore { ctor public ViewModelStore(); method public final void clear(); }".
package androidx.lifecycle

public open class ViewModelStore public constructor() {
    public fun clear(): Unit = throw RuntimeException("Stub!")
}
