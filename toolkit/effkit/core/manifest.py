"""build.json: what was built, from what, how long each stage took, and artifact hashes.

:class:`Manifest` is the one description of a build: the pipeline writes it with
``to_json`` and ``effkit report`` reads it back with ``from_json``. Every file of the
build, the rendered app's included, is an :class:`Artifact` (path, size, sha256).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from effkit.core.outputs import ANSWERS_FILE, Ownership, json_bytes, marked_file
from effkit.core.version import __version__
from effkit.errors import DataError

MANIFEST_NAME = "build.json"
# The files of a build folder (the coral app and the Android assets use the same names).
MODEL_FILE = "model.tflite"
EDGETPU_MODEL_FILE = "model_edgetpu.tflite"
LABELS_FILE = "labels.txt"
QUANT_REPORT_FILE = "quant_report.json"  # written by 'effkit build --quant-report'
EVAL_NAME = "eval.json"  # written into a build folder by 'effkit eval --save'
BENCH_NAME = "bench.json"  # and by 'effkit bench --save'
# The results 'effkit eval/bench --save' write: their names in a build folder, the key
# that marks them, and what --force may replace at a result's name (a result of that kind).
RESULT_NAMES = {"eval": EVAL_NAME, "bench": BENCH_NAME}
RESULT_KEYS = {"eval": "effkit_eval", "bench": "effkit_bench"}
RESULT_FILES = {kind: marked_file(f"an effkit {kind} result", f'"{key}"')
                for kind, key in RESULT_KEYS.items()}
FORMAT = 1


@dataclass(frozen=True)
class Artifact:
    """One written file: its path relative to the build folder, size and sha256."""

    path: str
    bytes: int
    sha256: str

    @classmethod
    def of(cls, path: Path, root: Path) -> Artifact:
        data = Path(path).read_bytes()
        return cls(Path(path).relative_to(root).as_posix(), len(data), sha256_hex(data))

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Artifact:
        return cls(str(doc["path"]), int(doc["bytes"]), str(doc["sha256"]))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def changed(self, root: Path) -> bool:
        """True when the file under ``root`` is no longer the one recorded (edited or
        replaced); a missing file is not a change (nothing of the user's to lose)."""
        path = Path(root) / self.path
        if not path.is_file():
            return False
        return path.stat().st_size != self.bytes or sha256_files([path]) != self.sha256


# Saved documents (build.json, eval.json, bench.json, quant_report.json) are input like any
# other: read strictly, so a tampered one is refused with one line instead of crashing later.
MAX_DOCUMENT_BYTES = 64 << 20
MAX_DOCUMENT_DEPTH = 64
_MAX_INT_DIGITS = 30


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    import math

    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


def _depth(doc: Any) -> int:
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level <= MAX_DOCUMENT_DEPTH:
            items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
            stack.extend((item, level + 1) for item in items)
    return deepest


def parse_document(text: str | bytes) -> dict[str, Any]:
    """A saved effkit document as a dict; ValueError naming the problem for anything that is
    not plain JSON of finite numbers (NaN, Infinity, 1e400, 5000-digit integers), nested
    deeper than :data:`MAX_DOCUMENT_DEPTH`, or not an object."""
    try:
        doc = json.loads(text, parse_constant=_no_constant, parse_float=_finite_float,
                         parse_int=_bounded_int)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    if _depth(doc) > MAX_DOCUMENT_DEPTH:
        raise ValueError("nested too deeply")
    return doc


def read_document(path: Path, what: str, hint: str) -> dict[str, Any]:
    """:func:`parse_document` of a file (regular, capped), with one-line DataErrors."""
    from effkit.errors import read_user_file

    data = read_user_file(path, what=what, hint=hint, error=DataError, limit=MAX_DOCUMENT_BYTES)
    try:
        return parse_document(data)
    except ValueError as exc:
        raise DataError(f"{what} {str(path)!r} is damaged: {exc}", hint) from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_files(files: Iterable[Path]) -> str:
    """One sha256 of the files' bytes in the given order, read in 1 MiB chunks (weights
    files are hundreds of MB; a checkpoint is several files)."""
    digest = hashlib.sha256()
    for f in files:
        with Path(f).open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def versions() -> dict[str, str | None]:
    """What made a build's bytes: the packages that compute them and the processor (the
    converter's float kernels sum in an order that depends on it: docs/calibration.md)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"effkit": __version__, "python": platform.python_version()}
    try:
        import tensorflow as tf

        out["tensorflow"] = tf.__version__
    except ImportError:  # pragma: no cover - tensorflow is a dependency
        out["tensorflow"] = None
    # Pillow 12 and 13 resize a portrait photo's crop to different pixels (docs/calibration.md)
    for key, package in (("keras", "keras"), ("pillow", "pillow"), ("numpy", "numpy"),
                         ("ai_edge_litert", "ai-edge-litert")):
        try:
            out[key] = version(package)
        except PackageNotFoundError:  # pragma: no cover - each is a dependency
            out[key] = None
    out["machine"] = platform.machine()
    out["cpu"] = cpu_name()
    return out


def cpu_name() -> str:
    """The processor's model name (/proc/cpuinfo), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass(frozen=True)
class Manifest:
    """build.json. The Edge TPU section (with its per-op table) comes last in the file."""

    variant: str
    # {"mode": int8/float16/dynamic/float32, "io": uint8/int8/float32,
    #  int8: "bias_correction": bool, "weight_rounding": "nearest"/"gptq"}
    quantization: dict[str, Any]
    target: str = "?"
    model_name: str = ""
    num_classes: int = 0
    input: dict[str, Any] = field(default_factory=dict)
    # the TFLite metadata's other fields as given: description, version, author, license,
    # and where the labels came from (a file's path, "ImageNet labels", "training classes")
    metadata: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] | None = None
    app: str | None = None
    android_runtime: str | None = None  # --target android: the app's LiteRT runtime
    app_id: str | None = None  # --target android: the application id and the app's name
    app_name: str | None = None
    timings_s: dict[str, Any] = field(default_factory=dict)
    artifacts: tuple[Artifact, ...] = ()
    app_files: tuple[Artifact, ...] = ()
    versions: dict[str, Any] = field(default_factory=dict)
    # what the build let through but a user should hear of (duplicate labels, few images)
    warnings: tuple[str, ...] = ()
    edgetpu: dict[str, Any] | None = None

    def artifact(self, path: str) -> Artifact | None:
        return next((a for a in self.artifacts if a.path == path), None)

    def changed_files(self, root: Path, under: str = "") -> list[str]:
        """The files (paths under ``under``) of this build in ``root`` that changed since
        effkit wrote them: the user's edits, which replacing the build would lose."""
        return [a.path for a in self.artifacts + self.app_files
                if a.path.startswith(under) and a.changed(root)]

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"effkit_manifest": FORMAT}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("artifacts", "app_files"):
                value = [a.to_dict() for a in value]
            if f.name in ("app", "android_runtime", "app_id", "app_name") and value is None:
                continue
            if f.name == "warnings":
                if not value:
                    continue
                value = list(value)
            if (f.name == "edgetpu" and value is None) or (f.name == "metadata" and not value):
                continue
            doc[f.name] = value
        return copy.deepcopy(doc)  # a copy to change freely (docs/api.md): not this manifest's dicts

    def to_json(self) -> str:
        return json_bytes(self.to_dict()).decode("utf-8")

    @classmethod
    def from_json(cls, text: str, source: str = MANIFEST_NAME) -> Manifest:
        """Parse build.json; DataError naming the first problem when it is not one.

        Only the variant and the quantization are required (manifests of older effkit
        versions and hand-written ones are read too); other fields take their defaults.
        """
        try:
            doc = parse_document(text)
        except ValueError as exc:
            raise DataError(f"build manifest {source!r} is damaged: {exc}",
                            "build the folder again with 'effkit build'") from None
        return cls.from_dict(doc, source)

    @classmethod
    def from_dict(cls, doc: dict[str, Any], source: str = MANIFEST_NAME) -> Manifest:
        """:meth:`from_json` of a parsed document."""
        if not isinstance(doc.get("variant"), str) or not isinstance(doc.get("quantization"), dict):
            raise DataError(f"{source!r} lacks the variant or quantization",
                            "build the folder again with 'effkit build'")
        kinds = {"artifacts": list, "app_files": list, "warnings": list, "input": dict, "metadata": dict,
                 "weights": dict,
                 "timings_s": dict, "versions": dict, "calibration": dict, "edgetpu": dict}
        kwargs = {f.name: doc[f.name] for f in dataclasses.fields(cls) if f.name in doc
                  and (f.name not in kinds or isinstance(doc[f.name], kinds[f.name]))}
        try:
            for key in ("artifacts", "app_files"):
                kwargs[key] = tuple(Artifact.from_dict(a) for a in kwargs.get(key, []))
            kwargs["warnings"] = tuple(str(w) for w in kwargs.get("warnings", []))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{source!r} has an artifact record without {exc}",
                            "build the folder again with 'effkit build'") from None
        return cls(**kwargs)

    @classmethod
    def read(cls, folder: str | os.PathLike[str]) -> Manifest:
        from effkit.errors import read_user_file, wrong_type

        if not isinstance(folder, (str, os.PathLike)):  # the API's users pass anything
            raise wrong_type("folder", folder, "a build folder (a path)")
        path = Path(folder) / MANIFEST_NAME
        data = read_user_file(path, what="build manifest", error=DataError,
                              limit=MAX_DOCUMENT_BYTES,
                              hint="build the folder again with 'effkit build'")
        return cls.from_json(data.decode("utf-8", "replace"), str(path))

    def write(self, root: Path) -> None:
        (Path(root) / MANIFEST_NAME).write_text(self.to_json(), encoding="utf-8")


