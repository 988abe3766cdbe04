"""Read legacy (pre-1.6, non-zip) PyTorch ``.pth`` state dicts without torch.

A legacy file is a sequence of pickles followed by raw tensor data:

1. the magic number ``0x1950a86a20f9469cfc6c``,
2. the protocol version (1001),
3. a dict of system info (``little_endian``, ``type_sizes``),
4. the pickled object (here a state dict); each tensor is a call to
   ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`` whose
   storage is a *persistent id* ``('storage', torch.FloatStorage, key, location,
   numel, view_metadata)`` instead of inline data,
5. the list of storage keys in the order their data follows,
6. for each key: an int64 element count, then ``count * element_size`` raw bytes.

The pickles are read by a restricted unpickler: ``find_class`` only resolves the
torch rebuild helpers, the storage type names and ``collections.OrderedDict``, each
mapped to a function defined here, so no code from the file is ever executed.
"""

from __future__ import annotations

import collections
import io
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from effkit.errors import WeightsError, cannot_read, read_regular
from effkit.model.variants import MAX_WEIGHTS_BYTES, check_weight_shape

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_ZIP_MAGIC = b"PK\x03\x04"

# torch storage type name -> numpy dtype (little-endian; byte-swapped for big-endian files).
_STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "<f4",
    "DoubleStorage": "<f8",
    "HalfStorage": "<f2",
    "BFloat16Storage": "<u2",  # widened to float32 after reading
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
}

_HINT = "pass a PyTorch state dict saved with torch.save(..., _use_new_zipfile_serialization=False)"
_CUT_HINT = "copy or download the file again: it is cut short or damaged"


@dataclass(frozen=True)
class _StorageType:
    """Stands for ``torch.FloatStorage`` and friends inside the unpickled graph."""

    name: str

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(_STORAGE_DTYPES[self.name])


class _Storage:
    """A storage whose bytes are read after the object pickle."""

    def __init__(self, key: str, storage_type: _StorageType, numel: int):
        self.key = key
        self.type = storage_type
        self.numel = numel
        self.data: np.ndarray | None = None


@dataclass
class _StorageView:
    """A view into a root storage (``view_metadata`` of very old files)."""

    root: _Storage
    offset: int
    size: int


@dataclass
class _TensorRef:
    """A tensor to materialize once the storage bytes are known."""

    storage: _Storage | _StorageView
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(
    storage: Any, storage_offset: Any, size: Any, stride: Any, *_: Any
) -> _TensorRef:
    if not isinstance(storage, _Storage | _StorageView):
        raise pickle.UnpicklingError("tensor without a storage")
    try:
        return _TensorRef(storage, int(storage_offset), tuple(int(s) for s in size),
                          tuple(int(s) for s in stride))
    except (TypeError, ValueError) as exc:
        raise pickle.UnpicklingError(f"malformed tensor record: {exc}") from None


def _rebuild_parameter(data: Any, *_: Any) -> Any:
    return data


# (module, name) -> what the restricted unpickler returns for it.
_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in _STORAGE_DTYPES},
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, storages: dict[str, _Storage]):
        super().__init__(file)
        self._storages = storages

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} (only tensors and dicts are allowed)"
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage" and len(pid) == 6):
            kind = pid[0] if isinstance(pid, tuple) and pid else type(pid).__name__
            raise pickle.UnpicklingError(f"unsupported persistent record {kind!r}")
        _, storage_type, key, _location, numel, view = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError("storage record without a storage type")
        key = str(key)
        root = self._storages.get(key)
        if root is None:
            root = self._storages[key] = _Storage(key, storage_type, int(numel))
        if view is None:
            return root
        _view_key, offset, size = view
        return _StorageView(root, int(offset), int(size))


def _load_one(buf: io.BytesIO, storages: dict[str, _Storage]) -> Any:
    return _RestrictedUnpickler(buf, storages).load()


def _materialize(ref: _TensorRef) -> np.ndarray:
    storage = ref.storage
    data = storage.root.data if isinstance(storage, _StorageView) else storage.data
    assert data is not None  # every storage is read before tensors are built
    if isinstance(storage, _StorageView):
        flat = data[storage.offset: storage.offset + storage.size]
    else:
        flat = data
    if len(ref.size) != len(ref.stride):
        raise WeightsError("corrupt .pth tensor record: size and stride lengths differ", _HINT)
    if any(s < 0 for s in ref.size) or any(s < 0 for s in ref.stride) or ref.offset < 0:
        raise WeightsError("corrupt .pth tensor record: negative size, stride or offset", _HINT)
    check_weight_shape(ref.size, "a .pth tensor record")
    if 0 in ref.size:
        return np.zeros(ref.size, dtype=flat.dtype)
    last = ref.offset + sum((n - 1) * st for n, st in zip(ref.size, ref.stride, strict=True))
    if last >= flat.size:
        raise WeightsError("corrupt .pth: a tensor reaches past the end of its storage", _HINT)
    view = np.lib.stride_tricks.as_strided(
        flat[ref.offset:], shape=ref.size,
        strides=tuple(st * flat.itemsize for st in ref.stride), writeable=False,
    )
    return np.array(view)  # own, contiguous copy


