"""Image preprocessing shared by calibration, evaluation, training and the golden vectors.

Every figure effkit reports uses this one path: central crop of side
``min(w, h) * R / (R + 32)`` (as Google's EfficientNet eval), bicubic resize to R x R,
then ``(x - mean) / std`` with the variant's (or the model metadata's) mean and std.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from effkit.errors import DataError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})
CROP_PADDING = 32


def list_images(root: Path, *, recursive: bool = True) -> list[Path]:
    """Image files under ``root`` by suffix (case-insensitive), sorted for reproducibility."""
    root = Path(root)
    if not root.exists():
        raise DataError(f"image folder {str(root)!r} does not exist", "pass an existing folder")
    if not root.is_dir():
        raise DataError(f"{str(root)!r} is not a folder", "pass a folder of images")
    walker = root.rglob("*") if recursive else root.iterdir()
    files = [p for p in walker if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    return sorted(files, key=lambda p: p.as_posix())


def center_crop_box(width: int, height: int, resolution: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the central crop used before resizing."""
    side = int(resolution / (resolution + CROP_PADDING) * min(width, height))
    side = max(side, 1)
    top = (height - side + 1) // 2
    left = (width - side + 1) // 2
    return left, top, left + side, top + side


def load_image(path: Path, resolution: int) -> np.ndarray:
    """Decode an image as RGB, crop centrally and resize: uint8 array (R, R, 3).

    Raises OSError/ValueError for unreadable files (callers count and skip them).
    """
    from PIL import Image

    with Image.open(path) as img:
        return crop_and_resize(img.convert("RGB"), resolution)


def crop_and_resize(img, resolution: int) -> np.ndarray:
    """An RGB PIL image cropped centrally and resized (bicubic): uint8 array (R, R, 3)."""
    from PIL import Image

    box = center_crop_box(img.width, img.height, resolution)
    img = img.resize((resolution, resolution), Image.Resampling.BICUBIC, box=box)
    return np.asarray(img, dtype=np.uint8)


def normalize(pixels: np.ndarray, mean: float, std: float) -> np.ndarray:
    """uint8 pixels to the float input the network expects."""
    return (pixels.astype(np.float32) - np.float32(mean)) / np.float32(std)


@dataclass
class LoadReport:
    """What happened while loading a folder: images used and files skipped."""

    loaded: int = 0
    skipped: list[str] = field(default_factory=list)


def iter_images(
    paths: Iterable[Path], resolution: int, report: LoadReport | None = None
) -> Iterator[tuple[Path, np.ndarray]]:
    """Yield (path, uint8 pixels) for each readable image; unreadable ones are counted."""
    for path in paths:
        try:
            pixels = load_image(path, resolution)
        except (OSError, ValueError, SyntaxError) as exc:  # PIL raises all three
            if report is not None:
                report.skipped.append(f"{path}: {type(exc).__name__}")
            continue
        if report is not None:
            report.loaded += 1
        yield path, pixels
