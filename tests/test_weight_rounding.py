"""GPTQ weight rounding (effkit.pipeline.weight_rounding) on real Keras nets and real
conversions."""

from __future__ import annotations

import numpy as np
import pytest
from test_bias_correction import _bn_net, _inputs

from effkit.pipeline.bias_correction import (
    as_channels,
    channel_scales,
    quantized_like_the_converter,
    weighted_layers,
)
from effkit.pipeline.weight_rounding import gptq_kernels, gptq_levels, hessians, keep_peaks

NAMES = ("stem_conv", "block0_dwconv", "logits")


def _int8_codes(tflite: bytes) -> dict[str, np.ndarray]:
    """Each weighted layer's int8 kernel codes as the converter wrote them, laid out
    (inputs, channels) like the Keras kernel."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=tflite)
    interp.allocate_tensors()
    out = {}
    for t in interp.get_tensor_details():
        scales = t["quantization_parameters"]["scales"]
        if t["dtype"] != np.int8 or len(t["shape"]) < 2 or len(scales) < 2:
            continue
        name = next(n for n in NAMES if n in t["name"])
        codes = interp.get_tensor(t["index"]).astype(np.int64)
        if name == "logits":  # (out, in)
            codes = codes.T
        elif name == "block0_dwconv":  # (1, kh, kw, c)
            codes = codes.reshape(-1, codes.shape[-1])
        else:  # (out, kh, kw, in)
            codes = codes.transpose(1, 2, 3, 0).reshape(-1, codes.shape[0])
        out[name] = codes
    return out


def test_converter_writes_exactly_the_levels_chosen():
    """Through batch-norm folding and the converter's own rounding, a real int8 model holds
    the GPTQ levels of every conv, depthwise and dense kernel, and they are not all the
    nearest ones."""
    import keras

    from effkit.pipeline.convert import ConvertOptions, convert

    model, x = _bn_net(), _inputs(24)
    kernels = gptq_kernels(model, x)
    codes = _int8_codes(convert(model, ConvertOptions(weight_rounding="gptq"), x))
    assert set(codes) == set(NAMES)
    moved = 0
    for name in NAMES:
        layer = model.get_layer(name)
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        kernel = layer.get_weights()[0]
        scale = channel_scales(kernel, depthwise)
        chosen = np.round(as_channels(kernels[name], depthwise) / scale).astype(np.int64)
        np.testing.assert_array_equal(codes[name], chosen, err_msg=name)
        nearest = np.round(as_channels(quantized_like_the_converter(kernel, depthwise), depthwise) / scale)
        moved += int(np.sum(chosen != nearest))
    assert moved > 0


def test_gptq_lowers_each_layers_output_error_on_its_inputs():
    """The error GPTQ minimizes, ``tr(dW^T H dW)`` (the squared output change summed over
    the calibration inputs), is below nearest rounding's for every layer."""
    import keras

    model, x = _bn_net(), _inputs(24)
    layers = weighted_layers(model)
    found = hessians(model, x, layers)
    kernels = gptq_kernels(model, x)
    for layer in layers:
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        kernel = layer.get_weights()[0]

        def cost(rounded, kernel=kernel, depthwise=depthwise, h=found[layer.name]):
            e = as_channels(np.asarray(rounded, np.float64) - kernel, depthwise)
            return float(np.einsum("kc,ckl,lc->", e, h, e) if depthwise else np.trace(e.T @ h @ e))

        assert cost(kernels[layer.name]) < cost(quantized_like_the_converter(kernel, depthwise)), layer.name


@pytest.mark.parametrize("kind,stride,padding", [
    ("conv", 1, "same"), ("conv", 2, "same"), ("conv", 2, "valid"),
    ("depthwise", 1, "same"), ("depthwise", 2, "same")])
