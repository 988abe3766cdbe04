"""Native libraries' output (TensorFlow's and LiteRT's C++ logs on fd 2, Keras'
prints on stdout) kept off the terminal, so ``--json`` output stays one JSON document."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def native_log_captured() -> Iterator[list[str]]:
    """Keep the converter's chatter (C++ logs on fd 2, Keras' signature dump on stdout)
    off the terminal, so ``--json`` output stays a single JSON document."""
    import io
    import sys

    captured: list[str] = []
    py_out = io.StringIO()
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = {fd: os.dup(fd) for fd in (1, 2)}
        for fd in saved:
            os.dup2(tmp.fileno(), fd)
        try:
            with contextlib.redirect_stdout(py_out):
                yield captured
        finally:
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
            tmp.seek(0)
            captured.append(tmp.read().decode("utf-8", "replace") + py_out.getvalue())


def import_tensorflow_quietly() -> None:
    """Import TensorFlow now, with its C++ start-up lines (oneDNN notice, absl warning)
    kept off the terminal: they are printed before TF_CPP_MIN_LOG_LEVEL takes effect."""
    import sys

    if "tensorflow" in sys.modules:
        return
    with native_log_captured():
        import tensorflow  # noqa: F401
