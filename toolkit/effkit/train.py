"""Transfer learning on the user's own images (``effkit train``).

A folder with one sub-folder per class becomes a classifier in two phases: a new head
on the frozen pretrained backbone, then (optionally) the whole network at a lower
learning rate. Batch normalization stays in inference mode throughout: the backbone is
called with ``training=False``, so its moving statistics keep their ImageNet values and
drop-connect is off; in the fine-tuning phase its weights (BN gamma/beta included) learn.

Data:

* Class names are the sub-folder names in sorted (code point) order; they become the
  labels, one per line, in that order. Images may sit deeper inside a class folder.
* Every image is decoded once up front; unreadable files are skipped and counted.
  Images directly in the data folder belong to no class and are ignored (listed).
* Validation: ``--val DIR`` (same class folder names, a subset is allowed), or a
  stratified, seeded split of each class (at least one image of each class on each side).
* Validation images are preprocessed exactly as at inference (``effkit.preprocess.load_image``:
  central crop, bicubic resize, ``(x - mean) / std``). Training images get a random crop
  (25-100 % of the area, aspect 3/4-4/3), a horizontal flip and brightness/contrast
  jitter; augmentation is seeded per (seed, epoch, image), so a resumed run sees the
  same images as an uninterrupted one. The backbone runs on every step (no feature cache:
  cached features would freeze the augmentation).

Outputs in ``OUT``: ``model.weights.h5`` (the full model with its head, the layout
``effkit.model.build_model(variant, num_classes=N)`` has), ``labels.txt`` and ``train.json``.
While training, ``OUT/checkpoints/`` holds the state after every epoch (weights, optimizer,
history); ``resume=True`` continues from there; it is removed once training finishes.

Several GPUs: ``tf.distribute.MirroredStrategy``; ``TF_CONFIG`` set:
``MultiWorkerMirroredStrategy`` (see docs/training.md); a GPU: mixed float16 precision
(the head stays float32). ``batch_size`` is the global batch over all replicas.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from effkit.errors import DataError, EffkitError, OutputError, UsageError
from effkit.outputs import write_file_atomic
from effkit.preprocess import ImageTooLargeError, list_images, load_image, opened_image, to_rgb
from effkit.variants import Variant, get_variant

LABELS_NAME = "labels.txt"
WEIGHTS_NAME = "model.weights.h5"
SUMMARY_NAME = "train.json"
CHECKPOINT_DIR = "checkpoints"
STATE_NAME = "state.json"
PHASES = ("head", "fine_tune")
_STATE_VERSION = 1
# Augmentation (training only).
CROP_AREA = (0.25, 1.0)
CROP_ASPECT = (3 / 4, 4 / 3)
BRIGHTNESS_DELTA = 0.15  # of the full range
CONTRAST_RANGE = (0.8, 1.2)

ScanProgress = Callable[[int, int], None]


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class TrainConfig:
    """What to train and how. ``batch_size`` is global (over all replicas).

    ``fine_tune_learning_rate`` defaults to ``learning_rate / 100``. ``patience`` is the
    number of epochs without a better validation accuracy (ties broken by a lower
    validation loss) after which a phase stops early. ``weights`` is the backbone's
    source for ``effkit.weights.load_weights`` (None: the bundled ImageNet weights).
    """

    data: Path
    out: Path
    variant: str = "lite0"
    val: Path | None = None
    val_split: float = 0.2
    epochs: int = 10
    fine_tune_epochs: int = 0
    batch_size: int = 32
    learning_rate: float = 5e-3
    fine_tune_learning_rate: float | None = None
    patience: int = 3
    dropout_rate: float = 0.2
    augment: bool = True
    weights: str | None = None
    seed: int = 0
    resume: bool = False
    force: bool = False
    mixed_precision: bool | None = None  # None: when a GPU is present

    @property
    def fine_tune_lr(self) -> float:
        if self.fine_tune_learning_rate is not None:
            return self.fine_tune_learning_rate
        return self.learning_rate / 100

    def settings(self) -> dict:
        """Everything a checkpoint must agree with to be resumed."""
        return {
            "variant": get_variant(self.variant).name,
            "data": str(Path(self.data).resolve()),
            "val": str(Path(self.val).resolve()) if self.val else None,
            "val_split": None if self.val else self.val_split,
            "epochs": self.epochs, "fine_tune_epochs": self.fine_tune_epochs,
            "batch_size": self.batch_size, "learning_rate": self.learning_rate,
            "fine_tune_learning_rate": self.fine_tune_lr, "patience": self.patience,
            "dropout_rate": self.dropout_rate, "augment": self.augment,
            "weights": self.weights, "seed": self.seed,
        }


def validate(config: TrainConfig) -> Variant:
    """Checks that need no data and no TensorFlow: flags, output folder."""
    variant = get_variant(config.variant)
    if config.epochs < 1:
        raise UsageError(f"--epochs must be at least 1 (got {config.epochs})")
    if config.fine_tune_epochs < 0:
        raise UsageError(f"--fine-tune-epochs must be 0 or more (got {config.fine_tune_epochs})")
    if config.batch_size < 1:
        raise UsageError(f"--batch-size must be at least 1 (got {config.batch_size})")
    for flag, lr in (("--learning-rate", config.learning_rate),
                     ("--fine-tune-learning-rate", config.fine_tune_lr)):
        if not (lr > 0 and math.isfinite(lr)):
            raise UsageError(f"{flag} must be a positive number (got {lr})")
    if config.patience < 1:
        raise UsageError(f"--patience must be at least 1 (got {config.patience})")
    if not 0.0 <= config.dropout_rate < 1.0:
        raise UsageError(f"--dropout {config.dropout_rate} is outside [0, 1)")
    if config.val is None and not 0.0 < config.val_split < 1.0:
        raise UsageError(f"--val-split must be between 0 and 1 (got {config.val_split})",
                         "pass e.g. --val-split 0.2, or a validation folder with --val DIR")
    if config.resume and config.force:
        raise UsageError("--resume and --force do not go together",
                         "--resume continues the run in --out, --force starts it over")
    out = Path(config.out).resolve()
    for flag, folder in (("--data", config.data), ("--val", config.val)):
        if folder is not None and (out == Path(folder).resolve()
                                   or Path(folder).resolve() in out.parents):
            raise UsageError(f"--out {str(config.out)!r} is inside {flag} {str(folder)!r}",
                             "it would become a class folder: choose --out elsewhere")
    from effkit.weights import resolve_source

    resolve_source(variant, config.weights)  # lite3/4 without --weights, missing files
    if is_chief_worker():  # other workers of a cluster write to a temporary folder
        _check_out(config)
    return variant


def _check_out(config: TrainConfig) -> None:
    out = Path(config.out)
    state = out / CHECKPOINT_DIR / STATE_NAME
    if out.exists() and not out.is_dir():
        raise OutputError(f"output {str(out)!r} exists and is not a folder", "choose another --out")
    if config.resume:
        if not state.is_file():
            raise OutputError(f"nothing to resume: {str(state)!r} does not exist",
                              "run without --resume to start training")
        return
    if out.is_dir() and any(out.iterdir()) and not config.force:
        hint = ("pass --resume to continue the interrupted run, or --force to start over"
                if state.is_file() else "choose another --out, or pass --force to replace it")
        raise OutputError(f"output folder {str(out)!r} is not empty", hint)
    parent = out.absolute()
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {str(parent)!r}", "choose a writable --out")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Example:
    path: str
    label: int


@dataclass(frozen=True)
class TrainData:
    """The classes and the two splits; what was skipped (unreadable) or ignored."""

    classes: tuple[str, ...]
    train: tuple[Example, ...]
    val: tuple[Example, ...]
    skipped: tuple[str, ...] = ()  # "path: reason" for unreadable images
    ignored: tuple[str, ...] = ()  # images outside any class folder

    def counts(self) -> dict[str, dict[str, int]]:
        out = {name: {"train": 0, "val": 0} for name in self.classes}
        for split, items in (("train", self.train), ("val", self.val)):
            for ex in items:
                out[self.classes[ex.label]][split] += 1
        return out

    def fingerprint(self) -> str:
        h = hashlib.sha256(json.dumps(self.classes).encode())
        for split in (self.train, self.val):
            for ex in split:
                h.update(f"{ex.label}\t{ex.path}\n".encode())
            h.update(b"--\n")
        return h.hexdigest()


def class_folders(root: Path, flag: str = "--data") -> list[Path]:
    """The class sub-folders of ``root`` sorted by name (hidden ones left out)."""
    root = Path(root)
    if not root.exists():
        raise DataError(f"{flag} folder {str(root)!r} does not exist", "pass an existing folder")
    if not root.is_dir():
        raise DataError(f"{flag} {str(root)!r} is not a folder",
                        "pass a folder with one sub-folder of images per class")
    folders = sorted((d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")),
                     key=lambda d: d.name)
    for d in folders:
        if any(unicodedata.category(c).startswith("C") for c in d.name) or d.name != d.name.strip():
            raise DataError(f"class folder name {d.name!r} in {str(root)!r} has control characters "
                            "or leading/trailing spaces", "rename it: the name becomes the label")
    return folders


def _unreadable(path: Path) -> str | None:
    """Why ``path`` cannot be decoded, or None. JPEGs decode at reduced scale (still every byte)."""
    try:
        with opened_image(path) as img:
            img.draft("RGB", (64, 64))
            img.load()
            if img.width < 1 or img.height < 1:
                return "empty image"
    except ImageTooLargeError:
        return "image too large (decompression-bomb guard)"
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
    return None


def _readable_files(folders: Sequence[Path], flag: str, progress: ScanProgress | None
                    ) -> tuple[list[list[Path]], list[str]]:
    """Images of each class folder that decode; "path: reason" for the others."""
    listed = []
    for folder in folders:
        files = list_images(folder)
        if not files:
            raise DataError(f"class folder {str(folder)!r} in {flag} has no images",
                            "add .jpg, .png, .bmp or .webp files, or remove the folder")
        listed.append(files)
    flat = [p for files in listed for p in files]
    errors: list[str | None] = []
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        for i, err in enumerate(pool.map(_unreadable, flat)):
            errors.append(err)
            if progress:
                progress(i + 1, len(flat))
    bad = {p: e for p, e in zip(flat, errors, strict=True) if e}
    kept = []
    for folder, files in zip(folders, listed, strict=True):
        good = [p for p in files if p not in bad]
        if not good:
            raise DataError(f"none of the {len(files)} images in class folder {str(folder)!r} "
                            "could be read", "check that the files are valid images")
        kept.append(good)
    return kept, [f"{p}: {e}" for p, e in bad.items()]


def scan(data: Path, *, val: Path | None = None, val_split: float = 0.2, seed: int = 0,
         progress: ScanProgress | None = None) -> TrainData:
    """Read the class folders, drop unreadable images, split train/validation."""
    data = Path(data).absolute()
    val = Path(val).absolute() if val is not None else None
    folders = class_folders(data)
    if len(folders) < 2:
        found = f" ({folders[0].name})" if folders else ""
        raise DataError(f"{str(data)!r} has {len(folders)} class folder{found}: a classifier "
                        "needs at least two classes",
                        "put each class's images in its own sub-folder of --data")
    classes = tuple(d.name for d in folders)
    ignored = tuple(str(p) for p in list_images(data, recursive=False))
    if val is None:
        if not 0.0 < val_split < 1.0:
            raise UsageError(f"--val-split must be between 0 and 1 (got {val_split})")
        files, skipped = _readable_files(folders, "--data", progress)
        train, held = [], []
        rng = np.random.default_rng(seed)
        for label, (name, paths) in enumerate(zip(classes, files, strict=True)):
            if len(paths) < 2:
                raise DataError(f"class {name!r} has only {len(paths)} readable image: too few "
                                "to keep one for validation", "add images, or pass --val DIR")
            order = rng.permutation(len(paths))
            n_val = min(max(1, round(len(paths) * val_split)), len(paths) - 1)
            chosen = set(order[:n_val].tolist())
            for i, p in enumerate(paths):
                (held if i in chosen else train).append(Example(str(p), label))
        return TrainData(classes, tuple(train), tuple(held), tuple(skipped), ignored)

    files, skipped = _readable_files(folders, "--data", progress)
    val_folders = class_folders(val, "--val")
    unknown = [d.name for d in val_folders if d.name not in classes]
    if unknown:
        raise DataError(f"--val has class folder {unknown[0]!r} that --data does not have",
                        f"use the class folder names of --data: {', '.join(classes)}")
    if not val_folders:
        raise DataError(f"--val folder {str(val)!r} has no class folders",
                        "give it the class sub-folders of --data")
    val_files, val_skipped = _readable_files(val_folders, "--val", None)
    train = [Example(str(p), label) for label, paths in enumerate(files) for p in paths]
    held = [Example(str(p), classes.index(d.name))
            for d, paths in zip(val_folders, val_files, strict=True) for p in paths]
    return TrainData(classes, tuple(train), tuple(held), tuple(skipped + val_skipped), ignored)


def _decode_for_training(path: bytes, resolution: np.int64) -> np.ndarray:
    """Full image as uint8 RGB; big JPEGs decode at a reduced scale (>= 2R on each side)."""
    side = 2 * int(resolution)
    with opened_image(Path(path.decode())) as img:
        img.draft("RGB", (side, side))
        return np.asarray(to_rgb(img), dtype=np.uint8)


def _inference_pixels(path: bytes, resolution: np.int64) -> np.ndarray:
    return load_image(Path(path.decode()), int(resolution))


def make_dataset(examples: Sequence[Example], variant: Variant, *, batch_size: int,
                 training: bool, augment: bool = True, seed: int = 0, epoch: int = 0):
    """A batched ``tf.data.Dataset`` of (normalized image, label).

    ``training`` shuffles (seeded by ``seed`` and ``epoch``) and, with ``augment``,
    applies the random crop, flip and brightness/contrast jitter; otherwise images
    get the inference preprocessing.
    """
    import tensorflow as tf

    res = variant.resolution
    mean, std = float(variant.norm_mean), float(variant.norm_std)
    ds = tf.data.Dataset.from_tensor_slices((
        [e.path for e in examples], np.array([e.label for e in examples], dtype=np.int32),
        np.arange(len(examples), dtype=np.int64)))
    if training:
        ds = ds.shuffle(len(examples), seed=seed * 1_000_003 + epoch,
                        reshuffle_each_iteration=False)

    def inference(path, label, index):
        pixels = tf.numpy_function(_inference_pixels, [path, res], tf.uint8, stateful=False)
        pixels = tf.ensure_shape(pixels, (res, res, 3))
        return (tf.cast(pixels, tf.float32) - mean) / std, label

    def augmented(path, label, index):
        pixels = tf.numpy_function(_decode_for_training, [path, res], tf.uint8, stateful=False)
        pixels = tf.ensure_shape(pixels, (None, None, 3))
        seeds = tf.random.experimental.stateless_split(
            tf.stack([tf.constant(seed * 1_000_003 + epoch, tf.int64), index]), 4)
        begin, size, _ = tf.image.stateless_sample_distorted_bounding_box(
            tf.shape(pixels), tf.zeros([1, 0, 4], tf.float32), seed=seeds[0],
            min_object_covered=CROP_AREA[0], aspect_ratio_range=CROP_ASPECT,
            area_range=CROP_AREA, max_attempts=10, use_image_if_no_bounding_boxes=True)
        x = tf.slice(pixels, begin, size)
        x = tf.image.resize(x, (res, res), method="bicubic", antialias=True) / 255.0
        x = tf.image.stateless_random_flip_left_right(x, seeds[1])
        x = tf.image.stateless_random_brightness(x, BRIGHTNESS_DELTA, seeds[2])
        x = tf.image.stateless_random_contrast(x, *CONTRAST_RANGE, seeds[3])
        x = tf.clip_by_value(x, 0.0, 1.0) * 255.0
        return (x - mean) / std, label

    fn = augmented if training and augment else inference
    ds = ds.map(fn, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds = ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


# --------------------------------------------------------------------------- distribution


@dataclass(frozen=True)
class Placement:
    """Where training runs: the strategy's kind, replicas, precision, and this worker's role."""

    kind: str  # "default", "mirrored" or "multi-worker"
    replicas: int
    mixed_precision: bool
    chief: bool = True


def choose_strategy(mixed_precision: bool | None = None):
    """(strategy, Placement): multi-worker when TF_CONFIG is set, mirrored over >1 GPU.

    Create it before any other TensorFlow work in the process (multi-worker needs that).
    """
    import tensorflow as tf

    if os.environ.get("TF_CONFIG"):
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        except (ValueError, RuntimeError, KeyError, json.JSONDecodeError) as exc:
            raise UsageError(f"TF_CONFIG cannot be used: {str(exc).splitlines()[0]}",
                             "see docs/training.md for its format, or unset TF_CONFIG") from None
        kind = "multi-worker"
    elif len(tf.config.list_logical_devices("GPU")) > 1:
        strategy, kind = tf.distribute.MirroredStrategy(), "mirrored"
    else:
        strategy, kind = tf.distribute.get_strategy(), "default"
    gpu = bool(tf.config.list_physical_devices("GPU"))
    mixed = gpu if mixed_precision is None else mixed_precision
    return strategy, Placement(kind, int(strategy.num_replicas_in_sync), mixed, is_chief_worker())


def is_chief_worker() -> bool:
    """Whether this process writes the outputs: no TF_CONFIG, or its task is the chief
    (``chief`` 0, or ``worker`` 0 when the cluster has no chief)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    try:
        doc = json.loads(raw)
        task = doc.get("task") or {}
        kind, index = task.get("type"), int(task.get("index", 0))
        cluster = doc.get("cluster") or {}
    except (ValueError, TypeError, AttributeError):
        raise UsageError("TF_CONFIG is not valid JSON with 'cluster' and 'task'",
                         "see docs/training.md for its format, or unset TF_CONFIG") from None
    if "chief" in cluster:
        return kind == "chief"
    return kind == "worker" and index == 0


