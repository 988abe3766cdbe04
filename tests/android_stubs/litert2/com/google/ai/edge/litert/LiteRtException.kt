// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert 2.3.x. Signature written from google-ai-edge/LiteRT
// litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/LiteRtException.kt at tag v2.2.0
// (unchanged on main at commit f67457790c9c): class LiteRtException(status, message) :
// Exception(message), the exception every @Throws(LiteRtException::class) member raises.
// The Status enum is left out: the app does not use it.
// https://github.com/google-ai-edge/LiteRT/blob/v2.2.0/litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/LiteRtException.kt
package com.google.ai.edge.litert

class LiteRtException(code: Int, message: String) : Exception(message)
