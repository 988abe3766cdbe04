"""Parse what ``edgetpu_compiler`` prints into frozen reports.

Two inputs are understood:

* the console log (stdout of ``edgetpu_compiler [-s] ...``): version, compile time,
  one block per compiled model (sizes, parameter memory, subgraphs, op counts, and
  with ``-s`` the operator table), delegate-search tries (``-d``), segments
  (``-n``), and failures (``Invalid model``/``Model not quantized``, ``Internal
  compiler error``, ``Compilation failed: ...``, ``ERROR: ...`` lines);
* the operation log (``<stem>_edgetpu.log``): version, input/output names and the
  operator table.

The parser reads line by line with ``str`` methods only (no backtracking
regular expressions), so a 1 MB delegate-search log with 3,000-character lines
costs one pass. It never raises on unknown text: truncated logs give ``None``
for what they do not show.

Formats were learned from real logs of compiler 2.0 to 16.0 (see
``../shared/data/edgetpu-logs/SOURCES.md`` in the development tree).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

STATUS_MAPPED = "Mapped to Edge TPU"

# Failure kinds, with the fix a user can try. Keys are stable (used in JSON).
FAILURE_HINTS: dict[str, str] = {
    "not-quantized": "convert with full-integer quantization (int8 weights and activations, "
    "a representative dataset); `effkit check-edgetpu` shows which tensors are float",
    "invalid-model": "check that the file is a TensorFlow Lite model the TFLite interpreter loads",
    "internal-compiler-error": "the compiler crashed on this graph; run `effkit check-edgetpu` "
    "and remove or replace the ops it reports, or try --search-delegate",
    "tflite-interpreter": "the compiler's TFLite interpreter could not load the model "
    "(custom ops, dynamic shapes, or op versions newer than the compiler); "
    "see the ERROR lines",
    "large-activation-tensors": "reduce the input resolution, or split the model with "
    "--num-segments",
    "delegate-search-failed": "no part of the graph compiled; run `effkit check-edgetpu` "
    "to find unsupported ops",
    "timeout": "raise --timeout, or split the model with --num-segments",
    "compilation-failed": "see the compiler's message",
}

_SIZE_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4}
# Anchored, no nested quantifiers; applied only to short values (a model path).
_SEGMENT_RE = re.compile(r"_segment_([0-9]+)_of_([0-9]+)")


@dataclass(frozen=True)
class OperatorRow:
    """One row of the operator table: ``operator``, ``count``, ``status`` as printed."""

    operator: str
    count: int
    status: str

    @property
    def mapped(self) -> bool:
        return self.status == STATUS_MAPPED

    def to_dict(self) -> dict[str, Any]:
        return {"operator": self.operator, "count": self.count, "status": self.status,
                "mapped": self.mapped}


@dataclass(frozen=True)
class ModelLog:
    """What the log says about one compiled model (co-compiled runs and segments print several).

    Sizes are in bytes as printed by the compiler (two decimals of KiB/MiB, so
    approximate). ``ops_tpu``/``ops_cpu`` are ``None`` when the log does not tell
    (a truncated excerpt); when the compiler prints no "not all operations"
    paragraph, every op is mapped and ``ops_cpu`` is 0.
    """

    input_model: str | None = None
    output_model: str | None = None
    input_size_bytes: int | None = None
    output_size_bytes: int | None = None
    on_chip_used_bytes: int | None = None
    on_chip_remaining_bytes: int | None = None
    on_chip_available_bytes: int | None = None  # compiler 2.0 prints "available"
    off_chip_used_bytes: int | None = None
    subgraphs: int | None = None
    ops_total: int | None = None
    ops_tpu: int | None = None
    ops_cpu: int | None = None
    operation_log: str | None = None
    operators: tuple[OperatorRow, ...] = ()

    @property
    def segment(self) -> tuple[int, int] | None:
        """``(index, count)`` for a ``--num_segments`` part (``*_segment_0_of_2*``)."""
        for name in (self.input_model, self.output_model):
            if name:
                m = _SEGMENT_RE.search(os.path.basename(name))
                if m:
                    return int(m.group(1)), int(m.group(2))
        return None

    @property
    def all_mapped(self) -> bool | None:
        if self.ops_cpu is not None:
            return self.ops_cpu == 0
        if self.operators:
            return all(r.mapped for r in self.operators)
        return None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["operators"] = [r.to_dict() for r in self.operators]
        out["segment"] = list(self.segment) if self.segment else None
        out["all_mapped"] = self.all_mapped
        return out


@dataclass(frozen=True)
class DelegateSearch:
    """``-d/--search_delegate``: the step and the op counts of each segment tried, in order."""

    step: int | None
    tries: tuple[int, ...]
    succeeded: bool

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "tries": len(self.tries),
                "first_try_ops": self.tries[0] if self.tries else None,
                "last_try_ops": self.tries[-1] if self.tries else None,
                "succeeded": self.succeeded}


@dataclass(frozen=True)
class CompilerLog:
    """A parsed console log or operation log.

    ``status`` is ``"succeeded"``, ``"failed"`` or ``"unknown"`` (an operation log,
    or an excerpt that stops before any outcome). For a failure, ``failure_kind``
    is one of :data:`FAILURE_HINTS`' keys and ``failure_reason`` the compiler's
    own words; ``errors`` holds its ``ERROR:`` lines.
    """

    source: str  # "console" or "operation-log"
    compiler_version: str | None = None
    status: str = "unknown"
    failure_kind: str | None = None
    failure_reason: str | None = None
    errors: tuple[str, ...] = ()
    compile_time_ms: int | None = None
    timeout_s: int | None = None
    command: str | None = None
    models: tuple[ModelLog, ...] = ()
    delegate_search: DelegateSearch | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def version_tuple(self) -> tuple[int, ...] | None:
        return parse_version(self.compiler_version) if self.compiler_version else None

    @property
    def co_compiled(self) -> bool:
        """Several models compiled together (not segments of one model)."""
        return len([m for m in self.models if m.segment is None]) > 1

    @property
    def segments(self) -> tuple[ModelLog, ...]:
        return tuple(m for m in self.models if m.segment is not None)

    @property
    def failure_hint(self) -> str | None:
        return FAILURE_HINTS.get(self.failure_kind) if self.failure_kind else None

    def _sum(self, name: str) -> int | None:
        values = [getattr(m, name) for m in self.models]
        if not values or any(v is None for v in values):
            return None
        return sum(values)

    @property
    def ops_total(self) -> int | None:
        return self._sum("ops_total")

    @property
    def ops_tpu(self) -> int | None:
        return self._sum("ops_tpu")

    @property
    def ops_cpu(self) -> int | None:
        return self._sum("ops_cpu")

    @property
    def tpu_fraction(self) -> float | None:
        """Share of ops on the Edge TPU, ``None`` when the log does not give both counts."""
        total, tpu = self.ops_total, self.ops_tpu
        return tpu / total if total and tpu is not None else None

    @property
    def subgraphs(self) -> int | None:
        return self._sum("subgraphs")

    @property
    def on_chip_used_bytes(self) -> int | None:
        return self._sum("on_chip_used_bytes")

    @property
    def off_chip_used_bytes(self) -> int | None:
        return self._sum("off_chip_used_bytes")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "compiler_version": self.compiler_version,
            "status": self.status,
            "failure_kind": self.failure_kind,
            "failure_reason": self.failure_reason,
            "failure_hint": self.failure_hint,
            "errors": list(self.errors),
            "compile_time_ms": self.compile_time_ms,
            "timeout_s": self.timeout_s,
            "command": self.command,
            "ops_total": self.ops_total,
            "ops_tpu": self.ops_tpu,
            "ops_cpu": self.ops_cpu,
            "tpu_fraction": self.tpu_fraction,
            "subgraphs": self.subgraphs,
            "on_chip_used_bytes": self.on_chip_used_bytes,
            "off_chip_used_bytes": self.off_chip_used_bytes,
            "co_compiled": self.co_compiled,
            "models": [m.to_dict() for m in self.models],
            "delegate_search": self.delegate_search.to_dict() if self.delegate_search else None,
        }


def parse_version(text: str) -> tuple[int, ...] | None:
    """``"16.0.384591198"`` -> ``(16, 0, 384591198)``; ``None`` if it is not a version."""
    parts = text.strip().split(".")
    if not parts or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def parse_size(text: str) -> int | None:
    """``"7.37MiB"`` -> 7727738 bytes (the compiler prints two decimals); ``None`` if unreadable."""
    value = text.strip()
    for unit in sorted(_SIZE_UNITS, key=len, reverse=True):
        if value.endswith(unit):
            number = value[: -len(unit)].strip()
            try:
                return round(float(number) * _SIZE_UNITS[unit])
            except ValueError:
                return None
    return None


def _int_after(line: str, prefix: str) -> int | None:
    rest = line[len(prefix):].strip().rstrip(".").split()
    return int(rest[0]) if rest and rest[0].isdigit() else None


def _table_row(line: str) -> OperatorRow | None:
    parts = line.split(None, 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    name = parts[0]
    if not (name[0].isalpha() and name.replace("_", "").replace("-", "").isalnum()):
        return None
    return OperatorRow(operator=name, count=int(parts[1]), status=parts[2].strip())


def _count(value: str) -> int | None:
    return int(value) if value.isdigit() else None


_MEM = "memory {} for caching model parameters:"
_MODEL_FIELDS = {
    "Input model:": ("input_model", str),
    "Output model:": ("output_model", str),
    "Input size:": ("input_size_bytes", parse_size),
    "Output size:": ("output_size_bytes", parse_size),
    "On-chip " + _MEM.format("used"): ("on_chip_used_bytes", parse_size),
    "On-chip " + _MEM.format("remaining"): ("on_chip_remaining_bytes", parse_size),
    "On-chip " + _MEM.format("available"): ("on_chip_available_bytes", parse_size),
    "Off-chip memory used for streaming uncached model parameters:":
        ("off_chip_used_bytes", parse_size),
    "Number of Edge TPU subgraphs:": ("subgraphs", _count),
    "Total number of operations:": ("ops_total", _count),
    "Number of operations that will run on Edge TPU:": ("ops_tpu", _count),
    "Number of operations that will run on CPU:": ("ops_cpu", _count),
    "Operation log:": ("operation_log", str),
    # operation log (<stem>_edgetpu.log)
    "Input:": ("input_model", str),
    "Output:": ("output_model", str),
}
_PARTIAL_PREFIX = "Model successfully compiled but not all operations are supported"
_SEE_OPLOG = "See the operation log file"


@dataclass
class _Attempt:
    outcome: str | None = None  # "success" | "failure"
    errors: list[str] = field(default_factory=list)
    timer: bool = False
    failure_kind: str | None = None
    failure_reason: str | None = None


class _Parser:
    def __init__(self) -> None:
        self.version: str | None = None
        self.command: str | None = None
        self.compile_time_ms: int | None = None
        self.timeout_s: int | None = None
        self.models: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.in_table = False
        self.attempts: list[_Attempt] = [_Attempt()]
        self.search_step: int | None = None
        self.search_tries: list[int] = []
        self.searching = False
        self.op_log_style = False
        self.pending_invalid = False

    # -- model blocks --------------------------------------------------
    def _new_model(self) -> dict[str, Any]:
        self._close_model()
        self.current = {"operators": [], "partial": False}
        self.models.append(self.current)
        return self.current

    def _close_model(self) -> None:
        self.in_table = False

    def _mark_all_mapped_if_clean(self) -> None:
        """No "not all operations" paragraph before the op-log pointer/table: all mapped."""
        m = self.current
        if m is not None and not m["partial"] and m.get("ops_total") is not None:
            m.setdefault("ops_tpu", m["ops_total"])
            m.setdefault("ops_cpu", 0)

    @property
    def attempt(self) -> _Attempt:
        return self.attempts[-1]

    def _fail(self, kind: str, reason: str) -> None:
        self.attempt.outcome = "failure"
        if self.attempt.failure_kind is None or self.attempt.failure_kind == "compilation-failed":
            self.attempt.failure_kind = kind
            self.attempt.failure_reason = reason

    # -- lines ---------------------------------------------------------
    def feed(self, raw: str) -> None:
        line = raw.strip()
        if not line:
            return
        if self.in_table:
            row = _table_row(line)
            if row is not None:
                self.current["operators"].append(row)  # type: ignore[index]
                return
            self.in_table = False
        if self.pending_invalid:
            self.pending_invalid = False
            if not line.startswith(("Edge TPU", "ERROR", "Compilation", "Internal")):
                # The line after "Invalid model: X" says why.
                self.attempt.failure_kind = (
                    "not-quantized" if line.startswith("Model not quantized") else "invalid-model")
                self.attempt.failure_reason = line
                return
        if line.startswith("Edge TPU Compiler version"):
            self.version = line[len("Edge TPU Compiler version"):].strip() or None
            return
        if line.startswith("Intermediate tensors:"):
            return  # delegate-search detail; can be thousands of characters
        if line.startswith("Try to compile segment with"):
            n = _int_after(line, "Try to compile segment with")
            if n is not None:
                self.search_tries.append(n)
            self.searching = True
            self.attempts.append(_Attempt())
            return
        if line.startswith("Searching for valid delegate with step"):
            self.search_step = _int_after(line, "Searching for valid delegate with step")
            self.searching = True
            return
        if line.startswith("Started a compilation timeout timer of"):
            self.timeout_s = _int_after(line, "Started a compilation timeout timer of")
            if self.attempt.timer or self.attempt.outcome is not None or self.attempt.errors:
                self.attempts.append(_Attempt())
            self.attempt.timer = True
            return
        if line.startswith("Compilation child process completed within timeout"):
            return
        if line.startswith("ERROR:"):
            self.attempt.errors.append(line[len("ERROR:"):].strip())
            return
        if line.startswith(("Model compiled successfully in", "Models compiled successfully in")):
            self.compile_time_ms = _int_after(line, line.split(" in ", 1)[0] + " in")
            self.attempt.outcome = "success"
            return
        if line.startswith("Compilation succeeded"):
            self.attempt.outcome = "success"
            return
        if line.startswith("Compilation failed:"):
            reason = line[len("Compilation failed:"):].strip()
            kind = "compilation-failed"
            if "timed out" in reason or "timeout" in reason.lower():
                kind = "timeout"
            elif "large activation tensors" in reason:
                kind = "large-activation-tensors"
            elif "Tflite interpreter" in reason:
                kind = "tflite-interpreter"
            self._fail(kind, reason)
            return
        if line.startswith("Compilation failed"):
            self._fail("compilation-failed", "Compilation failed!")
            return
        if line.startswith("Internal compiler error"):
            self._fail("internal-compiler-error", line)
            return
        if line.startswith("Invalid model"):
            self.pending_invalid = True
            self._fail("invalid-model", line)
            return
        if line.startswith("Model not quantized"):
            self._fail("not-quantized", line)
            return
        if line.startswith(_PARTIAL_PREFIX):
            if self.current is not None:
                self.current["partial"] = True
            return
        if line.startswith(_SEE_OPLOG):
            self._mark_all_mapped_if_clean()
            return
        if line.split() == ["Operator", "Count", "Status"]:
            if self.current is None:
                self._new_model()
            self._mark_all_mapped_if_clean()
            self.in_table = True
            return
        for prefix, (name, conv) in _MODEL_FIELDS.items():
            if line.startswith(prefix):
                value = line[len(prefix):].strip()
                if prefix in ("Input model:", "Input:") or self.current is None:
                    self._new_model()
                    if prefix == "Input:":
                        self.op_log_style = True
                self.current[name] = conv(value)  # type: ignore[index]
                return
        if self.version is None and self.command is None and (
            "edgetpu_compiler" in line or "compile_edgetpu" in line
        ):
            self.command = line
            return
        # anything else (wrapper chatter, truncated text) is ignored

    # -- result ----------------------------------------------------------
    def result(self) -> CompilerLog:
        models = []
        for m in self.models:
            ops = tuple(m["operators"])
            values = {k: v for k, v in m.items() if k not in ("operators", "partial")}
            if self.op_log_style and ops:
                values.setdefault("ops_total", sum(r.count for r in ops))
                values.setdefault("ops_tpu", sum(r.count for r in ops if r.mapped))
                values.setdefault("ops_cpu", sum(r.count for r in ops if not r.mapped))
            models.append(ModelLog(operators=ops, **values))

        status, kind, reason = self._outcome()
        errors = tuple(e for a in self.attempts for e in a.errors)
        search = None
        if self.searching:
            search = DelegateSearch(step=self.search_step, tries=tuple(self.search_tries),
                                    succeeded=status == "succeeded")
        return CompilerLog(
            source="operation-log" if self.op_log_style else "console",
            compiler_version=self.version,
            status=status,
            failure_kind=kind,
            failure_reason=reason,
            errors=errors,
            compile_time_ms=self.compile_time_ms,
            timeout_s=self.timeout_s,
            command=self.command,
            models=tuple(models),
            delegate_search=search,
        )

    def _outcome(self) -> tuple[str, str | None, str | None]:
        attempts = [a for a in self.attempts if a.outcome or a.errors or a.timer]
        if self.op_log_style or not attempts:
            if self.searching:
                return "failed", "delegate-search-failed", self._search_reason()
            return "unknown", None, None
        last = attempts[-1]
        if self.searching:
            # Failed tries are the search working; only the last one decides.
            if last.outcome == "success":
                return "succeeded", None, None
            if last.outcome == "failure" and last.failure_kind not in (None, "compilation-failed"):
                return "failed", last.failure_kind, last.failure_reason
            return "failed", "delegate-search-failed", self._search_reason()
        for a in attempts:  # segments: every part must compile
            if a.outcome == "failure":
                return "failed", a.failure_kind, self._reason(a)
        if last.outcome is None and last.errors:
            return "failed", "compilation-failed", last.errors[-1]
        if last.outcome == "success":
            return "succeeded", None, None
        return "unknown", None, None

    @staticmethod
    def _reason(a: _Attempt) -> str | None:
        if a.failure_kind == "compilation-failed" and a.errors:
            return a.errors[-1]
        return a.failure_reason

    def _search_reason(self) -> str:
        if not self.search_tries:
            return "the delegate search compiled no segment"
        return (f"the delegate search tried {len(self.search_tries)} segment sizes "
                f"({self.search_tries[0]} down to {self.search_tries[-1]} ops) and none compiled")


def parse_log(text: str) -> CompilerLog:
    """Parse a console log or an operation log (detected from its lines)."""
    parser = _Parser()
    for raw in text.splitlines():
        parser.feed(raw)
    return parser.result()


def parse_log_file(path: str | os.PathLike[str]) -> CompilerLog:
    """Read a log as UTF-8 (undecodable bytes replaced) and parse it."""
    return parse_log(Path(path).read_bytes().decode("utf-8", "replace"))


def merge_operation_logs(console: CompilerLog, op_logs: list[CompilerLog]) -> CompilerLog:
    """Fill each console model's operator table from its operation log when the console has none.

    Operation logs are matched to console blocks by output file name.
    """
    by_output = {os.path.basename(o.models[0].output_model or ""): o.models[0]
                 for o in op_logs if o.models}
    models = []
    for m in console.models:
        op = by_output.get(os.path.basename(m.output_model or ""))
        if op is not None and not m.operators:
            m = replace(m, operators=op.operators)
            if m.ops_tpu is None and m.ops_total is not None:
                mapped = sum(r.count for r in op.operators if r.mapped)
                m = replace(m, ops_tpu=mapped, ops_cpu=m.ops_total - mapped)
        models.append(m)
    version = console.compiler_version or next(
        (o.compiler_version for o in op_logs if o.compiler_version), None)
    return replace(console, models=tuple(models), compiler_version=version)
