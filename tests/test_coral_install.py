"""install.sh of the Coral app: the plan per platform, from os-release fixtures.

``--dry-run`` with EFFKIT_OS_RELEASE / EFFKIT_ARCH / EFFKIT_PYTHON_VERSION prints the plan
one step per line and changes nothing; each supported platform's plan is checked line by
line, and each unsupported one must be refused in one line naming what is supported.
A real run needs root, apt and a Raspberry Pi, none of which exist here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_coral_app import HOSTILE_LABELS, LITE0, models  # noqa: F401  (models is a fixture)

from effkit.apps.coral import render_coral_app

OS_RELEASE = Path(__file__).parent / "coral_fixtures" / "os-release"
REPO = "deb [signed-by=/usr/share/keyrings/coral-edgetpu-archive-keyring.gpg] " \
       "https://packages.cloud.google.com/apt coral-edgetpu-stable main"
FERANICK = "https://github.com/feranick/libedgetpu/releases/download"
UNPUBLISHED = "no sha256 is published: you confirm the digest with --trust"
SYSTEM = ("system packages: apt-get install python3-venv python3-pip python3-numpy python3-pil "
          "python3-flatbuffers libusb-1.0-0")
VENV = "virtual environment for PEP 668: python3 -m venv --system-site-packages .venv"
ACCESS = ["USB access: add pi to the plugdev group",
          "udev: reload the rules libedgetpu1-std installed "
          "(udevadm control --reload-rules; udevadm trigger)"]
CHECK_VENV = ("check: model_edgetpu.tflite runs on the Edge TPU "
              "(APP/.venv/bin/python coral_runtime.py --check)")
TFLITE_BUILDS = "https://github.com/feranick/TFlite-builds/releases/download/v2.17.1"
BULLSEYE = [
    f"Coral apt repository: {REPO}",
    "apt-get update",
    "Edge TPU runtime: apt-get install libedgetpu1-std",
    "Python runtime: apt-get install python3-pycoral (brings tflite-runtime 2.5.0.post1)",
    "camera and video: apt-get install python3-opencv",
    *ACCESS,
    "check: model_edgetpu.tflite runs on the Edge TPU (python3 coral_runtime.py --check)",
]


def _pair_19(deb: str, sha: str) -> list[str]:
    return [
        "apt-get update",
        SYSTEM,
        f"Edge TPU runtime: download {FERANICK}/16.0TF2.19.1-1/{deb}, verify it ({UNPUBLISHED}), "
        "apt-get install it",
        VENV,
        f"TFLite runtime: pip install ai-edge-litert==1.2.0 into .venv (--require-hashes sha256 {sha})",
        "camera and video: apt-get install python3-opencv",
        *ACCESS,
        CHECK_VENV,
    ]


PLANS = {
    ("raspios-bullseye-armhf", "armv7l", "3.9"): BULLSEYE,
    ("raspios-bullseye-arm64", "aarch64", "3.9"): BULLSEYE,
    ("raspios-bookworm-arm64", "aarch64", "3.11"): [
        "apt-get update",
        SYSTEM,
        f"Edge TPU runtime: download {FERANICK}/16.0TF2.17.1-1/"
        f"libedgetpu1-std_16.0tf2.17.1-1.bookworm_arm64.deb, verify it ({UNPUBLISHED}), apt-get install it",
        VENV,
        f"TFLite runtime: download {TFLITE_BUILDS}/tflite_runtime-2.17.1-cp311-cp311-linux_aarch64.whl, "
        f"verify it ({UNPUBLISHED}), pip install it into .venv",
        "camera and video: apt-get install python3-picamera2 python3-opencv",
        *ACCESS,
        CHECK_VENV,
    ],
    ("debian-trixie", "aarch64", "3.12"): _pair_19(
        "libedgetpu1-std_16.0tf2.19.1-1.trixie_arm64.deb",
        "f8f7c89b78431328337abe94e05ec16016a3707d871be2f32e533c01df91a252"),
    ("ubuntu-24.04", "x86_64", "3.12"): _pair_19(
        "libedgetpu1-std_16.0tf2.19.1-1.ubuntu24.04_amd64.deb",
        "cd9a8e6411c9684aaa9fd9683330f3ed9791861707e32f5d2d267e11f8014fe1"),
    ("mendel-eagle", "aarch64", "3.7"): [
        "Edge TPU runtime and pycoral: provided by Mendel (apt-get install python3-pycoral if missing)",
        "camera and video: apt-get install python3-opencv",
        "check: model_edgetpu.tflite runs on the Edge TPU (python3 coral_runtime.py --check)",
    ],
}
REFUSED = {
    ("raspios-bookworm-armhf", "armv7l", "3.11"): "32-bit Raspberry Pi OS Bookworm (armhf) has no TFLite "
                                                  "runtime that matches a current libedgetpu; install the "
                                                  "64-bit Raspberry Pi OS (arm64)",
    ("debian-trixie", "aarch64", "3.13"): "ai-edge-litert 1.2.0 (the runtime pinned with libedgetpu "
                                          "16.0tf2.19.1-1) has no PyPI wheel for Python 3.13 on arm64",
    ("fedora-40", "x86_64", "3.12"): "Fedora Linux 40 (Workstation Edition) is not supported",
    ("raspios-bookworm-arm64", "riscv64", "3.11"): "bookworm on riscv64 (riscv64) is not supported",
    ("raspios-bookworm-arm64", "aarch64", "3.12"): "wheels pinned for Bookworm are for Python 3.11, not 3.12",
}


@pytest.fixture(scope="module")
def tpu_app(models, tmp_path_factory) -> Path:  # noqa: F811
    return render_coral_app(tmp_path_factory.mktemp("install") / "coral", model_name="install test",
                            variant=LITE0, labels=HOSTILE_LABELS, cpu_model=models["uint8"],
                            edgetpu_model=models["uint8_plain"])


def install(app: Path, fixture: str, arch: str, python: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SUDO_USER"}
    env.update(USER="pi", EFFKIT_OS_RELEASE=str(OS_RELEASE / fixture), EFFKIT_ARCH=arch,
               EFFKIT_PYTHON_VERSION=python)
    return subprocess.run(["bash", str(app / "install.sh"), *args], env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)


def steps(proc: subprocess.CompletedProcess, app: Path) -> list[str]:
    out = []
    for n, line in enumerate(line for line in proc.stdout.splitlines() if line.startswith("step ")):
        prefix = f"step {n + 1}: "
        assert line.startswith(prefix), line
        out.append(line[len(prefix):].replace(str(app), "APP"))
    return out


@pytest.mark.parametrize("platform", list(PLANS), ids=lambda p: f"{p[0]}-{p[1]}-py{p[2]}")
def test_dry_run_plan_per_platform(platform, tpu_app: Path) -> None:
    before = sorted(p.name for p in tpu_app.iterdir())
    proc = install(tpu_app, *platform, "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert steps(proc, tpu_app) == PLANS[platform]
    lines = proc.stdout.splitlines()
    assert lines[0] == f"Setting up the Coral app for install test in {tpu_app}"
    assert lines[1].startswith("detected: ") and lines[2].startswith("pair: ")
    assert lines[-1] == "dry run: nothing was changed"
    assert sorted(p.name for p in tpu_app.iterdir()) == before  # no .venv, no .downloads


@pytest.mark.parametrize("platform", list(REFUSED), ids=lambda p: f"{p[0]}-{p[1]}-py{p[2]}")
def test_unsupported_platforms_are_refused_in_one_line(platform, tpu_app: Path) -> None:
    proc = install(tpu_app, *platform, "--dry-run")
    assert proc.returncode == 1 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("install.sh: error: ") and REFUSED[platform] in line
    assert "supported: Raspberry Pi OS/Debian 11 Bullseye (armhf, arm64)" in line


def test_pairs_and_the_max_clock(tpu_app: Path) -> None:
    proc = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--dry-run", "--max")
    assert proc.returncode == 0, proc.stderr
    pair = "pair: libedgetpu 16.0tf2.17.1-1 + tflite_runtime 2.17.1 (proven: Frigate ships this pair)"
    assert pair in proc.stdout.splitlines()
    assert "warning: --max runs the Edge TPU at its maximum clock" in proc.stdout
    assert f"{FERANICK}/16.0TF2.17.1-1/libedgetpu1-max_16.0tf2.17.1-1.bookworm_arm64.deb" in proc.stdout
    assert "libedgetpu1-std" not in proc.stdout
    bullseye = install(tpu_app, "raspios-bullseye-armhf", "armv7l", "3.9", "--dry-run", "--max")
    assert "Edge TPU runtime: apt-get install libedgetpu1-max" in bullseye.stdout
    ubuntu = install(tpu_app, "ubuntu-24.04", "x86_64", "3.12", "--dry-run")
    assert "reported by the libedgetpu maintainer, not proven on hardware by effkit" in ubuntu.stdout


def test_options(tpu_app: Path) -> None:
    bad = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--bogus")
    assert bad.returncode == 2 and "unknown option --bogus" in bad.stderr
    missing = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--trust")
    assert missing.returncode == 1 and "--trust needs FILE=SHA256" in missing.stderr
    ok = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--dry-run", "--trust", "a.deb=00")
    assert ok.returncode == 0
    helped = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--help")
    assert helped.returncode == 0 and "--dry-run" in helped.stdout and "EFFKIT_OS_RELEASE" in helped.stdout
    no_file = install(tpu_app, "does-not-exist", "aarch64", "3.11", "--dry-run")
    assert no_file.returncode == 1 and "cannot read" in no_file.stderr


def test_cpu_only_app_checks_the_cpu_model(models, tmp_path: Path) -> None:  # noqa: F811
    app = render_coral_app(tmp_path / "cpu", model_name="cpu", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=None)
    proc = install(app, "raspios-bullseye-armhf", "armv7l", "3.9", "--dry-run")
    assert steps(proc, app)[-1] == ("check: model.tflite runs on the CPU; this app has no Edge TPU model "
                                    "(python3 coral_runtime.py --check)")


def test_install_sh_is_shellcheck_clean(tpu_app: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    proc = subprocess.run(["shellcheck", str(tpu_app / "install.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
