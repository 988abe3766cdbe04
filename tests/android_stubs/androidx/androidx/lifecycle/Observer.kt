// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.lifecycle 2.11.0 (lifecycle-livedata-core). Members from the library's API
// signature file lifecycle/lifecycle-livedata-core/api/2.11.0-beta01.txt (androidx/androidx): "public fun interface Observer<T> {
// method public void onChanged(T value); }".
package androidx.lifecycle

public fun interface Observer<T> {
    public fun onChanged(value: T)
}
