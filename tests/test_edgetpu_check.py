"""Edge TPU compatibility check on real TFLite conversions of small Keras models."""

from __future__ import annotations

import json

import pytest
from edgetpu_fixtures.models import as_compiled, tflite, with_op_version

from effkit.edgetpu import opversions
from effkit.edgetpu.check import DEFAULT_MIN_RUNTIME_VERSION, check_model, check_model_file
from effkit.edgetpu.rules import SUPPORTED_OPS
from effkit.errors import ModelFileError

LITE_OPS = {"QUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED",
            "SOFTMAX"}


def ops(report) -> list[str]:
    return [o.op for o in report.ops]


def test_int8_lite_like_model_maps_completely():
    report = check_model(tflite("int8"))
    assert report.quantization == "full-integer"
    assert set(ops(report)) == LITE_OPS
    assert report.all_mapped and report.ops_cpu == 0 and report.ops_tpu == len(report.ops)
    assert report.split is None and report.first_unsupported is None
    assert report.tpu_segment == (0, len(report.ops) - 1)
    assert (report.problems, report.warnings) == ((), ())
    (inp,), (out,) = report.inputs, report.outputs
    assert (inp.dtype, inp.shape, out.dtype) == ("UINT8", (1, 32, 32, 3), "UINT8")
    assert report.min_runtime_version == DEFAULT_MIN_RUNTIME_VERSION == 13
    doc = report.to_dict()
    json.dumps(doc)
    assert doc["all_mapped"] and doc["ops_tpu"] == doc["ops_total"] == len(doc["ops"])
    assert doc["ops"][0] == {**doc["ops"][0], "op": "QUANTIZE", "predicted": "tpu",
                             "supported": True, "reasons": []}


def test_open_batch_dimension_is_a_warning_not_a_failure():
    report = check_model(tflite("int8-open-batch"))
    assert report.all_mapped
    assert report.inputs[0].shape_signature == (-1, 32, 32, 3)
    assert any("batch dimension is left dynamic" in w for w in report.warnings)


def test_open_batch_with_reshape_computes_shapes_on_the_cpu():
    # Keras Reshape with batch None converts to SHAPE/STRIDED_SLICE/PACK on int32 tensors.
    report = check_model(tflite("open-batch-reshape"))
    assert not report.all_mapped
    assert report.split.op == "SHAPE"
    assert "SHAPE is not in the Edge TPU's supported operations" in report.split.reasons
    after = [o for o in report.ops if o.index > report.split.index and o.supported]
    assert after and all(o.predicted == "cpu" and "after the graph split" in o.note for o in after)


def test_float_input_and_output_run_on_the_cpu():
    report = check_model(tflite("int8-float-io"))
    assert report.quantization == "full-integer-float-io"
    first, last = report.ops[0], report.ops[-1]
    assert (first.op, first.predicted) == ("QUANTIZE", "cpu")
    assert "input 0: FLOAT32, not 8-bit (uint8/int8) quantized" in first.reasons
    assert (last.op, last.predicted) == ("DEQUANTIZE", "cpu")
    assert "DEQUANTIZE is not in the Edge TPU's supported operations" in last.reasons
    assert report.tpu_segment == (1, len(report.ops) - 2)
    assert report.split.index == len(report.ops) - 1
    assert report.ops_cpu == 2 and not report.all_mapped
    # the leading CPU op is named too: "split" alone read as if the TPU part began at op #0
    assert "; op #0 QUANTIZE before it runs on the CPU; the graph splits at op #" in report.summary()


def test_float_model():
    report = check_model(tflite("float"))
    assert report.quantization == "float"
    assert report.ops_tpu == 0 and not report.all_mapped
    assert any("not quantized" in p for p in report.problems)
    conv = report.ops[0]
    assert conv.op == "CONV_2D" and not conv.supported
    assert "input 0, output 0: FLOAT32, not 8-bit (uint8/int8) quantized" in conv.reasons
    assert "input 1, input 2: constant FLOAT32, not 8-bit quantized" in conv.reasons
    assert report.split is None  # nothing maps, so nothing splits
    assert report.first_unsupported.index == 0


def test_dynamic_range_model():
    report = check_model(tflite("dynamic-range"))
    assert report.quantization == "dynamic-range"
    assert any("dynamic-range quantization" in p for p in report.problems)
    assert report.ops_tpu == 0
    conv = report.ops[0]
    assert conv.op == "CONV_2D"
    # weights are int8 (fine on their own); activations and bias are float
    assert "input 0, output 0: FLOAT32, not 8-bit (uint8/int8) quantized" in conv.reasons
    assert not any(r.startswith("input 1") for r in conv.reasons)


