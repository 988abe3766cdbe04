"""Calibration data for full-integer quantization.

Two sources, both returning a :class:`CalibrationSet` of float32 inputs preprocessed
exactly as at inference:

* ``from_folder``: the user's images (recursive; jpg, png, bmp, webp, tif), unreadable
  files skipped and counted.
* ``distilled``: no user data; images distilled from the model's batch-norm
  statistics (``effkit.calibration.distill``). A set is keyed by the weights and the settings
  (distilling again is not bit-reproducible on a multi-threaded CPU): effkit ships the sets of
  its bundled weights (``effkit.calibration.pixel_sets``) and caches the others on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from effkit.calibration.distill import SHIPPED_SETTINGS
from effkit.calibration.distill import DistillSettings as DistillSettings  # callers take it from here
from effkit.core.progress import TickFn
from effkit.core.resources import cache_root
from effkit.errors import DataError, OutputError
from effkit.model.preprocess import (
    IMAGE_KINDS,
    LoadReport,
    Norm,
    iter_images,
    list_images,
    none_readable,
    normalize,
)
from effkit.model.variants import Variant

DEFAULT_FOLDER_SIZE = 100


@dataclass(frozen=True)
class CalibrationSet:
    """Inputs for the converter's representative dataset, and where they came from."""

    inputs: np.ndarray  # (N, R, R, 3) float32, normalized
    source: str  # "folder", "distilled"
    detail: str  # folder path, or the distillation settings
    skipped: int = 0
    cache: str | None = None
    seconds: float = 0.0
    origin: str | None = None  # distilled sets: "shipped", "cache" or "distilled now"
    not_cached: str | None = None  # why a set distilled now could not be cached

    @property
    def sha256(self) -> str:
        """Of the converter's inputs (float32, normalized): the same for the same set
        whichever route made it, so two build.json files say whether they used one."""
        return hashlib.sha256(np.ascontiguousarray(self.inputs, dtype=np.float32).tobytes()).hexdigest()

    @property
    def count(self) -> int:
        return int(self.inputs.shape[0])

    def describe(self) -> dict:
        return {"source": self.source, "detail": self.detail, "count": self.count,
                "skipped": self.skipped, "cache": self.cache, "seconds": round(self.seconds, 2),
                "sha256": self.sha256, **({"origin": self.origin} if self.origin else {})}


_T = TypeVar("_T")


def pick_evenly(paths: Sequence[_T], size: int) -> list[_T]:
    """``size`` items (paths, indices) spread evenly over a sorted list (deterministic,
    class-balanced for folder-per-class or class-named files)."""
    if len(paths) <= size:
        return list(paths)
    idx = np.linspace(0, len(paths) - 1, size).round().astype(int)
    return [paths[i] for i in idx]


def check_folder(folder: Path, what: str = "calibration folder") -> list[Path]:
    """The folder's image files; DataError when there is no folder or no image in it
    (``what`` names the folder as the command's flag does)."""
    paths = list_images(Path(folder))
    if not paths:
        raise DataError(
            f"{what} {str(folder)!r} has no images",
            f"add image files ({IMAGE_KINDS}; sub-folders are searched too)",
        )
    return paths


def from_folder(folder: Path, variant: Variant, size: int = DEFAULT_FOLDER_SIZE,
                progress: TickFn | None = None, what: str = "calibration folder",
                norm: tuple[Norm, Norm] | None = None) -> CalibrationSet:
    """Load up to ``size`` images from ``folder`` (spread over the whole folder), normalized
    as ``variant`` is, or by ``norm`` (mean, std: a model's own metadata's)."""
    if size < 1:
        raise DataError(f"--calibration-size must be at least 1 (got {size})")
    start = time.perf_counter()
    paths = check_folder(folder, what)
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
        raise none_readable(len(paths), f" in {str(folder)!r}", report.skipped)
    mean, std = norm if norm is not None else (variant.norm_mean, variant.norm_std)
    batch = normalize(np.stack(pixels), mean, std)
    return CalibrationSet(batch, "folder", str(Path(folder).resolve()), skipped=len(report.skipped),
                          seconds=time.perf_counter() - start)



def weights_fingerprint(model) -> str:
    """sha256 over all weights of the model, in order."""
    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(w.numpy()).tobytes())
    return h.hexdigest()


def set_key(model, variant: Variant, settings: DistillSettings):
    """The key a distilled set is stored under: variant, weights fingerprint, settings."""
    from effkit.calibration.pixel_sets import SetKey

    return SetKey(variant=variant.name, weights_sha256=weights_fingerprint(model), settings=settings.key())


def distilled(model, variant: Variant, settings: DistillSettings | None = None,
              progress: TickFn | None = None, use_cache: bool = True) -> CalibrationSet:
    """Calibration inputs distilled from the model's own batch-norm statistics.

    In order: the set shipped with effkit for these exact weights (the bundled lite0-2
    weights; made with ``SHIPPED_SETTINGS`` when ``settings`` is None, else only when the
    shipped set was made with ``settings``), the cache, a fresh distillation with
    ``settings`` or the cheaper ``DistillSettings()`` (then cached). All three hold uint8
    pixels, so every route gives the converter the same values.
    """
    from effkit.calibration import pixel_sets

    start = time.perf_counter()
    chosen = settings or DistillSettings()

    def done(pixels: np.ndarray, used: DistillSettings, origin: str, where: Path | None,
             not_cached: str | None = None) -> CalibrationSet:
        if progress:
            progress(used.count, used.count)
        return CalibrationSet(normalize(pixels, variant.norm_mean, variant.norm_std), "distilled",
                              used.key(), cache=str(where) if where else None,
                              seconds=time.perf_counter() - start, origin=origin,
                              not_cached=not_cached)

    wanted = set_key(model, variant, chosen)
    if use_cache:
        ship = settings or SHIPPED_SETTINGS
        ship_key = wanted if ship == chosen else set_key(model, variant, ship)
        found = pixel_sets.read_matching(pixel_sets.shipped_path(variant.name), ship_key, variant.input_shape)
        if found is not None:
            return done(found, ship, "shipped", None)
    where = cache_root() / "distilled" / f"{wanted.file_stem()}.npz" if use_cache else None
    with _one_distillation(where):
        if where is not None:  # again under the lock: another build may have just made it
            found = pixel_sets.read_matching(where, wanted, variant.input_shape)
            if found is not None:
                return done(found, chosen, "cache", where)
        from effkit.calibration.distill import distill

        pixels = pixel_sets.to_pixels(distill(model, variant, chosen, progress),
                                      variant.norm_mean, variant.norm_std)
        not_cached = None
        if where is not None:
            try:
                pixel_sets.write(where, pixels, wanted)
            except OutputError as exc:  # a read-only cache: work without it, and say so
                not_cached = f"{where.parent} ({exc.message})"
                where = None
        return done(pixels, chosen, "distilled now", where, not_cached)


@contextlib.contextmanager
def _one_distillation(where: Path | None) -> Iterator[None]:
    """One process at a time distils the set cached at ``where``: two builds started
    together each distilled their own (different) set and both recorded the one file the
    first wrote (CI-integrator walk). A cache without room for a lock works unguarded."""
    from effkit.core.outputs import held_lock

    with contextlib.ExitStack() as stack:
        if where is not None:
            with contextlib.suppress(OSError):
                stack.enter_context(held_lock(where.with_name(f".{where.name}.lock")))
        yield
