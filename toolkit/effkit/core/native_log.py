"""Native libraries' output (TensorFlow's and LiteRT's C++ logs on fd 2, Keras'
prints on stdout) kept off the terminal, so ``--json`` output stays one JSON document."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO, TextIO

if TYPE_CHECKING:
    import socket
    import subprocess

# What effkit changes is process-wide: fds 1 and 2 while a capture runs, TensorFlow's
# import (two threads importing it at once deadlock in its module locks) and its graph
# state. The API's calls and every capture hold this lock, so calls from several threads
# run one at a time instead of restoring each other's fds (outside walk: stdout left on a
# deleted file) or breaking TensorFlow for the rest of the process.
PROCESS_LOCK = threading.RLock()


@contextlib.contextmanager
def native_log_captured() -> Iterator[list[str]]:
    """Keep the converter's chatter (C++ logs on fd 2, Keras' signature dump on stdout)
    off the terminal, so ``--json`` output stays a single JSON document. The root logger
    keeps its handlers: absl's logging.basicConfig() during a SavedModel save would
    otherwise make the user's own basicConfig() a silent no-op."""
    import sys

    captured: list[str] = []
    with PROCESS_LOCK, _root_logger_kept(), tempfile.TemporaryFile(mode="w+b") as tmp, \
            _python_writes_into(tmp) as py_out:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = {fd: os.dup(fd) for fd in (1, 2)}
        crashes_shown = None
        told = False
        try:
            told = _tell_watcher(b"c", (tmp.fileno(), saved[2]))
            for fd in saved:
                os.dup2(tmp.fileno(), fd)
            crashes_shown = _fatal_signals_shown_on(saved[2])
            # Python-level writes too: a progress display may have put its own proxy on
            # sys.stderr (rich does), which would carry them past the fd redirection
            with contextlib.redirect_stdout(py_out), contextlib.redirect_stderr(py_out):
                yield captured
        finally:
            if crashes_shown:
                import faulthandler

                if crashes_shown == "asked":  # back on fd 2, which points where it did again
                    faulthandler.enable(file=2, all_threads=True)
                else:
                    faulthandler.disable()
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
            if told:
                _tell_watcher(b"e")
            tmp.seek(0)
            captured.append(tmp.read().decode("utf-8", "replace"))


@contextlib.contextmanager
def _python_writes_into(tmp: BinaryIO) -> Iterator[_CaptureStream]:
    """A text stream for a capture's Python-level writes, into the capture's own file in
    the order they come with the native ones (one file offset, each write at once): a
    crash report then shows them too. When the capture ends the stream passes what it is
    given on to the stderr of the moment: a logging handler made inside the capture
    (TensorFlow's, on its import) keeps it as its stream."""
    stream = _CaptureStream(os.dup(tmp.fileno()))
    try:
        yield stream
    finally:
        stream.end()


_FORWARDING = threading.local()  # a write an ended capture stream is passing on, per thread


