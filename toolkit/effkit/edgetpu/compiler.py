"""Run Google's ``edgetpu_compiler`` on a model: compile, check the outcome, report.

Finding the compiler (local binary, ``$EFFKIT_EDGETPU_COMPILER``, PATH, the docker
route) and reading its version live in :mod:`effkit.edgetpu.locate`; their names are
re-exported here, the module callers have always used.

Every run is an argv list (never a shell string) into a scratch folder inside the
output folder. The exit status, a timeout, a crash (signal), a failure the log
reports and a missing or damaged output file are each an
:class:`EdgeTPUCompileFailed` with the console text attached; only a complete
success is moved into the output folder, file by file with ``os.replace``, the
compiled model last.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from effkit.core.outputs import missing_folders, remove_if_empty
from effkit.edgetpu.check import check_min_runtime
from effkit.edgetpu.locate import (  # noqa: F401 - re-exported: compiler.py is the public API
    BINARY,
    COMPILE_TIMEOUT_S,
    DOCKER,
    DOCKER_PLATFORM,
    DOCKERFILE,
    ENV_VAR,
    IMAGE_NAME,
    INSTALL_HINT,
    EdgeTPUCompiler,
    EdgeTPUCompilerNotFound,
    _docker_run_prefix,
    _platform_note,
    _Run,
    _run,
    _version_cached,
    compiler_version,
    ensure_image,
    find_compiler,
    image_tag,
)
from effkit.edgetpu.logmodel import FAILURE_HINTS, CompilerLog, parse_version
from effkit.edgetpu.logparse import merge_operation_logs, parse_log, parse_log_file
from effkit.errors import ModelFileError, OutputError, ToolFailedError, UsageError, check_seconds
from effkit.metadata.model_file import file_has_tflite_identifier

# Short flags, as Coral documents them (the compiler also takes "-sa"-style bundles).
FLAG_SINCE = {
    "-t": (16, 0),  # --timeout_sec: "Started a compilation timeout timer" appears in 16.0
    "-n": (15, 0),  # --num_segments: model pipelining arrived with compiler 15.0
    "-d": (16, 0),  # --search_delegate
    "-k": (16, 0),  # --delegate_search_step
    "-a": (16, 0),  # --enable_multiple_subgraphs
}
FLAG_NAMES = {"-s": "--show_operations", "-m": "--min_runtime_version", "-t": "--timeout_sec",
              "-n": "--num_segments", "-d": "--search_delegate", "-k": "--delegate_search_step",
              "-a": "--enable_multiple_subgraphs", "-o": "--out_dir"}



class EdgeTPUCompileFailed(ToolFailedError):
    """The compiler ran and did not produce a usable model.

    ``kind`` is one of :data:`effkit.edgetpu.logparse.FAILURE_HINTS`' keys or
    ``"crashed"``, ``"missing-output"``, ``"bad-output"``; ``report`` is the parsed
    console log (``None`` when nothing was printed) and ``reason`` its failure
    message.
    """

    def __init__(self, message: str, hint: str | None = None, *, kind: str,
                 returncode: int | None = None, stdout: str = "", stderr: str = "",
                 report: CompilerLog | None = None, argv: tuple[str, ...] = ()):
        super().__init__(message, hint, returncode=returncode, stdout=stdout, stderr=stderr)
        self.kind = kind
        self.report = report
        self.argv = argv
        self.reason = report.failure_reason if report is not None else None



@dataclass(frozen=True)
class CompileResult:
    """A successful compile: the files in ``out_dir``, the console text, the parsed report."""

    model_path: Path
    compiled: tuple[Path, ...]          # <stem>_edgetpu.tflite, or one per segment
    op_logs: tuple[Path, ...]           # <stem>_edgetpu.log files
    console_log_path: Path              # <stem>_edgetpu.console.txt
    console_log: str
    report: CompilerLog                 # console log, operator tables filled from the op logs
    version: str
    argv: tuple[str, ...]
    compiler: EdgeTPUCompiler
    elapsed_s: float

    @property
    def compiled_path(self) -> Path:
        return self.compiled[0]

    @property
    def compiled_paths(self) -> tuple[Path, ...]:
        """Alias of :attr:`compiled`."""
        return self.compiled

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": str(self.model_path),
            "compiled": [str(p) for p in self.compiled],
            "op_logs": [str(p) for p in self.op_logs],
            "console_log": str(self.console_log_path),
            "version": self.version,
            "argv": list(self.argv),
            "compiler": self.compiler.to_dict(),
            "elapsed_s": round(self.elapsed_s, 3),
            "report": self.report.to_dict(),
        }



# ---------------------------------------------------------------------------
# Compiling


def _flags(version: tuple[int, ...], *, min_runtime_version: int, timeout_s: float,
           num_segments: int | None, search_delegate: bool, delegate_search_step: int | None,
           multiple_subgraphs: bool, show_operations: bool) -> list[str]:
    wanted: list[tuple[str, str | None]] = []
    if show_operations:
        wanted.append(("-s", None))
    wanted.append(("-m", str(min_runtime_version)))
    if version >= FLAG_SINCE["-t"]:
        wanted.append(("-t", str(max(1, round(timeout_s)))))
    if num_segments is not None:
        wanted.append(("-n", str(num_segments)))
    if search_delegate:
        wanted.append(("-d", None))
        if delegate_search_step is not None:
            wanted.append(("-k", str(delegate_search_step)))
    if multiple_subgraphs:
        wanted.append(("-a", None))
    argv: list[str] = []
    shown = ".".join(str(v) for v in version[:2])
    for flag, value in wanted:
        since = FLAG_SINCE.get(flag)
        if since is not None and version < since:
            raise UsageError(
                f"{FLAG_NAMES[flag]} needs edgetpu_compiler {since[0]}.{since[1]} or newer "
                f"(found {shown})",
                "update the compiler ('sudo apt-get install --only-upgrade edgetpu-compiler') "
                "or drop the option")
        argv += [flag] if value is None else [flag, value]
    return argv


def _expected_names(stem: str, num_segments: int | None) -> list[str]:
    if num_segments:
        return [f"{stem}_segment_{i}_of_{num_segments}_edgetpu" for i in range(num_segments)]
    return [f"{stem}_edgetpu"]


def _failure_message(report: CompilerLog, run: _Run) -> tuple[str, str]:
    reason = report.failure_reason if report.status == "failed" else None
    if not reason:  # nothing the parser recognises: the last words on stderr, else stdout
        for text in (run.stderr, run.stdout):
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
            if lines:
                reason = lines[-1]
                break
        else:
            reason = "no output"
    details = [e for e in report.errors if e not in reason][-2:]
    if details:
        reason = f"{reason.rstrip('. ')} ({'; '.join(details)})"
    return reason, report.failure_kind or "compilation-failed"


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def compile_model(
    model_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    compiler: EdgeTPUCompiler | str | os.PathLike[str] | None = None,
    min_runtime_version: int | None = None,
    timeout_s: float = COMPILE_TIMEOUT_S,
    num_segments: int | None = None,
    search_delegate: bool = False,
    delegate_search_step: int | None = None,
    multiple_subgraphs: bool = False,
    show_operations: bool = True,
    extra: tuple[str, ...] | list[str] | None = None,
    overwrite: bool = False,
    process_timeout_s: float | None = None,
    version: str | None = None,
) -> CompileResult:
    """Compile ``model_path`` for the Edge TPU into ``out_dir``.

    ``version``: the compiler's version when the caller has read it already (a build
    plan); otherwise it is asked here.

    Writes ``<stem>_edgetpu.tflite`` (or one file per segment with
    ``num_segments``), the compiler's ``<stem>_edgetpu.log`` and its console output
    ``<stem>_edgetpu.console.txt``. Existing files are refused unless
    ``overwrite``; on any failure nothing is written.

    ``min_runtime_version`` (``-m``; ``None`` means
    :data:`~effkit.edgetpu.check.DEFAULT_MIN_RUNTIME_VERSION`, 13). A compiled model runs on Edge
    TPU runtimes of that version and newer only; Coral's table of compiler and
    runtime versions (coral.ai/docs/edgetpu/compiler/#compiler-and-runtime-versions)
    gives runtime 13 for compilers 2.1 to 15.0 (released April to November 2020)
    and 14 for compiler 16.0 (July 2021, the last release, shipped with
    libedgetpu 16.0). Compiler 16 targets runtime 14 by default, which runtimes of 2020,
    still found on older Dev Board/Mendel images and pinned installs, reject.
    Every op an EfficientNet-Lite int8 model uses (CONV_2D, DEPTHWISE_CONV_2D, ADD,
    MEAN, FULLY_CONNECTED, SOFTMAX, RESHAPE, QUANTIZE) maps at runtime 13, so 13
    costs these models nothing and reaches every runtime from 2020 on. Pass 14 for
    ops that need it (TRANSPOSE, REDUCE_MAX/MIN, RSQRT, SQUARED_DIFFERENCE, LSTM).

    ``timeout_s`` is the compiler's own limit per compilation (``-t``, compiler
    16+). ``process_timeout_s`` bounds the whole run (default ``timeout_s + 60``,
    +120 for docker, and ``max(20 * timeout_s, 3600)`` with ``search_delegate``,
    which compiles many times); past it the process group is killed.
    """
    from effkit.errors import read_user_file

    model = Path(model_path)
    # a regular file under the cap (a FIFO would block the copy below): one line otherwise
    read_user_file(model, what="model file", hint="pass the path of a .tflite file",
                   error=ModelFileError)
    if model.suffix != ".tflite":
        raise ModelFileError(f"{model.name} does not end in .tflite",
                             "edgetpu_compiler names its output after a .tflite input; rename it")
    if not file_has_tflite_identifier(model):
        raise ModelFileError(f"{model} is not a TFLite model (no 'TFL3' flatbuffer identifier)",
                             "pass a .tflite file")
    min_runtime_version = check_min_runtime(min_runtime_version)
    if num_segments is not None and num_segments < 1:
        raise UsageError(f"--num-segments must be 1 or more, got {num_segments}")
    timeout_s = check_seconds(timeout_s, "--timeout", example=600)
    extra_args = [str(a) for a in (extra or ())]
    if any(a in ("-o", "--out_dir") or a.startswith(("--out_dir=", "-o")) for a in extra_args):
        raise UsageError("extra compiler arguments may not set the output folder",
                         "use out_dir / --out")

    target = Path(out_dir).absolute()
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} is a file, not a folder", "choose another --out folder")
    stem = model.stem
    names = _expected_names(stem, num_segments)
    planned = [target / f"{n}.tflite" for n in names] + [target / f"{n}.log" for n in names]
    planned.append(target / f"{stem}_edgetpu.console.txt")
    existing = [p for p in planned if p.exists()]
    if existing and not overwrite:
        raise OutputError(f"{existing[0]} already exists", "pass --force to replace it")

    if not isinstance(compiler, EdgeTPUCompiler):
        compiler = find_compiler(compiler)
    if version is None:
        version = compiler_version(compiler)
    version_t = parse_version(version) or (0,)
    flags = _flags(version_t, min_runtime_version=min_runtime_version, timeout_s=timeout_s,
                   num_segments=num_segments, search_delegate=search_delegate,
                   delegate_search_step=delegate_search_step,
                   multiple_subgraphs=multiple_subgraphs, show_operations=show_operations)
    if process_timeout_s is None:
        process_timeout_s = timeout_s + (120 if compiler.kind == "docker" else 60)
        if search_delegate:
            process_timeout_s = max(20 * timeout_s, 3600)

    created = missing_folders(target)
    try:
        target.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".effkit-edgetpu-", dir=target))
    except OSError as exc:
        raise OutputError(f"cannot write in {target}: {exc.strerror}",
                          "choose a writable --out folder") from None
    succeeded = False
    try:
        out = work / "out"
        out.mkdir()
        # The compiler sees a copy of the model in a scratch folder, its output folder and
        # working folder are scratch too: whatever else it writes (next to its input, into
        # its working folder) is discarded; only the documented files are moved out below.
        (work / "in").mkdir()
        shutil.copyfile(model, work / "in" / model.name)
        on_timeout = None
        if compiler.kind == "docker":
            name = f"effkit-edgetpu-{uuid.uuid4().hex[:12]}"
            argv = [*_docker_run_prefix(compiler, name=name, mount=work), *flags, *extra_args,
                    "-o", "/work/out", f"/work/in/{model.name}"]

            def on_timeout() -> None:
                _run([compiler.path, "kill", name], timeout_s=30)
        else:
            argv = [compiler.path, *flags, *extra_args, "-o", str(out),
                    str(work / "in" / model.name)]
        try:
            run = _run(argv, timeout_s=process_timeout_s, cwd=work, on_timeout=on_timeout)
        except OSError as exc:
            raise EdgeTPUCompilerNotFound(f"cannot run {argv[0]}: {exc.strerror or exc}",
                                          _platform_note() or INSTALL_HINT) from None
        console = run.stdout + (("\n" + run.stderr) if run.stderr.strip() else "")
        report = parse_log(console)
        failed = functools.partial(EdgeTPUCompileFailed, returncode=run.returncode,
                                   stdout=run.stdout, stderr=run.stderr, report=report,
                                   argv=tuple(argv))

        if run.timed_out:
            raise failed(
                f"edgetpu_compiler did not finish within {process_timeout_s:g} s and was stopped",
                FAILURE_HINTS["timeout"], kind="timeout")
        rc = run.returncode or 0
        if rc < 0 or (compiler.kind == "docker" and rc > 128 and rc - 128 in (6, 9, 11)):
            sig = -rc if rc < 0 else rc - 128
            raise failed(
                f"edgetpu_compiler crashed (killed by {_signal_name(sig)})",
                "run `effkit check-edgetpu` on the model; the compiler may not handle one of "
                "its ops, or the machine ran out of memory", kind="crashed")
        if rc != 0 or report.status == "failed":
            reason, kind = _failure_message(report, run)
            status = f"exit status {rc}" if rc else "exit status 0"
            silent = not (run.stdout.strip() or run.stderr.strip())  # no message to point to
            raise failed(f"edgetpu_compiler failed ({status}): {reason}",
                         "it printed nothing: run it by hand on the model (edgetpu_compiler -s "
                         "MODEL) to see what it does, and check the model with 'effkit "
                         "check-edgetpu'" if silent else FAILURE_HINTS.get(kind), kind=kind)

        produced = [out / f"{n}.tflite" for n in names]
        missing = [p.name for p in produced if not p.is_file()]
        if missing:
            raise failed(
                f"edgetpu_compiler reported no error but did not write {missing[0]}",
                "read the compiler's output; run `effkit check-edgetpu` on the model",
                kind="missing-output")
        for p in produced:
            if not file_has_tflite_identifier(p):
                raise failed(
                    f"edgetpu_compiler wrote {p.name}, but it is not a TFLite model",
                    "read the compiler's output", kind="bad-output")

        op_log_files = [out / f"{n}.log" for n in names if (out / f"{n}.log").is_file()]
        op_reports = [parse_log_file(p) for p in op_log_files]
        report = merge_operation_logs(report, op_reports)
        console_path = out / f"{stem}_edgetpu.console.txt"
        console_path.write_text(console, encoding="utf-8")

        final: dict[str, Path] = {}
        for src in [*op_log_files, console_path, *produced]:  # compiled models last
            dst = target / src.name
            os.replace(src, dst)
            final[src.name] = dst
        succeeded = True
        return CompileResult(
            model_path=model,
            compiled=tuple(final[p.name] for p in produced),
            op_logs=tuple(final[p.name] for p in op_log_files),
            console_log_path=final[console_path.name],
            console_log=console,
            report=report,
            version=version,
            argv=tuple(argv),
            compiler=compiler,
            elapsed_s=run.elapsed_s,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not succeeded:  # leave no folder behind that this call created
            remove_if_empty(created)
