"""Calibration data for full-integer quantization.

Two sources, both returning a :class:`CalibrationSet` of float32 inputs preprocessed
exactly as at inference:

* ``from_folder``: the user's images (recursive; jpg, png, bmp, webp), unreadable
  files skipped and counted.
* ``distilled``: no user data. Images are optimized so that the statistics of every
  batch-normalization layer's input match the running mean and variance stored in
  the model (ZeroQ, Cai et al., CVPR 2020), plus a cross-entropy term towards
  random target classes (DeepInversion, Yin et al., CVPR 2020). The result depends
  only on the weights and the settings, so it is cached on disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from effkit.errors import DataError
from effkit.preprocess import LoadReport, iter_images, list_images, normalize
from effkit.variants import Variant

DEFAULT_FOLDER_SIZE = 100
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CalibrationSet:
    """Inputs for the converter's representative dataset, and where they came from."""

    inputs: np.ndarray  # (N, R, R, 3) float32, normalized
    source: str  # "folder", "distilled"
    detail: str  # folder path, or the distillation settings
    skipped: int = 0
    cache: str | None = None
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return int(self.inputs.shape[0])

    def describe(self) -> dict:
        return {"source": self.source, "detail": self.detail, "count": self.count,
                "skipped": self.skipped, "cache": self.cache, "seconds": round(self.seconds, 2)}


def pick_evenly(paths: list[Path], size: int) -> list[Path]:
    """``size`` paths spread evenly over a sorted list (deterministic, class-balanced for
    folder-per-class or class-named files)."""
    if len(paths) <= size:
        return paths
    idx = np.linspace(0, len(paths) - 1, size).round().astype(int)
    return [paths[i] for i in idx]


def check_folder(folder: Path) -> list[Path]:
    """The folder's image files; DataError when there is no folder or no image in it."""
    paths = list_images(Path(folder))
    if not paths:
        raise DataError(
            f"calibration folder {str(folder)!r} has no images",
            "add .jpg, .png, .bmp or .webp files (sub-folders are searched too)",
        )
    return paths


def from_folder(folder: Path, variant: Variant, size: int = DEFAULT_FOLDER_SIZE,
                progress: Progress | None = None) -> CalibrationSet:
    """Load up to ``size`` images from ``folder`` (spread over the whole folder)."""
    if size < 1:
        raise DataError(f"--calibration-size must be at least 1 (got {size})")
    start = time.perf_counter()
    paths = check_folder(folder)
    report = LoadReport()
    pixels: list[np.ndarray] = []
    # Try the evenly spread pick first; top up from the rest when files are unreadable.
    chosen = pick_evenly(paths, size)
    rest = [p for p in paths if p not in set(chosen)]
    for queue in (chosen, rest):
        for _, px in iter_images(queue, variant.resolution, report):
            pixels.append(px)
            if progress:
                progress(len(pixels), size)
            if len(pixels) >= size:
                break
        if len(pixels) >= size:
            break
    if not pixels:
        raise DataError(
            f"none of the {len(paths)} images in {str(folder)!r} could be read",
            "check that the files are valid images",
        )
    batch = normalize(np.stack(pixels), variant.norm_mean, variant.norm_std)
    return CalibrationSet(batch, "folder", str(Path(folder).resolve()), skipped=len(report.skipped),
                          seconds=time.perf_counter() - start)


@dataclass(frozen=True)
class DistillSettings:
    """What the distilled set depends on (besides the weights): part of the cache key."""

    # Chosen by measurement (benchmarks/calibration_methods.py, README): the batch of 32
    # matters most (BN statistics of a batch of 16 are too noisy a target: 1.4 points
    # lost on lite0); 64 images x 50 steps costs the same as 32 x 100 and loses 0.0.
    count: int = 64
    steps: int = 50
    batch: int = 32
    learning_rate: float = 0.2
    ce_weight: float = 0.1
    seed: int = 0
    version: int = 1  # bump when the algorithm changes

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def cache_root() -> Path:
    """$EFFKIT_CACHE_DIR, else $XDG_CACHE_HOME/effkit, else ~/.cache/effkit."""
    if explicit := os.environ.get("EFFKIT_CACHE_DIR"):
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "effkit"


