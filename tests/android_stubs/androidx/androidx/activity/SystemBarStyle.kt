// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.activity:activity 1.13.0 (Kotlin source). Members from the library's API
// signature file activity/activity/api/1.13.0-rc01.txt (androidx/androidx), unchanged
// in 1.13.0: "public final class SystemBarStyle" with companion methods
// "SystemBarStyle dark(@ColorInt int scrim)" and "SystemBarStyle light(@ColorInt int scrim,
// @ColorInt int darkScrim)" (auto() left out).
package androidx.activity

public class SystemBarStyle private constructor() {
    public companion object {
        @JvmStatic
        public fun dark(scrim: Int): SystemBarStyle = throw RuntimeException("Stub!")

        @JvmStatic
        public fun light(scrim: Int, darkScrim: Int): SystemBarStyle = throw RuntimeException("Stub!")
    }
}
