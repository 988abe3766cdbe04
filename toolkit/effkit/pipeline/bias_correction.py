"""Bias correction: int8 weights without the mean shift they add to every channel.

TFLite's converter quantizes each layer's weights to 8 bits, per output channel and
symmetric (scale = max |w| / 127), after folding the batch norm into the convolution.
The rounding adds an error ``dW`` to every kernel, and on real inputs ``x`` each output
channel moves by ``dW * x``: noise, plus a mean shift that every later layer inherits.
Depthwise kernels, with 9 or 25 weights per channel, shift the most.

Empirical bias correction (Nagel et al., "Data-Free Quantization Through Weight
Equalization and Bias Correction", ICCV 2019) removes the mean: it is measured on the
calibration inputs (a distilled set or the user's images) and subtracted where the
converter will fold it into the int8 bias, in a copy of the model that only the int8
conversion sees:

* a convolution followed by a batch norm: the norm's moving mean moves by the shift
  (``(z + e) - (mu + e) = z - mu``; scaling an output channel, as folding does, scales
  its per-channel quantization with it, so the error of the folded kernel is the
  kernel's error times the same factor);
* a layer with a bias of its own (the logits): the bias moves by minus the shift.

Measured on imagenet-dev's choosing half (docs/calibration.md): the KL(float || int8)
of the shipped sets' builds falls by about half for lite0, lite1 and lite2.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

# TFLite's int8 weights: symmetric, [-127, 127] (the -128 code is unused).
WEIGHT_LEVELS = 127


@dataclass(frozen=True)
class BiasCorrection:
    """What a correction changed: how many layers, and the largest shift it removed
    (in the units of the layer's output before the batch norm)."""

    layers: int
    largest_shift: float


def as_channels(kernel: np.ndarray, depthwise: bool = False) -> np.ndarray:
    """``kernel`` as (inputs, output channels), float64. The output channel is the last
    axis; a depthwise kernel (kh, kw, in, multiplier) has ``in * multiplier`` output
    channels, as the converter lays it out."""
    w = np.asarray(kernel, dtype=np.float64)
    return w.reshape(-1, w.shape[-2] * w.shape[-1] if depthwise else w.shape[-1])


def channel_scales(kernel: np.ndarray, depthwise: bool = False) -> np.ndarray:
    """The converter's per-output-channel scale of ``kernel`` (float64, one per channel)."""
    peak = np.max(np.abs(as_channels(kernel, depthwise)), axis=0)
    return np.where(peak > 0, peak / WEIGHT_LEVELS, 1.0)


def levels_of(w: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The nearest int8 level of each weight of ``w`` (..., channels), as floats."""
    return np.clip(np.round(w / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS)


def quantized_like_the_converter(kernel: np.ndarray, depthwise: bool = False) -> np.ndarray:
    """``kernel`` after TFLite's per-output-channel symmetric int8 round trip."""
    scale = channel_scales(kernel, depthwise)
    return (levels_of(as_channels(kernel, depthwise), scale) * scale).reshape(np.shape(kernel))


def copy_with_kernels(model, kernels: Mapping[str, np.ndarray]):
    """A copy of ``model`` with these layers' kernels; ``model`` is left as it is."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for name, kernel in kernels.items():
        layer = copy.get_layer(name)
        old = layer.get_weights()
        layer.set_weights([np.asarray(kernel, dtype=old[0].dtype), *old[1:]])
    return copy


def layer_inputs(model, layers):
    """``seen(x)``: the list of what each of ``layers`` reads when ``model`` runs on ``x``."""
    import keras

    taps = keras.Model(model.inputs, [layer.input for layer in layers])

    def seen(x):
        out = taps(x, training=False)
        return list(out) if isinstance(out, (list, tuple)) else [out]

    return seen


def summed(sums, inputs: np.ndarray, micro_batch: int) -> list[np.ndarray]:
    """Each output of ``sums`` (a function of one micro-batch of ``inputs``) summed over
    all micro-batches in float64, in order."""
    import tensorflow as tf

    total: list[np.ndarray] = []
    x = np.asarray(inputs, dtype=np.float32)
    for start in range(0, len(x), max(1, micro_batch)):
        for k, part in enumerate(sums(tf.constant(x[start:start + micro_batch]))):
            if len(total) <= k:
                total.append(np.zeros(part.shape, np.float64))
            total[k] += part.numpy().astype(np.float64)
    return total


def weighted_layers(model):
    import keras

    kinds = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)
    return [layer for layer in model.layers if isinstance(layer, kinds)]


def _target(model, layer):
    """Where ``layer``'s shift is removed: its own bias, else the batch norm that reads its
    output (effkit's networks: ``X_conv`` -> ``X_bn``, ``X_dwconv`` -> ``X_dwconv_bn``);
    None when there is neither."""
    import keras

    if getattr(layer, "use_bias", False):
        return layer
    from effkit.model.network import batch_norm_after

    try:
        found = model.get_layer(batch_norm_after(layer.name))
    except ValueError:
        return None
    return found if isinstance(found, keras.layers.BatchNormalization) else None


def mean_shifts(model, inputs: np.ndarray, micro_batch: int = 8,
                int8_kernels: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Per layer with weights: the mean over ``inputs`` (and every output position) of the
    output change its int8 weights cause, one value per output channel (float64).

    ``int8_kernels``: the int8 kernels of some layers, when they are not the converter's
    nearest rounding (weight_rounding.py)."""
    import keras
    import tensorflow as tf

    layers = weighted_layers(model)
    seen_by = layer_inputs(model, layers)
    errors = []
    for layer in layers:
        kernel = layer.get_weights()[0]
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        if int8_kernels is not None and layer.name in int8_kernels:
            rounded = np.asarray(int8_kernels[layer.name], dtype=np.float64)
        else:
            rounded = quantized_like_the_converter(kernel, depthwise)
        errors.append(tf.constant((rounded - kernel).astype(np.float32)))

    @tf.function(autograph=False, reduce_retracing=True)
    def sums(x):
        out, counts = [], []
        for layer, error, seen in zip(layers, errors, seen_by(x), strict=True):
            if isinstance(layer, keras.layers.Dense):
                moved = tf.matmul(seen, error)
            elif isinstance(layer, keras.layers.DepthwiseConv2D):
                strides = [1, *layer.strides, 1]
                moved = tf.nn.depthwise_conv2d(seen, error, strides, layer.padding.upper(),
                                               dilations=layer.dilation_rate)
            else:
                moved = tf.nn.conv2d(seen, error, layer.strides, layer.padding.upper(),
                                     dilations=layer.dilation_rate)
            flat = tf.reshape(moved, (-1, moved.shape[-1]))
            out.append(tf.reduce_sum(flat, axis=0))
            counts.append(tf.cast(tf.shape(flat)[0], tf.float32))
        return out + counts

    total = summed(sums, inputs, micro_batch)
    n = len(layers)
    return {layer.name: t / c for layer, t, c in zip(layers, total[:n], total[n:], strict=True)}


def corrected(model, inputs: np.ndarray, micro_batch: int | None = None,
              keep: Collection[str] = (), int8_kernels: Mapping[str, np.ndarray] | None = None):
    """A copy of ``model`` whose int8 conversion carries no mean shift from its weights on
    ``inputs``, and what was changed. ``model`` itself is left as it is.

    ``keep``: names of layers that stay in float (mixed precision): no int8 error to
    remove there. ``micro_batch``: images per forward pass (default: by resolution, as
    distillation chooses it). ``int8_kernels``: kernels already on the converter's grid
    for some layers (weight_rounding.py); the copy carries them, and their error is the
    one removed."""

    from effkit.calibration.distill import micro_batch_at

    if len(inputs) == 0:
        raise ValueError("bias correction needs calibration inputs")
    shifts = mean_shifts(model, inputs, micro_batch or micro_batch_at(int(model.input_shape[1])),
                         int8_kernels)
    copy = copy_with_kernels(model, {name: kernel for name, kernel in (int8_kernels or {}).items()
                                     if name not in keep})
    changed, largest = 0, 0.0
    for name, shift in shifts.items():
        if name in keep:
            continue
        layer = copy.get_layer(name)
        target = _target(copy, layer)
        if target is None:
            continue
        if target is layer:
            weights = layer.get_weights()
            weights[1] = (weights[1] - shift).astype(weights[1].dtype)
            layer.set_weights(weights)
        else:
            mean = target.moving_mean.numpy()
            target.moving_mean.assign((mean + shift).astype(mean.dtype))
        changed += 1
        largest = max(largest, float(np.max(np.abs(shift))))
    return copy, BiasCorrection(layers=changed, largest_shift=largest)
