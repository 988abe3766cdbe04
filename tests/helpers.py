"""Assertions shared by the CLI tests."""

from __future__ import annotations


def one_line_error(result) -> str:
    """The single stderr line of a failed CLI run (CliRunner result); no traceback."""
    assert result.exit_code != 0, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return lines[0]


def assert_one_line_error(result, *needles: str) -> None:
    """A failed run whose one stderr line names every needle."""
    line = one_line_error(result)
    for needle in needles:
        assert needle in line, line
