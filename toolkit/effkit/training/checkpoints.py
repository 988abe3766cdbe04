"""effkit train's checkpoints: the state after every epoch (weights, optimizer, history),
so that an interrupted run resumes where it stopped."""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from effkit.core.outputs import write_file_atomic
from effkit.errors import OutputError

CHECKPOINT_DIR = "checkpoints"
STATE_NAME = "state.json"
_STATE_VERSION = 1


# --------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class EpochRecord:
    phase: str
    epoch: int  # 1-based within the phase
    epochs: int
    loss: float
    accuracy: float
    val_loss: float
    val_accuracy: float
    learning_rate: float
    seconds: float
    best: bool = False


@dataclass
class _State:
    """What ``state.json`` holds; file names are relative to the checkpoint folder."""

    settings: dict
    data: str  # TrainData.fingerprint(files=data_format >= 2)
    phase: str = "head"
    epoch: int = 0  # epochs done in ``phase``
    wait: int = 0
    done: list[str] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    best: dict | None = None  # val_accuracy, val_loss, phase, epoch, file
    last: dict | None = None  # weights, optimizer
    version: int = _STATE_VERSION
    # 2: the fingerprint holds each image's size and modification time. A state without
    # the key (None) may hold either form: effkit wrote the sizes and times from
    # 2026-12-06 and the key only from 2026-12-07
    data_format: int | None = 2


def epochs_done(folder: Path) -> int | None:
    """How many epochs the checkpoint in ``folder`` holds (None: no readable state)."""
    try:
        history = json.loads((Path(folder) / STATE_NAME).read_text(encoding="utf-8"))["history"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return len(history) if isinstance(history, list) else None


class _Checkpoints:
    """Per-epoch state, crash-safe: files are new names, then state.json, then cleanup."""

    def __init__(self, read_dir: Path, write_dir: Path):
        self.read_dir = read_dir
        self.write_dir = write_dir

    def load(self) -> _State:
        path = self.read_dir / STATE_NAME
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("version") != _STATE_VERSION:
                raise ValueError(f"version {doc.get('version')}")
            return _State(**{"data_format": None, **doc})
        except (OSError, ValueError, TypeError) as exc:
            raise OutputError(f"cannot resume from {str(path)!r}: {exc}",
                              "start over with --force") from None

    def save_weights(self, model, name: str) -> str:
        self.write_dir.mkdir(parents=True, exist_ok=True)
        _save_weights_atomic(model, self.write_dir / name)
        return name

    def save_optimizer(self, optimizer, name: str) -> str:
        store: dict[str, np.ndarray] = {}
        optimizer.save_own_variables(store)
        tmp = self.write_dir / f".{name}.tmp"
        with tmp.open("wb") as fh:
            # numpy's stub reads **store as its allow_pickle flag; the keys are Keras's
            # variable indices ("0", "1", ...), each an array.
            np.savez(fh, **store)  # type: ignore[arg-type]
        os.replace(tmp, self.write_dir / name)
        return name

    def _path(self, name: str) -> Path:
        # Written in this run (a worker's own folder), else the checkpoint resumed from.
        mine = self.write_dir / name
        return mine if mine.is_file() else self.read_dir / name

    def load_weights(self, model, name: str) -> None:
        path = self._path(name)
        try:
            model.load_weights(str(path))
        except (OSError, ValueError, KeyError) as exc:  # h5py: "truncated file", a lost disk block
            raise self._damaged(path, exc) from None

    def load_optimizer(self, optimizer, name: str) -> None:
        path = self._path(name)
        try:
            with np.load(path) as npz:
                store = {k: npz[k] for k in npz.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise self._damaged(path, exc) from None
        if len(store) != len(optimizer.variables):
            raise OutputError(f"the optimizer state in {str(self.read_dir)!r} does not fit the model",
                              "start over with --force")
        optimizer.load_own_variables(store)

    @staticmethod
    def _damaged(path: Path, exc: BaseException) -> OutputError:
        detail = " ".join(str(exc).split())[:160] or type(exc).__name__
        return OutputError(f"cannot resume: the checkpoint {str(path)!r} is damaged ({detail})",
                           "start over with --force")

    def commit(self, state: _State) -> None:
        """Write state.json, then delete files it no longer names."""
        self.write_dir.mkdir(parents=True, exist_ok=True)
        doc = json.dumps(asdict(state), indent=1).encode()
        write_file_atomic(self.write_dir / STATE_NAME, doc, force=True, output=False)
        keep = {STATE_NAME}
        for ref in (state.best, state.last):
            keep.update(v for k, v in (ref or {}).items() if k in ("file", "weights", "optimizer"))
        for p in self.write_dir.iterdir():
            if p.name not in keep and not p.name.startswith("."):
                p.unlink(missing_ok=True)


def _save_weights_atomic(model, path: Path) -> None:
    # Keras wants the .weights.h5 suffix on the temporary name too.
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        model.save_weights(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