# --------------------------------------------------------------------------- model


def build_classifier(variant: Variant, num_classes: int, *, weights: str | None = None,
                     dropout_rate: float = 0.2, mixed_precision: bool = False):
    """(model, backbone, WeightsInfo): pretrained backbone plus a new, float32 head.

    ``model`` has the layout of ``build_model(variant, num_classes=num_classes)``;
    with ``mixed_precision`` the backbone computes in float16 (variables stay float32).
    """
    import keras

    from effkit.model import LOGITS_LAYER, add_head, build_model
    from effkit.weights import load_weights

    previous = keras.config.dtype_policy()
    try:
        if mixed_precision:
            keras.config.set_dtype_policy("mixed_float16")
        backbone = build_model(variant, include_top=False)
    finally:
        keras.config.set_dtype_policy(previous)
    info = load_weights(backbone, variant, weights)
    model = add_head(backbone, num_classes, dropout_rate=dropout_rate)
    # The official dense initializer is uniform(+-1/sqrt(num_classes)): made for 1000
    # classes, it starts a head of a few classes with logits in the tens. Start the new
    # head at zero instead (uniform predictions, loss ln(N)); its problem is convex.
    logits = model.get_layer(LOGITS_LAYER)
    for var in logits.weights:
        var.assign(np.zeros(tuple(var.shape), dtype=np.float32))
    return model, backbone, info