def weights_fingerprint(model) -> str:
    """sha256 over all weights of the model, in order."""
    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(w.numpy()).tobytes())
    return h.hexdigest()


def distilled(model, variant: Variant, settings: DistillSettings | None = None,
              progress: Progress | None = None, use_cache: bool = True) -> CalibrationSet:
    """Calibration inputs distilled from the model's own batch-norm statistics (cached)."""
    settings = settings or DistillSettings()
    start = time.perf_counter()
    key = hashlib.sha256(
        (weights_fingerprint(model) + settings.key() + variant.name).encode()
    ).hexdigest()[:24]
    path = cache_root() / "distilled" / f"{variant.name}-{key}.npy"
    if use_cache and path.is_file():
        try:
            inputs = np.load(path)
            if inputs.shape[1:] == variant.input_shape:
                if progress:
                    progress(settings.count, settings.count)
                return CalibrationSet(inputs, "distilled", settings.key(), cache=str(path),
                                      seconds=time.perf_counter() - start)
        except (OSError, ValueError):
            pass  # a damaged cache entry is rebuilt
    inputs = _distill(model, variant, settings, progress)
    if use_cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}.npy")
            np.save(tmp, inputs)
            os.replace(tmp, path)
        except OSError:
            path = None  # read-only home: work without a cache
    return CalibrationSet(inputs, "distilled", settings.key(),
                          cache=str(path) if (use_cache and path) else None,
                          seconds=time.perf_counter() - start)


def _distill(model, variant: Variant, s: DistillSettings, progress: Progress | None) -> np.ndarray:
    import keras
    import tensorflow as tf

    bns = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not bns:
        raise DataError("the model has no batch-normalization layers to distill calibration data from",
                        "pass --calibration DIR with a folder of images")
    taps = keras.Model(model.inputs, [bn.input for bn in bns] + [model.output])
    means = [tf.constant(bn.moving_mean.numpy()) for bn in bns]
    stds = [tf.constant(np.sqrt(bn.moving_variance.numpy() + bn.epsilon)) for bn in bns]
    lo = (0.0 - variant.norm_mean) / variant.norm_std
    hi = (255.0 - variant.norm_mean) / variant.norm_std
    num_classes = int(model.output.shape[-1])
    rng = np.random.default_rng(s.seed)
    batches = []
    total_steps = s.steps * ((s.count + s.batch - 1) // s.batch)
    done = 0
    for first in range(0, s.count, s.batch):
        n = min(s.batch, s.count - first)
        x = tf.Variable(rng.standard_normal((n, *variant.input_shape)).astype(np.float32) * 0.5)
        targets = tf.constant(rng.integers(0, num_classes, n))
        opt = keras.optimizers.Adam(learning_rate=s.learning_rate)

        @tf.function(autograph=False)
        def step(x=x, targets=targets, opt=opt):
            with tf.GradientTape() as tape:
                outs = taps(x, training=False)
                loss = 0.0
                for feat, mu, sd in zip(outs[:-1], means, stds, strict=True):
                    m, v = tf.nn.moments(feat, axes=[0, 1, 2])
                    loss += tf.norm(m - mu) + tf.norm(tf.sqrt(v + 1e-5) - sd)
                loss = loss / len(means)
                if s.ce_weight:
                    ce = keras.losses.sparse_categorical_crossentropy(targets, outs[-1])
                    loss += s.ce_weight * tf.reduce_mean(ce)
            grad = tape.gradient(loss, x)
            opt.apply_gradients([(grad, x)])
            x.assign(tf.clip_by_value(x, lo, hi))
            return loss

        for _ in range(s.steps):
            step()
            done += 1
            if progress:
                progress(done, total_steps)
        batches.append(x.numpy())
    return np.concatenate(batches).astype(np.float32)
