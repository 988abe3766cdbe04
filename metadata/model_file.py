"""Reading and re-packing TFLite model flatbuffers (schema bindings from ai_edge_litert).

A .tflite file is a flatbuffer with file identifier "TFL3", optionally followed by a zip
archive of associated files (labels.txt ...), the layout tflite-support's MetadataPopulator
writes and Android's MetadataExtractor reads.

This is effkit's one low-level TFLite reader: the metadata writer, ``effkit inspect``
and the Edge TPU check (``effkit.edgetpu.check``) all read models through it, and the
"TFL3" identifier is tested only by :func:`has_tflite_identifier`.
"""

from __future__ import annotations

import functools
import io
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from effkit.core.outputs import FileKind
from effkit.errors import ModelFileError, read_user_file

TFLITE_IDENTIFIER = b"TFL3"
METADATA_NAME = "TFLITE_METADATA"
MIN_RUNTIME_NAME = "min_runtime_version"
# why a flatbuffer read fails deep inside (a struct or index error): what it means to a user
DAMAGED = "it points past its own end: truncated or damaged"
# The TFLite schema declares Buffer.data (force_align: 16) for mmap; flatc's Python Pack ignores
# that (so tflite-support's populator misaligns weights), effkit's re-pack honours it.
_BUFFER_ALIGNMENT = 16
# Fixed timestamp so that the same inputs give the same bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def schema() -> Any:
    """The TFLite schema bindings shipped with ai_edge_litert (imported on first use)."""
    from ai_edge_litert import schema_py_generated

    return schema_py_generated


@functools.cache
def _enum_names(enum: str) -> dict[int, str]:
    members = vars(getattr(schema(), enum)).items()
    return {v: k for k, v in members if not k.startswith("_") and isinstance(v, int)}


def dtype_name(tensor_type: int) -> str:
    """TFLite TensorType value -> numpy-style name ('float32', 'uint8', 'int8', ...)."""
    return _enum_names("TensorType").get(tensor_type, f"type{tensor_type}").lower()


def tensor_type(name: str) -> int:
    """Inverse of dtype_name: 'uint8' -> TensorType.UINT8."""
    for value, member in _enum_names("TensorType").items():
        if member.lower() == name:
            return value
    raise KeyError(name)


def builtin_op_name(code: int) -> str:
    """TFLite BuiltinOperator value -> its schema name ('CONV_2D', 'SOFTMAX', ...)."""
    return _enum_names("BuiltinOperator").get(code, f"BUILTIN_{code}")


def has_tflite_identifier(head: bytes) -> bool:
    """Whether ``head`` (the first 8 or more bytes of a file) carries the "TFL3" identifier."""
    return len(head) >= 8 and bytes(head[4:8]) == TFLITE_IDENTIFIER


def file_has_tflite_identifier(path: str | Path) -> bool:
    """:func:`has_tflite_identifier` on the first bytes of a file (False if unreadable)."""
    try:
        with Path(path).open("rb") as fh:
            return has_tflite_identifier(fh.read(8))
    except OSError:
        return False


# What --force may replace at a named model output (metadata -o, quant-report --out).
TFLITE_FILE = FileKind("a TFLite model", file_has_tflite_identifier, (".tflite",))


def check_model_bytes(model_bytes: bytes, *, source: str = "model") -> None:
    """Raise ModelFileError unless the bytes start like a TFLite flatbuffer."""
    if not isinstance(model_bytes, bytes | bytearray | memoryview):
        raise ModelFileError(f"{source} must be bytes, not {type(model_bytes).__name__}")
    data = bytes(model_bytes[:8])
    if len(model_bytes) < 16 or not has_tflite_identifier(data):
        raise ModelFileError(
            f"{source} is not a TFLite model (no 'TFL3' flatbuffer identifier)",
            "pass a .tflite file written by the TFLite converter",
        )
    root = int.from_bytes(data[:4], "little")
    if root >= len(model_bytes):
        raise ModelFileError(f"{source} is a truncated TFLite model", "convert or copy it again")


def root_table(model_bytes: bytes, *, source: str = "model") -> Any:
    """The lazy Model table (cheap; fields are read on access)."""
    check_model_bytes(model_bytes, source=source)
    return schema().Model.GetRootAs(bytearray(model_bytes), 0)