def _training_model(model, backbone):
    """Same layers as ``model``, with the backbone always called in inference mode."""
    import keras

    from effkit.model import TOP_LAYERS

    inputs = keras.Input(shape=tuple(backbone.input.shape[1:]), name="train_image")
    x = backbone(inputs, training=False)
    for name in TOP_LAYERS:
        x = model.get_layer(name)(x)
    return keras.Model(inputs, x, name=f"{model.name}_train")


def _optimizer(train_model, backbone, phase: str, learning_rate: float, mixed: bool):
    """Freeze or unfreeze the backbone for ``phase`` and build a fresh optimizer for it
    (call inside the strategy's scope)."""
    import keras

    backbone.trainable = phase == "fine_tune"
    optimizer = keras.optimizers.Adam(learning_rate)
    if mixed:
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    optimizer.build(train_model.trainable_variables)
    return optimizer


class _Steps:
    """One training and one evaluation step, run on every replica.

    A plain ``strategy.run`` loop rather than ``Model.fit``: Keras 3's ``fit`` fails under
    ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585). Each replica's loss is its
    sum over the global batch size; the optimizer all-reduces (sums) the gradients.
    Returns the (loss sum, correct, count) of the step, summed over replicas.
    """

    def __init__(self, strategy, train_model, optimizer, global_batch: int):
        import tensorflow as tf

        self.strategy = strategy
        self.model = train_model
        self.optimizer = optimizer
        self.global_batch = float(global_batch)
        self.train_step = tf.function(self._train, reduce_retracing=True)
        self.eval_step = tf.function(self._eval, reduce_retracing=True)

    @staticmethod
    def _stats(labels, probs):
        import keras
        import tensorflow as tf

        probs = tf.cast(probs, tf.float32)
        per_example = keras.losses.sparse_categorical_crossentropy(labels, probs)
        predicted = tf.argmax(probs, axis=-1, output_type=tf.int32)
        correct = tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.float32))
        return per_example, correct

    def _replica_train(self, images, labels):
        import tensorflow as tf

        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            probs = self.model(images, training=True)
            per_example, correct = self._stats(labels, probs)
            loss = tf.reduce_sum(per_example) / self.global_batch
            scaled = self.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(grads, variables, strict=True))
        return tf.reduce_sum(per_example), correct, tf.cast(tf.size(labels), tf.float32)

    def _replica_eval(self, images, labels):
        import tensorflow as tf

        per_example, correct = self._stats(labels, self.model(images, training=False))
        return tf.reduce_sum(per_example), correct, tf.cast(tf.size(labels), tf.float32)

    def _reduced(self, fn, batch):
        import tensorflow as tf

        out = self.strategy.run(fn, args=batch)
        return [self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for v in out]

    def _train(self, batch):
        return self._reduced(self._replica_train, batch)

    def _eval(self, batch):
        return self._reduced(self._replica_eval, batch)

    def run(self, dataset, *, training: bool, on_batch=None) -> tuple[float, float]:
        """(mean loss, accuracy) over one pass of ``dataset``."""
        step = self.train_step if training else self.eval_step
        totals = np.zeros(3, dtype=np.float64)
        for i, batch in enumerate(self.strategy.experimental_distribute_dataset(dataset)):
            totals += np.array([float(v) for v in step(batch)])
            if on_batch:
                on_batch(i + 1)
        count = max(totals[2], 1.0)
        return float(totals[0] / count), float(totals[1] / count)