def manifest_for(model: Path, data: bytes, levels: int = 3) -> Manifest | None:
    """The build.json of the build that produced ``model`` (bytes ``data``), or None.

    Looked for in the model's folder and up to ``levels - 1`` parents (a build's app
    folders hold copies of its models); it counts only when one of its artifacts has
    the model's sha256, so a build.json of another model is never reported.
    """
    digest = sha256_hex(data)
    folder = Path(model).absolute().parent
    for _ in range(levels):
        if (folder / MANIFEST_NAME).is_file():
            try:
                found = Manifest.read(folder)
            except DataError:
                found = None
            if found is not None and any(a.sha256 == digest for a in found.artifacts):
                return found
        folder = folder.parent
    return None


def is_saved_result(path: Path) -> bool:
    """Whether ``path`` is a result ``effkit eval/bench --save`` wrote (by its name and the
    key that marks it): such files in a build or its app are effkit's, not the user's."""
    path = Path(path)
    for kind, name in RESULT_NAMES.items():
        if path.name == name or path.name.endswith(f".{kind}.json"):
            return path.is_file() and RESULT_FILES[kind].is_one(path)
    return False


def build_written(folder: Path) -> frozenset[str] | None:
    """The files effkit wrote into a build folder: build.json, the artifacts and app files
    it lists, and the results 'effkit eval/bench --save' keep there (beside any of its
    models, told by their marking key); None when the folder's build.json is missing or
    is not an effkit manifest."""
    folder = Path(folder)
    try:
        found = read_document(folder / MANIFEST_NAME, "build manifest", "")
        if "effkit_manifest" not in found:
            return None  # hand-written: read as a manifest elsewhere, never replaced
        doc = Manifest.from_dict(found)
    except DataError:
        return None
    results = {p.relative_to(folder).as_posix() for p in folder.rglob("*.json") if is_saved_result(p)}
    return frozenset({MANIFEST_NAME} | results | _unlisted_app(folder, doc)
                     | {a.path for a in doc.artifacts + doc.app_files})


def _unlisted_app(folder: Path, doc: Manifest) -> set[str]:
    """The app of a build.json from an effkit that did not list app files yet: what a
    render's own --force takes (its answers file, read as one, and the names its template
    and model files have at the app's top), so a file a user added there is still theirs."""
    from effkit.core.resources import rendered_top_names, template_dir

    app = (doc.app or "").strip("/")
    if not app or doc.app_files or doc.target not in ("coral", "android"):
        return set()
    try:
        answers = json.loads((folder / app / ANSWERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(answers, dict):
        return set()
    models = (MODEL_FILE, LABELS_FILE, EDGETPU_MODEL_FILE) if doc.target == "coral" else ()
    names = {ANSWERS_FILE, *rendered_top_names(template_dir(doc.target), models)}
    return {f"{app}/{name}" for name in names}


# 'effkit build --force' replaces a build folder holding nothing else
BUILD_OUTPUT = Ownership("build", MANIFEST_NAME, build_written)
