// Test-only driver for the generated app's ImageMath.kt on a desktop JVM.
// tests/test_android_app.py puts the app's package line first, compiles this file
// together with ImageMath.kt (nothing else: no Android classes exist here) and runs
//   java -jar harness.jar preprocess DIR   |   java -jar harness.jar postprocess DIR
// over every case folder in DIR. Inputs and outputs are raw little-endian files plus a
// case.properties file written by the Python test.

import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.Properties

fun main(args: Array<String>) {
    require(args.size == 2) { "usage: preprocess|postprocess DIR" }
    val root = File(args[1])
    val cases = root.listFiles { f -> f.isDirectory }!!.sortedBy { it.name }
    for (dir in cases) {
        val props = Properties()
        File(dir, "case.properties").inputStream().use { props.load(it) }
        when (args[0]) {
            "preprocess" -> preprocessCase(dir, props)
            "postprocess" -> postprocessCase(dir, props)
            else -> throw IllegalArgumentException("unknown mode ${args[0]}")
        }
    }
    println("${args[0]}: ${cases.size} cases")
}

private fun Properties.int(key: String) = getProperty(key).trim().toInt()

private fun Properties.floats(key: String) =
    getProperty(key).split(",").map { it.trim().toFloat() }.toFloatArray()

private fun quantization(props: Properties, prefix: String): Quantization? =
    if (props.getProperty("${prefix}Type") == "FLOAT32") null
    else Quantization(props.getProperty("${prefix}Scale").trim().toFloat(), props.int("${prefix}ZeroPoint"))

private fun preprocessCase(dir: File, props: Properties) {
    val frame = File(dir, "frame.rgba").readBytes()
    // Start the plane at an offset, as a slice of a larger buffer would.
    val offset = props.int("offset")
    val plane = ByteBuffer.wrap(frame)
    plane.position(offset)
    val rgb = rgbaPlaneToRgb(plane, props.int("width"), props.int("height"), props.int("rowStride"),
        props.int("pixelStride"))
    val upright = rotateClockwise(rgb, props.int("rotation"))
    File(dir, "upright.rgb").writeBytes(upright.pixels)
    val resolution = props.int("resolution")
    val box = centerCropBox(upright.width, upright.height, resolution)
    File(dir, "box.txt").writeText("${upright.width} ${upright.height} ${box.left} ${box.top} ${box.right} ${box.bottom}\n")
    val resized = cropAndResize(upright, resolution)
    File(dir, "resized.rgb").writeBytes(resized.pixels)
    val type = TensorType.valueOf(props.getProperty("inputType"))
    val norm = Normalization.of(props.floats("mean"), props.floats("std"))
    val input = ByteBuffer.allocate(inputTensorBytes(3, resized, type)).order(ByteOrder.LITTLE_ENDIAN)
    writeInput(resized, norm, type, quantization(props, "input"), input)
    check(!input.hasRemaining()) { "input tensor not filled" }
    File(dir, "input.bin").writeBytes(input.array())
}

private fun postprocessCase(dir: File, props: Properties) {
    val raw = ByteBuffer.wrap(File(dir, "output.bin").readBytes()).order(ByteOrder.LITTLE_ENDIAN)
    val type = TensorType.valueOf(props.getProperty("outputType"))
    val count = props.int("outputCount")
    val scores = outputScores(raw, count, type, quantization(props, "output"))
    val out = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN)
    scores.forEach { out.putFloat(it) }
    File(dir, "scores.bin").writeBytes(out.array())
    val labels = parseLabels(File(dir, "labels.bin").readBytes())
    // Hex per label: the comparison must not depend on how a label's characters print.
    File(dir, "labels.hex").writeText(labels.joinToString("\n") { label ->
        label.toByteArray(Charsets.UTF_8).joinToString("") { "%02x".format(it) }
    } + "\n")
    val top = predictions(scores, labels, props.int("k"))
    File(dir, "topk.txt").writeText(top.joinToString("\n") { "${it.index}" } + "\n")
    File(dir, "formatted.txt").writeBytes(top.joinToString("\n") { formatPrediction(it) }.toByteArray(Charsets.UTF_8))
}
