// API stub for type-checking the generated app with kotlinc (never run or shipped).
// androidx.activity:activity 1.13.0, activity/activity/api/1.13.0-rc01.txt:
// "public abstract class ActivityResultContract<I, O> { method public abstract android.content.Intent
//  createIntent(android.content.Context context, I input); method public abstract O
//  parseResult(int resultCode, android.content.Intent? intent); ... }"
package androidx.activity.result.contract

import android.content.Context
import android.content.Intent

public abstract class ActivityResultContract<I, O> {
    public abstract fun createIntent(context: Context, input: I): Intent

    public abstract fun parseResult(resultCode: Int, intent: Intent?): O
}