# --------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class EpochRecord:
    phase: str
    epoch: int  # 1-based within the phase
    epochs: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    learning_rate: float
    seconds: float
    best: bool = False


@dataclass
class _State:
    """What ``state.json`` holds; file names are relative to the checkpoint folder."""

    settings: dict
    data: str  # TrainData.fingerprint()
    phase: str = "head"
    epoch: int = 0  # epochs done in ``phase``
    wait: int = 0
    done: list[str] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    best: dict | None = None  # val_accuracy, val_loss, phase, epoch, file
    last: dict | None = None  # weights, optimizer
    version: int = _STATE_VERSION


class _Checkpoints:
    """Per-epoch state, crash-safe: files are new names, then state.json, then cleanup."""

    def __init__(self, read_dir: Path, write_dir: Path):
        self.read_dir = read_dir
        self.write_dir = write_dir

    def load(self) -> _State:
        path = self.read_dir / STATE_NAME
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("version") != _STATE_VERSION:
                raise ValueError(f"version {doc.get('version')}")
            return _State(**doc)
        except (OSError, ValueError, TypeError) as exc:
            raise OutputError(f"cannot resume from {str(path)!r}: {exc}",
                              "start over with --force") from None

    def save_weights(self, model, name: str) -> str:
        self.write_dir.mkdir(parents=True, exist_ok=True)
        _save_weights_atomic(model, self.write_dir / name)
        return name

    def save_optimizer(self, optimizer, name: str) -> str:
        store: dict[str, np.ndarray] = {}
        optimizer.save_own_variables(store)
        tmp = self.write_dir / f".{name}.tmp"
        with tmp.open("wb") as fh:
            np.savez(fh, **store)
        os.replace(tmp, self.write_dir / name)
        return name

    def _path(self, name: str) -> Path:
        # Written in this run (a worker's own folder), else the checkpoint resumed from.
        mine = self.write_dir / name
        return mine if mine.is_file() else self.read_dir / name

    def load_weights(self, model, name: str) -> None:
        model.load_weights(str(self._path(name)))

    def load_optimizer(self, optimizer, name: str) -> None:
        with np.load(self._path(name)) as npz:
            store = {k: npz[k] for k in npz.files}
        if len(store) != len(optimizer.variables):
            raise OutputError(f"the optimizer state in {str(self.read_dir)!r} does not fit the model",
                              "start over with --force")
        optimizer.load_own_variables(store)

    def commit(self, state: _State) -> None:
        """Write state.json, then delete files it no longer names."""
        self.write_dir.mkdir(parents=True, exist_ok=True)
        doc = json.dumps(asdict(state), indent=1).encode()
        write_file_atomic(self.write_dir / STATE_NAME, doc, force=True)
        keep = {STATE_NAME}
        for ref in (state.best, state.last):
            keep.update(v for k, v in (ref or {}).items() if k in ("file", "weights", "optimizer"))
        for p in self.write_dir.iterdir():
            if p.name not in keep and not p.name.startswith("."):
                p.unlink(missing_ok=True)