@pytest.mark.parametrize("name", ["int16", "int16-io"])
def test_int16_activations_are_named_as_16x8(name):
    """16x8 quantization is neither dynamic-range (float I/O; a representative dataset was
    given) nor full-integer (int16 I/O): the Edge TPU needs int8 activations."""
    report = check_model(tflite(name))
    assert report.quantization == "int16-activations"
    (problem,) = report.problems
    assert "int16 activations (16x8" in problem and "needs int8 activations" in problem
    assert "full-integer int8 quantization" in problem and "dynamic-range" not in problem
    assert report.ops_tpu == 0 and not report.all_mapped


def test_an_already_compiled_model_reports_the_compilers_split():
    """Ops outside the edgetpu-custom-op are those the compiler left on the CPU: they are
    reported so, even where the rules alone would predict them on the Edge TPU."""
    plain = check_model(tflite("int8"))
    assert plain.all_mapped  # every op could map; this compiler stopped after op #5
    report = check_model(as_compiled(tflite("int8"), 0, 5))
    assert report.already_compiled
    assert [o.op for o in report.ops] == ["edgetpu-custom-op"] + ops(plain)[6:]
    custom, *rest = report.ops
    assert custom.predicted == "tpu"
    assert rest and all(o.predicted == "cpu" and o.note.startswith("left on the CPU by "
                                                                   "edgetpu_compiler")
                        for o in rest)
    assert (report.ops_tpu, report.ops_cpu) == (1, len(rest))
    assert report.summary() == (f"1 of {len(report.ops)} ops on the Edge TPU: the model is already "
                                f"compiled (edgetpu-custom-op); edgetpu_compiler left {len(rest)} "
                                "ops on the CPU")
    assert report.memory is None and report.to_dict()["on_chip_bytes"] is None
    assert any("already compiled" in w for w in report.warnings)


def test_unsupported_op_splits_the_graph():
    report = check_model(tflite("leaky"))
    assert report.quantization == "full-integer"
    split = report.split
    assert (split.index, split.op) == (3, "LEAKY_RELU")
    assert split.reasons == ("LEAKY_RELU is not in the Edge TPU's supported operations",)
    assert [o.op for o in report.ops if o.on_tpu] == ["QUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D"]
    assert report.tpu_segment == (0, 2)
    later = report.ops[4:]
    assert all(o.supported and not o.on_tpu for o in later)
    assert all(o.note == "after the graph split at op #3 LEAKY_RELU" for o in later)
    assert "splits at op #3 LEAKY_RELU" in report.summary()
    assert report.to_dict()["split"] == {"index": 3, "op": "LEAKY_RELU"}


def test_outer_dimension_larger_than_one():
    report = check_model(tflite("batch2"))
    assert report.inputs[0].shape == (2, 32, 32, 3)
    conv = next(o for o in report.ops if o.op == "CONV_2D")
    assert not conv.supported
    assert any("shape [2, 32, 32, 3]; only the 3 innermost dimensions may be larger than 1" in r
               for r in conv.reasons)
    fc = next(o for o in report.ops if o.op == "FULLY_CONNECTED")
    assert "output tensor must be one-dimensional, got [2, 10]" in fc.reasons
    softmax = next(o for o in report.ops if o.op == "SOFTMAX")
    assert "input must be 1-D, got [2, 10]" in softmax.reasons
    assert not report.all_mapped


def test_dynamic_sizes():
    report = check_model(tflite("dynamic-size"))
    assert report.inputs[0].shape_signature == (-1, -1, -1, 3)
    first = report.ops[0]
    assert not first.supported
    assert any("dynamic size [-1, -1, -1, 3]; tensor sizes must be constant" in r
               for r in first.reasons)
    assert not report.all_mapped


def test_op_constraints():
    report = check_model(tflite("constraints"))
    by_op = {o.op: o for o in report.ops}
    assert by_op["STRIDED_SLICE"].reasons == ("only strides of 1 are supported, got [1, 2, 2, 1]",)
    assert report.split.op == "STRIDED_SLICE"
    assert by_op["SOFTMAX"].reasons == ("input must be 1-D, got [1, 16, 16, 8]",)
    assert by_op["MEAN"].supported  # z-reduction over 8 channels: a multiple of 4, runtime 13+
    zeros, ones = [o for o in report.ops if o.op == "CONCATENATION"]
    assert zeros.supported  # a constant all-zero input is a zero-padding: allowed
    assert ones.reasons == ("a constant input must be all zeros (a zero-padding)",)


def test_min_runtime_version_gates_ops():
    old = check_model(tflite("constraints"), min_runtime_version=12)
    mean = next(o for o in old.ops if o.op == "MEAN")
    assert "runtime <= 12 supports reduction along x and y only" in mean.reasons
    lite = check_model(tflite("int8"), min_runtime_version=12)
    quantize = lite.ops[0]
    assert quantize.op == "QUANTIZE" and not quantize.supported
    assert "QUANTIZE needs Edge TPU runtime 13+" in quantize.reasons[0]
    assert lite.ops_tpu == len(lite.ops) - 2  # the QUANTIZE at each edge runs on the CPU
    assert lite.split.op == "QUANTIZE" and lite.split.index == len(lite.ops) - 1


