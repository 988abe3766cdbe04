"""Bias correction (effkit.pipeline.bias_correction) on real Keras nets and real conversions."""

from __future__ import annotations

import numpy as np
import pytest

from effkit.pipeline.bias_correction import corrected, quantized_like_the_converter


def _bn_net(seed: int = 0):
    """A small net laid out like effkit's: conv -> bn -> relu6, depthwise -> bn -> relu6,
    pooled logits, with batch-norm statistics far from the identity."""
    import keras
    from keras import layers

    from effkit.model.network import batch_norm_after

    keras.utils.set_random_seed(seed)
    inp = keras.Input((16, 16, 3), batch_size=None, name="image")
    x = layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inp)
    x = layers.BatchNormalization(name=batch_norm_after("stem_conv"))(x)
    x = layers.Activation("relu6")(x)
    x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="block0_dwconv")(x)
    x = layers.BatchNormalization(name=batch_norm_after("block0_dwconv"))(x)
    x = layers.Activation("relu6")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(5, name="logits")(x)
    model = keras.Model(inp, layers.Softmax(name="predictions")(x))
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.set_weights([rng.uniform(0.5, 2.0, n), rng.normal(0, 0.5, n),
                               rng.normal(0, 0.3, n), rng.uniform(0.2, 1.5, n)])
    return model


def _inputs(n: int = 12, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (n, 16, 16, 3)).astype(np.float32)


def test_round_trip_matches_tflite_int8_weights():
    """The converter's per-channel int8 weights, read back from a real int8 model, are
    exactly what quantized_like_the_converter predicts (conv, depthwise and dense)."""
    import keras
    from ai_edge_litert.interpreter import Interpreter
    from keras import layers

    from effkit.pipeline.convert import ConvertOptions, convert

    keras.utils.set_random_seed(3)
    inp = keras.Input((16, 16, 3), name="image")
    x = layers.Conv2D(6, 3, strides=2, activation="relu6", name="c")(inp)
    x = layers.DepthwiseConv2D(3, activation="relu6", name="d")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inp, layers.Dense(4, activation="softmax", name="f")(x))
    tflite = convert(model, ConvertOptions(bias_correction=False), _inputs())
    interp = Interpreter(model_content=tflite)
    interp.allocate_tensors()
    found = {}
    for t in interp.get_tensor_details():
        q = t["quantization_parameters"]
        if t["dtype"] == np.int8 and len(t["shape"]) >= 2 and len(q["scales"]) > 1:
            found[tuple(t["shape"])] = interp.get_tensor(t["index"]).astype(np.float64) * (
                q["scales"].reshape(-1, *([1] * (len(t["shape"]) - 1)))
                if t["shape"][0] > 1 else q["scales"])
    kc, kd, kf = (model.get_layer(n).get_weights()[0] for n in ("c", "d", "f"))
    want = {
        (6, 3, 3, 3): quantized_like_the_converter(kc).transpose(3, 0, 1, 2),
        (1, 3, 3, 6): quantized_like_the_converter(kd, depthwise=True).reshape(1, 3, 3, 6),
        (4, 6): quantized_like_the_converter(kf).T,
    }
    assert set(want) <= set(found), sorted(found)
    for shape, w in want.items():
        np.testing.assert_allclose(found[shape], w, rtol=1e-5, atol=1e-7, err_msg=str(shape))