class _CaptureStream(io.TextIOBase):
    """Text written straight to a file descriptor as UTF-8 (unencodable characters as
    escapes), until :meth:`end`; then to wherever ``sys.stderr`` is at each write (a later
    capture's file, or the terminal): a logging handler made inside the capture keeps this
    stream, and TensorFlow's, made on its import, went silent for the rest of the process,
    the user's own TensorFlow code in a notebook included."""

    encoding = "utf-8"  # what print() and logging ask of a stream

    def __init__(self, fd: int):
        super().__init__()
        self._fd: int | None = fd
        # a thread's write and the capture's end: never a write to the fd number once it
        # is closed (the next file opened gets it)
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        data = memoryview(str(text).encode("utf-8", "backslashreplace"))
        with self._lock:
            if self._fd is not None:
                with contextlib.suppress(OSError):  # a full disk: the capture only loses lines
                    while data:
                        data = data[os.write(self._fd, data):]
                return len(text)
        self._forward("write", text)
        return len(text)

    def flush(self) -> None:
        if self._fd is None:
            self._forward("flush")

    def _forward(self, method: str, *args: str) -> None:
        """After the end: to ``sys.stderr`` as it is now; to the interpreter's own stderr
        when that is this stream (put back by a display that saved it) or when the write
        comes back here through it (a wrapper of this stream), so nothing loops or is
        lost; a closed stderr drops it, as a plain stream's write would not raise into a
        logging call."""
        import sys

        if self._fd is not None:
            return
        now = sys.stderr
        if now is None or now is self or getattr(_FORWARDING, "busy", False):
            now = sys.__stderr__
        if now is None or now is self:
            return
        was, _FORWARDING.busy = getattr(_FORWARDING, "busy", False), True
        try:
            with contextlib.suppress(OSError, ValueError):  # closed or gone
                getattr(now, method)(*args)
        finally:
            _FORWARDING.busy = was

    def end(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _fatal_signals_shown_on(fd: int) -> str | None:
    """Make a native crash inside a capture (SIGABRT, SIGSEGV, SIGFPE, SIGBUS, SIGILL) print
    Python's fatal-error report, with the stacks that led to it, on ``fd`` (the terminal's
    stderr) rather than into the capture, which dies with the process: a converter that
    aborted (TensorFlow 2.16's MLIR "LLVM ERROR") ended a build with exit 134 and not a word.
    Returns how to undo it: "asked" (python -X faulthandler, PYTHONFAULTHANDLER: back on fd 2),
    "ours" (off again), or None when a test runner reports on a stream of its own."""
    import faulthandler
    import sys

    asked = "faulthandler" in sys._xoptions or bool(os.environ.get("PYTHONFAULTHANDLER"))
    if faulthandler.is_enabled() and not asked:
        return None
    faulthandler.enable(file=fd, all_threads=True)
    return "asked" if asked else "ours"


# The watcher, one per process, started at its first capture: each capture sends it "c"
# with the capture file and the stderr it replaced, and "e" when it ends. EOF with a capture
# still open means the process ended inside it: the watcher prints the innermost capture's
# last lines on the outermost one's stderr (the terminal's), through errors.visible as
# effkit prints any text it did not write. Its own stdin, stdout and stderr are /dev/null.
# -I -S: none of the user's or site's start-up; effkit's folder goes after the stdlib's.
_WATCHER = """\
import os, socket, sys
sock = socket.socket(fileno=int(sys.argv[1]))
sys.path.append(sys.argv[2])
from effkit.errors import visible  # now, so that the lines come out as the process ends
captures = []
while True:
    said, fds, _, _ = socket.recv_fds(sock, 1, 2)
    if said == b"c" and len(fds) == 2:
        captures.append(fds)
    elif said == b"e" and captures:
        for fd in captures.pop():
            os.close(fd)
    elif not said:
        break
if captures:
    log, stderr = captures[-1][0], captures[0][1]
    end = os.lseek(log, 0, os.SEEK_END)
    start = max(0, end - 4096)
    lines = os.pread(log, end - start, start).decode("utf-8", "surrogateescape").splitlines()
    if start and len(lines) > 1:  # the first is cut short
        lines = lines[1:]
    lines = [line for line in lines if line.strip()][-20:]
    if lines:
        os.write(stderr, ("effkit: the process ended inside TensorFlow or LiteRT; their last "
                          "lines:\\n" + "".join("  " + visible(line) + "\\n" for line in lines)
                          ).encode())
"""
# Set in the watcher's environment: a process started from it (a frozen app's executable
# is the app itself) starts no watcher of its own.
_WATCHER_ENV = "EFFKIT_CRASH_WATCHER"
# pid -> the socket to its watcher and the watcher (None: none runs)
_watcher: dict[int, tuple[socket.socket, subprocess.Popen[bytes]] | None] = {}


def _tell_watcher(said: bytes, fds: tuple[int, ...] = ()) -> bool:
    """Send ``said`` ("c" with the capture file and stderr, or "e") to this process's
    watcher, started on first use; False where none runs. A native abort, segfault or the
    OOM killer inside a capture ended the process with the native library's own reason
    ("LLVM ERROR: ...", TensorFlow's "compiled to use AVX instructions") kept in the
    capture, which died with it: the watcher outlives the process and prints it. Where it
    cannot run (not POSIX, a frozen app, no interpreter, killed) captures go on without it."""
    import array
    import socket

    pid = os.getpid()
    if pid not in _watcher:
        _watcher[pid] = _started_watcher()
    watcher = _watcher[pid]
    if watcher is None:
        return False
    rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    try:
        # MSG_NOSIGNAL: a watcher gone must not end a process that lets SIGPIPE kill it
        # (socket.send_fds drops its flags argument)
        watcher[0].sendmsg([said], rights, socket.MSG_NOSIGNAL)
    except OSError:  # it is gone (killed from outside): go on without it
        _watcher_stopped(pid)
        return False
    return True


def _started_watcher() -> tuple[socket.socket, subprocess.Popen[bytes]] | None:
    import atexit
    import socket
    import subprocess
    import sys

    if (os.name != "posix" or not sys.executable or getattr(sys, "frozen", False)
            or os.environ.get(_WATCHER_ENV) or not hasattr(socket, "recv_fds")):
        return None
    here = os.path.abspath(__file__)
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    ours, theirs = socket.socketpair()
    try:
        # its own session: a Ctrl-C at the terminal reaches effkit, which ends the capture
        # as usual, and not the watcher
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _WATCHER, str(theirs.fileno()), package_parent],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True, env={**os.environ, _WATCHER_ENV: "1"})
    except OSError:
        ours.close()
        return None
    finally:
        theirs.close()
    atexit.register(_watcher_stopped, os.getpid())
    return ours, proc