def read_model(model_bytes: bytes, *, source: str = "model",
               external_buffers: bool = False) -> Any:
    """The whole model as a mutable ModelT (flatbuffers object API).

    Models over 2 GB keep tensor data after the flatbuffer (``Buffer.offset``); they are
    refused unless ``external_buffers`` (readers only: :func:`buffer_data` finds the bytes;
    :func:`pack_model` cannot write them back).
    """
    check_model_bytes(model_bytes, source=source)
    try:
        model = schema().ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    except Exception:  # corrupt offsets surface as struct/index errors deep inside
        raise ModelFileError(f"{source} is a corrupt TFLite model ({DAMAGED})",
                             "convert or copy it again") from None
    if not model.subgraphs:
        raise ModelFileError(f"{source} has no subgraph", "pass a converted TFLite model")
    for buf in [] if external_buffers else model.buffers or []:
        if buf.offset > 1:
            raise ModelFileError(
                f"{source} keeps tensor data outside the flatbuffer (a >2 GB model)",
                "effkit only handles models whose weights are inside the flatbuffer",
            )
    return model


def buffer_data(model: Any, model_bytes: bytes, index: int) -> bytes | None:
    """The bytes of ``model.buffers[index]`` (inside the flatbuffer or after it), None if empty."""
    buffers = model.buffers or []
    if not index or index >= len(buffers):
        return None
    b = buffers[index]
    if b.data is not None and len(b.data):
        return np.asarray(b.data, dtype=np.uint8).tobytes()
    if b.offset > 1 and b.size:  # large models keep buffers after the flatbuffer
        return bytes(model_bytes[b.offset: b.offset + b.size])
    return None


class _AlignedBuffer:
    """Packs a BufferT with its data aligned to 16 bytes, as the schema asks."""

    def __init__(self, buffer: Any):
        self.buffer = buffer

    def Pack(self, builder: Any) -> int:  # noqa: N802 (the object API's method name)
        s = schema()
        data = None
        if self.buffer.data is not None:
            raw = np.asarray(self.buffer.data, dtype=np.uint8).tobytes()
            builder.StartVector(1, len(raw), _BUFFER_ALIGNMENT)
            builder.head = builder.head - len(raw)
            builder.Bytes[builder.head:builder.head + len(raw)] = raw
            data = builder.EndVector()
        s.BufferStart(builder)
        if data is not None:
            s.BufferAddData(builder, data)
        s.BufferAddOffset(builder, self.buffer.offset)
        s.BufferAddSize(builder, self.buffer.size)
        return s.BufferEnd(builder)


def pack_model(model: Any, *, size_hint: int = 0) -> bytes:
    """Serialize a ModelT back to a .tflite flatbuffer (no associated files)."""
    import flatbuffers

    original = model.buffers
    model.buffers = [_AlignedBuffer(b) for b in original] if original is not None else None
    try:
        builder = flatbuffers.Builder(size_hint + 1024)
        builder.Finish(model.Pack(builder), TFLITE_IDENTIFIER)
    finally:
        model.buffers = original
    return bytes(builder.Output())


def named_metadata(model_bytes: bytes, name: str) -> bytes | None:
    """The buffer behind the model's ``metadata`` entry called ``name``, if any."""
    model = root_table(model_bytes)
    try:
        for i in range(model.MetadataLength()):
            entry = model.Metadata(i)
            if (entry.Name() or b"").decode("utf-8", "replace") == name:
                index = entry.Buffer()
                if index >= model.BuffersLength():
                    raise ModelFileError(f"metadata entry {name!r} points at a missing buffer",
                                         "the model file is corrupt; convert it again")
                buffer = model.Buffers(index)
                if buffer.DataIsNone():
                    return b""
                return buffer.DataAsNumpy().tobytes()
    except ModelFileError:
        raise
    except Exception:
        raise ModelFileError(f"model metadata table is corrupt ({DAMAGED})",
                             "convert the model again") from None
    return None


def packed_files(model_bytes: bytes) -> dict[str, bytes]:
    """Files zipped after the flatbuffer, in archive order ({} when there is no archive)."""
    stream = io.BytesIO(bytes(model_bytes))
    if not zipfile.is_zipfile(stream):
        return {}
    try:
        with zipfile.ZipFile(stream) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    except Exception as exc:  # zipfile raises many types on a damaged archive
        raise ModelFileError(f"the files packed in the model cannot be read ({exc})",
                             "attach the metadata again with `effkit metadata --force`") from None


