"""Calibration images distilled from a model's own batch-norm statistics.

Images are optimized so that the input of every batch-normalization layer has, over
the batch, the mean and standard deviation the layer stored during training (ZeroQ,
Cai et al., CVPR 2020), plus a small cross-entropy term towards random target classes
(DeepInversion, Yin et al., CVPR 2020).

Memory is bounded by computing the batch loss exactly in micro-batches. The loss of a
layer depends on the batch only through two sums over every pixel of every image,
``S1 = sum(f - mu)`` and ``S2 = sum((f - mu)^2)`` (shifted by the stored mean ``mu``
so that float32 keeps its precision). Each optimization step therefore makes

1. a forward pass per micro-batch that only accumulates ``S1`` and ``S2`` (nothing is
   kept for a backward pass), then the loss and its gradient ``dL/dS1``, ``dL/dS2``
   from those sums;
2. a forward and backward pass per micro-batch of the surrogate
   ``sum(dL/dS1 * S1_mb + dL/dS2 * S2_mb) + CE_mb``, whose gradient with respect to
   the micro-batch's pixels is exactly the batch loss's gradient for those pixels.

Only one micro-batch's activations are alive at a time, so peak memory follows the
micro-batch, while the statistics (and the result, up to float rounding) are those of
the whole batch of 32 that the README's measurements chose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from effkit.errors import DataError
from effkit.variants import Variant

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DistillSettings:
    """What a distilled set depends on besides the weights (part of its cache key)."""

    # Chosen by measurement (benchmarks/calibration_methods.py, README "Calibration without
    # data"): the batch of 32 matters most (BN statistics of a batch of 16 are too noisy a
    # target: 1.4 points lost on lite0). Along the cost axis the curve is flat: 32 images x
    # 50 steps lose no more than 64 x 50 on lite0 (-0.4 / -0.2 points) and lite2 (0.4 / 0.4)
    # at half the cost, so 32 x 50 is the knee.
    count: int = 32
    steps: int = 50
    batch: int = 32
    learning_rate: float = 0.2
    ce_weight: float = 0.1
    seed: int = 0
    version: int = 1  # bump when the algorithm changes (micro-batching does not: same loss)

    def key(self) -> str:
        import json
        from dataclasses import asdict

        return json.dumps(asdict(self), sort_keys=True)


def micro_batch_for(variant: Variant) -> int:
    """Images per micro-batch: activations grow with the resolution squared, so keep
    resolution^2 x micro-batch near lite0's 224^2 x 8 (measured: README, Calibration)."""
    return max(1, min(8, round(8 * (224 / variant.resolution) ** 2)))


def batch_gradient(model, variant: Variant, s: DistillSettings, micro_batch: int | None = None):
    """``grad(x, targets)``: the gradient of the distillation loss of the whole batch ``x``
    with respect to ``x``, computed one micro-batch at a time (see the module docstring)."""
    import keras
    import tensorflow as tf

    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not bns:
        raise DataError("the model has no batch-normalization layers to distill calibration data from",
                        "pass --calibration DIR with a folder of images")
    mb = micro_batch or micro_batch_for(variant)
    taps = keras.Model(model.inputs, [bn.input for bn in bns] + [model.output])
    mus = [tf.constant(bn.moving_mean.numpy()) for bn in bns]
    sds = [tf.constant(np.sqrt(bn.moving_variance.numpy() + bn.epsilon)) for bn in bns]

    @tf.function(autograph=False, reduce_retracing=True)
    def sums(x):
        outs = taps(x, training=False)
        s1 = [tf.reduce_sum(f - mu, axis=[0, 1, 2]) for f, mu in zip(outs[:-1], mus, strict=True)]
        s2 = [tf.reduce_sum(tf.square(f - mu), axis=[0, 1, 2]) for f, mu in zip(outs[:-1], mus, strict=True)]
        counts = [tf.cast(tf.reduce_prod(tf.shape(f)[:3]), tf.float32) for f in outs[:-1]]
        return s1, s2, counts

    @tf.function(autograph=False, reduce_retracing=True)
    def loss_grads(s1, s2, counts):
        with tf.GradientTape() as tape:
            tape.watch(s1)
            tape.watch(s2)
            loss = 0.0
            for a, b, n, sd in zip(s1, s2, counts, sds, strict=True):
                shift = a / n  # batch mean minus the stored mean
                var = tf.maximum(b / n - tf.square(shift), 0.0)
                loss += tf.norm(shift) + tf.norm(tf.sqrt(var + 1e-5) - sd)
            loss = loss / len(sds)
        return tape.gradient(loss, [s1, s2])

    @tf.function(autograph=False, reduce_retracing=True)
    def grad_micro(x, targets, g1, g2, batch_size):
        with tf.GradientTape() as tape:
            tape.watch(x)
            outs = taps(x, training=False)
            sur = 0.0
            for f, mu, a, b in zip(outs[:-1], mus, g1, g2, strict=True):
                d = f - mu
                sur += tf.reduce_sum(a * tf.reduce_sum(d, axis=[0, 1, 2]))
                sur += tf.reduce_sum(b * tf.reduce_sum(tf.square(d), axis=[0, 1, 2]))
            if s.ce_weight:
                ce = keras.losses.sparse_categorical_crossentropy(targets, outs[-1])
                sur += s.ce_weight * tf.reduce_sum(ce) / batch_size
        return tape.gradient(sur, x)

    def grad(x, targets: np.ndarray):
        n = int(x.shape[0])
        spans = [(i, min(i + mb, n)) for i in range(0, n, mb)]
        parts = [sums(x[a:b]) for a, b in spans]
        totals = [[tf.add_n([p[j][k] for p in parts]) for k in range(len(bns))] for j in range(3)]
        g1, g2 = loss_grads(*totals)
        return tf.concat([grad_micro(x[a:b], tf.constant(targets[a:b]), g1, g2, float(n))
                          for a, b in spans], axis=0)

    return grad


def distill(model, variant: Variant, s: DistillSettings, progress: Progress | None = None,
            micro_batch: int | None = None) -> np.ndarray:
    """(count, R, R, 3) float32 normalized inputs distilled from ``model``."""
    import keras
    import tensorflow as tf

    grad = batch_gradient(model, variant, s, micro_batch)
    lo = (0.0 - variant.norm_mean) / variant.norm_std
    hi = (255.0 - variant.norm_mean) / variant.norm_std
    num_classes = int(model.output.shape[-1])
    rng = np.random.default_rng(s.seed)
    batches = []
    total_steps = s.steps * ((s.count + s.batch - 1) // s.batch)
    done = 0
    for first in range(0, s.count, s.batch):
        n = min(s.batch, s.count - first)
        # The same draws, in the same order, as the full-batch version of this loop.
        x = tf.Variable(rng.standard_normal((n, *variant.input_shape)).astype(np.float32) * 0.5)
        targets = rng.integers(0, num_classes, n)
        opt = keras.optimizers.Adam(learning_rate=s.learning_rate)
        for _ in range(s.steps):
            opt.apply_gradients([(grad(x, targets), x)])
            x.assign(tf.clip_by_value(x, lo, hi))
            done += 1
            if progress:
                progress(done, total_steps)
        batches.append(x.numpy())
    return np.concatenate(batches).astype(np.float32)
