// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.lifecycle 2.11.0 (lifecycle-livedata-core). Members from the library's API
// signature file lifecycle/lifecycle-livedata-core/api/2.11.0-beta01.txt (androidx/androidx): "public class MutableLiveData<T> extends LiveData<T>":
// ctor MutableLiveData(); ctor MutableLiveData(T); void postValue(T); void setValue(T).
package androidx.lifecycle;

public class MutableLiveData<T> extends LiveData<T> {
    public MutableLiveData() { throw new RuntimeException("Stub!"); }

    public MutableLiveData(T value) { throw new RuntimeException("Stub!"); }

    @Override
    public void postValue(T value) { throw new RuntimeException("Stub!"); }

    @Override
    public void setValue(T value) { throw new RuntimeException("Stub!"); }
}
