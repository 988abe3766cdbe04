"""Calibration images distilled from a model's own batch-norm statistics.

Images are optimized so that the input of every batch-normalization layer has, over
the batch, the mean and standard deviation the layer stored during training (ZeroQ,
Cai et al., CVPR 2020), plus a cross-entropy term towards random target classes
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
the whole batch of 32 that the measurements in docs/calibration.md chose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from effkit.core.progress import TickFn
from effkit.errors import DataError
from effkit.model.variants import Variant

SCHEDULES = ("constant", "cosine")
_OPTIONAL = ("schedule", "jitter", "flip", "tail_layers", "tail_weight")


@dataclass(frozen=True)
class DistillSettings:
    """What a distilled set depends on besides the weights (part of its cache key)."""

    # Chosen by measurement (docs/calibration.md). Issue 11: the batch of 32
    # matters most (BN statistics of a batch of 16 are too noisy a target), 32 x 50 is the
    # cost knee. Issue 22 (benchmarks/calibration_fidelity.py, choosing half of imagenet-dev):
    # with the old cross-entropy weight 0.1 the images are far less confident than photos
    # (median top probability 0.55 against 0.84), the int8 logits range stops short of
    # confident photos' logits and the KL(float || int8) is twice a 100-photo calibration's;
    # weight 1.0 halves it at the same cost (0.0194 -> 0.0095 on lite0; photos 0.0083).
    count: int = 32
    steps: int = 50
    batch: int = 32
    learning_rate: float = 0.2
    ce_weight: float = 1.0
    seed: int = 0
    version: int = 1  # bump when the algorithm changes (micro-batching does not: same loss)
    # Options explored for issue 22 (benchmarks/calibration_fidelity.py). At their defaults
    # they change nothing, and they stay out of the key, so older keys remain valid.
    schedule: str = "constant"  # or "cosine": the learning rate decays to 0 over the steps
    jitter: int = 0  # each step sees the batch rolled by up to this many pixels (DeepInversion)
    flip: bool = False  # and mirrored left-right at random
    tail_layers: int = 0  # the last N batch-norm layers' terms weigh tail_weight times more
    tail_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; use one of {', '.join(SCHEDULES)}")

    def key(self) -> str:
        import json
        from dataclasses import asdict, fields

        plain = {f.name: f.default for f in fields(self) if f.name in _OPTIONAL}
        doc = {k: v for k, v in asdict(self).items() if k not in _OPTIONAL or v != plain[k]}
        return json.dumps(doc, sort_keys=True)


# The setting the sets shipped in the wheel are made with (scripts/make_calibration_sets.py).
# They cost a user nothing at build time, so they use the most faithful setting measured
# (issue 22, lite0, choosing half: KL 0.0076 at 100 steps against 0.0095 at 50; 64 images,
# a cosine rate with jitter and flips, and 5x weight on the last 3 BN layers did no
# better), whatever it costs once; DistillSettings() stays the first build's cheap default.
SHIPPED_SETTINGS = DistillSettings(steps=100)


def micro_batch_for(variant: Variant) -> int:
    """Images per micro-batch: activations grow with the resolution squared, so keep
    resolution^2 x micro-batch near lite0's 224^2 x 8 (measured: docs/calibration.md)."""
    return micro_batch_at(variant.resolution)


def micro_batch_at(resolution: int) -> int:
    """``micro_batch_for`` by the input's side in pixels."""
    return max(1, min(8, round(8 * (224 / resolution) ** 2)))


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
    tail = min(s.tail_layers, len(bns))
    weights = [1.0] * (len(bns) - tail) + [s.tail_weight] * tail

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
            for a, b, n, sd, w in zip(s1, s2, counts, sds, weights, strict=True):
                shift = a / n  # batch mean minus the stored mean
                var = tf.maximum(b / n - tf.square(shift), 0.0)
                loss += w * (tf.norm(shift) + tf.norm(tf.sqrt(var + 1e-5) - sd))
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


def _augmented(grad, x, targets: np.ndarray, rng: np.random.Generator, s: DistillSettings):
    """The gradient at a randomly rolled (and mirrored) copy of ``x``, mapped back to ``x``:
    both moves are permutations of the pixels, so their transpose is their inverse."""
    import tensorflow as tf

    dy, dx = (int(v) for v in rng.integers(-s.jitter, s.jitter + 1, 2))
    mirror = bool(s.flip and rng.random() < 0.5)
    moved = tf.roll(x, (dy, dx), axis=(1, 2))
    if mirror:
        moved = tf.reverse(moved, axis=[2])
    g = grad(moved, targets)
    if mirror:
        g = tf.reverse(g, axis=[2])
    return tf.roll(g, (-dy, -dx), axis=(1, 2))


def distill(model, variant: Variant, s: DistillSettings, progress: TickFn | None = None,
            micro_batch: int | None = None,
            on_step: Callable[[int, int, object], None] | None = None) -> np.ndarray:
    """(count, R, R, 3) float32 normalized inputs distilled from ``model``.

    ``on_step(first, step, x)``, when given, is called after each optimization step of the
    batch starting at image ``first`` with its current images ``x`` (benchmarks keep
    snapshots this way: with a constant rate, step k of a longer run is a k-step run).
    """
    import keras
    import tensorflow as tf

    grad = batch_gradient(model, variant, s, micro_batch)
    lo = (0.0 - variant.norm_mean) / variant.norm_std
    hi = (255.0 - variant.norm_mean) / variant.norm_std
    num_classes = int(model.output.shape[-1])
    rng = np.random.default_rng(s.seed)
    moves = np.random.default_rng([s.seed, 1])  # its own stream: the draws above stay the same
    batches = []
    total_steps = s.steps * ((s.count + s.batch - 1) // s.batch)
    done = 0
    for first in range(0, s.count, s.batch):
        n = min(s.batch, s.count - first)
        # The same draws, in the same order, as the full-batch version of this loop.
        x = tf.Variable(rng.standard_normal((n, *variant.input_shape)).astype(np.float32) * 0.5)
        targets = rng.integers(0, num_classes, n)
        rate = s.learning_rate
        if s.schedule == "cosine":
            rate = keras.optimizers.schedules.CosineDecay(s.learning_rate, s.steps)
        opt = keras.optimizers.Adam(learning_rate=rate)
        for step in range(1, s.steps + 1):
            if s.jitter or s.flip:
                g = _augmented(grad, x, targets, moves, s)
            else:
                g = grad(x, targets)
            opt.apply_gradients([(g, x)])
            x.assign(tf.clip_by_value(x, lo, hi))
            done += 1
            if on_step:
                on_step(first, step, x)
            if progress:
                progress(done, total_steps)
        batches.append(x.numpy())
    return np.concatenate(batches).astype(np.float32)
