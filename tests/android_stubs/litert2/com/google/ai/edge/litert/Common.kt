// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert 2.3.x, Kotlin API. Signatures written from
// google-ai-edge/LiteRT litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Common.kt
// at tag v2.2.0 (unchanged on main at commit f67457790c9c, August 2026; the repository
// has no 2.3 tag): enum class Accelerator (NONE, CPU, GPU, NPU) with val value: Int;
// abstract class JniHandle : AutoCloseable with a final close().
// https://github.com/google-ai-edge/LiteRT/blob/v2.2.0/litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Common.kt
package com.google.ai.edge.litert

enum class Accelerator private constructor(val value: Int) {
    NONE(0),
    CPU(1),
    GPU(2),
    NPU(3),
}

abstract class JniHandle internal constructor(internal val handle: Long) : AutoCloseable {
    protected abstract fun destroy()

    final override fun close(): Unit = throw RuntimeException("Stub!")
}
