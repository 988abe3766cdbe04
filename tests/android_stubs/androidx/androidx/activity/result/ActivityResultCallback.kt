// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.activity:activity 1.13.0, activity/activity/api/1.13.0-rc01.txt:
// "public fun interface ActivityResultCallback<O> { method public void onActivityResult(O result); }"
package androidx.activity.result

public fun interface ActivityResultCallback<O> {
    public fun onActivityResult(result: O)
}
