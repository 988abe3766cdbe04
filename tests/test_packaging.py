"""The wheel carries everything effkit reads at run time: templates (dotfiles included),
the metadata schema, the label files, the shipped calibration sets and the Dockerfile."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


pytestmark = pytest.mark.slow  # builds the wheel with pip (seconds of CPU)


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory) -> Path:
    """One wheel for the session, built by whichever xdist worker comes first: two `pip
    wheel` runs at once share the checkout's .setuptools-build and overwrite each other's
    files (a check on Python 3.13 saw up to 6 errors per `scripts/test.sh` run)."""
    import fcntl
    import os

    base = tmp_path_factory.getbasetemp()  # a worker's is inside the session's
    out = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "effkit-wheel"
    out.mkdir(exist_ok=True)
    with open(out / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not list(out.glob("effkit-*.whl")):
            argv = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out / "new"),
                    str(ROOT)]
            proc = subprocess.run(argv, capture_output=True, text=True)
            assert proc.returncode == 0, proc.stderr
            assert "BuildBackendWarning: Package" not in proc.stderr  # every data folder is declared
            (built,) = (out / "new").glob("effkit-*.whl")
            built.rename(out / built.name)
    (wheel,) = out.glob("effkit-*.whl")
    return wheel


def test_building_the_package_keeps_out_of_effkits_build_folder(wheel_path):
    """setuptools builds under .setuptools-build/: `pip install .` (scripts/setup.sh) left
    build/lib and build/bdist.* in build/, the folder effkit writes its builds to."""
    assert (ROOT / ".setuptools-build" / "lib" / "effkit").is_dir()


@pytest.fixture(scope="module")
def wheel_names(wheel_path) -> set[str]:
    return set(zipfile.ZipFile(wheel_path).namelist())


def tracked(folder: str) -> list[str]:
    # -z: one NUL-terminated path each, unquoted (template names hold spaces and quotes,
    # e.g. android_template's conditional "{%if android_runtime=='interpreter'%}..." files)
    proc = subprocess.run(["git", "ls-files", "-z", folder], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip("not a git checkout")
    return [p for p in proc.stdout.split("\0") if p]


@pytest.mark.parametrize("folder, inside", [("coral", "effkit/templates/coral"),
                                            ("android_template", "effkit/templates/android")])
def test_template_trees_travel_whole(wheel_names, folder, inside):
    files = tracked(folder)
    assert files
    for f in files:
        assert f"{inside}/{Path(f).relative_to(folder).as_posix()}" in wheel_names, f


def test_schema_labels_and_dockerfile_are_in_the_wheel(wheel_names):
    for name in ("effkit/metadata/schema/metadata_schema.fbs", "effkit/data/imagenet_labels.txt",
                 "effkit/data/report.html.jinja", "effkit/data/quant_report.html.jinja",
                 "effkit/data/imagenet_wnids.txt", "effkit/edgetpu/docker/Dockerfile",
                 "effkit/metadata/metadata_schema_py_generated.py", "effkit/py.typed",
                 # the distilled calibration sets of the bundled weights (issue 11)
                 "effkit/data/distilled-lite0.npz", "effkit/data/distilled-lite1.npz",
                 "effkit/data/distilled-lite2.npz"):
        assert name in wheel_names, name
    assert not any("__pycache__" in n or "/tests/" in n for n in wheel_names)


def test_the_license_text_travels_in_the_wheel(wheel_names):
    """pyproject said Apache-2.0, but no license text was in the wheel or the repository."""
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel_names), sorted(wheel_names)[-5:]


def test_the_sdist_carries_its_tests_docs_and_license(tmp_path):
    """A packager builds and tests from the sdist: it had the test_*.py files alone (19
    collection errors without conftest.py, helpers.py, the fixtures and golden vectors),
    no docs/ the README links and no license text. Built with setuptools' own build_sdist
    in a fresh virtualenv, as pip's isolated build would, from a copy of the tracked files
    (the checkout's own egg-info is left alone) plus an editor's and a test run's leftovers,
    which MANIFEST.in keeps out."""
    import shutil
    import tarfile
    import venv

    venv.create(tmp_path / "env", with_pip=True)
    python = tmp_path / "env" / "bin" / "python"
    pip = subprocess.run([str(python), "-m", "pip", "install", "-q", "setuptools>=77"],
                         capture_output=True, text=True)
    if pip.returncode != 0:
        pytest.skip(f"setuptools>=77 cannot be installed here: {pip.stderr.strip()[-200:]}")
    tracked_files = tracked(".")
    src = tmp_path / "src"
    for name in tracked_files:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name, follow_symlinks=False)
    for stray in ("tests/.pytest_cache/v/lastfailed", "scripts/.test.sh.swp", "docs/api.md.orig",
                  ".ci/run~"):
        (src / stray).parent.mkdir(parents=True, exist_ok=True)
        (src / stray).write_text("stray")
    out = tmp_path / "sdist"
    proc = subprocess.run([str(python), "-c", "import sys; from setuptools import build_meta; "
                           "print(build_meta.build_sdist(sys.argv[1]))", str(out)],
                          cwd=src, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with tarfile.open(out / proc.stdout.split()[-1]) as tar:
        names = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name and not m.isdir()}
    files = {n for n in names if not n.startswith("effkit.egg-info/")} - {"PKG-INFO", "setup.cfg"}
    assert files <= set(tracked_files), sorted(files - set(tracked_files))[:10]
    missing = set(tracked_files) - files - {".gitignore"}
    assert not missing, sorted(missing)[:10]
    for name in ("LICENSE", "docs/calibration.md", "tests/conftest.py", ".ci/run"):
        assert name in files, name


@pytest.mark.parametrize("python, admitted",
                         [("3.14", False), ("3.13", True), ("3.10", True), ("3.9", False)])
def test_pip_refuses_a_python_without_tensorflow_wheels_at_once(wheel_path, tmp_path, python, admitted):
    """Python 3.14 has no stable TensorFlow wheels: pip says so about effkit before it
    resolves anything, instead of 'No matching distribution found for tensorflow-cpu'."""
    argv = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index",
            "--python-version", python, "--only-binary=:all:", "--target", str(tmp_path), str(wheel_path)]
    proc = subprocess.run(argv, capture_output=True, text=True)
    if admitted:
        assert proc.returncode == 0, proc.stderr
        assert "Would install effkit-" in proc.stdout
    else:
        assert proc.returncode != 0
        refusal = f"Package 'effkit' requires a different Python: {python}.0 not in '<3.14,>=3.10'"
        assert refusal in proc.stderr