def read_pth(path: str | Path) -> dict[str, np.ndarray]:
    """Read a legacy PyTorch ``.pth`` state dict: parameter name -> numpy array.

    Non-tensor entries are dropped. BFloat16 is widened to float32; big-endian
    files are converted to native order. Raises ``WeightsError`` for anything
    that is not a legacy torch file (including the zip format of torch >= 1.6).
    """
    path = Path(path)
    try:
        raw = read_regular(path, MAX_WEIGHTS_BYTES)
    except OSError as exc:
        raise cannot_read(path, exc, WeightsError) from None
    if raw.startswith(_ZIP_MAGIC):
        raise WeightsError(
            f"{str(path)!r} is a zip-format PyTorch file (torch >= 1.6), "
            "which this reader does not handle",
            "re-save it with torch.save(state_dict, path, _use_new_zipfile_serialization=False)",
        )
    buf = io.BytesIO(raw)
    storages: dict[str, _Storage] = {}
    try:
        magic = _load_one(buf, storages)
        if magic != MAGIC_NUMBER:
            raise pickle.UnpicklingError("bad magic number")
        version = _load_one(buf, storages)
        if version != PROTOCOL_VERSION:
            raise WeightsError(f"{str(path)!r} uses torch file protocol {version!r}, "
                               f"not {PROTOCOL_VERSION}", _HINT)
        sys_info = _load_one(buf, storages)
        little_endian = bool(sys_info.get("little_endian", True)) if isinstance(
            sys_info, dict) else True
        obj = _load_one(buf, storages)
        keys = _load_one(buf, storages)
    except WeightsError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, MemoryError, OverflowError) as exc:
        raise WeightsError(
            f"{str(path)!r} is not a legacy PyTorch .pth file ({str(exc) or type(exc).__name__})",
            _HINT,
        ) from None
    if not isinstance(keys, list):
        raise WeightsError(f"{str(path)!r}: corrupt storage key list", _HINT)

    order: Literal["<", ">"] = "<" if little_endian else ">"
    for key in keys:
        storage = storages.get(str(key))
        header = buf.read(8)
        if storage is None or len(header) != 8:
            raise WeightsError(f"{str(path)!r} is truncated or corrupt (storage {key!r})", _CUT_HINT)
        count = int(np.frombuffer(header, dtype=f"{order}i8")[0])
        dtype = storage.type.dtype.newbyteorder(order) if storage.type.dtype.itemsize > 1 \
            else storage.type.dtype
        nbytes = count * dtype.itemsize
        if count != storage.numel or count < 0:
            raise WeightsError(f"{str(path)!r}: storage {key!r} holds {count} elements, "
                               f"the index says {storage.numel}", _HINT)
        chunk = buf.read(nbytes)
        if len(chunk) != nbytes:
            raise WeightsError(f"{str(path)!r} is truncated (storage {key!r})", _CUT_HINT)
        data = np.frombuffer(chunk, dtype=dtype).astype(dtype.newbyteorder("="), copy=False)
        if storage.type.name == "BFloat16Storage":
            data = (data.astype(np.uint32) << 16).view(np.float32)
        storage.data = data
    missing = [k for k, s in storages.items() if s.data is None]
    if missing:
        raise WeightsError(f"{str(path)!r}: no data for storage {missing[0]!r}", _HINT)

    state = _state_dict(obj)
    if state is None:
        raise WeightsError(f"{str(path)!r} holds no state dict of tensors",
                           "save the model's state_dict(), not the whole module")
    return {name: _materialize(ref) for name, ref in state.items()
            if isinstance(ref, _TensorRef)}


def _state_dict(obj: Any) -> dict[str, Any] | None:
    """The tensor dict inside ``obj``: the object itself or its 'state_dict'/'model' entry."""
    if not isinstance(obj, dict):
        return None
    if any(isinstance(v, _TensorRef) for v in obj.values()):
        return {str(k): v for k, v in obj.items()}
    for key in ("state_dict", "model", "model_state_dict"):
        inner = obj.get(key)
        if isinstance(inner, dict):
            return _state_dict(inner)
    return None
