"""Predict, without the compiler, which ops of a .tflite model the Edge TPU compiler maps.

The rules are Coral's documented model requirements and its supported-operations
table: https://coral.ai/docs/edgetpu/models-intro/ ("Model requirements" and
"Supported operations"; the same table is mirrored for the Edge TPU based
ARTPEC-7 at developer.axis.com/computer-vision/on-device/system-on-chip/artpec-7/
supported-ops/). In short:

* tensor parameters and activations are 8-bit (uint8/int8) quantized; int32
  is allowed for biases and op parameters (shapes, axes, paddings);
* tensor sizes are constant at compile time (no dynamic sizes);
* model parameters (weights, biases) are constant at compile time;
* tensors have 1, 2 or 3 dimensions, or more with only the 3 innermost larger
  than 1 (``[1, 224, 224, 3]`` is fine, ``[2, 224, 224, 3]`` is not);
* each op is in the table and meets its "known limitations".

The compiler maps one contiguous part of the graph: from the first supported op
up to the first unsupported one; that op and every op after it run on the CPU
("the compiler cannot partition the model more than once", same page). The
report says where that split falls.

This is a prediction: the compiler may still decline an op for reasons the docs
leave unspecified ("Operation is otherwise supported, but not mapped due to some
unspecified limitation", e.g. large RESHAPEs or resizes) or for op versions newer
than it knows. The compile step's report is the final word.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from effkit.errors import ModelFileError

DEFAULT_MIN_RUNTIME_VERSION = 13
"""Edge TPU runtime version assumed when none is given; see ``effkit.edgetpu.compiler``."""

EIGHT_BIT = ("UINT8", "INT8")
CONST_OK = ("UINT8", "INT8", "INT32")  # int32: biases and op parameters
TPU = "tpu"
CPU = "cpu"
EDGETPU_CUSTOM_OP = "edgetpu-custom-op"
SOFTMAX_MAX_ELEMENTS = 16_000


# ---------------------------------------------------------------------------
# Reports


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


@dataclass(frozen=True)
class OpCheck:
    """One op in execution order: whether it meets the requirements, and where it will run.

    ``supported`` is about the op itself; ``predicted`` (``"tpu"``/``"cpu"``) also
    accounts for the graph split: a supported op after the first unsupported one
    still runs on the CPU. ``reasons`` says why an op is unsupported, ``note``
    why a supported op is predicted on the CPU or what to watch.
    """

    index: int
    op: str
    version: int
    supported: bool
    predicted: str
    reasons: tuple[str, ...] = ()
    note: str | None = None
    output_shape: tuple[int, ...] = ()
    output_dtype: str = ""

    @property
    def on_tpu(self) -> bool:
        return self.predicted == TPU

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "op": self.op, "version": self.version,
                "supported": self.supported, "predicted": self.predicted,
                "reasons": list(self.reasons), "note": self.note,
                "output_shape": list(self.output_shape), "output_dtype": self.output_dtype}


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_model` found; ``all_mapped`` is ``effkit check-edgetpu``'s verdict."""

    ops: tuple[OpCheck, ...]
    quantization: str
    min_runtime_version: int
    inputs: tuple[TensorInfo, ...] = ()
    outputs: tuple[TensorInfo, ...] = ()
    problems: tuple[str, ...] = ()  # model-level findings that keep ops off the TPU
    warnings: tuple[str, ...] = ()
    subgraphs: int = 1
    already_compiled: bool = False

    @property
    def ops_total(self) -> int:
        return len(self.ops)

    @property
    def ops_tpu(self) -> int:
        return sum(1 for o in self.ops if o.on_tpu)

    @property
    def ops_cpu(self) -> int:
        return self.ops_total - self.ops_tpu

    @property
    def tpu_fraction(self) -> float:
        return self.ops_tpu / self.ops_total if self.ops else 0.0

    @property
    def all_mapped(self) -> bool:
        return bool(self.ops) and self.ops_cpu == 0 and not self.problems

    @property
    def split(self) -> OpCheck | None:
        """The first unsupported op after the mapped part: where the graph goes back to the CPU."""
        seen_tpu = False
        for o in self.ops:
            if o.on_tpu:
                seen_tpu = True
            elif seen_tpu and not o.supported:
                return o
        return None

    @property
    def first_unsupported(self) -> OpCheck | None:
        return next((o for o in self.ops if not o.supported), None)

    @property
    def tpu_segment(self) -> tuple[int, int] | None:
        """``(first, last)`` op indices predicted on the Edge TPU, inclusive."""
        idx = [o.index for o in self.ops if o.on_tpu]
        return (idx[0], idx[-1]) if idx else None

    def summary(self) -> str:
        text = f"{self.ops_tpu} of {self.ops_total} ops predicted on the Edge TPU"
        if self.split is not None:
            text += (f"; the graph splits at op #{self.split.index} {self.split.op}: it and "
                     "every op after it run on the CPU")
        elif self.ops_tpu == 0 and self.first_unsupported is not None:
            first = self.first_unsupported
            text += f"; first unsupported op #{first.index} {first.op}"
        return text

    def to_dict(self) -> dict[str, Any]:
        split = self.split
        first = self.first_unsupported
        return {
            "all_mapped": self.all_mapped,
            "summary": self.summary(),
            "quantization": self.quantization,
            "min_runtime_version": self.min_runtime_version,
            "ops_total": self.ops_total,
            "ops_tpu": self.ops_tpu,
            "ops_cpu": self.ops_cpu,
            "tpu_segment": list(self.tpu_segment) if self.tpu_segment else None,
            "split": {"index": split.index, "op": split.op} if split else None,
            "first_unsupported": {"index": first.index, "op": first.op} if first else None,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
            "subgraphs": self.subgraphs,
            "already_compiled": self.already_compiled,
            "inputs": [t.to_dict() for t in self.inputs],
            "outputs": [t.to_dict() for t in self.outputs],
            "ops": [o.to_dict() for o in self.ops],
        }


