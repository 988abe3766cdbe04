"""Model access for the Edge TPU check: the main subgraph's tensors, buffers and quantization.

A thin view over the ModelT that :func:`effkit.metadata.model_file.read_model` (effkit's
one TFLite flatbuffer reader) returns; nothing here parses bytes itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from effkit.metadata import model_file

_NUMPY_TYPES = {"INT32": np.int32, "INT64": np.int64, "UINT8": np.uint8, "INT8": np.int8,
                "FLOAT32": np.float32, "INT16": np.int16, "FLOAT16": np.float16}
EDGETPU_CUSTOM_OP = "edgetpu-custom-op"


def ints(values: Any) -> list[int]:
    """Flatbuffer index vectors (numpy arrays or lists, possibly None) as Python ints."""
    return [int(v) for v in values] if values is not None else []


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]
    shape_signature: tuple[int, ...] | None
    constant: bool
    scale: float | None = None
    zero_point: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "name": self.name, "dtype": self.dtype,
                "shape": list(self.shape),
                "shape_signature": list(self.shape_signature) if self.shape_signature else None,
                "constant": self.constant, "scale": self.scale, "zero_point": self.zero_point}


@dataclass
class Graph:
    raw: bytes
    model: Any  # schema ModelT
    graph: Any  # schema SubGraphT
    _data: dict[int, bytes | None] = field(default_factory=dict, repr=False)

    def tensor(self, i: int) -> Any:
        return self.graph.tensors[i]

    def dtype(self, i: int) -> str:
        return model_file.dtype_name(self.tensor(i).type).upper()

    def shape(self, i: int) -> tuple[int, ...]:
        s = self.tensor(i).shape
        return tuple(int(d) for d in s) if s is not None else ()

    def signature(self, i: int) -> tuple[int, ...] | None:
        s = self.tensor(i).shapeSignature
        return tuple(int(d) for d in s) if s is not None and len(s) else None

    def name(self, i: int) -> str:
        n = self.tensor(i).name
        return n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n or "")

    def data(self, i: int) -> bytes | None:
        """The constant bytes behind tensor ``i`` (None for an activation); read once."""
        if i not in self._data:
            self._data[i] = model_file.buffer_data(self.model, self.raw, self.tensor(i).buffer)
        return self._data[i]

    def constant(self, i: int) -> bool:
        return self.data(i) is not None

    def values(self, i: int) -> np.ndarray | None:
        data = self.data(i)
        if data is None:
            return None
        np_type = _NUMPY_TYPES.get(self.dtype(i))
        if np_type is None:
            return None
        return np.frombuffer(data, dtype=np_type).reshape(self.shape(i) or (-1,))

    def quant(self, i: int) -> tuple[float | None, int | None]:
        q = self.tensor(i).quantization
        if q is None or q.scale is None or not len(q.scale):
            return None, None
        zp = int(q.zeroPoint[0]) if q.zeroPoint is not None and len(q.zeroPoint) else 0
        return float(q.scale[0]), zp

    def info(self, i: int) -> TensorInfo:
        scale, zp = self.quant(i)
        return TensorInfo(index=i, name=self.name(i), dtype=self.dtype(i), shape=self.shape(i),
                          shape_signature=self.signature(i), constant=self.constant(i),
                          scale=scale, zero_point=zp)

    def op_code(self, op: Any) -> tuple[str, int]:
        """``(name, version)`` of an operator: ``CONV_2D``, ``CUSTOM:Atan``, ``edgetpu-custom-op``."""
        code = self.model.operatorCodes[op.opcodeIndex]
        return _code_name(code), int(code.version)


def _code_name(code: Any) -> str:
    builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
    name = model_file.builtin_op_name(builtin)
    if name != "CUSTOM":
        return name
    custom = code.customCode
    custom = custom.decode("utf-8", "replace") if isinstance(custom, bytes) else str(custom)
    return EDGETPU_CUSTOM_OP if custom == EDGETPU_CUSTOM_OP else f"CUSTOM:{custom}"


def compiled_for_edgetpu(model_bytes: bytes) -> bool:
    """Whether edgetpu_compiler compiled the model: one of its operator codes is the
    compiler's custom op (what the Edge TPU runs; a model without it runs on the CPU even
    with the delegate loaded). The Coral app decides the same way."""
    root = model_file.root_table(model_bytes, source="the file")
    wanted = EDGETPU_CUSTOM_OP.encode()
    return any((root.OperatorCodes(i).CustomCode() or b"") == wanted
               for i in range(root.OperatorCodesLength()))


def load_graph(model_bytes: bytes) -> Graph:
    """The main subgraph of a .tflite model (ModelFileError if it is not a readable one)."""
    model = model_file.read_model(model_bytes, source="the file", external_buffers=True)
    return Graph(raw=model_bytes, model=model, graph=model.subgraphs[0])

