// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.activity:activity 1.13.0, activity/activity/api/1.13.0-rc01.txt:
// "public interface ActivityResultCaller { method public <I, O> ActivityResultLauncher<I>
//  registerForActivityResult(ActivityResultContract<I,O> contract, ActivityResultCallback<O> callback); ... }"
package androidx.activity.result

import androidx.activity.result.contract.ActivityResultContract

public interface ActivityResultCaller {
    public fun <I, O> registerForActivityResult(
        contract: ActivityResultContract<I, O>,
        callback: ActivityResultCallback<O>,
    ): ActivityResultLauncher<I>
}