# ---------------------------------------------------------------------------
# Model access


_NUMPY_TYPES = {"INT32": np.int32, "INT64": np.int64, "UINT8": np.uint8, "INT8": np.int8,
                "FLOAT32": np.float32, "INT16": np.int16, "FLOAT16": np.float16}


def _ints(values: Any) -> list[int]:
    """Flatbuffer index vectors (numpy arrays or lists, possibly None) as Python ints."""
    return [int(v) for v in values] if values is not None else []


@dataclass
class _Model:
    raw: bytes
    model: Any  # schema ModelT
    graph: Any  # schema SubGraphT
    type_names: dict[int, str]

    def tensor(self, i: int) -> Any:
        return self.graph.tensors[i]

    def dtype(self, i: int) -> str:
        return self.type_names.get(self.tensor(i).type, str(self.tensor(i).type))

    def shape(self, i: int) -> tuple[int, ...]:
        s = self.tensor(i).shape
        return tuple(int(d) for d in s) if s is not None else ()

    def signature(self, i: int) -> tuple[int, ...] | None:
        s = self.tensor(i).shapeSignature
        return tuple(int(d) for d in s) if s is not None and len(s) else None

    def name(self, i: int) -> str:
        n = self.tensor(i).name
        return n.decode("utf-8", "replace") if isinstance(n, bytes) else str(n or "")

    def _buffer_bytes(self, i: int) -> bytes | None:
        t = self.tensor(i)
        if not t.buffer or t.buffer >= len(self.model.buffers or []):
            return None
        b = self.model.buffers[t.buffer]
        if b.data is not None and len(b.data):
            return bytes(np.asarray(b.data, dtype=np.uint8))
        if b.offset and b.size:  # large models keep buffers after the flatbuffer
            return self.raw[b.offset: b.offset + b.size]
        return None

    def constant(self, i: int) -> bool:
        return self._buffer_bytes(i) is not None

    def values(self, i: int) -> np.ndarray | None:
        data = self._buffer_bytes(i)
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


