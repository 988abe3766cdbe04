"""Every benchmark the docs name as a reproduce command starts: ``--help`` prints its usage
and exits 0 without measuring anything (an outside check found one script crashing on it,
one exiting 1 and one running the whole benchmark instead)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p for p in BENCHMARKS.glob("*.py") if p.name != "shared_data.py")


def _help(script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True,
                          timeout=300, cwd=script.parent.parent)


def test_every_benchmark_answers_help_without_running():
    assert len(SCRIPTS) >= 10
    with ThreadPoolExecutor(2) as pool:
        done = dict(zip(SCRIPTS, pool.map(_help, SCRIPTS), strict=True))
    for script, proc in done.items():
        assert proc.returncode == 0, f"{script.name} --help: exit {proc.returncode}\n{proc.stderr[-800:]}"
        assert proc.stdout.startswith("usage:"), f"{script.name} --help printed {proc.stdout[:200]!r}"
        # argparse's usage only: nothing measured or written before it
        assert "median" not in proc.stdout and "wrote" not in proc.stdout, script.name