def local_header_offset(model_bytes: bytes, name: str) -> int | None:
    """Where a zip entry for ``name`` starts in ``model_bytes`` (its local file header: the
    signature, then the name at byte 30), or None. Finds a packed file in an archive whose end
    was cut off, which :func:`packed_files` cannot open: the file was truncated."""
    data = bytes(model_bytes)
    encoded = name.encode("utf-8")
    start = data.find(b"PK\x03\x04")
    while start != -1:
        size = int.from_bytes(data[start + 26:start + 28], "little")
        if size == len(encoded) and data[start + 30:start + 30 + size] == encoded:
            return start
        start = data.find(b"PK\x03\x04", start + 1)
    return None


def append_files(flatbuffer: bytes, files: Mapping[str, bytes]) -> bytes:
    """Append ``files`` as an uncompressed zip after the flatbuffer.

    Same layout as tflite-support's MetadataPopulator (Python ``zipfile`` in append mode on
    the model, ZIP_STORED, offsets counted from the start of the .tflite file), so
    MetadataDisplayer, the Task library and Android's MetadataExtractor find the files.
    """
    if not files:
        return bytes(flatbuffer)
    stream = io.BytesIO()
    stream.write(flatbuffer)
    with zipfile.ZipFile(stream, "a", compression=zipfile.ZIP_STORED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o600 << 16
            archive.writestr(info, bytes(content))
    return stream.getvalue()


@dataclass(frozen=True)
class TensorSpec:
    """An input or output tensor of the main subgraph."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    # the shape with -1 where a dimension is set at run time; () when the model has none
    shape_signature: tuple[int, ...] = ()

    @property
    def quantized(self) -> bool:
        return bool(self.scale)


def check_fixed_size(tensor: TensorSpec) -> None:
    """ModelFileError for an input whose size is set at run time (-1 past the batch): it is
    allocated as 1, so an image would be one pixel; XNNPACK fails on it with its own words
    and MediaPipe's reader crashed on one with metadata. A dynamic batch runs as 1."""
    signature = list(tensor.shape_signature or tensor.shape)
    if any(d < 0 for d in signature[1:]):
        raise ModelFileError(
            f"input {tensor.name!r} has a dynamic size {signature} (-1: set at run time)",
            "convert the model with a fixed input size, e.g. [1, 224, 224, 3]")


def io_tensors(model_bytes: bytes) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """Inputs and outputs of subgraph 0, in the model's order."""
    model = root_table(model_bytes)
    try:
        if model.SubgraphsLength() < 1:
            raise ModelFileError("model has no subgraph", "pass a converted TFLite model")
        graph = model.Subgraphs(0)

        def spec(index: int) -> TensorSpec:
            t = graph.Tensors(index)
            q = t.Quantization()
            scale: tuple[float, ...] = ()
            zero: tuple[int, ...] = ()
            if q is not None and q.ScaleLength():
                scale = tuple(float(x) for x in q.ScaleAsNumpy())
                zero = tuple(int(x) for x in q.ZeroPointAsNumpy()) if q.ZeroPointLength() else ()
            shape = tuple(int(x) for x in t.ShapeAsNumpy()) if t.ShapeLength() else ()
            signature = (tuple(int(x) for x in t.ShapeSignatureAsNumpy())
                         if t.ShapeSignatureLength() else ())
            return TensorSpec(index, (t.Name() or b"").decode("utf-8", "replace"), shape,
                              dtype_name(t.Type()), scale, zero, signature)

        inputs = [spec(int(graph.Inputs(i))) for i in range(graph.InputsLength())]
        outputs = [spec(int(graph.Outputs(i))) for i in range(graph.OutputsLength())]
    except ModelFileError:
        raise
    except Exception:
        raise ModelFileError(f"model tensor table is corrupt ({DAMAGED})",
                             "convert the model again") from None
    return inputs, outputs


def load_model_file(path: str | os.PathLike[str]) -> bytes:
    """Read a .tflite file, with one-line errors for the usual mistakes."""
    data = read_user_file(path, what="model file", hint="pass the path of a .tflite file",
                          error=ModelFileError)
    check_model_bytes(data, source=repr(str(path)))
    return data
