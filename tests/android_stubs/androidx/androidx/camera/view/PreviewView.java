// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.camera:camera-view 1.6.2 (Java source). Signatures from the library API file
// camera/camera-view/api/restricted_1.6.0-beta01.txt (androidx/androidx); members the app
// does not use are left out.
// "public final class PreviewView extends android.widget.FrameLayout {
//  method @UiThread public androidx.camera.core.Preview.SurfaceProvider getSurfaceProvider(); ... }"
package androidx.camera.view;

public final class PreviewView extends android.widget.FrameLayout {
    public PreviewView(android.content.Context context) { super(context); throw new RuntimeException("Stub!"); }

    public androidx.camera.core.Preview.SurfaceProvider getSurfaceProvider() { throw new RuntimeException("Stub!"); }
}
