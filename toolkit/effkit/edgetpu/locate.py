"""Find Google's ``edgetpu_compiler``: a local binary, or the docker route, and its version.

Where the compiler comes from, in order: ``--compiler PATH`` (or ``docker``), the
environment variable ``EFFKIT_EDGETPU_COMPILER``, then ``edgetpu_compiler`` on
``PATH``. The compiler is an x86-64 Linux program from Coral's apt repository;
elsewhere (macOS, Windows, ARM) ``--compiler docker`` builds an image from the
Dockerfile shipped in ``effkit/edgetpu/docker/`` once and runs it as linux/amd64
(on ARM hosts through QEMU emulation) with only the build's scratch folder mounted.
:func:`choose_compiler` is the build's choice: local, else a running Docker engine,
else none (the build then finishes without the Edge TPU model).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from effkit.edgetpu.logmodel import parse_version
from effkit.edgetpu.logparse import parse_log
from effkit.errors import ToolFailedError, ToolNotFoundError

ENV_VAR = "EFFKIT_EDGETPU_COMPILER"
BINARY = "edgetpu_compiler"
DOCKER = "docker"
DOCKERFILE = Path(__file__).resolve().parent / "docker" / "Dockerfile"
DOCKER_PLATFORM = "linux/amd64"
IMAGE_NAME = "effkit-edgetpu-compiler"
KEYRING = "/usr/share/keyrings/coral-edgetpu.gpg"
# Coral's page (coral.ai/docs/edgetpu/compiler/) still says 'apt-key add'; apt-key is
# deprecated and "will last be available in Debian 12 and Ubuntu 24.04" (apt-key(8),
# manpages.ubuntu.com/manpages/noble/en/man8/apt-key.8.html), so the key goes into its own
# keyring named by signed-by, as in effkit/edgetpu/docker/Dockerfile.
NATIVE_HINT = (
    "install it on Debian/Ubuntu x86-64 from Coral's apt repository: "
    "'curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg | "
    f"sudo gpg --dearmor -o {KEYRING}', "
    f"'echo \"deb [signed-by={KEYRING}] https://packages.cloud.google.com/apt "
    "coral-edgetpu-stable main\" | sudo tee /etc/apt/sources.list.d/coral-edgetpu.list', "
    "'sudo apt-get update && sudo apt-get install edgetpu-compiler' "
    "(https://coral.ai/docs/edgetpu/compiler/); "
    f"point {ENV_VAR} or --compiler at it"
)
INSTALL_HINT = NATIVE_HINT + ", or use --compiler docker"
DOCKER_INSTALL = "install Docker (https://docs.docker.com/get-docker/)"
DOCKER_START = "start Docker Desktop or the docker service ('sudo systemctl start docker')"
DOCKER_GROUP = "add yourself to the docker group ('sudo usermod -aG docker $USER', then log in again)"
# On ARM hosts Docker runs the linux/amd64 image through QEMU. Docker Desktop (macOS,
# Windows) ships the emulation; Docker Engine on ARM Linux (Raspberry Pi OS, arm64
# servers) needs it registered once (https://github.com/tonistiigi/binfmt, "Installing
# emulators"; https://docs.docker.com/build/building/multi-platform/).
BINFMT_COMMAND = "docker run --privileged --rm tonistiigi/binfmt --install amd64"
BINFMT_HINT = (f"this {platform.machine() or 'non-x86'} host cannot run the linux/amd64 "
               f"compiler image: register QEMU emulation once with '{BINFMT_COMMAND}' "
               "(Docker Desktop includes it), then run the command again")


class EdgeTPUCompilerNotFound(ToolNotFoundError):
    """No usable edgetpu_compiler (nor docker engine for ``--compiler docker``)."""



@dataclass(frozen=True)
class EdgeTPUCompiler:
    """A compiler that can be run: a local binary or the docker route."""

    kind: str      # "local" or "docker"
    path: str      # absolute path of edgetpu_compiler, or of the docker client
    source: str    # "--compiler", ENV_VAR, "PATH" or "docker"
    image: str | None = None  # docker image tag

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "source": self.source, "image": self.image}



# ---------------------------------------------------------------------------
# Running a program


@dataclass(frozen=True)
class _Run:
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    elapsed_s: float


def _kill_tree(proc: subprocess.Popen[str]) -> None:
    """Kill the child and everything it started (edgetpu_compiler 16 forks a compile child)."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def _run(argv: list[str], *, timeout_s: float, cwd: Path | None = None,
         on_timeout: Any = None) -> _Run:
    """Run ``argv`` (no shell), capture text output, stop the whole process group on timeout.

    ``subprocess.run(timeout=...)`` kills only the direct child and then waits for
    the pipes to close, which a surviving grandchild (the compiler's compile child,
    or a ``sleep`` in a wrapper script) keeps open: the call would hang. The child
    therefore gets its own session and the group is killed.
    """
    start = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=cwd, text=True, encoding="utf-8", errors="replace",
        start_new_session=os.name == "posix",
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
        return _Run(proc.returncode, out or "", err or "", False, time.monotonic() - start)
    except subprocess.TimeoutExpired:
        _kill_tree(proc)
        if on_timeout is not None:
            on_timeout()
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a process outside the group still holds a pipe
            out, err = "", ""
        return _Run(proc.returncode, out or "", err or "", True, time.monotonic() - start)
    except BaseException:
        _kill_tree(proc)
        with contextlib.suppress(Exception):
            proc.communicate(timeout=5)
        raise


