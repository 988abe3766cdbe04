"""Where ``effkit eval --save`` and ``effkit bench --save`` keep their results.

The main model of a build folder (``model.tflite`` next to ``build.json``) gets
``eval.json``/``bench.json`` in that folder, where ``effkit report`` reads them; any
other model gets ``<stem>.eval.json``/``<stem>.bench.json`` beside it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from effkit.core.manifest import BENCH_NAME, EVAL_NAME, MANIFEST_NAME, MODEL_FILE, sha256_hex
from effkit.core.outputs import check_output_file, marked_file, write_file_atomic
from effkit.errors import OutputError

KINDS = {"eval": EVAL_NAME, "bench": BENCH_NAME}
DOC_KEYS = {"eval": "effkit_eval", "bench": "effkit_bench"}
# What --force may replace at a result's name: a result of that kind (its marker key).
RESULT_FILES = {kind: marked_file(f"an effkit {kind} result", f'"{key}"') for kind, key in DOC_KEYS.items()}


def result_path(model: Path, kind: str) -> Path:
    """Where ``effkit eval/bench --save`` writes the results for ``model``.

    The main model of a build folder (``model.tflite`` next to ``build.json``) gets
    ``eval.json``/``bench.json`` in that folder, where ``effkit report`` reads them;
    any other model gets ``<stem>.eval.json``/``<stem>.bench.json`` beside it.
    """
    model = Path(model)
    if model.name == MODEL_FILE and (model.parent / MANIFEST_NAME).is_file():
        return model.parent / KINDS[kind]
    return model.with_name(f"{model.stem}.{kind}.json")


def save_result(model: Path, kind: str, doc: dict, force: bool) -> Path:
    """Write a result document atomically; an existing file is replaced only with ``force``."""
    path = result_path(model, kind)
    body = {DOC_KEYS[kind]: 1} | doc
    write_file_atomic(path, (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
                      force)
    return path


def is_saved_result(path: Path) -> bool:
    """Whether ``path`` is a result ``effkit eval/bench --save`` wrote (by its name and the
    key that marks it): such files in a rendered app are effkit's, not the user's."""
    path = Path(path)
    for kind, name in KINDS.items():
        if path.name == name or path.name.endswith(f".{kind}.json"):
            return path.is_file() and RESULT_FILES[kind].is_one(path)
    return False


def check_can_save(models: Sequence[Path | None], kind: str, force: bool) -> None:
    """Refuse ``--save`` before any work when a result file exists and ``force`` is off."""
    for model in models:
        if model is None:
            continue
        path = result_path(model, kind)
        if path.is_dir():
            raise OutputError(f"{str(path)!r} is a folder", "move it away to save results there")
        # --force replaces an earlier result of the same kind, never a user's file of that name
        check_output_file(path, force, kind=RESULT_FILES[kind], flag="--save")


def model_record(model: Path, data: bytes) -> dict:
    """The ``model`` record of a result: which file was measured (path, size, sha256)."""
    return file_record(model, len(data), sha256_hex(data))


def file_record(model: Path | str, size: int, sha256: str) -> dict:
    return {"path": str(model), "name": Path(model).name, "bytes": size, "sha256": sha256}
