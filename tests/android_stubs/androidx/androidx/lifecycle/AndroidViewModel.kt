// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.lifecycle 2.11.0 (lifecycle-viewmodel, Kotlin source). Members from the
// library's API signature file lifecycle/lifecycle-viewmodel/api/2.11.0-beta01.txt
// (androidx/androidx): "public class AndroidViewModel extends ViewModel {
// ctor public AndroidViewModel(android.app.Application application);
// method public <T extends android.app.Application> T getApplication(); }".
package androidx.lifecycle

import android.app.Application

public open class AndroidViewModel(application: Application) : ViewModel() {
    public open fun <T : Application> getApplication(): T = throw RuntimeException("Stub!")
}
