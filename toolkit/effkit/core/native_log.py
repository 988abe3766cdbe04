"""Native libraries' output (TensorFlow's and LiteRT's C++ logs on fd 2, Keras'
prints on stdout) kept off the terminal, so ``--json`` output stays one JSON document."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import TextIO

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
    import io
    import sys

    captured: list[str] = []
    py_out = io.StringIO()
    with PROCESS_LOCK, _root_logger_kept(), tempfile.TemporaryFile(mode="w+b") as tmp:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = {fd: os.dup(fd) for fd in (1, 2)}
        for fd in saved:
            os.dup2(tmp.fileno(), fd)
        crashes_shown = None
        try:
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
            tmp.seek(0)
            captured.append(tmp.read().decode("utf-8", "replace") + py_out.getvalue())


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
