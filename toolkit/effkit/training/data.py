"""effkit train's data: class folders scanned once, the split, and the tf.data pipelines
(validation preprocessed as at inference, training augmented with seeded jitter)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from effkit.core.progress import TickFn
from effkit.errors import DataError, UsageError
from effkit.model.labels import folded, label_problem, lookalikes, shown_apart
from effkit.model.preprocess import (
    IMAGE_KINDS,
    check_no_dangling_folders,
    list_images,
    load_image,
    none_readable,
    opened_image,
    passed_over,
    to_rgb,
    unreadable_reason,
    upright,
)
from effkit.model.variants import Variant

# Augmentation (training only).
CROP_AREA = (0.25, 1.0)
CROP_ASPECT = (3 / 4, 4 / 3)
BRIGHTNESS_DELTA = 0.15  # of the full range
CONTRAST_RANGE = (0.8, 1.2)



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
    # legal but likely a mistake: the same photo in training and validation or in two
    # classes, class names that look the same
    warnings: tuple[str, ...] = ()

    def counts(self) -> dict[str, dict[str, int]]:
        out = {name: {"train": 0, "val": 0} for name in self.classes}
        for split, items in (("train", self.train), ("val", self.val)):
            for ex in items:
                out[self.classes[ex.label]][split] += 1
        return out

    def fingerprint(self, files: bool = True) -> str:
        """The classes, the split and each image file (path, size, modification time: a
        photo replaced under the same name, or through a symbolic link, changes it).
        ``files=False``: paths only, as checkpoints of an effkit before 2026-12-06 hold it."""
        h = hashlib.sha256(json.dumps(self.classes).encode())
        for split in (self.train, self.val):
            for ex in split:
                line = f"{ex.label}\t{ex.path}"
                if files:
                    st = os.stat(ex.path)
                    line += f"\t{st.st_size}\t{st.st_mtime_ns}"
                h.update(f"{line}\n".encode("utf-8", "surrogateescape"))  # a name need not be UTF-8
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
    check_no_dangling_folders(root)
    folders = sorted((d for d in root.iterdir() if d.is_dir() and not passed_over(d.name)),
                     key=lambda d: d.name)
    for d in folders:
        # the label rule, now and not after training; and no space at either end, which
        # nobody sees in a folder listing
        problem = label_problem(d.name)
        why = problem[0] if problem else (
            f"{d.name!r} has a space at its start or end" if d.name != d.name.strip() else None)
        if why is not None:
            raise DataError(f"class folder name {why} (in {str(root)!r})",
                            "rename it: the name becomes the label")
    return folders


def _checked(path: Path) -> tuple[str | None, str | None]:
    """(why ``path`` cannot be decoded, or None; its bytes' sha256 when it can)."""
    from effkit.core.manifest import sha256_files

    reason = _unreadable(path)
    return reason, None if reason else sha256_files([path])


def _unreadable(path: Path) -> str | None:
    """Why ``path`` cannot be decoded, or None. JPEGs decode at reduced scale (still every byte)."""
    try:
        with opened_image(path) as img:
            img.draft("RGB", (64, 64))
            img.load()
            if img.width < 1 or img.height < 1:
                return "empty image"
    except (OSError, ValueError, SyntaxError, EOFError) as exc:  # ImageTooLargeError too
        return unreadable_reason(exc, path)
    return None


def _readable_files(folders: Sequence[Path], flag: str, progress: TickFn | None,
                    digests: dict[Path, str] | None = None) -> tuple[list[list[Path]], list[str]]:
    """Images of each class folder that decode; "path: reason" for the others. ``digests``
    receives each readable image's sha256."""
    listed = []
    for folder in folders:
        files = list_images(folder)
        if not files:
            raise DataError(f"class folder {str(folder)!r} in {flag} has no images",
                            f"add image files ({IMAGE_KINDS}), or remove the folder")
        listed.append(files)
    flat = [p for files in listed for p in files]
    errors: list[str | None] = []
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        for i, (err, digest) in enumerate(pool.map(_checked, flat)):
            errors.append(err)
            if digests is not None and digest is not None:
                digests[flat[i]] = digest
            if progress:
                progress(i + 1, len(flat))
    bad = {p: e for p, e in zip(flat, errors, strict=True) if e}
    kept = []
    for folder, files in zip(folders, listed, strict=True):
        good = [p for p in files if p not in bad]
        if not good:
            raise none_readable(len(files), f" in class folder {str(folder)!r}",
                                [f"{p}: {bad[p]}" for p in files])
        kept.append(good)
    return kept, [f"{p}: {e}" for p, e in bad.items()]


def scan(data: Path, *, val: Path | None = None, val_split: float = 0.2, seed: int = 0,
         progress: TickFn | None = None) -> TrainData:
    """Read the class folders, drop unreadable images, split train/validation."""
    data = Path(data).absolute()
    val = Path(val).absolute() if val is not None else None
    folders = class_folders(data)
    if len(folders) < 2:
        found = f"1 class folder ({folders[0].name})" if folders else "no class folders"
        raise DataError(f"{str(data)!r} has {found}: a classifier "
                        "needs at least two classes",
                        "put each class's images in its own sub-folder of --data")
    classes = tuple(d.name for d in folders)
    ignored = tuple(str(p) for p in list_images(data, recursive=False))
    if val is None:
        if not 0.0 < val_split < 1.0:
            raise UsageError(f"--val-split must be between 0 and 1 (got {val_split})")
        digests: dict[Path, str] = {}
        files, skipped = _readable_files(folders, "--data", progress, digests)
        train: list[Example] = []
        held: list[Example] = []
        rng = np.random.default_rng(seed)
        for label, (name, paths) in enumerate(zip(classes, files, strict=True)):
            if len(paths) < 2:  # the unreadable ones of the class named: they are often why
                folder = str(folders[label]) + os.sep
                lost = [line for line in skipped if line.startswith(folder)]
                why = (f" ({len(lost)} more skipped as unreadable; first: {lost[0]})" if lost else "")
                raise DataError(f"class {name!r} has only {len(paths)} readable image{why}: too "
                                "few to keep one for validation",
                                ("convert or replace the unreadable images, " if lost else "")
                                + "add images, or pass --val DIR")
            order = rng.permutation(len(paths))
            n_val = min(max(1, round(len(paths) * val_split)), len(paths) - 1)
            chosen = set(order[:n_val].tolist())
            for i, p in enumerate(paths):
                (held if i in chosen else train).append(Example(str(p), label))
        return TrainData(classes, tuple(train), tuple(held), tuple(skipped), ignored,
                         _data_warnings(classes, train, held, digests))

    digests = {}
    files, skipped = _readable_files(folders, "--data", progress, digests)
    val_folders = class_folders(val, "--val")
    val_labels = [_class_of(d.name, classes) for d in val_folders]
    if not val_folders:
        raise DataError(f"--val folder {str(val)!r} has no class folders",
                        "give it the class sub-folders of --data")
    val_files, val_skipped = _readable_files(val_folders, "--val", None, digests)
    train = [Example(str(p), label) for label, paths in enumerate(files) for p in paths]
    held = [Example(str(p), label) for label, paths in zip(val_labels, val_files, strict=True)
            for p in paths]
    return TrainData(classes, tuple(train), tuple(held), tuple(skipped + val_skipped), ignored,
                     _data_warnings(classes, train, held, digests))


def _class_of(name: str, classes: Sequence[str]) -> int:
    """The class a --val folder name stands for: the same name, or the one class it spells
    in another case, Unicode form (a folder copied from a Mac is NFD, 'cafe' + U+0301) or
    spacing, as eval matches class folders (``labels.folded``; train refused 'cat' for a
    class 'Cat' that eval then scored it as)."""
    if name in classes:
        return classes.index(name)
    hits = [i for i, c in enumerate(classes) if folded(c) == folded(name)]
    if len(hits) != 1:
        raise DataError(f"--val has class folder {name!r} that --data does not have",
                        f"use the class folder names of --data: {', '.join(classes)}")
    return hits[0]


# folder names of a dataset's splits (the layout Keras and torchvision read), not of classes
SPLIT_NAMES = frozenset({"train", "training", "val", "valid", "validation", "test", "testing"})


def _data_warnings(classes: Sequence[str], train: Sequence[Example], held: Sequence[Example],
                   digests: dict[Path, str]) -> tuple[str, ...]:
    """What trains without error but misleads: one photo (same bytes: a copy, a link) in
    both splits inflates the validation accuracy, one photo in two classes teaches both
    answers, and class names that differ only in Unicode form or case look the same."""
    out = []
    first: dict[str, Example] = {}
    both, across = [], []
    training = {ex.path for ex in train}
    for ex in list(train) + list(held):
        digest = digests.get(Path(ex.path))
        if digest is None:
            continue
        seen = first.setdefault(digest, ex)
        if seen is ex:
            continue
        if seen.label != ex.label:
            across.append((seen, ex))
        elif (seen.path in training) != (ex.path in training):
            both.append((seen, ex))
    if both:
        a, b = both[0]
        out.append(f"{len(both)} validation image(s) are also training images (same bytes), "
                   f"e.g. {b.path!r} and {a.path!r}: the validation accuracy will read high")
    if across:
        a, b = across[0]
        out.append(f"{len(across)} image(s) are in two classes (same bytes), e.g. {a.path!r} in "
                   f"{classes[a.label]!r} and {b.path!r} in {classes[b.label]!r}")
    splits = [c for c in classes if c.casefold() in SPLIT_NAMES]
    if len(splits) == len(classes):  # data/train + data/val given as --data data
        named = " and ".join(map(repr, classes))
        train_dir = next((c for c in classes if c.casefold() == "train"), classes[0])
        out.append(f"the class folders are {named}: a dataset's splits, not its classes? For "
                   f"class folders inside them pass --data DATA/{train_dir} and --val DATA/<the other>")
    same = lookalikes(classes)
    if same:  # every group (only the first was named), each told apart
        shown = "; ".join(", ".join(shown_apart(group)) for group in same[:3])
        more = f" and {len(same) - 3} more" if len(same) > 3 else ""
        out.append(f"class folders that differ only in Unicode form or case, so their labels "
                   f"look the same: {shown}{more}")
    return tuple(out)


def _decode_for_training(path: bytes, resolution: np.int64) -> np.ndarray:
    """Full image as uint8 RGB; big JPEGs decode at a reduced scale (>= 2R on each side)."""
    side = 2 * int(resolution)
    with opened_image(Path(os.fsdecode(path))) as img:
        img.draft("RGB", (side, side))
        return np.asarray(to_rgb(upright(img)), dtype=np.uint8)


def _inference_pixels(path: bytes, resolution: np.int64) -> np.ndarray:
    return load_image(Path(os.fsdecode(path)), int(resolution))


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
    ds = tf.data.Dataset.from_tensor_slices((  # paths as bytes: a file name need not be UTF-8
        [os.fsencode(e.path) for e in examples],
        np.array([e.label for e in examples], dtype=np.int32),
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