def test_correction_cancels_the_mean_shift_of_each_layer():
    """With its int8 weights, every corrected layer's output (after its batch norm) has the
    float layer's mean on the calibration inputs; uncorrected, it does not."""
    import keras

    from effkit.model.network import batch_norm_after

    model, x = _bn_net(), _inputs()
    copy, done = corrected(model, x, micro_batch=5)  # micro-batches that do not divide 12
    assert done.layers == 3 and done.largest_shift > 0
    taps = keras.Model(model.inputs, [model.get_layer(n).input
                                      for n in ("stem_conv", "block0_dwconv", "logits")])
    for name, seen in zip(("stem_conv", "block0_dwconv", "logits"), taps(x), strict=True):
        def out(m, kernel=None, name=name, seen=seen):
            layer = m.get_layer(name)
            if kernel is not None:
                layer = layer.__class__.from_config(layer.get_config())
                layer.build(seen.shape)
                layer.set_weights([kernel, *m.get_layer(name).get_weights()[1:]])
            y = layer(seen)
            if name != "logits":
                y = m.get_layer(batch_norm_after(name))(y, training=False)
            return np.asarray(y, np.float64).reshape(-1, y.shape[-1]).mean(axis=0)

        kernel = model.get_layer(name).get_weights()[0]
        q = quantized_like_the_converter(kernel, depthwise=name == "block0_dwconv").astype(np.float32)
        float_mean, plain, fixed = out(model), out(model, q), out(copy, q)
        np.testing.assert_allclose(fixed, float_mean, atol=2e-5, err_msg=name)
        assert np.max(np.abs(plain - float_mean)) > 10 * np.max(np.abs(fixed - float_mean)), name


def test_the_model_itself_is_left_as_it_is():
    model = _bn_net()
    before = [w.copy() for w in model.get_weights()]
    copy, _ = corrected(model, _inputs())
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(before, copy.get_weights(), strict=True))


def test_layers_without_a_bias_or_batch_norm_are_left_alone():
    """A convolution with neither a bias nor a batch norm after it has nowhere to put the
    correction: it is skipped, not guessed."""
    import keras
    from keras import layers

    inp = keras.Input((16, 16, 3))
    x = layers.Conv2D(4, 3, use_bias=False, name="bare")(inp)
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inp, layers.Dense(3, name="logits")(x))
    _, done = corrected(model, _inputs())
    assert done.layers == 1  # the dense only


def test_no_inputs_is_refused():
    with pytest.raises(ValueError, match="needs calibration inputs"):
        corrected(_bn_net(), np.zeros((0, 16, 16, 3), np.float32))


def test_int8_conversion_is_corrected_unless_asked_not_to():
    """convert() corrects by default: the int32 biases move, the int8 weights do not."""
    from ai_edge_litert.interpreter import Interpreter

    from effkit.pipeline.convert import ConvertOptions, convert

    model, x = _bn_net(), _inputs(32)
    on = convert(model, ConvertOptions(), x)
    off = convert(model, ConvertOptions(bias_correction=False), x)
    assert on != off

    def int32_and_int8(tflite):
        interp = Interpreter(model_content=tflite)
        interp.allocate_tensors()
        # constants only: activations have the batch of one in front
        return {d: [interp.get_tensor(t["index"]).tobytes() for t in interp.get_tensor_details()
                    if t["dtype"] == d and len(t["shape"]) >= 1 and t["shape"][0] > 1]
                for d in (np.int32, np.int8)}

    a, b = int32_and_int8(on), int32_and_int8(off)
    assert a[np.int32] != b[np.int32]  # biases moved
    assert sorted(a[np.int8]) == sorted(b[np.int8])  # int8 weights (and constants) did not


def test_mixed_precision_leaves_the_float_layers_uncorrected():
    """quant-report --keep-float names int8 graph nodes; layers_of finds the Keras layers
    inside them (the depthwise conv and its batch norm), and no other weighted layer."""
    from ai_edge_litert.interpreter import Interpreter

    from effkit.pipeline.convert import ConvertOptions, convert
    from effkit.pipeline.mixed_precision import layers_of

    model = _bn_net()
    interp = Interpreter(model_content=convert(model, ConvertOptions(bias_correction=False), _inputs()))
    interp.allocate_tensors()
    names = {t["index"]: t["name"] for t in interp.get_tensor_details()}
    node = next(names[op["outputs"][0]] for op in interp._get_ops_details()
                if op["op_name"] == "DEPTHWISE_CONV_2D")
    found = layers_of(model, [node])
    assert {"block0_dwconv", "block0_dwconv_bn"} <= found
    assert not found & {"stem_conv", "stem_bn", "logits"}
    copy, done = corrected(model, _inputs(), keep=found)
    assert done.layers == 2
    np.testing.assert_array_equal(copy.get_layer("block0_dwconv_bn").moving_mean.numpy(),
                                  model.get_layer("block0_dwconv_bn").moving_mean.numpy())
