"""Assertions shared by the CLI tests."""

from __future__ import annotations

import re

# The stage lines a build prints when stderr is not a terminal (effkit.progress.LineProgress).
PROGRESS_LINE = re.compile(r"^.+: (started|done in [0-9.]+ s|[0-9]+(/[0-9]+)? after [0-9]+ s)$")


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