@dataclass(frozen=True)
class CompilerChoice:
    """What a coral build will compile with: ``compiler`` (None: build without it) and why."""

    compiler: EdgeTPUCompiler | None
    note: str  # one line for the user
    version: str | None = None  # the compiler's version, once read (see :func:`with_version`)

    def with_version(self) -> CompilerChoice:
        """This choice with its compiler's version read (once; the docker route builds its
        image here): a build plan holds it, so running the plan asks nothing again."""
        if self.compiler is None or self.version is not None:
            return self
        return dataclasses.replace(self, version=compiler_version(self.compiler))

    @property
    def route(self) -> str:
        return self.compiler.kind if self.compiler is not None else "none"


# ---------------------------------------------------------------------------
# Finding the compiler


def host_is_arm() -> bool:
    return platform.machine().lower() in ("arm64", "aarch64", "armv7l", "armv6l", "arm")


def _exec_format_error(text: str) -> bool:
    """Docker's words when an amd64 image runs on an ARM host without emulation."""
    return "exec format error" in text.lower()


def _platform_note() -> str:
    machine = os.uname().machine if hasattr(os, "uname") else ""
    if sys.platform != "linux" or machine not in ("x86_64", "AMD64", ""):
        arm = (f"; on ARM Linux register amd64 emulation first: '{BINFMT_COMMAND}'"
               if sys.platform == "linux" and host_is_arm() else "")
        return (f"edgetpu_compiler runs only on x86-64 Linux (this is {sys.platform} "
                f"{machine}); use --compiler docker{arm}")
    return ""


def _local(candidate: str, source: str) -> EdgeTPUCompiler:
    path = Path(candidate).expanduser()
    if not path.exists() and os.sep not in candidate and "/" not in candidate:
        found = shutil.which(candidate)
        if found:
            path = Path(found)
    if not path.exists():
        raise EdgeTPUCompilerNotFound(f"{source} {candidate}: no such file",
                                      f"give the path of edgetpu_compiler, or {INSTALL_HINT}")
    if path.is_dir():
        raise EdgeTPUCompilerNotFound(f"{source} {candidate} is a folder, not the compiler",
                                      "give the path of the edgetpu_compiler program")
    if not os.access(path, os.X_OK):
        if not _looks_like_a_program(path):  # labels.txt given by mistake: chmod is no fix
            raise EdgeTPUCompilerNotFound(f"{source} {candidate} is not a program (neither an "
                                          "executable binary nor a script)",
                                          f"give the path of edgetpu_compiler, or {INSTALL_HINT}")
        raise EdgeTPUCompilerNotFound(f"{source} {candidate} is not executable",
                                      f"run 'chmod +x {path}'")
    return EdgeTPUCompiler(kind="local", path=str(path.resolve()), source=source)


def image_tag() -> str:
    """``effkit-edgetpu-compiler:<effkit version>-<Dockerfile digest>`` (new tag, new build)."""
    from effkit.core.version import __version__

    digest = hashlib.sha256(DOCKERFILE.read_bytes()).hexdigest()[:12]
    return f"{IMAGE_NAME}:{__version__}-{digest}"