def test_supported_ops_table_is_data():
    assert SUPPORTED_OPS["SOFTMAX"].limitation.startswith("Supports only 1-D input tensor")
    assert SUPPORTED_OPS["TRANSPOSE"].min_runtime == 14
    assert "LEAKY_RELU" not in SUPPORTED_OPS and "DEQUANTIZE" not in SUPPORTED_OPS
    assert LITE_OPS <= set(SUPPORTED_OPS)


def test_bad_input(tmp_path):
    with pytest.raises(ModelFileError, match="not a TFLite model"):
        check_model(b"not a model at all")
    with pytest.raises(ModelFileError, match="corrupt TFLite model"):
        check_model(tflite("int8")[:64])
    with pytest.raises(ModelFileError, match="does not exist"):
        check_model_file(tmp_path / "missing.tflite")
    path = tmp_path / "m.tflite"
    path.write_bytes(tflite("int8"))
    assert check_model_file(path).all_mapped


# -- op versions newer than the compiler knows ------------------------------------


def test_op_versions_within_the_ceiling_pass():
    report = check_model(tflite("int8"))  # today's converter: QUANTIZE v1, FULLY_CONNECTED v4
    assert report.all_mapped and report.compiler_version == opversions.LATEST_COMPILER


def test_a_compiler_newer_than_the_last_release_is_named():
    """16.0 is the last edgetpu_compiler release: a later version is accepted, with a note
    that no op-version limits are known (or checked) for it."""
    report = check_model(tflite("int8-float-io"), compiler_version="17.0")
    assert any("17.0 is newer than the last release effkit knows" in w and "none are checked" in w
               for w in report.warnings), report.warnings
    assert not any("newer than the last release" in w
                   for w in check_model(tflite("int8-float-io"), compiler_version="16.0").warnings)


def test_a_compiler_older_than_the_runtime_checked_for_is_named():
    """Compiler 2.0.267685300 was "still compatible with Edge TPU runtime v12"; runtime 13
    came with 2.0.291256449 (google-coral/edgetpu CHANGES.md), runtime 14 with 16.0 (Coral's
    table: 13 for 2.1 to 15.0). Checked for a runtime the compiler named cannot compile for,
    the report says so; an op checked for an older runtime names the compiler it needs."""
    report = check_model(tflite("int8"), compiler_version="2.0.267685300")
    assert report.min_runtime_version == 13 and report.all_mapped
    assert any("compiles for Edge TPU runtime 12 at most" in w and "--min-runtime 12" in w
               for w in report.warnings), report.warnings
    asked = check_model(tflite("int8"), compiler_version="15.0", min_runtime_version=14)
    assert any("compiles for Edge TPU runtime 13 at most (runtime 14 came with compiler 16.0)"
               in w for w in asked.warnings), asked.warnings
    old = check_model(tflite("int8"), compiler_version="2.0", min_runtime_version=12)
    assert not any("at most" in w for w in old.warnings)
    quantize = next(o for o in old.ops if o.op == "QUANTIZE")
    assert "--min-runtime 13 and edgetpu_compiler 2.0.291256449 or newer" in quantize.reasons[0]
    for newer, runtime in (("2.0.291256449", 13), ("14.1", 13), ("16.0", 14)):
        assert not any("at most" in w for w in check_model(
            tflite("int8"), compiler_version=newer, min_runtime_version=runtime).warnings)


def test_quantize_v3_is_refused_by_compiler_16():
    # google-coral/edgetpu#879: "Didn't find op for builtin opcode 'QUANTIZE' version '3'"
    report = check_model(with_op_version(tflite("int8"), "QUANTIZE", 3))
    quantize = [o for o in report.ops if o.op == "QUANTIZE"]
    assert quantize and all(not o.supported and o.predicted == "cpu" for o in quantize)
    reason = quantize[0].reasons[0]
    assert "QUANTIZE version 3 is newer than edgetpu_compiler 16 knows" in reason
    assert "issues/879" in reason and "per-channel" in reason
    assert not report.all_mapped and report.ops_cpu >= 2
    assert any("refuses the whole model" in p and "QUANTIZE v3" in p for p in report.problems)
    assert report.to_dict()["ops"][0]["supported"] is False


