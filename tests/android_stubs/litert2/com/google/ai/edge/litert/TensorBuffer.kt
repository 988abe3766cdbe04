// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert 2.3.x. Signatures written from google-ai-edge/LiteRT
// litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/TensorBuffer.kt at tag v2.2.0
// (unchanged on main at commit f67457790c9c): class TensorBuffer internal constructor(handle)
// : JniHandle, with writeFloat(FloatArray), writeInt8(ByteArray), readFloat(): FloatArray,
// readInt8(): ByteArray, each @Throws(LiteRtException::class). Only the members the app
// calls are reproduced.
// https://github.com/google-ai-edge/LiteRT/blob/v2.2.0/litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/TensorBuffer.kt
package com.google.ai.edge.litert

class TensorBuffer internal constructor(handle: Long) : JniHandle(handle) {
    @Throws(LiteRtException::class)
    fun writeFloat(data: FloatArray): Unit = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun writeInt8(data: ByteArray): Unit = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun readFloat(): FloatArray = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun readInt8(): ByteArray = throw RuntimeException("Stub!")

    override fun destroy(): Unit = throw RuntimeException("Stub!")
}
