// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.activity:activity 1.13.0 (Kotlin source). Members from the library's API
// signature file activity/activity/api/1.13.0-rc01.txt (androidx/androidx), unchanged
// in 1.13.0: "public class ComponentActivity extends android.app.Activity implements
// ... ActivityResultCaller ... LifecycleOwner ..." and
// "public final <I, O> ActivityResultLauncher<I> registerForActivityResult(
//  ActivityResultContract<I,O> contract, ActivityResultCallback<O> callback)", and
// "... androidx.lifecycle.ViewModelStoreOwner" with "property public androidx.lifecycle.ViewModelStore
//  viewModelStore".
// Interfaces and members the app does not use are left out.
package androidx.activity

import androidx.activity.result.ActivityResultCallback
import androidx.activity.result.ActivityResultCaller
import androidx.activity.result.ActivityResultLauncher
import androidx.activity.result.contract.ActivityResultContract
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ViewModelStore
import androidx.lifecycle.ViewModelStoreOwner

public open class ComponentActivity : android.app.Activity(), ActivityResultCaller, LifecycleOwner,
    ViewModelStoreOwner {
    override val lifecycle: Lifecycle
        get() = throw RuntimeException("Stub!")

    override val viewModelStore: ViewModelStore
        get() = throw RuntimeException("Stub!")

    final override fun <I, O> registerForActivityResult(
        contract: ActivityResultContract<I, O>,
        callback: ActivityResultCallback<O>,
    ): ActivityResultLauncher<I> = throw RuntimeException("Stub!")
}