def _load(model_bytes: bytes) -> _Model:
    from ai_edge_litert import schema_py_generated as schema

    if len(model_bytes) < 8 or model_bytes[4:8] != b"TFL3":
        raise ModelFileError("the file is not a TensorFlow Lite model (no TFL3 identifier)",
                             "pass a .tflite file")
    try:
        model = schema.ModelT.InitFromPackedBuf(model_bytes, 0)
    except Exception as exc:  # a damaged flatbuffer raises anything from struct to IndexError
        raise ModelFileError(f"the .tflite file cannot be read ({type(exc).__name__})",
                             "re-export the model") from None
    if not model.subgraphs:
        raise ModelFileError("the .tflite model has no subgraph", "re-export the model")
    type_names = {v: k for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
    return _Model(raw=model_bytes, model=model, graph=model.subgraphs[0], type_names=type_names)


def _op_names() -> dict[int, str]:
    from ai_edge_litert import schema_py_generated as schema

    return {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}


# ---------------------------------------------------------------------------
# Per-op constraints (the "Known limitations" column)


@dataclass
class _Ctx:
    m: _Model
    op: Any
    name: str
    runtime: int

    @property
    def inputs(self) -> list[int]:
        return [i for i in _ints(self.op.inputs) if i >= 0]

    @property
    def outputs(self) -> list[int]:
        return [i for i in _ints(self.op.outputs) if i >= 0]

    def input(self, k: int) -> int | None:
        raw = _ints(self.op.inputs)
        return raw[k] if k < len(raw) and raw[k] >= 0 else None

    @property
    def options(self) -> Any:
        return self.op.builtinOptions

    def option(self, name: str, default: Any = 0) -> Any:
        return getattr(self.options, name, default) if self.options is not None else default


Check = Callable[[_Ctx], list[str]]


@dataclass(frozen=True)
class OpRule:
    """One row of Coral's table: the runtime version it needs, its limitation text, its test."""

    min_runtime: int
    limitation: str = ""
    checks: tuple[Check, ...] = ()
    param_inputs: tuple[int, ...] = ()  # input positions that must be compile-time constants
    note: str | None = None


def _axis_role(rank: int, axis: int) -> str:
    """NHWC naming of Coral's docs: batch, y, x, z (channels) for 4-D tensors."""
    axis = axis % rank if rank else axis
    if rank == 4:
        return ("batch", "y", "x", "z")[axis]
    return "z" if axis == rank - 1 else "xy"


def _no_fused_activation(c: _Ctx) -> list[str]:
    act = c.option("fusedActivationFunction", 0)
    if not act:
        return []
    return [f"fused activation function ({_ACTIVATIONS.get(act, act)}) is not supported"]


_ACTIVATIONS = {1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


def _same_dilation(c: _Ctx) -> list[str]:
    h, w = c.option("dilationHFactor", 1), c.option("dilationWFactor", 1)
    if c.name == "DEPTHWISE_CONV_2D" and c.runtime <= 12 and (h, w) != (1, 1):
        return ["dilated depthwise kernels need Edge TPU runtime 13+"]
    return [] if h == w else [f"dilation differs in x and y ({w} vs {h})"]


def _fc_default_format(c: _Ctx) -> list[str]:
    out: list[str] = []
    if c.option("weightsFormat", 0) != 0:
        out.append("only the default format is supported for fully-connected weights")
    if c.outputs:
        shape = c.m.shape(c.outputs[0])
        if sum(1 for d in shape if d > 1) > 1:
            out.append(f"output tensor must be one-dimensional, got {list(shape)}")
    return out


def _softmax_1d(c: _Ctx) -> list[str]:
    shape = c.m.shape(c.inputs[0]) if c.inputs else ()
    out = []
    if sum(1 for d in shape if d > 1) > 1:
        out.append(f"input must be 1-D, got {list(shape)}")
    n = int(np.prod(shape)) if shape else 0
    if n > SOFTMAX_MAX_ELEMENTS:
        out.append(f"input has {n:,} elements, more than {SOFTMAX_MAX_ELEMENTS:,}")
    return out


def _reduction(c: _Ctx) -> list[str]:
    """MEAN/SUM/REDUCE_MAX/REDUCE_MIN: which axes are reduced, and what the runtime allows."""
    data, axes_t = c.input(0), c.input(1)
    if data is None or axes_t is None:
        return []
    axes = c.m.values(axes_t)
    if axes is None:
        return ["reduction axes are not a compile-time constant"]
    shape = c.m.shape(data)
    rank = len(shape)
    out = []
    for a in {int(x) % rank for x in np.ravel(axes)} if rank else set():
        if shape[a] == 1:
            continue  # reducing a size-1 axis changes nothing
        role = _axis_role(rank, a)
        if role == "batch":
            out.append("reduction in the batch dimension is not supported")
        elif role == "z":
            if c.name == "MEAN" and c.runtime <= 12:
                out.append("runtime <= 12 supports reduction along x and y only")
            elif c.name in ("MEAN", "SUM") and shape[a] % 4:
                out.append(f"a z-reduction needs a z size that is a multiple of 4 (got {shape[a]})")
    return out


def _pad_xy(c: _Ctx) -> list[str]:
    data, pads_t = c.input(0), c.input(1)
    if data is None or pads_t is None:
        return []
    pads = c.m.values(pads_t)
    if pads is None:
        return ["paddings are not a compile-time constant"]
    rank = len(c.m.shape(data))
    out = []
    for a, (before, after) in enumerate(np.asarray(pads).reshape(-1, 2)):
        if not (before or after):
            continue
        role = _axis_role(rank, a)
        if role == "batch":
            out.append("padding in the batch dimension is not supported")
        elif role == "z" and c.runtime <= 12:
            out.append("runtime <= 12 supports padding along x and y only")
    return out


def _strided_slice(c: _Ctx) -> list[str]:
    out = []
    strides_t = c.input(3)
    strides = c.m.values(strides_t) if strides_t is not None else None
    if strides is None:
        out.append("strides are not a compile-time constant")
    elif np.any(np.asarray(strides) != 1):
        out.append(f"only strides of 1 are supported, got {np.ravel(strides).tolist()}")
    if c.option("ellipsisMask", 0):
        out.append("ellipsis_mask must be 0")
    if c.option("newAxisMask", 0):
        out.append("new_axis_mask must be 0")
    return out


def _concat(c: _Ctx) -> list[str]:
    out = _no_fused_activation(c)
    consts = [i for i in c.inputs if c.m.constant(i)]
    if consts:
        if len(c.inputs) != 2:
            out.append("a constant input is only allowed with exactly 2 inputs")
        for i in consts:
            values = c.m.values(i)
            _, zp = c.m.quant(i)
            if values is None or np.any(values != (zp or 0)):
                out.append("a constant input must be all zeros (a zero-padding)")
    return out


def _pack_not_batch(c: _Ctx) -> list[str]:
    if not c.outputs:
        return []
    rank = len(c.m.shape(c.outputs[0]))
    if rank == 4 and c.option("axis", 0) % rank == 0:
        return ["packing in the batch dimension is not supported"]
    return []


def _split_not_batch(c: _Ctx) -> list[str]:
    axis_t, data = c.input(0), c.input(1)
    if axis_t is None or data is None:
        return []
    axis = c.m.values(axis_t)
    if axis is None:
        return ["split axis is not a compile-time constant"]
    rank = len(c.m.shape(data))
    if rank == 4 and int(np.ravel(axis)[0]) % rank == 0:
        return ["splitting in the batch dimension is not supported"]
    return []


def _transpose(c: _Ctx) -> list[str]:
    perm_t = c.input(1)
    perm = c.m.values(perm_t) if perm_t is not None else None
    if perm is None:
        return ["permutation is not a compile-time constant"]
    perm = np.ravel(perm).tolist()
    if len(perm) == 4 and perm[0] != 0:
        return ["transposing the batch dimension is not supported"]
    return []


def _prelu_alpha(c: _Ctx) -> list[str]:
    alpha = c.input(1)
    if alpha is None:
        return []
    shape = c.m.shape(alpha)
    if sum(1 for d in shape if d > 1) > 1 or (shape and any(d > 1 for d in shape[:-1])):
        return [f"alpha must be 1-dimensional (innermost only), got {list(shape)}; "
                "with Keras PReLU on 4-D input use shared_axes=[1, 2]"]
    return []


def _resize_3d(c: _Ctx) -> list[str]:
    out = []
    for t in (c.input(0), *c.outputs):
        if t is not None and sum(1 for d in c.m.shape(t)[:-3] if d > 1):
            out.append(f"input/output must be 3-dimensional, got {list(c.m.shape(t))}")
    return out


_RESIZE_NOTE = ("depending on input/output size the compiler may keep it on the CPU "
                "to avoid a loss of precision")

# Coral's supported-operations table (coral.ai/docs/edgetpu/models-intro/#supported-operations).
# min_runtime 0 = "All" runtime versions.
SUPPORTED_OPS: dict[str, OpRule] = {
    "ADD": OpRule(0),
    "AVERAGE_POOL_2D": OpRule(0, "No fused activation function.", (_no_fused_activation,)),
    "CONCATENATION": OpRule(0, "No fused activation function. If any input is a compile-time "
                            "constant tensor, there must be only 2 inputs, and this constant "
                            "tensor must be all zeroes (effectively, a zero-padding op).",
                            (_concat,)),
    "CONV_2D": OpRule(0, "Must use the same dilation in x and y dimensions.", (_same_dilation,),
                      param_inputs=(1, 2)),
    "DEPTHWISE_CONV_2D": OpRule(0, "<=12: dilated conv kernels are not supported; 13+: must use "
                                "the same dilation in x and y dimensions.", (_same_dilation,),
                                param_inputs=(1, 2)),
    "EXPAND_DIMS": OpRule(13),
    "FULLY_CONNECTED": OpRule(0, "Only the default format is supported for fully-connected "
                              "weights. Output tensor is one-dimensional.", (_fc_default_format,),
                              param_inputs=(1, 2)),
    "L2_NORMALIZATION": OpRule(0),
    "LOGISTIC": OpRule(0),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": OpRule(14, "Unidirectional LSTM only."),
    "MAXIMUM": OpRule(0),
    "MAX_POOL_2D": OpRule(0, "No fused activation function.", (_no_fused_activation,)),
    "MEAN": OpRule(0, "<=12: reduction along x- and/or y-dimensions only; 13+: no reduction in "
                   "batch dimension, a z-reduction needs a z-dimension that is a multiple of 4.",
                   (_reduction,)),
    "MINIMUM": OpRule(0),
    "MUL": OpRule(0),
    "PACK": OpRule(13, "No packing in batch dimension.", (_pack_not_batch,)),
    "PAD": OpRule(0, "<=12: padding along x- and/or y-dimensions only; 13+: no padding in batch "
                  "dimension.", (_pad_xy,)),
    "PRELU": OpRule(13, "Alpha must be 1-dimensional (only the innermost dimension can be >1 "
                    "size).", (_prelu_alpha,), param_inputs=(1,)),
    "QUANTIZE": OpRule(13),
    "REDUCE_MAX": OpRule(14, "Cannot operate on the batch dimension.", (_reduction,)),
    "REDUCE_MIN": OpRule(14, "Cannot operate on the batch dimension.", (_reduction,)),
    "RELU": OpRule(0),
    "RELU6": OpRule(0),
    "RELU_N1_TO_1": OpRule(0),
    "RESHAPE": OpRule(0, "Certain reshapes might not be mapped for large tensor sizes."),
    "RESIZE_BILINEAR": OpRule(0, "Input/output is a 3-dimensional tensor.", (_resize_3d,),
                              note=_RESIZE_NOTE),
    "RESIZE_NEAREST_NEIGHBOR": OpRule(0, "Input/output is a 3-dimensional tensor.", (_resize_3d,),
                                      note=_RESIZE_NOTE),
    "RSQRT": OpRule(14),
    "SLICE": OpRule(0),
    "SOFTMAX": OpRule(0, "Supports only 1-D input tensor with a max of 16,000 elements.",
                      (_softmax_1d,)),
    "SPACE_TO_DEPTH": OpRule(0),
    "SPLIT": OpRule(0, "No splitting in batch dimension.", (_split_not_batch,)),
    "SQUARED_DIFFERENCE": OpRule(14),
    "SQUEEZE": OpRule(0),
    "STRIDED_SLICE": OpRule(0, "Supports only strides of 1 (effectively a Slice op), with "
                            "ellipsis-axis-mask == 0 and new-axis-mask == 0.", (_strided_slice,)),
    "SUB": OpRule(0),
    "SUM": OpRule(13, "No reduction in batch dimension. If a z-reduction, the z-dimension must "
                  "be multiple of 4.", (_reduction,)),
    "TANH": OpRule(0),
    "TRANSPOSE": OpRule(14, "No transpose of batch dimension.", (_transpose,)),
    "TRANSPOSE_CONV": OpRule(13, param_inputs=(1, 3)),
}

_WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV",
               "UNIDIRECTIONAL_SEQUENCE_LSTM", "BATCH_MATMUL", "CONV_3D")


# ---------------------------------------------------------------------------
# Checking


def _tensor_reasons(c: _Ctx, dynamic_batch: set[int]) -> list[str]:
    """Requirements every tensor of the op must meet: 8-bit, constant size, rank, constant params.

    Tensors are named by role ("input 0", "output 0"); the same finding on several
    tensors gives one reason ("input 0, output 0: FLOAT32, not 8-bit quantized").
    """
    m = c.m
    found: dict[str, list[str]] = {}

    def add(problem: str, role: str) -> None:
        found.setdefault(problem, []).append(role)

    rule = SUPPORTED_OPS.get(c.name)
    param_inputs = rule.param_inputs if rule is not None else ()
    roles = [(f"input {pos}", t, pos) for pos, t in enumerate(_ints(c.op.inputs)) if t >= 0]
    roles += [(f"output {pos}", t, None) for pos, t in enumerate(_ints(c.op.outputs)) if t >= 0]
    for role, t, pos in roles:
        dtype = m.dtype(t)
        if m.constant(t):
            if dtype not in CONST_OK:
                add(f"constant {dtype}, not 8-bit quantized", role)
            continue
        if pos is not None and pos in param_inputs:
            add("a parameter (weights/bias) that is not a compile-time constant", role)
        if dtype not in EIGHT_BIT:
            add(f"{dtype}, not 8-bit (uint8/int8) quantized", role)
        elif m.quant(t)[0] is None:
            add(f"{dtype} without quantization parameters", role)
        sig = m.signature(t)
        if sig is not None and any(d < 0 for d in sig):
            if [i for i, d in enumerate(sig) if d < 0] == [0] and len(sig) > 1 \
                    and m.shape(t)[:1] == (1,):
                dynamic_batch.add(t)  # batch left open by the converter; the static shape says 1
            else:
                add(f"dynamic size {list(sig)}; tensor sizes must be constant", role)
        shape = m.shape(t)
        if len(shape) > 3 and any(d > 1 for d in shape[:-3]):
            add(f"shape {list(shape)}; only the 3 innermost dimensions may be larger than 1", role)
    return [f"{', '.join(dict.fromkeys(r))}: {problem}" for problem, r in found.items()]


def _classify(m: _Model, names: list[str]) -> str:
    """full-integer, float, float16, dynamic-range, full-integer-float-io, or mixed."""
    g = m.graph
    operators = g.operators or []
    activations = {t for op in operators for t in [*_ints(op.inputs), *_ints(op.outputs)]
                   if t >= 0 and not m.constant(t)}
    float_acts = {t for t in activations if m.dtype(t) in ("FLOAT32", "FLOAT16")}
    int8_acts = {t for t in activations if m.dtype(t) in EIGHT_BIT}
    weights = [_ints(op.inputs)[1] for op, n in zip(operators, names, strict=True)
               if n in _WEIGHT_OPS and len(_ints(op.inputs)) > 1 and _ints(op.inputs)[1] >= 0]
    weight_types = {m.dtype(w) for w in weights if m.constant(w)}
    if not float_acts:
        return "full-integer"
    dequantized = {m.dtype(_ints(op.inputs)[0]) for op, n in zip(operators, names, strict=True)
                   if n == "DEQUANTIZE" and _ints(op.inputs)}
    if "FLOAT16" in dequantized:
        return "float16"
    if not int8_acts:
        return "dynamic-range" if weight_types & set(EIGHT_BIT) else "float"
    graph_io = set(_ints(g.inputs)) | set(_ints(g.outputs))
    if float_acts <= graph_io:
        return "full-integer-float-io"
    return "mixed"


def check_model(model_bytes: bytes, *, min_runtime_version: int | None = None) -> CheckReport:
    """Check a .tflite model against the Edge TPU requirements and predict the op mapping.

    Raises :class:`~effkit.errors.ModelFileError` if the bytes are not a readable
    TFLite model. ``min_runtime_version`` is the ``-m`` the model will be compiled
    with (``None``: :data:`DEFAULT_MIN_RUNTIME_VERSION`); ops that need a newer Edge
    TPU runtime are predicted on the CPU.
    """
    if min_runtime_version is None:
        min_runtime_version = DEFAULT_MIN_RUNTIME_VERSION
    m = _load(bytes(model_bytes))
    op_names = _op_names()
    g = m.graph
    names: list[str] = []
    for op in g.operators or []:
        code = m.model.operatorCodes[op.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        name = op_names.get(builtin, f"BUILTIN_{builtin}")
        if name == "CUSTOM":
            custom = code.customCode
            custom = custom.decode("utf-8", "replace") if isinstance(custom, bytes) else str(custom)
            name = f"CUSTOM:{custom}" if custom != EDGETPU_CUSTOM_OP else EDGETPU_CUSTOM_OP
        names.append(name)

    quantization = _classify(m, names)
    problems: list[str] = []
    warnings: list[str] = []
    if quantization == "float":
        problems.append("the model is not quantized (float32 weights and activations); "
                        "the Edge TPU needs full-integer int8 quantization")
    elif quantization == "float16":
        problems.append("the model is float16-quantized; the Edge TPU needs full-integer int8")
    elif quantization == "dynamic-range":
        problems.append("the model uses dynamic-range quantization (int8 weights, float "
                        "activations); the Edge TPU needs full-integer quantization with a "
                        "representative dataset")
    elif quantization == "mixed":
        problems.append("some activations inside the graph are float; the ops around them "
                        "run on the CPU")
    if len(m.model.subgraphs) > 1:
        warnings.append(f"the model has {len(m.model.subgraphs)} subgraphs (control flow); "
                        "only the main subgraph is checked")
    already = EDGETPU_CUSTOM_OP in names
    if already:
        warnings.append("the model is already compiled for the Edge TPU")

    dynamic_batch: set[int] = set()
    checked: list[tuple[str, int, list[str], str | None]] = []
    for op, name in zip(g.operators or [], names, strict=True):
        version = int(m.model.operatorCodes[op.opcodeIndex].version)
        ctx = _Ctx(m=m, op=op, name=name, runtime=min_runtime_version)
        if name == EDGETPU_CUSTOM_OP:
            checked.append((name, version, [], "already compiled for the Edge TPU"))
            continue
        rule = SUPPORTED_OPS.get(name)
        reasons: list[str] = []
        note = None
        if rule is None:
            if name.startswith("CUSTOM:"):
                reasons.append(f"custom op {name[7:]} is not supported by the Edge TPU")
            else:
                reasons.append(f"{name} is not in the Edge TPU's supported operations")
        else:
            if rule.min_runtime > min_runtime_version:
                reasons.append(f"{name} needs Edge TPU runtime {rule.min_runtime}+ "
                               f"(checked for runtime {min_runtime_version}; compile with "
                               f"--min-runtime {rule.min_runtime} if your devices have it)")
            for check in rule.checks:
                reasons.extend(check(ctx))
            note = rule.note
        reasons.extend(_tensor_reasons(ctx, dynamic_batch))
        checked.append((name, version, list(dict.fromkeys(reasons)), note))

    if dynamic_batch:
        warnings.append("the batch dimension is left dynamic (-1) in the shape signature; "
                        "the compiler uses the static batch size 1")

    ops: list[OpCheck] = []
    split_at: int | None = None
    seen_supported = False
    for index, ((name, version, reasons, note), op) in enumerate(
            zip(checked, g.operators or [], strict=True)):
        supported = not reasons
        if supported and split_at is None:
            predicted = TPU
            seen_supported = True
        elif supported:
            predicted = CPU
            note = f"after the graph split at op #{split_at} {checked[split_at][0]}"
        else:
            predicted = CPU
            if seen_supported and split_at is None:
                split_at = index
        outs = [t for t in _ints(op.outputs) if t >= 0]
        ops.append(OpCheck(index=index, op=name, version=version, supported=supported,
                           predicted=predicted, reasons=tuple(reasons), note=note,
                           output_shape=m.shape(outs[0]) if outs else (),
                           output_dtype=m.dtype(outs[0]) if outs else ""))
    if not ops:
        problems.append("the model has no operators")

    return CheckReport(
        ops=tuple(ops),
        quantization=quantization,
        min_runtime_version=min_runtime_version,
        inputs=tuple(m.info(t) for t in _ints(g.inputs)),
        outputs=tuple(m.info(t) for t in _ints(g.outputs)),
        problems=tuple(problems),
        warnings=tuple(warnings),
        subgraphs=len(m.model.subgraphs),
        already_compiled=already,
    )


def check_model_file(path: str | os.PathLike[str], *,
                     min_runtime_version: int | None = None) -> CheckReport:
    """Read ``path`` and :func:`check_model` it (ModelFileError if missing or unreadable)."""
    p = Path(path)
    if not p.is_file():
        raise ModelFileError(f"model file {p} does not exist", "pass the path of a .tflite file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ModelFileError(f"cannot read {p}: {exc.strerror}",
                             "check the file's permissions") from None
    return check_model(data, min_runtime_version=min_runtime_version)