def _docker() -> EdgeTPUCompiler:
    client = shutil.which(DOCKER)
    if client is None:
        raise _no_docker("docker is not installed", DOCKER_INSTALL,
                         "install edgetpu_compiler natively on Debian/Ubuntu x86-64 from Coral's "
                         "apt repository")
    try:
        run = _run([client, "version", "--format", "{{.Server.Version}}"], timeout_s=30)
    except OSError as exc:
        raise EdgeTPUCompilerNotFound(f"--compiler docker: cannot run {client}: {exc.strerror}",
                                      "check the Docker installation") from None
    if run.timed_out or run.returncode != 0 or not run.stdout.strip():
        detail = (run.stderr.strip().splitlines() or ["no answer"])[-1]
        native = "install edgetpu_compiler natively on Debian/Ubuntu x86-64"
        if "permission denied" in detail.lower():  # the engine runs; this user may not use it
            raise _no_docker(f"the docker engine refused this user ({detail})", DOCKER_GROUP, native)
        raise _no_docker(f"the docker client is installed but its engine is not running ({detail})",
                         DOCKER_START, native)
    return EdgeTPUCompiler(kind="docker", path=client, source="docker", image=image_tag())


def _no_docker(why: str, fix: str, otherwise: str) -> EdgeTPUCompilerNotFound:
    """Docker cannot compile here: ``fix`` is kept on the error (``docker_fix``), for a
    missing compiler's error to give the same fix."""
    exc = EdgeTPUCompilerNotFound(f"--compiler docker: {why}", f"{fix}, or {otherwise}")
    exc.docker_fix = fix  # type: ignore[attr-defined]
    return exc


def find_compiler(compiler: str | os.PathLike[str] | None = None) -> EdgeTPUCompiler:
    """Locate a usable compiler: ``compiler`` (a path, a name on PATH, or ``"docker"``),
    then ``$EFFKIT_EDGETPU_COMPILER``, then ``edgetpu_compiler`` on ``PATH``.

    Raises :class:`EdgeTPUCompilerNotFound` with install instructions. Cheap: runs
    nothing for a local binary, ``docker version`` for the docker route.
    """
    if compiler is not None and str(compiler).strip():
        value = str(compiler).strip()
        return _docker() if value.lower() == DOCKER else _local(value, "--compiler")
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return _docker() if env.lower() == DOCKER else _local(env, ENV_VAR)
    found = shutil.which(BINARY)
    if found:
        return EdgeTPUCompiler(kind="local", path=str(Path(found).resolve()), source="PATH")
    note = _platform_note()
    raise EdgeTPUCompilerNotFound(
        "edgetpu_compiler is not installed" + (f" ({note})" if note else ""), INSTALL_HINT)


# ---------------------------------------------------------------------------
# Docker image


def _docker_run_prefix(compiler: EdgeTPUCompiler, *, name: str | None = None,
                       mount: Path | None = None) -> list[str]:
    argv = [compiler.path, "run", "--rm", "--platform", DOCKER_PLATFORM, "--network", "none"]
    if name:
        argv += ["--name", name]
    if mount is not None:
        argv += ["-v", f"{mount}:/work", "-w", "/work"]
    if hasattr(os, "getuid"):
        argv += ["--user", f"{os.getuid()}:{os.getgid()}"]
    return [*argv, str(compiler.image), BINARY]


def ensure_image(compiler: EdgeTPUCompiler, *, timeout_s: float = 1800) -> str:
    """Build the compiler image from the shipped Dockerfile unless it already exists."""
    tag = str(compiler.image)
    if _run([compiler.path, "image", "inspect", tag], timeout_s=60).returncode == 0:
        return tag
    run = _run([compiler.path, "build", "--platform", DOCKER_PLATFORM, "-t", tag,
                "-f", str(DOCKERFILE), str(DOCKERFILE.parent)], timeout_s=timeout_s)
    if not run.timed_out and run.returncode != 0 and _exec_format_error(run.stderr + run.stdout):
        raise EdgeTPUCompilerNotFound(f"building the edgetpu_compiler image {tag} failed "
                                      "with 'exec format error'", BINFMT_HINT)
    if run.timed_out or run.returncode != 0:
        tail = " | ".join((run.stderr or run.stdout).strip().splitlines()[-3:])
        raise ToolFailedError(
            f"building the edgetpu_compiler image {tag} failed"
            + (" (timed out)" if run.timed_out else f": {tail}"),
            "check network access to packages.cloud.google.com and Docker's disk space",
            returncode=run.returncode, stdout=run.stdout, stderr=run.stderr)
    return tag


# ---------------------------------------------------------------------------
# Version


def _version_argv(compiler: EdgeTPUCompiler) -> list[str]:
    if compiler.kind == "docker":
        return [*_docker_run_prefix(compiler), "--version"]
    return [compiler.path, "--version"]


