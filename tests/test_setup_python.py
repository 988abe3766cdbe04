"""scripts/setup.sh picks a Python that effkit supports before it makes anything: the range
is pyproject.toml's requires-python, read by scripts/python-range.sh. Real interpreters
(pyenv's, as on this machine and CI's) stand in a PATH of their own for a user's."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYENV = Path.home() / ".pyenv" / "versions"
TOOLS = ("sed", "seq", "tr", "sort", "dirname", "id")  # what the scripts call besides Python


def pyenv_python(minor: str) -> Path:
    found = sorted(PYENV.glob(f"{minor}.*/bin/python"))
    if not found:
        pytest.skip(f"no Python {minor} under {PYENV} (pyenv) to stand in for a user's")
    return found[-1]


def bare_path(tmp_path: Path, pythons: dict[str, Path]) -> str:
    """A PATH folder with the shell tools and just these interpreters (name -> binary)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).symlink_to(shutil.which(tool) or pytest.fail(f"{tool} not found"))
    for name, binary in pythons.items():
        (bin_dir / name).symlink_to(binary)
    return str(bin_dir)


def pick(path: str, python: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": str(Path.home())}
    if python:
        env["PYTHON"] = python
    return subprocess.run(["/bin/bash", str(ROOT / "scripts/python-range.sh")], env=env,
                          capture_output=True, text=True)


def source(expr: str) -> str:
    proc = subprocess.run(["bash", "-c", f". scripts/python-range.sh && {expr}"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def test_the_range_is_pyproject_requires_python():
    text = (ROOT / "pyproject.toml").read_text()
    low, high = map(int, re.search(r'^requires-python = ">=3\.(\d+),<3\.(\d+)"', text, re.M).groups())
    assert source("supported_minors") == " ".join(f"3.{m}" for m in range(low, high))
    words = source("supported_words")
    # the README's quick start names the same range
    assert f"Python {words})" in (ROOT / "README.md").read_text()


def test_why_not_names_tensorflow_only_above_the_range():
    assert source("why_not 3.14") == "(TensorFlow has no stable wheels for Python 3.14 yet)"
    assert source("why_not 3.9") == ""


def test_python3_outside_the_range_gives_way_to_the_newest_supported(tmp_path):
    path = bare_path(tmp_path, {"python3": pyenv_python("3.9"), "python3.12": pyenv_python("3.12"),
                                "python3.11": pyenv_python("3.11")})
    proc = pick(path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "python3.12"
    assert proc.stderr.strip() == "== python3 is Python 3.9, outside 3.10 to 3.13; using python3.12"


def test_a_supported_python3_is_used_as_it_is(tmp_path):
    path = bare_path(tmp_path, {"python3": pyenv_python("3.11"), "python3.12": pyenv_python("3.12")})
    proc = pick(path)
    assert (proc.returncode, proc.stdout.strip(), proc.stderr) == (0, "python3", "")


def test_no_supported_python_is_one_line_naming_the_fix(tmp_path):
    path = bare_path(tmp_path, {"python3": pyenv_python("3.9")})
    proc = pick(path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "error: effkit needs Python 3.10 to 3.13 and python3 is Python 3.9, with no python3.X of those "
        "on PATH: install one (e.g. python3.13) or set PYTHON=/path/to/python3.13"]


def test_python_given_outside_the_range_is_refused(tmp_path):
    path = bare_path(tmp_path, {"python3.12": pyenv_python("3.12")})
    old = str(pyenv_python("3.9"))
    proc = pick(path, python=old)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        f"error: PYTHON={old} is Python 3.9; effkit needs Python 3.10 to 3.13: set PYTHON to one of those"]
    proc = pick(path, python=str(tmp_path / "nope"))
    assert proc.returncode == 1
    assert "does not run: set PYTHON to a Python 3.10 to 3.13" in proc.stderr


def setup_checkout(tmp_path: Path) -> Path:
    """setup.sh and what it reads, in a checkout of their own (it cds to its parent's parent)."""
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    for name in ("scripts/setup.sh", "scripts/python-range.sh", "pyproject.toml"):
        shutil.copy2(ROOT / name, checkout / name)
    return checkout


def run_setup(checkout: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/bash", str(checkout / "scripts/setup.sh"), *args], capture_output=True,
                          text=True, env={"PATH": path, "HOME": str(Path.home())})


def test_setup_refuses_an_argument_it_does_not_know(tmp_path):
    # a typo (--devv) made a plain install without a word, and the tests then lacked their tools
    checkout = setup_checkout(tmp_path)
    path = bare_path(tmp_path, {"python3": pyenv_python("3.11")})
    for args, line in ((["--devv"], "error: unknown argument '--devv': run 'bash scripts/setup.sh', "
                                    "or with --dev for the tests"),
                       (["--dev", "x"], "error: one argument at most (--dev), got 2")):
        proc = run_setup(checkout, path, *args)
        assert (proc.returncode, proc.stderr.splitlines()) == (2, [line])
        assert proc.stdout == "" and not (checkout / ".venv").exists()


def test_setup_makes_nothing_without_a_supported_python(tmp_path):
    checkout = setup_checkout(tmp_path)
    path = bare_path(tmp_path, {"python3": pyenv_python("3.9")})
    proc = run_setup(checkout, path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1].startswith("error: effkit needs Python 3.10 to 3.13")
    assert "Traceback" not in proc.stderr
    assert not (checkout / ".venv").exists()


def test_setup_refuses_a_venv_of_another_python_and_leaves_it(tmp_path):
    checkout = setup_checkout(tmp_path)
    subprocess.run([str(pyenv_python("3.9")), "-m", "venv", "--without-pip", str(checkout / ".venv")],
                   check=True)
    before = sorted(p.relative_to(checkout) for p in (checkout / ".venv").rglob("*"))
    path = bare_path(tmp_path, {"python3": pyenv_python("3.12")})
    proc = run_setup(checkout, path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: .venv has Python 3.9, outside 3.10 to 3.13: remove it (rm -r .venv) and run again"]
    assert sorted(p.relative_to(checkout) for p in (checkout / ".venv").rglob("*")) == before


def test_setup_refuses_a_venv_whose_python_does_not_run(tmp_path):
    checkout = setup_checkout(tmp_path)
    (checkout / ".venv" / "bin").mkdir(parents=True)
    (checkout / ".venv" / "bin" / "python").symlink_to(tmp_path / "gone" / "python3.12")  # a removed base
    path = bare_path(tmp_path, {"python3": pyenv_python("3.12")})
    proc = run_setup(checkout, path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: .venv/bin/python does not run: remove .venv (rm -r .venv) and run again"]
