"""Where ``effkit eval --save`` and ``effkit bench --save`` keep their results.

The main model of a build folder (``model.tflite`` next to ``build.json``) gets
``eval.json``/``bench.json`` in that folder, where ``effkit report`` reads them; any
other model gets ``<stem>.eval.json``/``<stem>.bench.json`` beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from effkit.core.manifest import (
    MANIFEST_NAME,
    MODEL_FILE,
    RESULT_FILES,
    RESULT_KEYS,
    RESULT_NAMES,
    sha256_hex,
)
from effkit.core.outputs import check_output_file, json_bytes, write_file_atomic
from effkit.errors import OutputError, UsageError


def result_path(model: Path, kind: str) -> Path:
    """Where ``effkit eval/bench --save`` writes the results for ``model``.

    The main model of a build folder (``model.tflite`` next to ``build.json``) gets
    ``eval.json``/``bench.json`` in that folder, where ``effkit report`` reads them;
    any other model gets ``<stem>.eval.json``/``<stem>.bench.json`` beside it.
    """
    model = Path(model)
    if model.name == MODEL_FILE and (model.parent / MANIFEST_NAME).is_file():
        return model.parent / RESULT_NAMES[kind]
    return model.with_name(f"{model.stem}.{kind}.json")


def save_result(model: Path, kind: str, doc: dict, force: bool) -> Path:
    """Write a result document atomically; an existing file is replaced only with ``force``."""
    path = result_path(model, kind)
    body = {RESULT_KEYS[kind]: 1} | doc
    write_file_atomic(path, json_bytes(body), force)
    return path


def check_can_save(models: Sequence[Path | None], kind: str, force: bool) -> None:
    """Refuse ``--save`` before any work when a result file exists and ``force`` is off, or
    when two of ``models`` would save to one file (the same model given twice wrote the first
    result, then failed on it, or with --force kept the second without its comparison)."""
    paths: dict[Path, tuple[Path, Path]] = {}  # resolved result file -> (model, as named)
    for model in (Path(m) for m in models if m is not None):
        path = result_path(model, kind)
        if path.resolve() in paths:
            other = "--compare" if kind == "eval" else "--vs"
            raise UsageError(f"{other} {str(model)!r} saves its {kind} results to the same file as "
                             f"{str(paths[path.resolve()][0])!r} ({str(path)!r}), so --save cannot "
                             "keep both", "compare two different models, or drop --save")
        paths[path.resolve()] = (model, path)
    for _, path in paths.values():
        if path.is_dir():
            raise OutputError(f"{str(path)!r} is a folder", "move it away to save results there")
        # --force replaces an earlier result of the same kind, never a user's file of that name
        check_output_file(path, force, kind=RESULT_FILES[kind], flag="--save")


def model_record(model: Path, data: bytes) -> dict:
    """The ``model`` record of a result: which file was measured (path, size, sha256)."""
    return file_record(model, len(data), sha256_hex(data))


def file_record(model: Path | str, size: int, sha256: str) -> dict:
    return {"path": str(model), "name": Path(model).name, "bytes": size, "sha256": sha256}
