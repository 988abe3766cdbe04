"""Assertions shared by the CLI tests."""

from __future__ import annotations

import os
import re
import sys

import pytest

# The stage lines a build prints when stderr is not a terminal (effkit.progress.LineProgress).
PROGRESS_LINE = re.compile(
    r"^.+: (started|done in [0-9.]+ s|[0-9]+(/[0-9]+)? after [0-9]+ s|running, [0-9]+ s)$")


def one_line_error(result) -> str:
    """The single stderr line of a failed CLI run (CliRunner result); no traceback.

    Stage progress lines before it (stderr is not a terminal here) are not errors."""
    assert result.exit_code != 0, result.output
    lines = [ln for ln in result.stderr.splitlines()
             if ln.strip() and not PROGRESS_LINE.match(ln)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return lines[0]


def assert_one_line_error(result, *needles: str) -> None:
    """A failed run whose one stderr line names every needle."""
    line = one_line_error(result)
    for needle in needles:
        assert needle in line, line


def tflite_support_oracle():
    """tflite-support 0.4.4's flatbuffers-only modules; skip (fail in CI on <= 3.11) without."""
    try:
        from tensorflow_lite_support.metadata import metadata_schema_py_generated as ref_fb
        from tensorflow_lite_support.metadata.cc.python import _pywrap_metadata_version
        from tensorflow_lite_support.metadata.python import metadata as ref
        from tensorflow_lite_support.metadata.python.metadata_writers import (
            image_classifier,
            metadata_info,
        )
    except Exception as exc:  # ImportError, or a broken dependency of the wheel
        reason = (f"tflite-support 0.4.4 is not importable ({type(exc).__name__}: {exc}); "
                  "install it with: pip install --no-deps tflite-support==0.4.4 (Python <= 3.11)")
        if os.environ.get("CI") and sys.version_info < (3, 12):
            pytest.fail(reason)
        pytest.skip(reason)
    return ref, ref_fb, _pywrap_metadata_version, image_classifier, metadata_info
