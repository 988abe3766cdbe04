"""Shared test fixtures: everything the tests read comes from this repository or is made here.

- ``edgetpu_logs``: the 21 public ``edgetpu_compiler`` logs in ``tests/data/edgetpu-logs``
  (``SOURCES.md`` names each one's origin; the 1 MB delegate-search log is stored gzipped).
- ``official_ckpt``: ``vars/`` (the official builder's variable tables, ``tests/data/official-vars``)
  and ``efficientnet-lite0/``, a checkpoint in the official layout written at test time from the
  bundled lite0 ``.pth`` (see ``tests/official_ckpt.py``).
- ``photo_dir``: real photos with a known ImageNet class, made from the photos scikit-image ships
  (``skimage.data``), named ``<wnid>_<name>_<view>.jpg`` (see ``tests/photos.py``).
- ``imagenet_index``: wnid -> class index, from effkit's bundled wnid table.

Nothing here reads ``../shared``: that folder is for benchmarks (the published checkpoint
against the port: ``benchmarks/weights_port_vs_official.py``).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def _unpacked(src: Path, dst: Path) -> Path:
    """``src``'s files in ``dst``, ``*.gz`` decompressed (built once; later calls reuse it)."""
    if dst.is_dir():
        return dst
    part = dst.with_name(dst.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    for path in sorted(src.iterdir()):
        if path.suffix == ".gz":
            (part / path.stem).write_bytes(gzip.decompress(path.read_bytes()))
        else:
            shutil.copyfile(path, part / path.name)
    part.rename(dst)
    return dst


@pytest.fixture(scope="session")
def edgetpu_logs(tmp_path_factory) -> Path:
    return _unpacked(DATA / "edgetpu-logs", tmp_path_factory.getbasetemp() / "edgetpu-logs")


@pytest.fixture(scope="session")
def official_ckpt(tmp_path_factory) -> Path:
    """A folder laid out like the published ``official-ckpt``: ``vars/`` and ``efficientnet-lite0/``."""
    from official_ckpt import write_lite0_checkpoint

    root = tmp_path_factory.getbasetemp() / "official-ckpt"
    _unpacked(DATA / "official-vars", root / "vars")
    folder = root / "efficientnet-lite0"  # a copy: tests tar it and write next to it
    if not folder.is_dir():
        shutil.copytree(write_lite0_checkpoint(), folder)  # cached in ~/.cache/effkit-test
    return root



@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory) -> Path:
    from photos import write_photos

    return write_photos(tmp_path_factory.getbasetemp() / "photos")


@pytest.fixture(scope="session")
def imagenet_index() -> dict[str, int]:
    """wnid -> class index (the sorted wnids effkit ships)."""
    from effkit.analysis.evaluate import imagenet_wnids

    return {w: i for i, w in enumerate(imagenet_wnids())}
