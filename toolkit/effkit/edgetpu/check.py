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
from dataclasses import dataclass
from typing import Any

from effkit.edgetpu import opversions
from effkit.edgetpu.graph import EDGETPU_CUSTOM_OP, Graph, TensorInfo, ints, load_graph
from effkit.edgetpu.memory import ParameterMemory
from effkit.edgetpu.memory import estimate as estimate_memory
from effkit.edgetpu.rules import EIGHT_BIT, SUPPORTED_OPS, WEIGHT_OPS, OpContext, OpRule, tensor_reasons

__all__ = ["DEFAULT_MIN_RUNTIME_VERSION", "SUPPORTED_OPS", "CheckReport", "OpCheck", "OpRule",
           "TensorInfo", "check_model", "check_model_file"]

DEFAULT_MIN_RUNTIME_VERSION = 13
"""Edge TPU runtime version assumed when none is given; see ``effkit.edgetpu.compiler``."""
NEWEST_RUNTIME_VERSION = 14  # libedgetpu 16.0, compiler 16.0 (the last releases)
OLDEST_RUNTIME_VERSION = 10  # the first runtime the compiler's -m names


def check_min_runtime(value: int | None) -> int:
    """``value`` (None: the default) when it is an Edge TPU runtime version ``-m`` can
    target, else a one-line UsageError: the one check of ``--min-runtime``."""
    from effkit.errors import check_whole

    if value is None:
        return DEFAULT_MIN_RUNTIME_VERSION
    return check_whole(value, "--min-runtime", low=OLDEST_RUNTIME_VERSION,
                       high=NEWEST_RUNTIME_VERSION, example=DEFAULT_MIN_RUNTIME_VERSION,
                       why=" (the newest Edge TPU runtime, libedgetpu 16.0)")

TPU = "tpu"
CPU = "cpu"
LEFT_ON_CPU = f"left on the CPU by edgetpu_compiler (outside its {EDGETPU_CUSTOM_OP})"


# ---------------------------------------------------------------------------
# Reports


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
    refused_ops: tuple[str, ...] = ()  # op versions for which the compiler refuses the model
    memory: ParameterMemory | None = None  # estimated parameter memory of the Edge TPU part
    compiler_version: str = opversions.LATEST_COMPILER  # whose op-version limits were applied

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
        if self.already_compiled:
            return (f"{self.ops_tpu} of {self.ops_total} ops on the Edge TPU: the model is "
                    f"already compiled ({EDGETPU_CUSTOM_OP}); edgetpu_compiler left "
                    f"{self.ops_cpu} op{'s' if self.ops_cpu != 1 else ''} on the CPU")
        text = f"{self.ops_tpu} of {self.ops_total} ops predicted on the Edge TPU"
        segment, first = self.tpu_segment, self.first_unsupported
        if segment is not None and segment[0] > 0 and first is not None and first.index < segment[0]:
            text += (f"; op #0 {first.op} before it runs on the CPU" if segment[0] == 1 else
                     f"; ops #0-{segment[0] - 1} before it ({first.op} first) run on the CPU")
        if self.split is not None:
            text += (f"; the graph splits at op #{self.split.index} {self.split.op}: it and "
                     "every op after it run on the CPU")
        elif self.refused_ops:
            text += ("; edgetpu_compiler refuses the whole model for op versions newer than "
                     f"it knows: {', '.join(self.refused_ops)}")
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
            # the Edge TPU runtime (libedgetpu) version checked for: the compiler's -m; not
            # TFLite's own "min_runtime_version" metadata entry (inspect's tflite_min_runtime)
            "edgetpu_min_runtime_version": self.min_runtime_version,
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
            "refused_ops": list(self.refused_ops),
            "compiler_version": self.compiler_version,
            "on_chip_bytes": self.memory.on_chip_bytes if self.memory else None,
            "off_chip_bytes": self.memory.off_chip_bytes if self.memory else None,
            "parameter_memory": self.memory.to_dict() if self.memory else None,
            "inputs": [t.to_dict() for t in self.inputs],
            "outputs": [t.to_dict() for t in self.outputs],
            "ops": [o.to_dict() for o in self.ops],
        }


def _classify(m: Graph, names: list[str]) -> str:
    """full-integer, int16-activations, float, float16, dynamic-range, full-integer-float-io,
    or mixed."""
    g = m.graph
    operators = g.operators or []
    activations = {t for op in operators for t in [*ints(op.inputs), *ints(op.outputs)]
                   if t >= 0 and not m.constant(t)}
    float_acts = {t for t in activations if m.dtype(t) in ("FLOAT32", "FLOAT16")}
    int8_acts = {t for t in activations if m.dtype(t) in EIGHT_BIT}
    weights = [ints(op.inputs)[1] for op, n in zip(operators, names, strict=True)
               if n in WEIGHT_OPS and len(ints(op.inputs)) > 1 and ints(op.inputs)[1] >= 0]
    weight_types = {m.dtype(w) for w in weights if m.constant(w)}
    if not int8_acts and any(m.dtype(t) == "INT16" for t in activations):
        return "int16-activations"  # 16x8 quantization, with float or int16 input and output
    if not float_acts:
        return "full-integer"
    dequantized = {m.dtype(ints(op.inputs)[0]) for op, n in zip(operators, names, strict=True)
                   if n == "DEQUANTIZE" and ints(op.inputs)}
    if "FLOAT16" in dequantized:
        return "float16"
    if not int8_acts:
        return "dynamic-range" if weight_types & set(EIGHT_BIT) else "float"
    graph_io = set(ints(g.inputs)) | set(ints(g.outputs))
    if float_acts <= graph_io:
        return "full-integer-float-io"
    return "mixed"


