// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.lifecycle 2.11.0 (lifecycle-livedata-core). Members from the library's API
// signature file lifecycle/lifecycle-livedata-core/api/2.11.0-beta01.txt (androidx/androidx): "public abstract class LiveData<T>":
// ctor LiveData(); ctor LiveData(T); T? getValue();
// @MainThread void observe(LifecycleOwner, Observer<? super T>); protected void postValue(T);
// @MainThread protected void setValue(T) (other members left out).
package androidx.lifecycle;

public abstract class LiveData<T> {
    public LiveData() { throw new RuntimeException("Stub!"); }

    public LiveData(T value) { throw new RuntimeException("Stub!"); }

    public T getValue() { throw new RuntimeException("Stub!"); }

    public void observe(LifecycleOwner owner, Observer<? super T> observer) { throw new RuntimeException("Stub!"); }

    protected void postValue(T value) { throw new RuntimeException("Stub!"); }

    protected void setValue(T value) { throw new RuntimeException("Stub!"); }
}
