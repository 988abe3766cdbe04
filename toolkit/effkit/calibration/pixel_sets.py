"""Distilled calibration sets on disk: uint8 pixels with the key they were made for.

One format for the sets shipped inside the wheel (``effkit/data/distilled-<variant>.npz``,
made by ``scripts/make_calibration_sets.py`` from the bundled weights) and for the
cache of other weights (``<cache>/distilled/``). A file holds

* ``pixels``: (N, R, R, 3) uint8, the distilled images mapped back to raw pixels
  (``round(x * std + mean)``; the int8 model's uint8 input sees exactly these values);
* ``meta``: JSON with the key (variant, sha256 of the model weights, distillation
  settings) and the sha256 of ``pixels``.

A file is used only when its key matches the build's and its pixels hash to the
recorded value; anything else (other weights, a damaged or edited file) is ignored,
so a poisoned cache entry is distilled again instead of trusted.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

FORMAT = 1


@dataclass(frozen=True)
class SetKey:
    """What a distilled set was made from."""

    variant: str
    weights_sha256: str
    settings: str  # DistillSettings.key()

    def file_stem(self) -> str:
        digest = hashlib.sha256(f"{self.weights_sha256}{self.settings}{self.variant}".encode())
        return f"{self.variant}-{digest.hexdigest()[:24]}"


def shipped_path(variant: str) -> Path:
    from effkit.core.resources import data_file

    return data_file(f"distilled-{variant}.npz")


def to_pixels(inputs: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Normalized float inputs back to uint8 pixels (the inverse of preprocess.normalize)."""
    return np.clip(np.rint(inputs.astype(np.float64) * std + mean), 0, 255).astype(np.uint8)


def pixels_sha256(pixels: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()


# The largest set a file may declare (4,096 lite4 images); a header claiming more is damaged.
_MAX_IMAGES = 4096
MAX_SET_BYTES = _MAX_IMAGES * 300 * 300 * 3


def declared_nbytes(zf: zipfile.ZipFile, member: str) -> int | None:
    """The bytes the ``.npy`` header of ``member`` declares (shape x item size), read before
    anything is allocated; None when the header is unreadable."""
    import math

    readers = {(1, 0): np.lib.format.read_array_header_1_0,
               (2, 0): np.lib.format.read_array_header_2_0}
    try:
        with zf.open(member) as fh:
            header = readers.get(np.lib.format.read_magic(fh))
            if header is None:
                return None
            shape, _, dtype = header(fh, max_header_size=4096)
        return math.prod(int(n) for n in shape) * dtype.itemsize
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None


def read(path: Path, max_bytes: int = MAX_SET_BYTES) -> tuple[np.ndarray, dict] | None:
    """(pixels, meta) of a valid file, else None (missing, unreadable, damaged, not a regular
    file, or declaring more than ``max_bytes`` of pixels)."""
    from effkit.errors import open_regular

    try:
        with open_regular(path, max_bytes + (1 << 20)) as fh:
            with zipfile.ZipFile(fh) as zf:
                declared = declared_nbytes(zf, "pixels.npy")
                if declared is None or declared > max_bytes:
                    return None
            fh.seek(0)
            with np.load(fh, allow_pickle=False) as doc:
                pixels = doc["pixels"]
                meta = json.loads(str(doc["meta"]))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if (pixels.dtype != np.uint8 or pixels.ndim != 4 or not isinstance(meta, dict)
            or meta.get("format") != FORMAT or meta.get("pixels_sha256") != pixels_sha256(pixels)):
        return None
    return pixels, meta


def read_matching(path: Path, key: SetKey, input_shape: tuple[int, ...]) -> np.ndarray | None:
    """The pixels of ``path`` when it is valid and was made for ``key``."""
    found = read(path, min(MAX_SET_BYTES, _MAX_IMAGES * int(np.prod(input_shape))))
    if found is None:
        return None
    pixels, meta = found
    if meta.get("key") != asdict(key) or tuple(pixels.shape[1:]) != tuple(input_shape):
        return None
    return pixels


def write(path: Path, pixels: np.ndarray, key: SetKey, **extra) -> Path:
    """Write atomically, as every output is (write_file_atomic: a killed run's staged file
    is known and removed by the next write). OutputError when it cannot be written."""
    import io

    from effkit.core.outputs import write_file_atomic

    meta = {"format": FORMAT, "key": asdict(key), "count": int(pixels.shape[0]),
            "pixels_sha256": pixels_sha256(pixels), **extra}
    buffer = io.BytesIO()
    np.savez(buffer, pixels=pixels, meta=np.array(json.dumps(meta, sort_keys=True)))
    write_file_atomic(path, buffer.getvalue(), force=True, output=False)
    return path