@functools.lru_cache(maxsize=16)
def _version_cached(compiler: EdgeTPUCompiler, stamp: int) -> str:
    del stamp  # part of the cache key only: a replaced binary is asked again
    if compiler.kind == "docker":
        ensure_image(compiler)
    try:
        run = _run(_version_argv(compiler), timeout_s=120 if compiler.kind == "docker" else 30)
    except OSError as exc:
        raise EdgeTPUCompilerNotFound(
            f"cannot run {compiler.path}: {exc.strerror or exc}",
            "edgetpu_compiler runs only on x86-64 Linux; elsewhere use --compiler docker") from None
    version = parse_log(run.stdout + "\n" + run.stderr).compiler_version
    if compiler.kind == "docker" and version is None and _exec_format_error(run.stderr):
        raise EdgeTPUCompilerNotFound("the edgetpu_compiler container stopped with 'exec "
                                      "format error'", BINFMT_HINT)
    if run.timed_out or version is None or parse_version(version) is None:
        raise EdgeTPUCompilerNotFound(
            f"{compiler.path} --version did not print an Edge TPU Compiler version "
            f"(exit status {run.returncode})",
            f"check that it is Coral's edgetpu_compiler, or {INSTALL_HINT}")
    return version


def compiler_version(compiler: EdgeTPUCompiler | None = None) -> str:
    """The compiler's version string, e.g. ``"16.0.384591198"`` (asked once, then cached).

    For the docker route this builds the image on first use.
    """
    compiler = compiler or find_compiler()
    stamp = 0
    if compiler.kind == "local":
        with contextlib.suppress(OSError):
            stamp = os.stat(compiler.path).st_mtime_ns
    return _version_cached(compiler, stamp)




NO_COMPILER = "no edgetpu_compiler and no running Docker engine on this machine"
# edgetpu_compiler's limit per compilation (-t), seconds: compiling one model takes the
# compiler's own default; a build, and finishing one, allow more (lite4 under emulation).
COMPILE_TIMEOUT_S = 180.0
BUILD_COMPILE_TIMEOUT_S = 600.0


def finish_hint(out_dir: str | os.PathLike[str] = "OUT") -> str:
    """How to make the Edge TPU model of a build folder that was built without it."""
    import shlex

    folder = shlex.quote(os.fspath(out_dir).rstrip("/") + "/")  # a command to paste: one word
    return (f"finish with 'effkit compile-edgetpu {folder}' on an "
            "x86-64 Linux host with edgetpu_compiler, or where a Docker engine runs")


def choose_compiler(requested: str | os.PathLike[str] | None = None, *,
                    require: bool = False) -> CompilerChoice:
    """The build's compiler: an explicit one (``--compiler``, ``$EFFKIT_EDGETPU_COMPILER``)
    or ``edgetpu_compiler`` on PATH, else a running Docker engine, else none.

    An explicit choice that does not work is an error, as is finding nothing when
    ``require`` (``--require-compile``). Docker is only asked when no local compiler is
    found; its image is built on first use (by :func:`compiler_version`).
    """
    explicit = (requested is not None and str(requested).strip()) or \
        os.environ.get(ENV_VAR, "").strip()
    if explicit:
        found = find_compiler(requested)
        return CompilerChoice(found, f"edgetpu_compiler: {found.kind} ({found.source})")
    try:
        found = find_compiler()
        return CompilerChoice(found, f"edgetpu_compiler: {found.path}")
    except EdgeTPUCompilerNotFound as missing:
        try:
            docker = _docker()
        except EdgeTPUCompilerNotFound as no_docker:
            if require:  # the hint's "or use --compiler docker" would fail too: say why, and the fix
                why = no_docker.message.removeprefix("--compiler docker: ")
                fix = getattr(no_docker, "docker_fix", DOCKER_START)
                raise EdgeTPUCompilerNotFound(f"{missing.message}, and Docker cannot stand in: {why}",
                                              f"{NATIVE_HINT}; or {fix} for --compiler docker") from None
            return CompilerChoice(None, NO_COMPILER)
        arm = " under linux/amd64 emulation" if host_is_arm() else ""
        return CompilerChoice(docker, "no local edgetpu_compiler: compiling in Docker "
                                      f"({docker.image}{arm})")


def _looks_like_a_program(path: Path) -> bool:
    """An ELF binary or a '#!' script: what a missing execute bit would make runnable."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError:
        return True  # unreadable: the execute-bit hint is as good as any
    return head == b"\x7fELF" or head[:2] == b"#!"
