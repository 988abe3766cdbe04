"""A stand-in for edgetpu_compiler, written by tests into their tmp_path.

The real compiler is an x86-64 Debian package that cannot run on these machines,
so the subprocess handling (exit status, timeout, crash, missing output) is
driven by this small Python program. It takes the compiler's argv (``-s``,
``-m N``, ``-t N``, ``-o DIR``, model), answers ``--version``, replays a real
compiler log from ../shared/data/edgetpu-logs byte for byte, and then behaves
as ``mode`` says. Every call's argv is appended to ``<script>.calls`` (JSON lines).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MODES = ("success", "success-stripped", "fail", "crash", "hang", "no-output", "bad-output", "log-only")

_SCRIPT = r'''#!{python}
import json, os, shutil, signal, subprocess, sys, time
MODE, REPLAY, OPLOG, CALLS = {mode!r}, {replay!r}, {oplog!r}, {calls!r}
with open(CALLS, "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\n")
text = open(REPLAY, encoding="utf-8", newline="").read() if REPLAY else ""
version = next((l for l in text.splitlines() if l.startswith("Edge TPU Compiler version")), "")
args = sys.argv[1:]
if args == ["--version"]:
    print(version.strip())
    sys.exit(0)
out, models, i = None, [], 0
while i < len(args):
    if args[i] in ("-m", "-t", "-n", "-k", "-o", "-i"):
        if args[i] == "-o":
            out = args[i + 1]
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
sys.stdout.write(text)
sys.stdout.flush()
if MODE == "fail":
    sys.exit(1)
if MODE == "success-stripped":  # the real compiler drops TFLite metadata and packed files
    from effkit.metadata import remove_metadata
    with open(models[0], "rb") as src, open(os.path.join(out, stem + "_edgetpu.tflite"), "wb") as dst:
        dst.write(remove_metadata(src.read()))
if MODE == "success":
    shutil.copyfile(models[0], os.path.join(out, stem + "_edgetpu.tflite"))
if MODE.startswith("success"):
    if OPLOG:
        shutil.copyfile(OPLOG, os.path.join(out, stem + "_edgetpu.log"))
if MODE == "bad-output":
    with open(os.path.join(out, stem + "_edgetpu.tflite"), "wb") as fh:
        fh.write(b"not a model")
sys.exit(0)
'''


def write_standin(folder: Path, *, mode: str, replay: Path | None,
                  op_log: Path | None = None, name: str = "edgetpu_compiler") -> Path:
    """Write an executable stand-in compiler; returns its path."""
    if mode not in MODES:
        raise ValueError(mode)
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(_SCRIPT.format(python=sys.executable, mode=mode,
                                     replay=str(replay) if replay else "",
                                     oplog=str(op_log) if op_log else "",
                                     calls=str(script) + ".calls"), encoding="utf-8")
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
COMPILER, STATE = {compiler!r}, {state!r}
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


def write_docker_standin(folder: Path, compiler: Path) -> Path:
    """Write a stand-in ``docker`` client into ``folder`` that runs ``compiler`` for ``run``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "docker"
    script.write_text(_DOCKER.format(python=sys.executable, compiler=str(compiler),
                                     state=str(script)), encoding="utf-8")
    script.chmod(0o755)
    return script
