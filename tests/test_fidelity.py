"""effkit.analysis.evaluate.fidelity (agreement, KL, cosine, top-1) and the distillation options
issue 22 explored: small hand-checked cases, no model."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from effkit.analysis.evaluate import fidelity, softmax
from effkit.calibration.distill import DistillSettings


def test_identical_outputs_are_perfectly_faithful():
    p = softmax(np.random.default_rng(0).normal(size=(6, 10)))
    f = fidelity(p, p)
    assert (f.images, f.agreement) == (6, 1.0)
    assert f.kl == pytest.approx(0.0, abs=1e-12) and f.cosine == pytest.approx(1.0)
    assert f.drop_points is None and "drop_points" not in f.to_dict()


def test_kl_cosine_agreement_and_top1_by_hand():
    p = np.array([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7]])
    q = np.array([[0.25, 0.75, 0.0], [0.1, 0.7, 0.2]])
    f = fidelity(p, q, labels=np.array([0, 2]))
    # Row 0: a tie in p goes to the lower class (0), q says 1; row 1: 2 vs 1.
    assert f.agreement == 0.0
    kl0 = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    kl1 = 0.2 * math.log(0.2 / 0.7) + 0.7 * math.log(0.7 / 0.2)
    assert f.kl == pytest.approx((kl0 + kl1) / 2)
    cos0 = 0.5 / (math.sqrt(0.5) * math.sqrt(0.625))
    cos1 = (0.01 + 0.14 + 0.14) / (0.1 ** 2 + 0.2 ** 2 + 0.7 ** 2)
    assert f.cosine == pytest.approx((cos0 + cos1) / 2)
    assert (f.float_top1, f.quant_top1) == (1.0, 0.0) and f.drop_points == pytest.approx(100.0)


def test_the_drop_comes_with_its_paired_counts_and_standard_error():
    """Five images: the float model right on 0-2, the quantized one on 0, 1 and 3. One broken
    (2), one fixed (3): no drop, but two images of five move, so the noise is not zero."""
    labels = np.arange(5)
    eye = np.eye(5)
    float_top = np.array([0, 1, 2, 0, 0])
    quant_top = np.array([0, 1, 0, 3, 0])
    f = fidelity(eye[float_top], eye[quant_top], labels=labels)
    assert (f.broken, f.fixed, f.drop_points) == (1, 1, 0.0)
    # Differences +1, -1, 0, 0, 0: variance 2/5, standard error sqrt(2/5 / 5).
    assert f.drop_se_points == pytest.approx(100 * math.sqrt(0.4 / 5))
    assert f.to_dict()["drop_se_points"] == pytest.approx(28.28, abs=0.01)
    one_sided = fidelity(eye[float_top], eye[[0, 1, 0, 0, 0]], labels=labels)
    assert (one_sided.broken, one_sided.fixed, one_sided.drop_points) == (1, 0, pytest.approx(20.0))
    assert one_sided.drop_se_points == pytest.approx(100 * math.sqrt((0.2 - 0.04) / 5))
    assert fidelity(eye, eye).drop_se_points is None


def test_kl_is_taken_on_the_probabilities_given():
    scores = np.array([[0.0, 1.0]])  # an 8-bit softmax output: an exact zero
    logits = np.array([[-9.0, 9.0]])
    f = fidelity(softmax(np.array([[-8.0, 8.0]])), scores, quant_probs=softmax(logits))
    assert f.agreement == 1.0 and 0 < f.kl < 1e-5


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="one shape"):
        fidelity(np.zeros((2, 3)), np.zeros((2, 4)))


def test_options_at_their_defaults_stay_out_of_the_key():
    """Keys keep the fields sets were stored under before issue 22's options existed, so a
    set cached with those fields is still found."""
    assert set(json.loads(DistillSettings().key())) == {
        "batch", "ce_weight", "count", "learning_rate", "seed", "steps", "version"}
    old = {"batch": 32, "ce_weight": 0.1, "count": 32, "learning_rate": 0.2, "seed": 0, "steps": 50,
           "version": 1}
    assert json.loads(DistillSettings(ce_weight=0.1).key()) == old
    assert json.loads(DistillSettings(jitter=2, schedule="cosine").key())["jitter"] == 2
    with pytest.raises(ValueError, match="schedule"):
        DistillSettings(schedule="linear")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_jittered_step_gets_the_gradient_of_the_moved_images(seed):
    """_augmented maps the gradient at the rolled/mirrored images back to the images:
    it must equal the gradient of x -> loss(move(x)) that TensorFlow derives itself."""
    import tensorflow as tf

    from effkit.calibration.distill import _augmented

    rng = np.random.default_rng(seed)
    x = tf.constant(rng.normal(size=(2, 6, 6, 3)).astype(np.float32))
    w = tf.constant(rng.normal(size=(2, 6, 6, 3)).astype(np.float32))
    s = DistillSettings(jitter=2, flip=True)

    def loss(v):
        return tf.reduce_sum(tf.sin(v) * w) + tf.reduce_sum(v[:, :2] ** 2)

    def grad(v, targets):
        with tf.GradientTape() as tape:
            tape.watch(v)
            out = loss(v)
        return tape.gradient(out, v)

    moves = np.random.default_rng([seed, 1])
    got = _augmented(grad, x, np.zeros(2), moves, s).numpy()
    # Replay the same draws and let TensorFlow differentiate through the move.
    again = np.random.default_rng([seed, 1])
    dy, dx = (int(v) for v in again.integers(-2, 3, 2))
    mirror = bool(again.random() < 0.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        moved = tf.roll(x, (dy, dx), axis=(1, 2))
        out = loss(tf.reverse(moved, axis=[2]) if mirror else moved)
    np.testing.assert_allclose(got, tape.gradient(out, x).numpy(), rtol=1e-5, atol=1e-6)
