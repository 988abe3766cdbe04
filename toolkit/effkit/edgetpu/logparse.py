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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from effkit.edgetpu.logmodel import (
    FAILURE_HINTS,
    STATUS_MAPPED,
    CompilerLog,
    DelegateSearch,
    ModelLog,
    OperatorRow,
    RunSummary,
    missing_segments,
    parse_count,
    parse_size,
    parse_version,
)

__all__ = ["FAILURE_HINTS", "STATUS_MAPPED", "CompilerLog", "DelegateSearch", "ModelLog",
           "OperatorRow", "merge_operation_logs", "parse_log", "parse_log_file", "parse_size",
           "parse_version"]


def _int_after(line: str, prefix: str) -> int | None:
    rest = line[len(prefix):].strip().rstrip(".").split()
    return parse_count(rest[0]) if rest else None


# A row whose operator name has spaces in it: the columns are padded with two or more.
_SPACED_ROW = re.compile(r"(\S(?:.*?\S)?)\s{2,}(\d[\d,]*)\s{2,}(\S.*)")


def _table_row(line: str) -> OperatorRow | None:
    """One row of the operator table: NAME COUNT STATUS. A custom op's name may hold any
    printable characters ('My-Custom.Op', even 'SOFT MAX' between padded columns); the
    count column is what tells a row from the text after the table."""
    parts = line.split(None, 2)
    count = parse_count(parts[1]) if len(parts) == 3 else None
    name, status = (parts[0], parts[2]) if count is not None else ("", "")
    if count is None and (spaced := _SPACED_ROW.fullmatch(line.strip())):
        name, count, status = spaced[1], parse_count(spaced[2]), spaced[3]
    if count is None or not name.isprintable():
        return None
    return OperatorRow(operator=name, count=count, status=status.strip())


MAX_LOG_BYTES = 64 << 20  # a delegate-search log of a large model is about 1 MB
_MEM = "memory {} for caching model parameters:"
_MODEL_FIELDS: dict[str, tuple[str, Callable[[str], object]]] = {
    "Input model:": ("input_model", str),
    "Output model:": ("output_model", str),
    "Input size:": ("input_size_bytes", parse_size),
    "Output size:": ("output_size_bytes", parse_size),
    "On-chip " + _MEM.format("used"): ("on_chip_used_bytes", parse_size),
    "On-chip " + _MEM.format("remaining"): ("on_chip_remaining_bytes", parse_size),
    "On-chip " + _MEM.format("available"): ("on_chip_available_bytes", parse_size),
    "Off-chip memory used for streaming uncached model parameters:":
        ("off_chip_used_bytes", parse_size),
    "Number of Edge TPU subgraphs:": ("subgraphs", parse_count),
    "Total number of operations:": ("ops_total", parse_count),
    "Number of operations that will run on Edge TPU:": ("ops_tpu", parse_count),
    "Number of operations that will run on CPU:": ("ops_cpu", parse_count),
    "Operation log:": ("operation_log", str),
    # operation log (<stem>_edgetpu.log)
    "Input:": ("input_model", str),
    "Output:": ("output_model", str),
}
_PARTIAL_PREFIX = "Model successfully compiled but not all operations are supported"
_SEE_OPLOG = "See the operation log file"
_OP_VERSION = "Didn't find op for builtin opcode"
_VERSION_LINE = "Edge TPU Compiler version"


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
        self.together = False

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
            if row is not None and self.current is not None:  # a table opens a model block
                self.current["operators"].append(row)
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
            self.together = self.together or line.startswith("Models ")
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
            if self.attempt.outcome is None:  # compiled, with some ops left on the CPU
                self.attempt.outcome = "success"
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
                model = self.current
                if prefix in ("Input model:", "Input:") or model is None:
                    model = self._new_model()
                    if prefix == "Input:":
                        self.op_log_style = True
                model[name] = conv(value)
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
            cut = any(r.cut_off for r in ops)  # "ADD  17  Mapped to E": mapped or not, unknown
            if self.op_log_style and ops:
                values.setdefault("ops_total", sum(r.count for r in ops))
                if not cut:
                    values.setdefault("ops_tpu", sum(r.count for r in ops if r.mapped))
                    values.setdefault("ops_cpu", sum(r.count for r in ops if not r.mapped))
            tpu, cpu, total = (values.get(k) for k in ("ops_tpu", "ops_cpu", "ops_total"))
            if tpu is not None and cpu is not None and total is None:
                values["ops_total"] = total = tpu + cpu
            elif tpu is not None and total is not None and cpu is None and total >= tpu:
                values["ops_cpu"] = total - tpu  # a log that prints the total and the TPU count only
            if tpu is not None and total is not None and (
                    tpu > total or (cpu is not None and tpu + cpu != total)):
                cut = True  # "CPU: 34" cut to "CPU: 3": which figure is whole is unknown
                values["ops_tpu"] = values["ops_cpu"] = None
            models.append(ModelLog(operators=ops, cut_short=cut, **values))

        status, kind, reason = self._outcome()
        if status == "succeeded" and not self.searching and missing_segments(models):
            status = "unknown"  # "segment 1 of 2 ... Compilation succeeded!", then the text ends
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
            compiled_together=self.together,
        )

    def _outcome(self) -> tuple[str, str | None, str | None]:
        status, kind, reason = self._raw_outcome()
        if kind in ("invalid-model", "tflite-interpreter"):
            # "Didn't find op for builtin opcode 'QUANTIZE' version '3'" then "Model could
            # not be parsed": the file loads in TFLite; the compiler is older than the op.
            found = [e for a in self.attempts for e in a.errors if e.startswith(_OP_VERSION)]
            if found:
                return status, "op-version", found[-1].split(". An older version")[0]
        return status, kind, reason

    def _raw_outcome(self) -> tuple[str, str | None, str | None]:
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


