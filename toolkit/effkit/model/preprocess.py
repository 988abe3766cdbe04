"""Image preprocessing shared by calibration, evaluation, training and the golden vectors.

Every figure effkit reports uses this one path: central crop of side
``min(w, h) * R / (R + 32)`` (as Google's EfficientNet eval), bicubic resize to R x R,
then ``(x - mean) / std`` with the variant's (or the model metadata's) mean and std.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from effkit.errors import DataError, UnsafeFileError, open_regular

# (x - mean) / std on 0..255 pixels: one value, or one per RGB channel (a model of another
# writer whose metadata normalizes per channel)
Norm = float | tuple[float, ...]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".avif", ".tif",
                            ".tiff"})
# Photos Pillow does not decode (iPhones save HEIC): listed so that each is skipped and
# counted with words saying so, instead of vanishing from the folder without one
UNREAD_PHOTO_SUFFIXES = frozenset({".heic", ".heif", ".jxl"})
# The kinds named in "add ... files" hints, from IMAGE_SUFFIXES (one list to extend).
IMAGE_KINDS = ", ".join(sorted(IMAGE_SUFFIXES))
# An image file larger than this is not a photo to classify (a 100 Mpixel JPEG is ~50 MB).
MAX_IMAGE_FILE_BYTES = 256 << 20
CROP_PADDING = 32


def list_images(root: Path, *, recursive: bool = True) -> list[Path]:
    """Image files under ``root`` by suffix (case-insensitive), sorted for reproducibility."""
    root = Path(root)
    if not root.exists():
        raise DataError(f"image folder {str(root)!r} does not exist", "pass an existing folder")
    if not root.is_dir():
        raise DataError(f"{str(root)!r} is not a folder", "pass a folder of images")
    walker = _walk(root) if recursive else root.iterdir()
    # a dangling symbolic link under an image name is listed, so it is skipped and counted
    # in words like any unreadable image instead of vanishing without a word
    # '._photo.jpg' beside 'photo.jpg' is macOS's AppleDouble file of its attributes, left on
    # other file systems (a USB disk, a zip): never an image, so not counted as unreadable
    files = [p for p in walker if p.suffix.lower() in IMAGE_SUFFIXES | UNREAD_PHOTO_SUFFIXES
             and not p.name.startswith("._")
             and (p.is_file() or (p.is_symlink() and not p.exists()))]
    return sorted(files, key=lambda p: p.as_posix())


def check_no_dangling_folders(root: Path) -> None:
    """DataError for an entry of ``root`` that is a symbolic link to nothing and named like a
    folder (no file suffix such as .jpg or .md): a class folder linked to an unmounted disk or
    a moved folder, whose images (a whole class) train and eval would leave out without a
    word. A broken link named like a file (README.md) is not a class: passed over."""
    for entry in sorted(Path(root).iterdir(), key=lambda p: p.name):
        suffix = entry.suffix[1:]
        if (entry.is_symlink() and not entry.exists() and not passed_over(entry.name)
                and not (suffix.isascii() and suffix.isalnum())):
            raise DataError(f"{entry.name!r} in {str(root)!r} is a symbolic link to "
                            f"{os.readlink(entry)!r}, which does not exist: its images would be "
                            "left out", "reconnect it (mount the disk it points to) or remove the link")


def passed_over(folder_name: str) -> bool:
    """A folder no image is read from: a hidden one (``.thumbnails``, a viewer's cache of
    the same photos) or ``__MACOSX``, the AppleDouble files a zip made on a Mac holds."""
    return folder_name.startswith(".") or folder_name == "__MACOSX"


def _walk(root: Path) -> Iterator[Path]:
    """Every entry under ``root``, into symbolically linked folders too (a class folder that
    links to where the photos live is read as train reads it), each real folder once (a
    link back up the tree is not followed round). Hidden folders (``.thumbnails``, a
    viewer's cache of the same photos) are not entered."""
    seen: set[str] = set()
    for folder, dirs, names in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not passed_over(d))
        for name in names:
            yield Path(folder) / name


def none_readable(count: int, where: str, skipped: list[str]) -> DataError:
    """The one error for a set of images none of which decodes: it names the first with
    its reason (``skipped``: "path: reason" lines), as the skipped line of eval does."""
    first = f"; first: {skipped[0]}" if skipped else ""
    return DataError(f"none of the {count} images{where} could be read{first}",
                     "check that the files are valid images")


def center_crop_box(width: int, height: int, resolution: int) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the central crop used before resizing."""
    side = int(resolution / (resolution + CROP_PADDING) * min(width, height))
    side = max(side, 1)
    top = (height - side + 1) // 2
    left = (width - side + 1) // 2
    return left, top, left + side, top + side


class ImageTooLargeError(ValueError):
    """An image whose header claims more pixels than Pillow's decompression-bomb limit."""