def test_a_refused_model_has_no_op_on_the_edge_tpu():
    """The compiler refuses the whole model ("Model could not be parsed"): nothing maps, so
    no op is predicted on the Edge TPU, there is no TPU segment and no on-chip parameter."""
    report = check_model(with_op_version(tflite("int8"), "QUANTIZE", 3))
    assert report.ops_tpu == 0 and report.ops_cpu == len(report.ops)
    assert report.tpu_segment is None and report.split is None
    assert report.memory.on_chip_bytes == report.memory.parameter_bytes == 0
    inner = [o for o in report.ops if o.op != "QUANTIZE"]
    assert inner and all(o.supported and o.predicted == "cpu" for o in inner)
    assert all(o.note == "the compiler refuses the whole model (QUANTIZE v3)" for o in inner)
    assert report.refused_ops == ("QUANTIZE v3",)
    assert report.summary() == (f"0 of {len(report.ops)} ops predicted on the Edge TPU; "
                                "edgetpu_compiler refuses the whole model for op versions newer "
                                "than it knows: QUANTIZE v3")
    doc = report.to_dict()
    assert (doc["ops_tpu"], doc["tpu_segment"], doc["on_chip_bytes"]) == (0, None, 0)
    assert doc["refused_ops"] == ["QUANTIZE v3"]


def test_fully_connected_v4_is_not_refused_but_relu_v2_is_for_compiler_2():
    edited = with_op_version(tflite("int8"), "SOFTMAX", 2)
    assert check_model(edited).all_mapped  # no refusal is known for SOFTMAX
    assert opversions.refusal("RELU", 2, "2.0.267685300") is not None  # #34
    assert opversions.refusal("RELU", 2, "16.0.384591198") is None     # newer compilers know it
    assert opversions.refusal("TRANSPOSE_CONV", 3, "16") is None
    assert opversions.refusal("TRANSPOSE_CONV", 4, "16").source.endswith("/845")
    assert opversions.refusal("TRANSPOSE_CONV", 3, "2.1.302470888").source.endswith("/147")
    # a refusal seen with compiler 16 holds for older compilers too
    assert opversions.refusal("QUANTIZE", 3, "15.0.340273435") is not None


def test_transpose_conv_v4_names_the_converter_setting():
    edited = with_op_version(tflite("int8"), "CONV_2D", 3)  # unchanged: CONV_2D has no refusal
    assert check_model(edited).all_mapped
    r = opversions.refusal("TRANSPOSE_CONV", 4)
    text = opversions.describe(r, 4)
    assert "experimental_new_converter = False" in text and "TensorFlow 2.13" in text


def test_every_refusal_names_a_public_source():
    for r in opversions.REFUSALS:
        assert r.source.startswith("https://github.com/google-coral/"), r
        assert r.version >= 2 and r.compiler_major >= 2


# -- parameter memory ----------------------------------------------------------------


def test_parameter_memory_of_a_small_model_fits_on_chip():
    report = check_model(tflite("int8"))
    mem = report.memory
    assert mem is not None and not mem.streams and mem.off_chip_bytes == 0
    # the constants of the ops on the TPU: conv/depthwise/dense weights and biases
    assert 0 < mem.parameter_bytes < len(tflite("int8"))
    doc = report.to_dict()
    assert doc["on_chip_bytes"] == mem.on_chip_bytes and doc["off_chip_bytes"] == 0
    assert not any("stream" in w for w in report.warnings)


def test_parameters_beyond_the_cache_stream_with_a_warning():
    from effkit.edgetpu.memory import ON_CHIP_CAPACITY_BYTES, from_parameter_bytes

    lite4 = from_parameter_bytes(13_000_000)  # the figure: 13.0 M int8 parameters
    assert lite4.streams and lite4.on_chip_bytes == ON_CHIP_CAPACITY_BYTES
    assert lite4.off_chip_bytes == round(13_000_000 * 1.07) - ON_CHIP_CAPACITY_BYTES
    assert "--num-segments" in lite4.warning() and "smaller variant" in lite4.warning()
    assert not from_parameter_bytes(5_000_000).streams


def test_a_model_with_more_parameters_than_the_cache_streams():
    from effkit.edgetpu.memory import ON_CHIP_CAPACITY_BYTES

    report = check_model(tflite("big-dense"))
    mem = report.memory
    assert report.all_mapped and [o.op for o in report.ops] == [
        "QUANTIZE", "FULLY_CONNECTED", "QUANTIZE"]
    assert mem.parameter_bytes >= 2900 * 2900  # int8 weights + int32 bias
    assert mem.streams and mem.on_chip_bytes == ON_CHIP_CAPACITY_BYTES
    assert mem.off_chip_bytes == round(mem.parameter_bytes * 1.07) - ON_CHIP_CAPACITY_BYTES
    assert any("will stream from host memory" in w and "--num-segments" in w
               for w in report.warnings)
    assert report.to_dict()["off_chip_bytes"] == mem.off_chip_bytes > 0