def _runs(lines: list[str]) -> list[list[str]]:
    """Split pasted text into compiler runs: each "Edge TPU Compiler version" line after the
    first starts a new one, taking along the shell command line right before it."""
    runs: list[list[str]] = [[]]
    seen_version = False
    for raw in lines:
        if raw.strip().startswith(_VERSION_LINE):
            if seen_version:
                current = runs[-1]
                carry: list[str] = []
                while current and not current[-1].strip():
                    current.pop()
                if current and ("edgetpu_compiler" in current[-1] or
                                "compile_edgetpu" in current[-1]):
                    carry = [current.pop()]
                runs.append(carry)
            seen_version = True
        runs[-1].append(raw)
    return runs


def _parse_run(lines: list[str]) -> CompilerLog:
    parser = _Parser()
    for raw in lines:
        parser.feed(raw)
    return parser.result()


def parse_log(text: str) -> CompilerLog:
    """Parse a console log or an operation log (detected from its lines).

    Several runs pasted into one text (each with its "Edge TPU Compiler version" line)
    give the report of the last run, with the earlier ones in ``attempts``.
    """
    text = _ANSI.sub("", text.removeprefix("\ufeff"))  # a terminal's colours, a Windows BOM
    runs = [_parse_run(lines) for lines in _runs(_without_line_prefix(text.splitlines()))]
    last = runs[-1]
    if len(runs) == 1:
        return last
    earlier = tuple(RunSummary(compiler_version=r.compiler_version, status=r.status,
                               failure_kind=r.failure_kind, failure_reason=r.failure_reason,
                               errors=r.errors,
                               models=tuple(m.input_model or "?" for m in r.models))
                    for r in runs[:-1])
    return replace(last, attempts=earlier)


# colour and cursor sequences (ESC [ ... letter) a terminal recorder or `script` keeps
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# a CI runner's time stamp before each line (GitHub Actions: 2024-05-01T10:00:00.1234567Z)
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)? ?")


def _without_line_prefix(lines: list[str]) -> list[str]:
    """The lines without a prefix that every one of them carries: a Markdown quote's ``>``
    (how logs are pasted into GitHub issues) or a CI runner's time stamp, as often as it is
    nested. A prefix on some lines only (a shell prompt ``> ./compile.sh``) stays."""
    while True:
        body = [line for line in lines if line.strip()]
        if body and all(line.lstrip().startswith(">") for line in body):
            lines = [line.lstrip()[1:].removeprefix(" ") if line.strip() else line
                     for line in lines]
        elif body and all(_TIMESTAMP.match(line) for line in body):
            lines = [line[m.end():] if (m := _TIMESTAMP.match(line)) else line for line in lines]
        else:
            return lines


def decode_log(data: bytes) -> str:
    """A saved log's text: UTF-16 when it starts with a byte-order mark (what Windows
    PowerShell 5.1's ``>`` writes) or, without one, when its first 4 KiB have a NUL in
    nearly every odd (little-endian) or even (big-endian) byte and almost none in the
    others (ASCII text in UTF-16); else UTF-8 (undecodable bytes replaced)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    head = data[:4096]
    even, odd = head[0::2], head[1::2]
    if len(odd) >= 8:
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
            return data.decode("utf-16-le", "replace")
        if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
            return data.decode("utf-16-be", "replace")
    return data.decode("utf-8", "replace")


def parse_log_file(path: str | os.PathLike[str]) -> CompilerLog:
    """Read a log (:func:`decode_log`) and parse it."""
    from effkit.errors import read_regular

    return parse_log(decode_log(read_regular(path, MAX_LOG_BYTES)))


def read_log_file(path: str | os.PathLike[str]) -> CompilerLog:
    """:func:`parse_log_file` for user input: one-line errors for a missing, unreadable or
    non-log file (a compiler log has an "Edge TPU Compiler version" line or a model block)."""
    from effkit.errors import DataError, read_user_file

    p = Path(path)
    data = read_user_file(p, what="log file", error=DataError, limit=MAX_LOG_BYTES,
                          hint="pass a saved edgetpu_compiler console log or *_edgetpu.log")
    text = decode_log(data)
    if "\0" in text[:4096]:
        raise DataError(f"{str(p)!r} is a binary file, not a compiler log",
                         "pass the text edgetpu_compiler printed, saved to a file")
    report = parse_log(text)
    if report.compiler_version is None and not report.models:
        raise DataError(f"{str(p)!r} is not an edgetpu_compiler log (no 'Edge TPU Compiler "
                         "version' line and no model block)",
                         "pass the compiler's console output or its *_edgetpu.log")
    return report


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
            if m.ops_tpu is None and m.ops_total is not None and not op.cut_short:
                mapped = sum(r.count for r in op.operators if r.mapped)
                m = replace(m, ops_tpu=mapped, ops_cpu=m.ops_total - mapped)
        models.append(m)
    version = console.compiler_version or next(
        (o.compiler_version for o in op_logs if o.compiler_version), None)
    return replace(console, models=tuple(models), compiler_version=version)
