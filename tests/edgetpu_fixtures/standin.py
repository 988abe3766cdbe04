"""A stand-in for edgetpu_compiler, written by tests into their tmp_path.

The real compiler is an x86-64 Debian package that cannot run on these machines,
so the subprocess handling (exit status, timeout, crash, missing output) is
driven by this small Python program. It takes the compiler's argv (``-s``,
``-m N``, ``-t N``, ``-o DIR``, model) and answers ``--version``.

On success it reports on the model it was given: :func:`derived_console_log` runs
effkit's check-edgetpu rules on that model (with the ``-m`` it got) and prints the
result in the compiler's console format (learned from the real logs in
tests/data/edgetpu-logs: 01, 10, 11c), with the estimated parameter memory; a
model with an op version the compiler refuses gets the refusal of google-coral/edgetpu
#845/#879 instead. The failure modes replay a real compiler log byte for byte. The
compiled model is the input carrying the compiler's custom op code (models.with_edgetpu_op;
its nodes still run on the CPU kernels) and, with "success-stripped", without its TFLite
metadata, as the real compiler writes it. Every call's argv is appended to
``<script>.calls`` (JSON lines).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MODES = ("success", "success-flood", "success-replay", "success-stripped", "fail", "crash", "hang",
         "no-output", "bad-output", "log-only")

_SCRIPT = r'''#!{python}
import json, os, signal, subprocess, sys, time
MODE, REPLAY, CALLS, VERSION = {mode!r}, {replay!r}, {calls!r}, {version!r}
sys.path.insert(0, {tests!r})
with open(CALLS, "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\n")
text = open(REPLAY, encoding="utf-8", newline="").read() if REPLAY else ""
version = "Edge TPU Compiler version " + VERSION
args = sys.argv[1:]
if args == ["--version"]:
    print(version.strip())
    sys.exit(0)
out, models, i, runtime = None, [], 0, 13
while i < len(args):
    if args[i] in ("-m", "-t", "-n", "-k", "-o", "-i"):
        if args[i] == "-o":
            out = args[i + 1]
        if args[i] == "-m":
            runtime = int(args[i + 1])
        i += 2
    elif args[i].startswith("-"):
        i += 1
    else:
        models.append(args[i])
        i += 1
if out is None or not os.path.isdir(out) or len(models) != 1 or not os.path.isfile(models[0]):
    print("stand-in: bad arguments", args, file=sys.stderr)
    sys.exit(2)
stem = os.path.splitext(os.path.basename(models[0]))[0]
if MODE == "crash":
    print(version, flush=True)
    os.kill(os.getpid(), signal.SIGSEGV)
if MODE == "hang":
    child = subprocess.Popen(["sleep", "300"])
    with open(CALLS + ".pid", "w") as fh:
        fh.write(str(child.pid))
    print(version, flush=True)
    time.sleep(300)
if MODE.startswith("success") and MODE != "success-replay":
    from edgetpu_fixtures.standin import derived_console_log
    text, oplog, refused = derived_console_log(models[0], VERSION, runtime, "-t" in args)
    if refused:
        sys.stdout.write(text)
        sys.exit(1)
sys.stdout.write(text)
sys.stdout.flush()
if MODE == "fail":
    sys.exit(1)
if MODE.startswith("success"):  # the model, carrying the compiler's op (run on the CPU kernels)
    from edgetpu_fixtures.models import with_edgetpu_op
    from effkit.metadata import remove_metadata
    with open(models[0], "rb") as src, open(os.path.join(out, stem + "_edgetpu.tflite"), "wb") as dst:
        data = src.read()
        if "Number of Edge TPU subgraphs: 0" not in text:  # with no op mapped, no op of its own
            data = with_edgetpu_op(data)
        # the real compiler drops TFLite metadata and packed files
        dst.write(remove_metadata(data) if MODE == "success-stripped" else data)
if MODE == "success-flood":  # writes beyond its documented outputs, everywhere it can reach
    for folder in (os.path.dirname(os.path.abspath(models[0])), out, os.getcwd()):
        for name in ("labels.txt", "build.json", stem + "_edgetpu.extra", "flood.bin"):
            with open(os.path.join(folder, name), "w") as fh:
                fh.write("written by the compiler")
if MODE.startswith("success") and MODE != "success-replay":
    with open(os.path.join(out, stem + "_edgetpu.log"), "w", encoding="utf-8") as fh:
        fh.write(oplog)
if MODE == "bad-output":
    with open(os.path.join(out, stem + "_edgetpu.tflite"), "wb") as fh:
        fh.write(b"not a model")
sys.exit(0)
'''


LATEST = "16.0.384591198"


def write_standin(folder: Path, *, mode: str, replay: Path | None = None,
                  name: str = "edgetpu_compiler",
                  version: str | None = None) -> Path:
    """Write an executable stand-in compiler; returns its path.

    ``replay`` is the real log the failure modes print; ``version`` (default: the replayed
    log's, else 16.0.384591198) is what ``--version`` and the derived logs say.
    """
    if mode not in MODES:
        raise ValueError(mode)
    if version is None:
        text = replay.read_text(encoding="utf-8") if replay else ""
        version = next((line.split("version", 1)[1].strip() for line in text.splitlines()
                        if line.startswith("Edge TPU Compiler version")), LATEST)
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(_SCRIPT.format(python=sys.executable, mode=mode,
                                     replay=str(replay) if replay else "",
                                     calls=str(script) + ".calls", version=version,
                                     tests=str(Path(__file__).resolve().parents[1])),
                      encoding="utf-8")
    script.chmod(0o755)
    return script


def calls(script: Path) -> list[list[str]]:
    """The argv of every call the stand-in received, oldest first."""
    path = Path(str(script) + ".calls")
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


_DOCKER = r'''#!{python}
# Stand-in docker client: no engine runs on the test machines. It answers the calls
# effkit makes and runs the stand-in compiler for "run", mapping the /work mount.
import json, os, subprocess, sys
COMPILER, STATE, RUN_ERROR = {compiler!r}, {state!r}, {run_error!r}
args = sys.argv[1:]
with open(STATE + ".calls", "a") as fh:
    fh.write(json.dumps(args) + "\n")
if args[:1] == ["version"]:
    print("28.2.2")
elif args[:2] == ["image", "inspect"]:
    sys.exit(0 if os.path.exists(STATE + ".image") else 1)
elif args[:1] == ["build"]:
    with open(STATE + ".image", "w") as fh:
        fh.write(args[args.index("-t") + 1])
elif args[:1] == ["kill"]:
    pass
elif args[:1] == ["run"] and RUN_ERROR:
    print(RUN_ERROR, file=sys.stderr)  # what Docker prints, e.g. without amd64 emulation
    sys.exit(1)
elif args[:1] == ["run"]:
    i, mount = 1, None
    while args[i].startswith("-"):
        if args[i] in ("--platform", "--network", "--name", "-w", "--user", "-v"):
            if args[i] == "-v":
                mount = args[i + 1].rsplit(":/work", 1)[0]
            i += 2
        else:
            i += 1
    image, program, rest = args[i], args[i + 1], args[i + 2:]
    assert program == "edgetpu_compiler", program
    if mount:
        rest = [mount + a[len("/work"):] if a.startswith("/work/") else a for a in rest]
    sys.exit(subprocess.call([COMPILER, *rest]))
else:
    print("stand-in docker: unexpected", args, file=sys.stderr)
    sys.exit(2)
'''


def write_docker_standin(folder: Path, compiler: Path, *, run_error: str = "") -> Path:
    """Write a stand-in ``docker`` client into ``folder`` that runs ``compiler`` for ``run``
    (or, with ``run_error``, prints it on stderr and exits 1)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "docker"
    script.write_text(_DOCKER.format(python=sys.executable, compiler=str(compiler),
                                     state=str(script), run_error=run_error), encoding="utf-8")
    script.chmod(0o755)
    return script


# -- the compiler's report, derived from the model ----------------------------------

_PARTIAL = ("Model successfully compiled but not all operations are supported by the Edge TPU. "
            "A percentage of the model will instead run on the CPU, which is slower. If "
            "possible, consider updating your model to use only operations supported by the "
            "Edge TPU. For details, visit g.co/coral/model-reqs.")
_REFUSAL = ("ERROR: Didn't find op for builtin opcode '{op}' version '{version}'. An older "
            "version of this builtin might be supported. Are you using an old TFLite binary "
            "with a newer model?")


def _size(n: int) -> str:
    for unit, scale in (("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.2f}{unit}"
    return f"{n:.2f}B"


def _status(op) -> str:
    """The compiler's words for where an op runs (statuses of the real operation logs)."""
    text = " ".join(op.reasons)
    if op.on_tpu:
        return "Mapped to Edge TPU"
    if "newer than edgetpu_compiler" in text:
        return "Operation version not supported"
    if "not in the Edge TPU's supported operations" in text or "custom op" in text:
        return "Operation not supported"
    if "quantized" in text:
        return "Operation is working on an unsupported data type"
    if op.supported:  # after the graph split
        return "More than one subgraph is not supported"
    return "Operation is otherwise supported, but not mapped due to some unspecified limitation"


def _table(report) -> list[str]:
    rows: dict[tuple[str, str], int] = {}
    for op in report.ops:
        key = (op.op, _status(op))
        rows[key] = rows.get(key, 0) + 1
    return ["Operator                       Count      Status", ""] + [
        f"{name:<30} {count:<10} {status}" for (name, status), count in rows.items()]


def derived_console_log(model: str, version: str, runtime: int,
                        timer: bool) -> tuple[str, str, bool]:
    """``(console text, operation log, refused)`` for compiling ``model``: effkit's
    prediction (check-edgetpu rules, estimated memory) in the compiler's words."""
    import os

    from effkit.edgetpu import opversions
    from effkit.edgetpu.check import check_model

    data = Path(model).read_bytes()
    report = check_model(data, min_runtime_version=runtime, compiler_version=version)
    head = [f"Edge TPU Compiler version {version}"]
    if timer:
        head.append("Started a compilation timeout timer of 180 seconds.")
    refused = [(o.op, o.version) for o in report.ops
               if opversions.refusal(o.op, o.version, version)]
    if refused:
        op, ver = refused[0]
        return "\n".join([*head, _REFUSAL.format(op=op, version=ver), "",
                          "ERROR: Registration failed.", "", f"Invalid model: {model}",
                          "Model could not be parsed", ""]), "", True
    name = os.path.basename(model)
    out_name = os.path.splitext(name)[0] + "_edgetpu"
    mem = report.memory
    lines = [*head, "", "Model compiled successfully in 1 ms.", "",
             f"Input model: {name}", f"Input size: {_size(len(data))}",
             f"Output model: {out_name}.tflite", f"Output size: {_size(len(data))}",
             f"On-chip memory used for caching model parameters: {_size(mem.on_chip_bytes)}",
             "On-chip memory remaining for caching model parameters: "
             f"{_size(mem.capacity_bytes - mem.on_chip_bytes)}",
             "Off-chip memory used for streaming uncached model parameters: "
             f"{_size(mem.off_chip_bytes)}",
             f"Number of Edge TPU subgraphs: {1 if report.ops_tpu else 0}",
             f"Total number of operations: {report.ops_total}",
             f"Operation log: {out_name}.log", ""]
    if report.ops_cpu:
        lines += [_PARTIAL, f"Number of operations that will run on Edge TPU: {report.ops_tpu}",
                  f"Number of operations that will run on CPU: {report.ops_cpu}", ""]
    lines += [*_table(report), ""]
    if timer:
        lines += ["Compilation child process completed within timeout period.",
                  "Compilation succeeded! "]
    oplog = "\n".join([f"Edge TPU Compiler version {version}", f"Input: {model}",
                       f"Output: {out_name}.tflite", "", *_table(report), ""])
    return "\n".join(lines), oplog, False