def _save_weights_atomic(model, path: Path) -> None:
    # Keras wants the .weights.h5 suffix on the temporary name too.
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        model.save_weights(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainResult:
    out_dir: Path
    weights: Path
    labels: Path
    summary: dict  # the content of train.json
    data: TrainData  # the classes and the split trained on


@dataclass(frozen=True)
class Callbacks:
    """Optional progress hooks (all run on the training thread)."""

    on_scan: ScanProgress | None = None  # (done, total) images checked
    on_start: Callable[[dict], None] | None = None  # data/placement summary, before epoch 1
    on_batch: Callable[[str, int, int, int], None] | None = None  # phase, epoch, done, total
    on_epoch: Callable[[EpochRecord], None] | None = None


def _improves(val_acc: float, val_loss: float, best: dict | None) -> bool:
    if best is None:
        return True
    return val_acc > best["val_accuracy"] or (
        val_acc == best["val_accuracy"] and val_loss < best["val_loss"])


def _phases(config: TrainConfig) -> list[tuple[str, int, float]]:
    out = [("head", config.epochs, config.learning_rate)]
    if config.fine_tune_epochs:
        out.append(("fine_tune", config.fine_tune_epochs, config.fine_tune_lr))
    return out


@contextlib.contextmanager
def _worker_dirs(config: TrainConfig, placement: Placement) -> Iterator[tuple[Path, Path]]:
    """(checkpoint dir to read, dir to write): non-chief workers write to a temporary dir."""
    read_dir = Path(config.out) / CHECKPOINT_DIR
    if placement.chief:
        yield read_dir, read_dir
        return
    tmp = Path(tempfile.mkdtemp(prefix="effkit-train-worker-"))
    try:
        yield read_dir, tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def train(config: TrainConfig, callbacks: Callbacks | None = None) -> TrainResult:
    """Train, checkpoint every epoch, and write model.weights.h5, labels.txt, train.json."""
    cb = callbacks or Callbacks()
    variant = validate(config)
    started = time.time()
    data = scan(config.data, val=config.val, val_split=config.val_split, seed=config.seed,
                progress=cb.on_scan)

    import keras

    strategy, placement = choose_strategy(config.mixed_precision)
    out = Path(config.out)
    with _worker_dirs(config, placement) as (read_dir, write_dir):
        ckpt = _Checkpoints(read_dir, write_dir)
        if config.resume:
            state = ckpt.load()
            _check_resumable(state, config, data)
        else:
            if placement.chief and read_dir.exists():
                shutil.rmtree(read_dir)  # --force: a previous run's checkpoints
            state = _State(settings=config.settings(), data=data.fingerprint())
        if cb.on_start:
            cb.on_start({"classes": list(data.classes), "counts": data.counts(),
                         "skipped": len(data.skipped), "ignored": len(data.ignored),
                         "placement": asdict(placement), "resumed": _resume_point(state)})

        keras.utils.set_random_seed(config.seed)
        with strategy.scope():
            model, backbone, winfo = build_classifier(
                variant, len(data.classes), weights=config.weights,
                dropout_rate=config.dropout_rate, mixed_precision=placement.mixed_precision)
            train_model = _training_model(model, backbone)
        val_ds = make_dataset(data.val, variant, batch_size=config.batch_size, training=False)

        for phase, epochs, lr in _phases(config):
            if phase in state.done:
                continue
            with strategy.scope():
                optimizer = _optimizer(train_model, backbone, phase, lr, placement.mixed_precision)
            steps = _Steps(strategy, train_model, optimizer, config.batch_size)
            if state.phase == phase and state.epoch > 0 and state.last:
                ckpt.load_weights(model, state.last["weights"])
                ckpt.load_optimizer(optimizer, state.last["optimizer"])
            elif state.best:  # a new phase starts from the best model so far
                ckpt.load_weights(model, state.best["file"])
            first = state.epoch if state.phase == phase else 0
            state.phase = phase
            if first == 0:
                state.wait = 0
            for epoch in range(first, epochs):
                record = _run_epoch(steps, data, variant, config, phase, epoch, epochs, lr,
                                    val_ds, cb.on_batch)
                tag = f"{phase}-{epoch + 1:03d}"
                if _improves(record.val_accuracy, record.val_loss, state.best):
                    record = replace(record, best=True)
                    state.best = {"val_accuracy": record.val_accuracy, "val_loss": record.val_loss,
                                  "phase": phase, "epoch": epoch + 1,
                                  "file": ckpt.save_weights(model, f"best-{tag}.weights.h5")}
                    state.wait = 0
                else:
                    state.wait += 1
                state.last = {"weights": ckpt.save_weights(model, f"last-{tag}.weights.h5"),
                              "optimizer": ckpt.save_optimizer(optimizer, f"last-{tag}.opt.npz")}
                state.epoch = epoch + 1
                state.history.append(asdict(record))
                stop = state.wait >= config.patience or epoch + 1 == epochs
                if stop:
                    state.done.append(phase)
                ckpt.commit(state)
                if cb.on_epoch:
                    cb.on_epoch(record)
                if stop:
                    break

        assert state.best is not None  # at least one epoch ran
        ckpt.load_weights(model, state.best["file"])
        final_loss, final_acc = steps.run(val_ds, training=False)
        summary = _summary(config, variant, data, placement, state, winfo,
                           float(final_acc), float(final_loss), time.time() - started)
        if placement.chief:
            _write_outputs(out, model, data.classes, summary)
            shutil.rmtree(read_dir, ignore_errors=True)
    return TrainResult(out, out / WEIGHTS_NAME, out / LABELS_NAME, summary, data)


def _resume_point(state: _State) -> dict | None:
    if not state.history:
        return None
    return {"phase": state.phase, "epoch": state.epoch, "done": list(state.done)}


def _check_resumable(state: _State, config: TrainConfig, data: TrainData) -> None:
    now = config.settings()
    changed = [k for k in sorted(set(now) | set(state.settings))
               if now.get(k) != state.settings.get(k)]
    if changed:
        k = changed[0]
        raise UsageError(f"cannot resume: {k} was {state.settings.get(k)!r}, now {now.get(k)!r}",
                         "resume with the same flags, or start over with --force")
    if state.data != data.fingerprint():
        raise DataError("cannot resume: the images or the train/validation split changed "
                        "since the checkpoint", "restore the data, or start over with --force")


def _run_epoch(steps: _Steps, data: TrainData, variant: Variant, config: TrainConfig,
               phase: str, epoch: int, epochs: int, lr: float, val_ds, on_batch) -> EpochRecord:
    start = time.perf_counter()
    train_ds = make_dataset(data.train, variant, batch_size=config.batch_size, training=True,
                            augment=config.augment, seed=config.seed,
                            epoch=epoch + (1000 if phase == "fine_tune" else 0))
    total = math.ceil(len(data.train) / config.batch_size)
    progress = (lambda done: on_batch(phase, epoch + 1, done, total)) if on_batch else None
    loss, acc = steps.run(train_ds, training=True, on_batch=progress)
    val_loss, val_acc = steps.run(val_ds, training=False)
    return EpochRecord(phase=phase, epoch=epoch + 1, epochs=epochs, loss=loss, accuracy=acc,
                       val_loss=val_loss, val_accuracy=val_acc, learning_rate=lr,
                       seconds=round(time.perf_counter() - start, 2))


def _summary(config: TrainConfig, variant: Variant, data: TrainData, placement: Placement,
             state: _State, winfo, val_acc: float, val_loss: float, seconds: float) -> dict:
    from effkit.manifest import versions

    best = dict(state.best or {})
    best.pop("file", None)
    return {
        "effkit_train": 1,
        "versions": versions(),
        "variant": variant.name,
        "classes": list(data.classes),
        "num_classes": len(data.classes),
        "class_counts": data.counts(),
        "train_images": len(data.train),
        "val_images": len(data.val),
        "val_source": str(config.val) if config.val else f"split {config.val_split} (seed {config.seed})",
        "skipped": list(data.skipped),
        "ignored": list(data.ignored),
        "settings": config.settings(),
        "backbone_weights": winfo.description,
        "placement": asdict(placement),
        "history": list(state.history),
        "best": best,
        "val_accuracy": round(val_acc, 6),
        "val_loss": round(val_loss, 6),
        "seconds": round(seconds, 1),
        "outputs": {"weights": WEIGHTS_NAME, "labels": LABELS_NAME},
    }


def _write_outputs(out: Path, model, classes: Sequence[str], summary: dict) -> None:
    from effkit.labels import write_labels

    out.mkdir(parents=True, exist_ok=True)
    _save_weights_atomic(model, out / WEIGHTS_NAME)
    write_file_atomic(out / LABELS_NAME, write_labels(list(classes)), force=True)
    write_summary(out, summary)


def write_summary(out: Path, summary: dict) -> None:
    text = json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n"
    write_file_atomic(Path(out) / SUMMARY_NAME, text.encode("utf-8"), force=True)


# --------------------------------------------------------------------------- build


def build_request(config: TrainConfig, target: str, **options):
    """The ``BuildRequest`` for the trained model: OUT/<target>, calibrated on training images.

    ``options`` go to ``BuildRequest`` (skip_compile, compiler, ...). The calibration
    folder is set by ``build_trained`` (a temporary folder of links to the training split).
    """
    from effkit.pipeline import BuildRequest

    out = Path(config.out)
    return BuildRequest(variant=get_variant(config.variant).name, target=target,
                        out=out / target, weights=str(out / WEIGHTS_NAME),
                        labels=out / LABELS_NAME, force=config.force, **options)


@contextlib.contextmanager
def _training_images_folder(examples: Sequence[Example]) -> Iterator[Path]:
    """A temporary folder of symlinks to the training split (so validation images stay
    out of calibration), ordered by class so an even pick spreads over the classes."""
    with tempfile.TemporaryDirectory(prefix="effkit-calib-") as tmp:
        root = Path(tmp)
        for i, ex in enumerate(sorted(examples, key=lambda e: (e.label, e.path))):
            src = Path(ex.path)
            (root / f"{ex.label:05d}-{i:07d}{src.suffix.lower()}").symlink_to(src.resolve())
        yield root


def build_trained(result: TrainResult, request, on_progress=None) -> dict:
    """Run the build pipeline on a trained model and measure its accuracy on the validation
    split (the model as built: int8 unless the request says otherwise).

    The returned section is also added to ``OUT/train.json`` under ``build``.
    """
    from effkit.evaluate import LabelledImage, TFLiteClassifier, evaluate
    from effkit.pipeline import run_build

    try:
        with _training_images_folder(result.data.train) as calib_dir:
            req = replace(request, calibration=calib_dir if request.quant == "int8" else None)
            built = run_build(req, on_progress)
    except OSError as exc:
        raise EffkitError(f"cannot prepare the calibration images: {exc.strerror or exc}",
                          "run 'effkit build' with --calibration DIR instead") from None
    classifier = TFLiteClassifier(built.out_dir / "model.tflite")
    items = [LabelledImage(Path(e.path), e.label) for e in result.data.val]
    measured = evaluate(classifier.scores, classifier.resolution, items,
                        (lambda d, t: on_progress("evaluate", d, t)) if on_progress else None)
    float_acc = float(result.summary["val_accuracy"])
    section = {
        "out_dir": str(built.out_dir),
        "target": request.target,
        "quant": request.quant,
        "model": str(built.out_dir / "model.tflite"),
        "val_accuracy": round(measured.top1, 6),
        "float_val_accuracy": round(float_acc, 6),
        "accuracy_drop": round(float_acc - measured.top1, 6) + 0.0,
        "val_images": measured.count,
        "calibration": dict(built.manifest.get("calibration") or {},
                            detail=f"training split ({len(result.data.train)} images)"),
        "edgetpu": (built.manifest.get("edgetpu") or {}).get("status"),
    }
    summary = dict(result.summary, build=section)
    write_summary(result.out_dir, summary)
    return section
