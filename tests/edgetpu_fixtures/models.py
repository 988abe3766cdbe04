"""Small real Keras -> TFLite conversions for the Edge TPU compatibility tests.

Each model is built and converted once per test session (``lru_cache``); all are
32x32 inputs so the whole set converts in a few seconds on 2 cores.
"""

from __future__ import annotations

import functools
import os
import warnings

import numpy as np

SIZE = 32


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    from keras import layers

    return keras, layers


def lite_like(*, batch: int | None = 1, size: int | None = SIZE, leaky: bool = False,
              width: int = 8, reshape: bool = True):
    """The op mix of an EfficientNet-Lite: conv/BN/ReLU6, depthwise, residual add, pad,
    global average pool, (reshape,) dense, softmax."""
    keras, layers = _keras()
    keras.utils.set_random_seed(0)
    inp = keras.Input((size, size, 3), batch_size=batch)
    x = layers.ZeroPadding2D(((0, 1), (0, 1)))(inp)
    x = layers.Conv2D(width, 3, strides=2, padding="valid", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(6.0)(x)
    y = layers.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.LeakyReLU(0.1)(y) if leaky else layers.ReLU(6.0)(y)
    y = layers.Conv2D(width, 1, use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    x = layers.Add()([x, y])
    x = layers.Conv2D(2 * width, 1)(x)
    x = layers.ReLU(6.0)(x)
    if reshape:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Reshape((2 * width,))(x)
    else:
        x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(10)(x)
    x = layers.Softmax()(x)
    return keras.Model(inp, x)


def constraints_model():
    """Ops that are supported only under conditions, each violating (or meeting) one."""
    keras, layers = _keras()
    keras.utils.set_random_seed(0)
    inp = keras.Input((SIZE, SIZE, 3), batch_size=1)
    x = layers.Conv2D(8, 3, padding="same")(inp)
    x = layers.Lambda(lambda t: t[:, ::2, ::2, :])(x)          # STRIDED_SLICE, strides 2
    m = layers.Lambda(lambda t: keras.ops.mean(t, axis=-1, keepdims=True))(x)  # MEAN over z=8
    x = layers.Multiply()([x, m])
    x = layers.Softmax(axis=-1)(x)                              # SOFTMAX on [1, 16, 16, 8]
    ops = keras.ops
    x = layers.Lambda(lambda t: ops.concatenate([t, ops.zeros((1, 16, 16, 4))], axis=-1))(x)
    x = layers.Lambda(lambda t: ops.concatenate([t, ops.ones((1, 16, 16, 4))], axis=-1))(x)
    return keras.Model(inp, x)


def big_dense(units: int = 2900):
    """One FULLY_CONNECTED layer with units x units int8 weights (2900: 8.4 M bytes), more
    than the Edge TPU caches on chip; input [1, 1, units] so the converter's representative
    data can stay 3-D like the others'."""
    keras, layers = _keras()
    keras.utils.set_random_seed(0)
    inp = keras.Input((units,), batch_size=1)
    return keras.Model(inp, layers.Dense(units)(inp))


def _convert(model, mode: str, batch: int = 1, size: int = SIZE) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode in ("int8", "int8-float-io", "dynamic", "int16", "int16-io"):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode in ("int8", "int8-float-io", "int16", "int16-io"):
        rng = np.random.default_rng(0)

        shape = tuple(model.inputs[0].shape)
        shape = (batch, *shape[1:]) if len(shape) != 4 else (batch, size, size, 3)

        def representative():
            for _ in range(8):
                yield [rng.uniform(-1, 1, shape).astype(np.float32)]

        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        if mode.startswith("int16"):  # 16x8: int16 activations, int8 weights
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        if mode == "int8":
            converter.inference_input_type = tf.uint8
            converter.inference_output_type = tf.uint8
        if mode == "int16-io":
            converter.inference_input_type = tf.int16
            converter.inference_output_type = tf.int16
    with warnings.catch_warnings():  # uint8 input statistics come from the calibration data
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs")
        return bytes(converter.convert())


@functools.cache
def tflite(name: str) -> bytes:
    """The named test model as .tflite bytes."""
    if name == "int8":          # full-integer, uint8 I/O, batch 1: what effkit builds for Coral
        return _convert(lite_like(), "int8")
    if name == "int8-open-batch":  # Keras' default batch None: shape_signature [-1, ...]
        return _convert(lite_like(batch=None, reshape=False), "int8")
    if name == "open-batch-reshape":  # batch None + Reshape: SHAPE/STRIDED_SLICE/PACK on int32
        return _convert(lite_like(batch=None), "int8")
    if name == "int8-float-io":  # int8 inside, float32 input/output (the converter's default)
        return _convert(lite_like(), "int8-float-io")
    if name == "float":
        return _convert(lite_like(), "float")
    if name in ("int16", "int16-io"):  # 16x8 quantization, float32 or int16 input/output
        return _convert(lite_like(), name)
    if name == "dynamic-range":  # weights large enough (>= 1024) for the converter to quantize
        return _convert(lite_like(width=48), "dynamic")
    if name == "leaky":         # LEAKY_RELU is not in the Edge TPU's op table
        return _convert(lite_like(leaky=True), "int8")
    if name == "batch2":        # [2, H, W, C]: two dimensions larger than 1 outside the inner 3
        return _convert(lite_like(batch=2), "int8", batch=2)
    if name == "dynamic-size":  # height and width unknown at conversion
        return _convert(lite_like(size=None, batch=None, reshape=False), "int8")
    if name == "constraints":
        return _convert(constraints_model(), "int8")
    if name == "big-dense":      # parameters beyond the on-chip cache
        return _convert(big_dense(), "int8")
    raise KeyError(name)


def with_op_version(model_bytes: bytes, op: str, version: int) -> bytes:
    """The same model with every operator code ``op`` raised to ``version`` (a flatbuffer
    edit: how a newer converter's output looks to the compiler)."""
    from effkit.metadata.model_file import builtin_op_name, pack_model, read_model

    model = read_model(model_bytes)
    for code in model.operatorCodes:
        if builtin_op_name(max(code.builtinCode, code.deprecatedBuiltinCode)) == op:
            code.version = version
    return pack_model(model, size_hint=len(model_bytes))


def with_edgetpu_op(model_bytes: bytes) -> bytes:
    """The same model (packed files kept) with edgetpu_compiler's custom op code added, used by
    no operator: effkit and the Coral app take it for a compiled model (they decide by that
    op, as a real compiled model carries it), while the runtime still runs every node on the
    CPU kernels (an op code no operator uses is never resolved). No compiler exists here."""
    from effkit.metadata.model_file import append_files, pack_model, packed_files, read_model

    model = read_model(model_bytes)
    model.operatorCodes.append(_edgetpu_op_code())
    return append_files(pack_model(model, size_hint=len(model_bytes)), packed_files(model_bytes))


def _edgetpu_op_code():
    """The operator code edgetpu_compiler writes for the part of a graph it maps."""
    from effkit.metadata.model_file import schema

    s = schema()
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.CUSTOM
    code.customCode = "edgetpu-custom-op"
    code.version = 1
    return code


def with_custom_op(model_bytes: bytes, op: str, name: str) -> bytes:
    """The same model with operator code ``op`` turned into the custom op ``name`` (the text
    a model's author chose, as the Edge TPU tools print it)."""
    from effkit.metadata.model_file import builtin_op_name, pack_model, read_model, schema

    model = read_model(model_bytes)
    for code in model.operatorCodes:
        if builtin_op_name(max(code.builtinCode, code.deprecatedBuiltinCode)) == op:
            code.builtinCode = code.deprecatedBuiltinCode = schema().BuiltinOperator.CUSTOM
            code.customCode = name
    return pack_model(model, size_hint=len(model_bytes))


def as_compiled(model_bytes: bytes, first: int, last: int) -> bytes:
    """The model as edgetpu_compiler lays out what it maps: operators ``first..last`` replaced
    by one ``edgetpu-custom-op`` operator from the first one's input to the last one's output,
    the others left as they were (the ops the compiler leaves on the CPU). A graph edit: the
    custom op carries no Edge TPU code, so it is for reading tools, not for running."""
    from effkit.metadata.model_file import pack_model, read_model, schema

    model = read_model(model_bytes)
    s = schema()
    model.operatorCodes.append(_edgetpu_op_code())
    graph = model.subgraphs[0]
    op = s.OperatorT()
    op.opcodeIndex = len(model.operatorCodes) - 1
    op.inputs = [int(graph.operators[first].inputs[0])]
    op.outputs = [int(t) for t in graph.operators[last].outputs]
    op.customOptions = [0]
    graph.operators[first:last + 1] = [op]
    return pack_model(model, size_hint=len(model_bytes))
