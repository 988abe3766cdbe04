// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.activity:activity 1.13.0 (Kotlin source). Members from the library's API
// signature file activity/activity/api/1.13.0-rc01.txt (androidx/androidx), unchanged
// in 1.13.0: "public final class EdgeToEdge {
// method @KotlinOnly public static void enableEdgeToEdge(androidx.activity.ComponentActivity,
// optional androidx.activity.SystemBarStyle statusBarStyle, optional androidx.activity.SystemBarStyle
// navigationBarStyle); }" (an extension function in EdgeToEdge.kt).
@file:JvmName("EdgeToEdge")

package androidx.activity

public fun ComponentActivity.enableEdgeToEdge(
    statusBarStyle: SystemBarStyle = throw RuntimeException("Stub!"),
    navigationBarStyle: SystemBarStyle = throw RuntimeException("Stub!"),
): Unit = throw RuntimeException("Stub!")
