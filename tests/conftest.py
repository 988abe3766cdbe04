"""Shared test fixtures: paths to ../shared (read-only data, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
IMAGENET_DEV = SHARED / "data" / "imagenet-dev"
CLASSES_TSV = SHARED / "data" / "imagenet_classes.tsv"
OFFICIAL_CKPT = SHARED / "data" / "official-ckpt"
EDGETPU_LOGS = SHARED / "data" / "edgetpu-logs"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data {path} is not present (tests read it from ../shared)")
    return path


@pytest.fixture(scope="session")
def imagenet_dev() -> Path:
    return _need(IMAGENET_DEV)


@pytest.fixture(scope="session")
def official_ckpt() -> Path:
    return _need(OFFICIAL_CKPT)


@pytest.fixture(scope="session")
def edgetpu_logs() -> Path:
    return _need(EDGETPU_LOGS)


@pytest.fixture(scope="session")
def imagenet_index() -> dict[str, int]:
    """wnid -> class index, from the shared classes table."""
    rows = _need(CLASSES_TSV).read_text(encoding="utf-8").splitlines()[1:]
    return {r.split("\t")[1]: int(r.split("\t")[0]) for r in rows}