def unreadable_reason(exc: BaseException, path: Path) -> str:
    """Why ``path`` could not be decoded, in words a user can act on: the one wording of a
    skipped image for calibration, evaluation and training (never a bare exception name, and
    never Pillow's message quoting a file object)."""
    from PIL import UnidentifiedImageError

    if isinstance(exc, ImageTooLargeError):
        return str(exc)
    if isinstance(exc, UnsafeFileError):
        return str(exc)
    if isinstance(exc, FileNotFoundError) and Path(path).is_symlink():
        return "a symbolic link to nothing"
    with contextlib.suppress(OSError):
        if Path(path).stat().st_size == 0:
            return "empty file (0 bytes)"
    if isinstance(exc, UnidentifiedImageError):
        if Path(path).suffix.lower() in UNREAD_PHOTO_SUFFIXES:
            return (f"{Path(path).suffix[1:].upper()} photos are not read (Pillow cannot decode "
                    "them): convert it to JPEG or PNG")
        return "not an image Pillow can decode (damaged, or another format under an image suffix)"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"damaged image ({text})"


@contextlib.contextmanager
def opened_image(path: Path) -> Iterator:
    """``PIL.Image.open(path)`` with decompression bombs (Pillow's error, beyond twice
    ``Image.MAX_IMAGE_PIXELS``: 179 megapixels) raised as :class:`ImageTooLargeError`: callers
    skip and count them like any unreadable file. Between 89 and 179 megapixels Pillow only
    warns: a 108 MP phone photo is read, and the two-line warning never shows.
    Only a regular file is opened: a FIFO or device raises :class:`UnsafeFileError` (an
    OSError) at once instead of blocking or reading forever."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with open_regular(path, MAX_IMAGE_FILE_BYTES) as fh, Image.open(fh) as img:
                yield img
        except Image.DecompressionBombError:
            limit = 2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6  # None: Pillow's guard off, never here
            raise ImageTooLargeError(f"image too large (over {limit:.0f} megapixels: "
                                     "decompression-bomb guard); downscale it") from None


# 16-bit (and 32-bit integer) grey images: Pillow's convert("RGB") clips them at 255,
# which turns most of a 16-bit photo white. Scale them to 8 bits instead.
_WIDE_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


def grey_range(mode: str, values: np.ndarray) -> float:
    """The value that means white in a wide grey image. The "I;16" modes are 16-bit by
    their format. "I" (32-bit integer: a 16-bit PGM or TIFF, Pillow scaling a PGM's maxval to
    65535, or an 8-bit array saved as int32) and "F" (float) say nothing of their range, so
    the smallest usual one that holds the data is taken: 0..1 (float only), 0..255, 0..65535,
    else the image's own maximum. A 16-bit image whose every value is below 256 would be
    black anyway; taking it as 8-bit is what makes an int32 copy of an 8-bit photo right."""
    if mode.startswith("I;16"):
        return 65535.0
    peak = float(np.nanmax(values)) if values.size else 0.0
    peak = peak if np.isfinite(peak) else 65535.0
    for top in ((1.0,) if mode == "F" else ()) + (255.0, 65535.0):
        if peak <= top:
            return top
    return peak


def to_rgb(img):
    """An RGB PIL image from any mode: 16-bit, 32-bit and float grey images are scaled to 8
    bits over their range (:func:`grey_range`), never clipped; other modes use Pillow's own
    conversion (palette, alpha dropped, CMYK, 1-bit, ...)."""
    from PIL import Image

    if img.mode not in _WIDE_MODES:
        return img.convert("RGB")
    values = np.asarray(img, dtype=np.float64)
    top = grey_range(img.mode, values)
    grey = np.clip(np.nan_to_num(values) * (255.0 / top), 0, 255).round().astype(np.uint8)
    return Image.fromarray(grey).convert("RGB")  # 2-D uint8: mode L


def load_image(path: Path, resolution: int) -> np.ndarray:
    """Decode an image as RGB, upright (EXIF orientation), crop centrally and resize: uint8
    array (R, R, 3).

    Raises OSError/ValueError for unreadable files (callers count and skip them),
    :class:`ImageTooLargeError` (a ValueError) for decompression bombs.
    """
    with opened_image(path) as img:
        return crop_and_resize(to_rgb(upright(img)), resolution)


def upright(img):
    """The image as it is meant to be seen: its EXIF orientation applied (phones save a
    portrait photo as landscape pixels plus an orientation tag). Eval, calibration, training
    and the Pi scripts all decode through this."""
    from PIL import ImageOps

    try:
        return ImageOps.exif_transpose(img)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - a damaged EXIF block raises what it happens to break
        return img  # (struct.error, AttributeError, ...): the pixels as stored, not a failure


def crop_and_resize(img, resolution: int) -> np.ndarray:
    """An RGB PIL image cropped centrally and resized (bicubic): uint8 array (R, R, 3)."""
    from PIL import Image

    box = center_crop_box(img.width, img.height, resolution)
    img = img.resize((resolution, resolution), Image.Resampling.BICUBIC, box=box)
    return np.asarray(img, dtype=np.uint8)


def normalize(pixels: np.ndarray, mean: Norm, std: Norm) -> np.ndarray:
    """uint8 pixels to the float input the network expects (mean and std: one value, or
    one per RGB channel, broadcast over the last axis)."""
    return ((pixels.astype(np.float32) - np.asarray(mean, dtype=np.float32))
            / np.asarray(std, dtype=np.float32))


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
                report.skipped.append(f"{path}: {unreadable_reason(exc, path)}")
            continue
        if report is not None:
            report.loaded += 1
        yield path, pixels
