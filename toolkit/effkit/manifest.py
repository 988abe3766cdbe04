"""build.json: what was built, from what, how long each stage took, and artifact hashes."""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path

import effkit

MANIFEST_NAME = "build.json"


def file_record(path: Path, root: Path) -> dict:
    data = Path(path).read_bytes()
    return {"path": Path(path).relative_to(root).as_posix(), "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def versions() -> dict:
    out = {"effkit": effkit.__version__, "python": platform.python_version()}
    try:
        import tensorflow as tf

        out["tensorflow"] = tf.__version__
    except ImportError:  # pragma: no cover - tensorflow is a dependency
        out["tensorflow"] = None
    return out


def write_manifest(root: Path, doc: dict, artifacts: list[Path]) -> dict:
    """Write build.json into ``root`` with size and sha256 of each artifact; return it."""
    doc = dict(doc)
    doc["artifacts"] = [file_record(p, root) for p in artifacts]
    path = Path(root) / MANIFEST_NAME
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return doc


def read_manifest(folder: Path) -> dict:
    return json.loads((Path(folder) / MANIFEST_NAME).read_text(encoding="utf-8"))


def manifest_for(model: Path, data: bytes, levels: int = 3) -> dict | None:
    """The build.json of the build that produced ``model`` (bytes ``data``), or None.

    Looked for in the model's folder and up to ``levels - 1`` parents (a build's app
    folders hold copies of its models); it counts only when one of its artifacts has
    the model's sha256, so a build.json of another model is never reported.
    """
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(model).absolute().parent
    for _ in range(levels):
        try:
            doc = read_manifest(folder)
        except (OSError, ValueError):
            doc = None
        if isinstance(doc, dict) and any(isinstance(a, dict) and a.get("sha256") == digest
                                         for a in doc.get("artifacts") or []):
            return doc
        folder = folder.parent
    return None
