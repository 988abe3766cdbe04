// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.activity:activity 1.13.0, activity/activity/api/1.13.0-rc01.txt:
// "public final class ActivityResultContracts" and
// "public static final class ActivityResultContracts.RequestPermission extends
//  ActivityResultContract<java.lang.String,java.lang.Boolean> { ctor public RequestPermission(); ... }"
package androidx.activity.result.contract

import android.content.Context
import android.content.Intent

public class ActivityResultContracts private constructor() {
    public class RequestPermission : ActivityResultContract<String, Boolean>() {
        override fun createIntent(context: Context, input: String): Intent = throw RuntimeException("Stub!")

        override fun parseResult(resultCode: Int, intent: Intent?): Boolean = throw RuntimeException("Stub!")
    }
}
