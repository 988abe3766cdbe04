"""What a parsed edgetpu_compiler log says: frozen reports (the parser is ``logparse``)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

STATUS_MAPPED = "Mapped to Edge TPU"

# Failure kinds, with the fix a user can try. Keys are stable (used in JSON).
FAILURE_HINTS: dict[str, str] = {
    "not-quantized": "convert with full-integer quantization (int8 weights and activations, "
    "a representative dataset); `effkit check-edgetpu` shows which tensors are float",
    "invalid-model": "check that the file is a TensorFlow Lite model the TFLite interpreter loads",
    "internal-compiler-error": "the compiler crashed on this graph; run `effkit check-edgetpu` "
    "and remove or replace the ops it reports, or compile with `effkit compile-edgetpu "
    "MODEL_OR_BUILD --search-delegate` (a build: `effkit build --skip-compile` first)",
    "tflite-interpreter": "the compiler's TFLite interpreter could not load the model "
    "(custom ops, dynamic shapes, or op versions newer than the compiler); "
    "see the ERROR lines",
    "large-activation-tensors": "reduce the input resolution, or split the model with "
    "--num-segments",
    "delegate-search-failed": "no part of the graph compiled; run `effkit check-edgetpu` "
    "to find unsupported ops",
    "timeout": "split the model with --num-segments, or give the compiler longer: "
    "`effkit build ... --compile-timeout SECONDS`, or `effkit compile-edgetpu MODEL_OR_BUILD "
    "--timeout SECONDS`",
    "op-version": "the model uses an op version newer than this compiler knows (the ERROR "
    "line names it); `effkit check-edgetpu` says which converter setting or TensorFlow "
    "version writes one it knows",
    "compilation-failed": "see the compiler's message",
}

NOTHING_MAPPED = (
    "no op runs on the Edge TPU: the compiled model runs entirely on the CPU. Usually every "
    "op misses a requirement the whole model shares (float or int16 tensors, a dynamic size, "
    "-m/--min-runtime older than its ops need) or the ops the Edge TPU lacks sit where no "
    "part of the graph is left to map; `effkit check-edgetpu MODEL` says which op and why")

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

    @property
    def cut_off(self) -> bool:
        """The status stops where the text was cut ("Mapped to E"): it may have said mapped,
        so the row counts neither for the Edge TPU nor for the CPU."""
        return not self.mapped and STATUS_MAPPED.startswith(self.status)

    def to_dict(self) -> dict[str, Any]:
        return {"operator": self.operator, "count": self.count, "status": self.status,
                "mapped": self.mapped, "cut_off": self.cut_off}


@dataclass(frozen=True)
class ModelLog:
    """What the log says about one compiled model (co-compiled runs and segments print several).

    Sizes are in bytes as printed by the compiler (two decimals of KiB/MiB, so
    approximate). ``ops_tpu``/``ops_cpu`` are ``None`` when the log does not tell
    (a truncated excerpt); when the compiler prints no "not all operations"
    paragraph, every op is mapped and ``ops_cpu`` is 0. ``cut_short``: the text stops
    inside the block (an operator row cut off in its status, or TPU and CPU counts that do
    not add up to the total); the counts it cannot vouch for are then ``None``.
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
    cut_short: bool = False

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
        if self.cut_short and not self.ops_cpu:
            return None
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
class RunSummary:
    """An earlier run pasted into the same log (each starts with "Edge TPU Compiler version")."""

    compiler_version: str | None
    status: str
    failure_kind: str | None = None
    failure_reason: str | None = None
    errors: tuple[str, ...] = ()
    models: tuple[str, ...] = ()  # input model names

    def to_dict(self) -> dict[str, Any]:
        return {"compiler_version": self.compiler_version, "status": self.status,
                "failure_kind": self.failure_kind, "failure_reason": self.failure_reason,
                "failure_hint": FAILURE_HINTS.get(self.failure_kind) if self.failure_kind
                else None, "errors": list(self.errors), "models": list(self.models)}


