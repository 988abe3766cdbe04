"""Coral's Edge TPU requirements as data: the supported-operations table and its limits.

Source: https://coral.ai/docs/edgetpu/models-intro/ ("Model requirements" and
"Supported operations"). Each row of :data:`SUPPORTED_OPS` is the runtime version the
op needs, the "Known limitations" text, and the checks that test those limitations on
one op; :func:`tensor_reasons` holds the requirements every tensor must meet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from effkit.edgetpu.graph import Graph, ints

EIGHT_BIT = ("UINT8", "INT8")
CONST_OK = ("UINT8", "INT8", "INT32")  # int32: biases and op parameters
SOFTMAX_MAX_ELEMENTS = 16_000


@dataclass
class OpContext:
    m: Graph
    op: Any
    name: str
    runtime: int

    @property
    def inputs(self) -> list[int]:
        return [i for i in ints(self.op.inputs) if i >= 0]

    @property
    def outputs(self) -> list[int]:
        return [i for i in ints(self.op.outputs) if i >= 0]

    def input(self, k: int) -> int | None:
        raw = ints(self.op.inputs)
        return raw[k] if k < len(raw) and raw[k] >= 0 else None

    @property
    def options(self) -> Any:
        return self.op.builtinOptions

    def option(self, name: str, default: Any = 0) -> Any:
        return getattr(self.options, name, default) if self.options is not None else default


Check = Callable[[OpContext], list[str]]


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


def _no_fused_activation(c: OpContext) -> list[str]:
    act = c.option("fusedActivationFunction", 0)
    if not act:
        return []
    return [f"fused activation function ({_ACTIVATIONS.get(act, act)}) is not supported"]


_ACTIVATIONS = {1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


def _same_dilation(c: OpContext) -> list[str]:
    h, w = c.option("dilationHFactor", 1), c.option("dilationWFactor", 1)
    if c.name == "DEPTHWISE_CONV_2D" and c.runtime <= 12 and (h, w) != (1, 1):
        return ["dilated depthwise kernels need Edge TPU runtime 13+"]
    return [] if h == w else [f"dilation differs in x and y ({w} vs {h})"]


def _fc_default_format(c: OpContext) -> list[str]:
    out: list[str] = []
    if c.option("weightsFormat", 0) != 0:
        out.append("only the default format is supported for fully-connected weights")
    if c.outputs:
        shape = c.m.shape(c.outputs[0])
        if sum(1 for d in shape if d > 1) > 1:
            out.append(f"output tensor must be one-dimensional, got {list(shape)}")
    return out


def _softmax_1d(c: OpContext) -> list[str]:
    shape = c.m.shape(c.inputs[0]) if c.inputs else ()
    out = []
    if sum(1 for d in shape if d > 1) > 1:
        out.append(f"input must be 1-D, got {list(shape)}")
    n = int(np.prod(shape)) if shape else 0
    if n > SOFTMAX_MAX_ELEMENTS:
        out.append(f"input has {n:,} elements, more than {SOFTMAX_MAX_ELEMENTS:,}")
    return out


def _data_and_param(c: OpContext, what: str) -> tuple[int, Any] | str | None:
    """Input 0 and the values of constant input 1 (axes, paddings); a reason if not constant."""
    data, param = c.input(0), c.input(1)
    if data is None or param is None:
        return None
    values = c.m.values(param)
    return f"{what} are not a compile-time constant" if values is None else (data, values)


def _reduction(c: OpContext) -> list[str]:
    """MEAN/SUM/REDUCE_MAX/REDUCE_MIN: which axes are reduced, and what the runtime allows."""
    found = _data_and_param(c, "reduction axes")
    if not isinstance(found, tuple):
        return [found] if found else []
    data, axes = found
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


def _pad_xy(c: OpContext) -> list[str]:
    found = _data_and_param(c, "paddings")
    if not isinstance(found, tuple):
        return [found] if found else []
    data, pads = found
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


def _strided_slice(c: OpContext) -> list[str]:
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


def _concat(c: OpContext) -> list[str]:
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


def _pack_not_batch(c: OpContext) -> list[str]:
    if not c.outputs:
        return []
    rank = len(c.m.shape(c.outputs[0]))
    if rank == 4 and c.option("axis", 0) % rank == 0:
        return ["packing in the batch dimension is not supported"]
    return []


def _split_not_batch(c: OpContext) -> list[str]:
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


def _transpose(c: OpContext) -> list[str]:
    perm_t = c.input(1)
    perm = c.m.values(perm_t) if perm_t is not None else None
    if perm is None:
        return ["permutation is not a compile-time constant"]
    perm = np.ravel(perm).tolist()
    if len(perm) == 4 and perm[0] != 0:
        return ["transposing the batch dimension is not supported"]
    return []


def _prelu_alpha(c: OpContext) -> list[str]:
    alpha = c.input(1)
    if alpha is None:
        return []
    shape = c.m.shape(alpha)
    if sum(1 for d in shape if d > 1) > 1 or (shape and any(d > 1 for d in shape[:-1])):
        return [f"alpha must be 1-dimensional (innermost only), got {list(shape)}; "
                "with Keras PReLU on 4-D input use shared_axes=[1, 2]"]
    return []


def _resize_3d(c: OpContext) -> list[str]:
    out = []
    for t in (c.input(0), *c.outputs):
        if t is not None and any(d > 1 for d in c.m.shape(t)[:-3]):
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
    # 13: google-coral/edgetpu CHANGES.md, "Edge TPU runtime v13 and compiler 2.0.291256449
    # (January 2020): Added support for ops: ExpandDims, Pack, Quantize, Sum, and TransposeConv".
    # Yet the real log 14 shows compiler 2.0.267685300 ("Still compatible with Edge TPU runtime
    # v12", same file) mapping 4 QUANTIZE ops (a model converted with uint8 input and output,
    # guichristmann/edge-tpu-tiny-yolo keras_to_tflite_quant.py). Kept at 13: the two disagree
    # and the model behind the log could not be read, so which QUANTIZE runtime 12 runs is unknown.
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

WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV",
               "UNIDIRECTIONAL_SEQUENCE_LSTM", "BATCH_MATMUL", "CONV_3D")



def tensor_reasons(c: OpContext, dynamic_batch: set[int]) -> list[str]:
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
    roles: list[tuple[str, int, int | None]] = [
        (f"input {pos}", t, pos) for pos, t in enumerate(ints(c.op.inputs)) if t >= 0]
    roles += [(f"output {pos}", t, None) for pos, t in enumerate(ints(c.op.outputs)) if t >= 0]
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

