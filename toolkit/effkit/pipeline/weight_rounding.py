"""Rounding int8 weights to fit the data (GPTQ), instead of each to its nearest level.

TFLite's converter rounds every weight to the nearest of its channel's 255 levels
(symmetric, scale = max |w| / 127, per output channel; bias_correction.py says how).
Nearest rounding is optimal weight by weight, not for the layer's output: the errors of a
channel's weights add up in ``dW * x``. GPTQ (Frantar et al., "GPTQ: Accurate
Post-Training Quantization for Generative Pre-trained Transformers", ICLR 2023, after
Optimal Brain Quantization) rounds the inputs of a layer one at a time and moves the
weights not yet rounded to cancel the error so far, weighted by the layer's input
statistics ``H = X^T X`` measured on the calibration inputs.

The kernels it returns lie on the converter's own grid, with each channel's largest
magnitude kept at level 127: folding the batch norm scales a channel and its scale
together, so the converter's nearest rounding of the folded kernel gives back exactly the
levels chosen here.
"""

from __future__ import annotations

import numpy as np

from effkit.pipeline.bias_correction import (
    WEIGHT_LEVELS,
    as_channels,
    channel_scales,
    layer_inputs,
    levels_of,
    summed,
    weighted_layers,
)

# GPTQ's damping: a share of the mean of H's diagonal added to it (the paper's 1%).
DAMPING = 0.01


def _upper_inverse_factor(h: np.ndarray) -> np.ndarray:
    """GPTQ's ``U``: the upper Cholesky factor of the damped ``H^-1 = U^T U``, for ``h``
    (..., d, d)."""
    h = np.array(h, dtype=np.float64, copy=True)
    h = (h + np.swapaxes(h, -1, -2)) / 2  # float32 sums need not be exactly symmetric
    idx = np.arange(h.shape[-1])
    diag = h[..., idx, idx]
    diag = np.where(diag > 0, diag, 1.0)  # an input that is always zero changes nothing
    h[..., idx, idx] = diag + DAMPING * np.mean(diag, axis=-1, keepdims=True)
    try:
        return np.swapaxes(np.linalg.cholesky(np.linalg.inv(h)), -1, -2)
    except np.linalg.LinAlgError:  # not positive definite even damped: nearest rounding
        return np.broadcast_to(np.eye(h.shape[-1]), h.shape).copy()


def gptq_levels(w: np.ndarray, h: np.ndarray, scale: np.ndarray, block: int = 128) -> np.ndarray:
    """Integer levels for ``w`` (d inputs, c outputs) given ``h`` (d, d) shared by all
    outputs, or (c, d, d) one per output (depthwise), and the per-output ``scale`` (c,).

    Inputs are rounded in order; each rounding error, divided by U's pivot, moves the
    weights of the inputs after it (GPTQ's update), ``block`` inputs at a time and then
    the rest at once (the paper's lazy batch update: the same result, in fewer steps)."""
    w = np.array(w, dtype=np.float64, copy=True)
    u = _upper_inverse_factor(h)
    per_channel = u.ndim == 3
    levels = np.empty_like(w)
    d = w.shape[0]
    for b0 in range(0, d, block):
        b1 = min(b0 + block, d)
        errors = np.empty((b1 - b0, w.shape[1]))
        for i in range(b0, b1):
            q = levels_of(w[i], scale)
            levels[i] = q
            pivot = u[:, i, i] if per_channel else u[i, i]
            err = (w[i] - q * scale) / pivot
            errors[i - b0] = err
            if per_channel:
                w[i + 1:b1] -= u[:, i, i + 1:b1].T * err
            else:
                w[i + 1:b1] -= np.outer(u[i, i + 1:b1], err)
        if b1 < d:
            if per_channel:
                w[b1:] -= np.einsum("cij,ic->jc", u[:, b0:b1, b1:], errors)
            else:
                w[b1:] -= u[b0:b1, b1:].T @ errors
    return levels


def keep_peaks(levels: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``levels`` (d, c) with each channel's largest original weight at +-127 again, where
    GPTQ moved it: the converter takes the scale from the largest magnitude."""
    out = levels.copy()
    lost = np.max(np.abs(out), axis=0) < WEIGHT_LEVELS
    if np.any(lost):
        cols = np.nonzero(lost)[0]
        rows = np.argmax(np.abs(w[:, cols]), axis=0)
        out[rows, cols] = np.sign(w[rows, cols]) * WEIGHT_LEVELS
    return out


def hessians(model, inputs: np.ndarray, layers, micro_batch: int = 1) -> dict[str, np.ndarray]:
    """Per layer: ``X^T X`` of its input as the kernel sees it (float64), summed over
    ``inputs`` ``micro_batch`` images at a time; depthwise layers get one (k*k, k*k) per
    channel."""
    import keras
    import tensorflow as tf

    seen_by = layer_inputs(model, layers)

    def shifted(layer, seen):
        """The kernel's view of ``seen``: one (n, h', w', c) slice per kernel tap, in the
        kernel's (kh, kw) order, padded as TF's 'SAME' pads (or not, for 'VALID')."""
        (kh, kw), (sh, sw) = layer.kernel_size, layer.strides
        h, w = seen.shape[1], seen.shape[2]
        if layer.padding == "same":
            oh, ow = -(-h // sh), -(-w // sw)
            ph, pw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
            seen = tf.pad(seen, [[0, 0], [ph // 2, ph - ph // 2], [pw // 2, pw - pw // 2], [0, 0]])
        else:
            oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        return [seen[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :]
                for a in range(kh) for b in range(kw)]

    @tf.function(autograph=False, reduce_retracing=True)
    def sums(x):
        out = []
        for layer, seen in zip(layers, seen_by(x), strict=True):
            if isinstance(layer, keras.layers.Dense):
                out.append(tf.matmul(seen, seen, transpose_a=True))
                continue
            taps_of = shifted(layer, seen)
            if isinstance(layer, keras.layers.DepthwiseConv2D):  # (c, k*k, positions)
                per_tap = tf.stack([tf.reshape(t, (-1, seen.shape[-1])) for t in taps_of])
                per_channel = tf.transpose(per_tap, (2, 0, 1))
                out.append(tf.matmul(per_channel, per_channel, transpose_b=True))
            else:  # (positions, kh * kw * c_in), the kernel's own order
                flat = tf.reshape(tf.concat(taps_of, axis=-1), (-1, len(taps_of) * seen.shape[-1]))
                out.append(tf.matmul(flat, flat, transpose_a=True))
        return out

    return {layer.name: t for layer, t in zip(layers, summed(sums, inputs, micro_batch), strict=True)}


def gptq_kernels(model, inputs: np.ndarray, skip=()) -> dict[str, np.ndarray]:
    """Per layer with weights (but ``skip``): the kernel, float32, on the converter's grid,
    rounded by GPTQ against the float model's inputs to that layer over ``inputs``."""
    import keras

    from effkit.calibration.distill import micro_batch_at

    layers = [layer for layer in weighted_layers(model) if layer.name not in skip]
    found = hessians(model, inputs, layers, micro_batch_at(int(model.input_shape[1])))
    out = {}
    for layer in layers:
        kernel = layer.get_weights()[0]
        depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
        scale = channel_scales(kernel, depthwise)
        w = as_channels(kernel, depthwise)
        levels = keep_peaks(gptq_levels(w, found[layer.name], scale), w)
        out[layer.name] = (levels * scale).reshape(kernel.shape).astype(np.float32)
    return out