def check_model(model_bytes: bytes, *, min_runtime_version: int | None = None,
                compiler_version: str | None = None) -> CheckReport:
    """Check a .tflite model against the Edge TPU requirements and predict the op mapping.

    Raises :class:`~effkit.errors.ModelFileError` if the bytes are not a readable
    TFLite model. ``min_runtime_version`` is the ``-m`` the model will be compiled
    with (``None``: :data:`DEFAULT_MIN_RUNTIME_VERSION`); ops that need a newer Edge
    TPU runtime are predicted on the CPU. ``compiler_version`` (default: the last
    release, 16.0) decides which op versions are too new (:mod:`effkit.edgetpu.opversions`).
    """
    warnings: list[str] = []
    min_runtime_version = check_min_runtime(min_runtime_version)
    newest = opversions.newest_runtime(compiler_version) if compiler_version is not None else None
    if newest is not None and min_runtime_version > newest:
        # Not checked for its runtime by itself: real log 14 shows 2.0.267685300 mapping
        # QUANTIZE, a runtime 13 op (see rules.py), so what it maps for runtime 12 is unsettled.
        warnings.append(
            f"edgetpu_compiler {compiler_version} compiles for Edge TPU runtime {newest} at most "
            f"(runtime {newest + 1} came with compiler "
            f"{opversions.FIRST_COMPILER_FOR_RUNTIME[newest + 1]}): the ops are checked for runtime "
            f"{min_runtime_version} (pass --min-runtime {newest} to check for the runtime it "
            "compiles for)")

    def newer_compiler(runtime: int) -> str:
        """What else than --min-runtime an op of ``runtime`` needs with this compiler."""
        if newest is None or runtime <= newest:
            return ""
        return f" and edgetpu_compiler {opversions.FIRST_COMPILER_FOR_RUNTIME[runtime]} or newer"
    m = load_graph(bytes(model_bytes))
    g = m.graph
    codes = [m.op_code(op) for op in g.operators or []]
    names = [name for name, _ in codes]

    quantization = _classify(m, names)
    problems: list[str] = []
    if compiler_version is not None and opversions.newer_than_known(compiler_version):
        warnings.append(f"edgetpu_compiler {compiler_version} is newer than the last release "
                        f"effkit knows ({opversions.LATEST_COMPILER}): no op-version limits are "
                        "known for it, so none are checked")
    if quantization == "float":
        problems.append("the model is not quantized (float32 weights and activations); "
                        "the Edge TPU needs full-integer int8 quantization")
    elif quantization == "float16":
        problems.append("the model is float16-quantized; the Edge TPU needs full-integer int8")
    elif quantization == "dynamic-range":
        problems.append("the model uses dynamic-range quantization (int8 weights, float "
                        "activations); the Edge TPU needs full-integer quantization with a "
                        "representative dataset")
    elif quantization == "int16-activations":
        problems.append("the model has int16 activations (16x8 quantization, "
                        "EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8); the Edge "
                        "TPU needs int8 activations: convert with full-integer int8 quantization "
                        "(supported_ops TFLITE_BUILTINS_INT8, a representative dataset)")
    elif quantization == "mixed":
        problems.append("some activations inside the graph are float; the ops around them "
                        "run on the CPU")
    if len(m.model.subgraphs) > 1:
        warnings.append(f"the model has {len(m.model.subgraphs)} subgraphs (control flow); "
                        "only the main subgraph is checked")
    already = EDGETPU_CUSTOM_OP in names
    if already:
        warnings.append("the model is already compiled for the Edge TPU: the ops outside its "
                        f"{EDGETPU_CUSTOM_OP} are the ones edgetpu_compiler left on the CPU; "
                        "check the model you compiled it from to see why")

    dynamic_batch: set[int] = set()
    checked: list[tuple[str, int, list[str], str | None]] = []
    refused: list[str] = []
    for op, (name, version) in zip(g.operators or [], codes, strict=True):
        ctx = OpContext(m=m, op=op, name=name, runtime=min_runtime_version)
        if name == EDGETPU_CUSTOM_OP:
            checked.append((name, version, [], "compiled for the Edge TPU by edgetpu_compiler"))
            continue
        rule = SUPPORTED_OPS.get(name)
        reasons: list[str] = []
        note = None
        too_new = opversions.refusal(name, version, compiler_version)
        if too_new is not None:
            reasons.append(opversions.describe(too_new, version, compiler_version))
            refused.append(f"{name} v{version}")
        if rule is None:
            if name.startswith("CUSTOM:"):
                reasons.append(f"custom op {name[7:]} is not supported by the Edge TPU")
            else:
                reasons.append(f"{name} is not in the Edge TPU's supported operations")
        else:
            if rule.min_runtime > min_runtime_version:
                reasons.append(f"{name} needs Edge TPU runtime {rule.min_runtime}+ "
                               f"(checked for runtime {min_runtime_version}; compile with "
                               f"--min-runtime {rule.min_runtime}{newer_compiler(rule.min_runtime)} if your "
                               "devices have it)")
            for check in rule.checks:
                reasons.extend(check(ctx))
            note = rule.note
        reasons.extend(tensor_reasons(ctx, dynamic_batch))
        checked.append((name, version, list(dict.fromkeys(reasons)), note))

    refused = list(dict.fromkeys(refused))
    whole_refusal = (f"edgetpu_compiler {(compiler_version or opversions.LATEST_COMPILER)} "
                     f"refuses the whole model (\"Model could not be parsed\") for op versions "
                     f"newer than it knows: {', '.join(refused)}") if refused else None
    if whole_refusal:
        problems.append(whole_refusal)
    if dynamic_batch:
        warnings.append("the batch dimension is left dynamic (-1) in the shape signature; "
                        "the compiler uses the static batch size 1")
    for t in ints(g.inputs):  # a size set at run time: the static shape holds 1 there
        sig = m.signature(t)
        if sig is not None and any(d < 0 for d in sig[1:]):
            problems.append(f"input {m.name(t)!r} has a dynamic size {list(sig)}: the Edge TPU "
                            "needs every size fixed at compile time; convert the model with a "
                            "fixed input size, e.g. [1, 224, 224, 3]")

    ops: list[OpCheck] = []
    split_at: int | None = None
    seen_supported = False
    for index, ((name, version, reasons, note), op) in enumerate(
            zip(checked, g.operators or [], strict=True)):
        supported = not reasons
        if already:  # the compiler has decided: its custom op on the TPU, the rest on the CPU
            predicted = TPU if name == EDGETPU_CUSTOM_OP else CPU
            if predicted == CPU:
                note = LEFT_ON_CPU
        elif whole_refusal:  # nothing is compiled, so nothing maps and nothing splits
            predicted = CPU
            note = None if reasons else f"the compiler refuses the whole model ({', '.join(refused)})"
        elif not supported:
            predicted = CPU
            if seen_supported and split_at is None:
                split_at = index
        elif split_at is None:
            predicted = TPU
            seen_supported = True
        else:
            predicted = CPU
            note = f"after the graph split at op #{split_at} {checked[split_at][0]}"
        outs = [t for t in ints(op.outputs) if t >= 0]
        ops.append(OpCheck(index=index, op=name, version=version, supported=supported,
                           predicted=predicted, reasons=tuple(reasons), note=note,
                           output_shape=m.shape(outs[0]) if outs else (),
                           output_dtype=m.dtype(outs[0]) if outs else ""))
    if not ops:
        problems.append("the model has no operators")
    memory = None  # a compiled model's parameters are inside its custom op: its log has them
    if not already:
        memory = _parameter_memory(m, [op for op, c in zip(g.operators or [], ops, strict=True)
                                       if c.on_tpu])
        memory_warning = memory.warning()
        if memory_warning:
            warnings.append(memory_warning)

    return CheckReport(
        ops=tuple(ops),
        quantization=quantization,
        min_runtime_version=min_runtime_version,
        inputs=tuple(m.info(t) for t in ints(g.inputs)),
        outputs=tuple(m.info(t) for t in ints(g.outputs)),
        problems=tuple(problems),
        warnings=tuple(warnings),
        subgraphs=len(m.model.subgraphs),
        already_compiled=already,
        refused_ops=tuple(refused),
        memory=memory,
        compiler_version=compiler_version or opversions.LATEST_COMPILER,
    )


def _parameter_memory(m: Graph, tpu_ops: list[Any]) -> ParameterMemory:
    """Constant inputs of the ops predicted on the Edge TPU (each tensor counted once)."""
    consts = {t for op in tpu_ops for t in ints(op.inputs) if t >= 0 and m.constant(t)}
    return estimate_memory(len(m.data(t) or b"") for t in consts)


def check_model_file(path: str | os.PathLike[str], *, min_runtime_version: int | None = None,
                     compiler_version: str | None = None) -> CheckReport:
    """Read ``path`` and :func:`check_model` it (ModelFileError if missing or unreadable)."""
    from effkit.errors import naming_file
    from effkit.metadata.model_file import load_model_file

    with naming_file(path):
        return check_model(load_model_file(path), min_runtime_version=min_runtime_version,
                           compiler_version=compiler_version)