def test_hessian_is_the_gram_matrix_of_the_kernels_view(kind, stride, padding):
    """``X^T X`` over every position of every image, X the input patches as the kernel
    reads them; TensorFlow's extract_patches is the independent reader here."""
    import keras
    import tensorflow as tf
    from keras import layers

    keras.utils.set_random_seed(0)
    inp = keras.Input((9, 9, 3))
    size = 1 if (kind, stride) == ("conv", 1) else 3
    if kind == "conv":
        layer = layers.Conv2D(4, size, strides=stride, padding=padding, use_bias=False, name="k")
    else:
        layer = layers.DepthwiseConv2D(size, strides=stride, padding=padding, use_bias=False, name="k")
    model = keras.Model(inp, layer(inp))
    x = _inputs(3)[:, :9, :9, :]
    p = tf.image.extract_patches(x, [1, size, size, 1], [1, stride, stride, 1], [1, 1, 1, 1],
                                 padding.upper()).numpy().astype(np.float64)
    if kind == "conv":
        flat = p.reshape(-1, p.shape[-1])
        want = flat.T @ flat
    else:
        per = p.reshape(-1, size * size, 3)
        want = np.einsum("nkc,nlc->ckl", per, per)
    got = hessians(model, x, [model.get_layer("k")], micro_batch=2)["k"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_with_no_correlation_gptq_is_nearest_rounding():
    """A diagonal H (inputs that never move together): nothing to compensate, so GPTQ
    picks the nearest level for every weight."""
    rng = np.random.default_rng(0)
    w = rng.normal(0, 1, (16, 5))
    scale = np.abs(w).max(0) / 127
    levels = gptq_levels(w, np.diag(rng.uniform(0.5, 2.0, 16)), scale)
    np.testing.assert_array_equal(levels, np.clip(np.round(w / scale), -127, 127))


def test_a_channel_keeps_its_largest_weight_at_level_127():
    """The converter takes each channel's scale from its largest weight: where GPTQ moved
    that weight off level 127, keep_peaks puts it back (with its sign)."""
    w = np.array([[1.0, -2.0], [0.5, 1.0], [-0.2, 0.3]])
    levels = np.array([[126.0, -126.0], [64.0, 127.0], [-25.0, 19.0]])
    kept = keep_peaks(levels, w)
    np.testing.assert_array_equal(kept[:, 0], [127, 64, -25])
    np.testing.assert_array_equal(kept[:, 1], levels[:, 1])  # 127 present: left alone


def test_model_is_left_untouched():
    from effkit.pipeline.convert import ConvertOptions, convert

    model, x = _bn_net(), _inputs(8)
    before = [w.copy() for w in model.get_weights()]
    convert(model, ConvertOptions(weight_rounding="gptq"), x)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("per_channel", [False, True])
def test_lazy_batch_updates_choose_the_same_levels(per_channel):
    """Updating the later inputs a block at a time chooses what one input at a time does."""
    rng = np.random.default_rng(0)
    d, c = (25, 12) if per_channel else (300, 20)
    x = rng.normal(size=(2000, d))
    x[:, 1] = 0.9 * x[:, 0] + 0.1 * x[:, 1]  # correlated inputs: GPTQ has work to do
    if per_channel:
        h = np.stack([(y := x * rng.uniform(0.5, 2.0, d)).T @ y for _ in range(c)])
    else:
        h = x.T @ x
    w = rng.normal(size=(d, c))
    scale = np.abs(w).max(0) / 127
    np.testing.assert_array_equal(gptq_levels(w, h, scale, block=7), gptq_levels(w, h, scale, block=d))


def test_layers_kept_in_float_keep_their_weights():
    """Mixed precision: int8_weights_chosen leaves the layers that stay in float as they
    are (kernel and bias) and gives the others GPTQ kernels."""
    from effkit.pipeline.convert import ConvertOptions, int8_weights_chosen

    model, x = _bn_net(), _inputs(8)
    ready = int8_weights_chosen(model, x, ConvertOptions(weight_rounding="gptq"), keep={"logits"})
    for a, b in zip(model.get_layer("logits").get_weights(), ready.get_layer("logits").get_weights(),
                    strict=True):
        np.testing.assert_array_equal(a, b)
    kernel = ready.get_layer("block0_dwconv").get_weights()[0]
    scale = channel_scales(model.get_layer("block0_dwconv").get_weights()[0], depthwise=True)
    levels = as_channels(kernel, True) / scale
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)  # on the int8 grid
