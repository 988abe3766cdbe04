// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.camera:camera-lifecycle 1.6.2 (Kotlin source). Members from the library API file
// camera/camera-lifecycle/api/1.7.0-rc01.txt (androidx/androidx):
// "public final class ProcessCameraProvider implements CameraProvider {
//  method @MainThread public Camera bindToLifecycle(LifecycleOwner lifecycleOwner,
//    CameraSelector cameraSelector, UseCase?... useCases);
//  method public static ListenableFuture<ProcessCameraProvider> getInstance(Context context);
//  method @MainThread public void unbindAll(); ... }"
// The same three members, with the same types, are in api/1.4.0-beta01.txt.
// The CameraProvider interface and the members the app does not use are left out.
package androidx.camera.lifecycle

import android.content.Context
import androidx.camera.core.Camera
import androidx.camera.core.CameraSelector
import androidx.camera.core.UseCase
import androidx.lifecycle.LifecycleOwner
import com.google.common.util.concurrent.ListenableFuture

public class ProcessCameraProvider private constructor() {
    public fun bindToLifecycle(
        lifecycleOwner: LifecycleOwner,
        cameraSelector: CameraSelector,
        vararg useCases: UseCase?,
    ): Camera = throw RuntimeException("Stub!")

    public fun unbindAll(): Unit = throw RuntimeException("Stub!")

    public companion object {
        @JvmStatic
        public fun getInstance(context: Context): ListenableFuture<ProcessCameraProvider> =
            throw RuntimeException("Stub!")
    }
}
