// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.camera:camera-view 1.6.2 (Java source). Signatures from the library API file
// camera/camera-view/api/restricted_1.6.0-beta01.txt (androidx/androidx); members the app
// does not use are left out.
// "public final class RotationProvider { ctor public RotationProvider(android.content.Context);
//  method @CheckResult public boolean addListener(java.util.concurrent.Executor,
//  RotationProvider.Listener); method public void removeListener(RotationProvider.Listener); }",
// "public static interface RotationProvider.Listener { method public void onRotationChanged(int); }"
package androidx.camera.view;

import java.util.concurrent.Executor;

public final class RotationProvider {
    public RotationProvider(android.content.Context context) { throw new RuntimeException("Stub!"); }

    public boolean addListener(Executor executor, RotationProvider.Listener listener) { throw new RuntimeException("Stub!"); }

    public void removeListener(RotationProvider.Listener listener) { throw new RuntimeException("Stub!"); }

    public static interface Listener {
        void onRotationChanged(int rotation);
    }
}
