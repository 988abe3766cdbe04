// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.camera:camera-core 1.6.2 (Java source). Signatures from the library API files
// camera/camera-core/api/1.5.0-beta01.txt and api/1.7.0-rc01.txt (androidx/androidx), which
// agree on every member below, so they hold for 1.6.x; members the app does not use are
// left out (default methods included).
package androidx.camera.core;

public interface Camera {
}
