// API stub for type-checking the generated app with kotlinc (never run or shipped).
// com.google.ai.edge.litert:litert 2.3.x. Signatures written from google-ai-edge/LiteRT
// litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Model.kt at tag v2.2.0
// (unchanged on main at commit f67457790c9c): class CompiledModel : JniHandle with
// data class CpuOptions(numThreads: Int? = null, xnnPackFlags: Int? = null,
// xnnPackWeightCachePath: String? = null); class Options(accelerators: Set<Accelerator>)
// with a vararg constructor and var cpuOptions: CpuOptions?; createInputBuffers /
// createOutputBuffers(signatureIndex: Int = 0): List<TensorBuffer>;
// run(inputs, outputs, signatureIndex: Int = 0); and the companion's
// create(assetManager, assetName, options = Options.CPU, optionalEnv: Environment? = null),
// all @Throws(LiteRtException::class). The GPU, Qualcomm options and the Environment
// parameter's class are left out: the app passes neither.
// https://github.com/google-ai-edge/LiteRT/blob/v2.2.0/litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Model.kt
package com.google.ai.edge.litert

import android.content.res.AssetManager

class CompiledModel private constructor(handle: Long) : JniHandle(handle) {

    data class CpuOptions constructor(
        val numThreads: Int? = null,
        val xnnPackFlags: Int? = null,
        val xnnPackWeightCachePath: String? = null,
    )

    class Options constructor(internal val accelerators: Set<Accelerator>) {
        constructor(vararg accelerators: Accelerator) : this(setOf(*accelerators))

        var cpuOptions: CpuOptions? = null

        companion object {
            @JvmStatic val CPU: Options = Options(Accelerator.CPU)
        }
    }

    @Throws(LiteRtException::class)
    @JvmOverloads
    fun createInputBuffers(signatureIndex: Int = 0): List<TensorBuffer> = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    @JvmOverloads
    fun createOutputBuffers(signatureIndex: Int = 0): List<TensorBuffer> = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    @JvmOverloads
    fun run(inputs: List<TensorBuffer>, outputs: List<TensorBuffer>, signatureIndex: Int = 0): Unit =
        throw RuntimeException("Stub!")

    override fun destroy(): Unit = throw RuntimeException("Stub!")

    companion object {
        @Throws(LiteRtException::class)
        @JvmOverloads
        @JvmStatic
        fun create(assetManager: AssetManager, assetName: String, options: Options = Options.CPU): CompiledModel =
            throw RuntimeException("Stub!")
    }
}