def missing_segments(models: Sequence[ModelLog]) -> tuple[int, ...]:
    """Segment indices (0-based) of a ``-n`` run with no compiled model among ``models``."""
    done = [m.segment for m in models if m.segment]
    if not done:
        return ()
    return tuple(sorted(set(range(max(n for _, n in done))) - {i for i, _ in done}))


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
    compiled_together: bool = False  # "Models compiled successfully": one co-compilation
    attempts: tuple[RunSummary, ...] = ()  # earlier runs in the same text, oldest first

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def version_tuple(self) -> tuple[int, ...] | None:
        return parse_version(self.compiler_version) if self.compiler_version else None

    @property
    def co_compiled(self) -> bool:
        """Several models compiled together (not segments of one model, not separate runs)."""
        return self.compiled_together and len([m for m in self.models if m.segment is None]) > 1

    @property
    def segments(self) -> tuple[ModelLog, ...]:
        return tuple(m for m in self.models if m.segment is not None)

    @property
    def segments_missing(self) -> tuple[int, ...]:
        """Segment indices (0-based) of a ``-n`` run that the log has no compiled model for:
        the segment that failed, or that the run never reached. The op and memory figures
        count only the segments compiled."""
        return missing_segments(self.models)

    @property
    def cut_short(self) -> bool:
        """Some model block stops where the text was cut (see :attr:`ModelLog.cut_short`)."""
        return any(m.cut_short for m in self.models)

    @property
    def nothing_mapped(self) -> bool:
        """The compiler wrote its model but mapped no op: it runs entirely on the CPU."""
        return self.status != "failed" and self.ops_tpu == 0 and bool(self.ops_total)

    @property
    def note(self) -> str | None:
        """What a log that does not fail still asks the reader to act on."""
        if self.nothing_mapped:
            return NOTHING_MAPPED
        if self.status == "unknown" and self.segments_missing and not self.failure_kind:
            total = max(m.segment[1] for m in self.segments if m.segment)
            return (f"the log holds no compiled model for segment {self.segments_missing[0] + 1}"
                    f" of {total}: whether the run succeeded is not in it (pass the whole log)")
        return None

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
            "note": self.note,
            "errors": list(self.errors),
            "compile_time_ms": self.compile_time_ms,
            "timeout_s": self.timeout_s,
            "command": self.command,
            "ops_total": self.ops_total,
            "ops_tpu": self.ops_tpu,
            "ops_cpu": self.ops_cpu,
            "tpu_fraction": self.tpu_fraction,
            "cut_short": self.cut_short,
            "subgraphs": self.subgraphs,
            "on_chip_used_bytes": self.on_chip_used_bytes,
            "off_chip_used_bytes": self.off_chip_used_bytes,
            "co_compiled": self.co_compiled,
            "co_compiled_models": [m.input_model for m in self.models if m.segment is None]
            if self.co_compiled else [],
            "segments": [list(m.segment) for m in self.segments if m.segment],
            "segments_missing": list(self.segments_missing),
            "attempts": [a.to_dict() for a in self.attempts],
            "models": [m.to_dict() for m in self.models],
            "delegate_search": self.delegate_search.to_dict() if self.delegate_search else None,
        }


# Counts, sizes, versions and times in a compiler log fit in 18 digits; more is not a count.
_MAX_DIGITS = 18


def parse_count(text: str) -> int | None:
    """A non-negative integer written in ASCII digits (at most 18), else ``None``. The one
    reader of numbers in compiler output: ``str.isdigit`` accepts superscripts ("²") that
    ``int`` refuses, and ``int`` refuses 4,301 digits or more with a ValueError."""
    text = text.strip()
    if 0 < len(text) <= _MAX_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None


def parse_version(text: str) -> tuple[int, ...] | None:
    """``"16.0.384591198"`` -> ``(16, 0, 384591198)``; ``None`` if it is not a version."""
    parts = [parse_count(p) for p in text.strip().split(".")]
    numbers = tuple(n for n in parts if n is not None)
    if not parts or len(numbers) != len(parts):
        return None
    return numbers


def check_compiler_version(value: object, name: str) -> None:
    """UsageError unless ``value`` is an edgetpu_compiler version as ``--version`` prints it
    (text of digits and dots, from the first release, 1.0, on): the one check of the CLI's
    --compiler-version and the API's compiler_version."""
    from effkit.errors import UsageError

    text = value if isinstance(value, str) and len(value) <= 40 else ""
    numbers = parse_version(text) if text else None
    if numbers is None or text != text.strip() or numbers[0] < 1:
        shown = repr(value[:40]) if isinstance(value, str) else repr(value)[:40]
        raise UsageError(f"{name} {shown} is not an edgetpu_compiler version",
                         f"give it as 'edgetpu_compiler --version' prints it, e.g. {name} 16.0.384591198 "
                         "or 15, or leave it out for the newest")


def parse_size(text: str) -> int | None:
    """``"7.37MiB"`` -> 7727738 bytes (the compiler prints two decimals); ``None`` if unreadable
    (not a plain decimal number, inf, nan, negative, or more than 2**62 bytes)."""
    import math

    value = text.strip()
    for unit in sorted(_SIZE_UNITS, key=len, reverse=True):
        if value.endswith(unit):
            number = value[: -len(unit)].strip()
            if not (0 < len(number) <= 2 * _MAX_DIGITS and number.isascii()):
                return None
            try:
                size = float(number) * _SIZE_UNITS[unit]
            except ValueError:
                return None
            return round(size) if math.isfinite(size) and 0 <= size < 2**62 else None
    return None
    return None