def _watcher_stopped(pid: int) -> None:
    """At exit (or when it is gone): close the socket, which ends the watcher without a
    word, and collect it."""
    watcher = _watcher.get(pid)  # None in a forked child: _forget_inherited_watcher
    if watcher is None:
        return
    _watcher[pid] = None
    import subprocess

    sock, proc = watcher
    sock.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=1)  # it ends at once; a stuck one is not worth an exit's wait


def _forget_inherited_watcher() -> None:
    """In a forked child: the parent's watcher is the parent's. The child holding its socket
    kept the watcher from seeing the parent end: the parent's exit waited for it, and a
    crash report for the child (outside review: 10 s with a forked child alive)."""
    for watcher in _watcher.values():
        if watcher is not None:
            sock, proc = watcher
            sock.close()
            proc.returncode = 0  # not this process's child: nothing to collect or warn of
    _watcher.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_watcher)


def beside_captures(stream: TextIO) -> TextIO:
    """Where progress is written so that captures do not hide it: for a stream on fd 1 or 2
    (the process's stdout or stderr), a new line-buffered stream on a copy of that fd, which
    a capture's dup2 leaves pointing where it pointed now; any other stream (a StringIO, a
    file) as it is. Call it outside a capture: a build's progress (heartbeat lines in a log,
    the bars' clock at a terminal) went silent for the whole conversion, 20 s to minutes."""
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # no fd of its own (StringIO, closed)
        return stream
    if fd not in (1, 2):
        return stream
    try:
        target = os.fstat(fd)
    except OSError:  # the fd is closed: there is nothing to keep visible
        return stream
    # one copy per place the fd points to, kept for the process: a copy per caller leaked a
    # descriptor (and a ResourceWarning) with every progress display
    key = (fd, target.st_dev, target.st_ino)
    copy = _COPIES.get(key)
    if copy is None:
        if not _COPIES:
            import atexit

            atexit.register(lambda: [c.close() for c in _COPIES.values()])
        copy = _COPIES[key] = open(os.dup(fd), "w",  # noqa: SIM115 - kept for the process
                                   encoding=getattr(stream, "encoding", None) or "utf-8",
                                   errors="backslashreplace", buffering=1)
    return copy


_COPIES: dict[tuple[int, int, int], TextIO] = {}


@contextlib.contextmanager
def _root_logger_kept() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow now, with its C++ start-up lines (oneDNN notice, absl warning)
    kept off the terminal: they are printed before TF_CPP_MIN_LOG_LEVEL takes effect."""
    import sys

    with PROCESS_LOCK:  # a second thread waits here, then finds it imported
        if "tensorflow" in sys.modules:
            return
        with native_log_captured():
            import tensorflow  # noqa: F401


def import_matplotlib():  # noqa: ANN201 - the matplotlib module (typed where it is used)
    """matplotlib, imported without its two warning lines about a config folder it cannot
    write (a read-only HOME, a CI job's): it works from a temporary folder then, and a
    report's stderr is for effkit's own lines."""
    import logging
    import sys

    if "matplotlib" not in sys.modules:
        log = logging.getLogger("matplotlib")
        level = log.level
        log.setLevel(logging.ERROR)
        try:
            import matplotlib  # noqa: F401
        finally:
            log.setLevel(level)
    return sys.modules["matplotlib"]
