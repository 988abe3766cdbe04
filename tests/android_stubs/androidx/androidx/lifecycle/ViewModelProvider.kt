// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.lifecycle 2.11.0 (lifecycle-viewmodel, Kotlin source). Members from the
// library's API signature file lifecycle/lifecycle-viewmodel/api/2.11.0-beta01.txt
// (androidx/androidx): "public class ViewModelProvider {
// ctor public ViewModelProvider(androidx.lifecycle.ViewModelStoreOwner owner);
// method public operator <T extends ViewModel> T get(Class<T> modelClass); }" (other members left out).
package androidx.lifecycle

public open class ViewModelProvider public constructor(owner: ViewModelStoreOwner) {
    public open operator fun <T : ViewModel> get(modelClass: Class<T>): T = throw RuntimeException("Stub!")
}
