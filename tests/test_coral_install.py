"""install.sh of the Coral app: the plan per platform, from os-release fixtures.

``--dry-run`` with EFFKIT_OS_RELEASE / EFFKIT_ARCH / EFFKIT_PYTHON_VERSION prints the plan
one step per line and changes nothing; each supported platform's plan is checked line by
line, and each unsupported one must be refused in one line naming what is supported.
A real run needs root, apt and a Raspberry Pi, none of which exist here.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys
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
ACCESS = ["USB access: add pi to the plugdev group"]
UDEV = ("udev: reload the rules the Edge TPU runtime installed "
        "(udevadm control --reload-rules; udevadm trigger)")
BULLSEYE_UDEV = ("udev: reload the rules libedgetpu1-std installed "
                 "(udevadm control --reload-rules; udevadm trigger)")
CHECK = ("check: model_edgetpu.tflite runs on the Edge TPU "
         "(APP/.venv/bin/python coral_runtime.py --check --delegate ")
CPU_FALLBACK = ("if no candidate passes: run on the CPU (the scripts fall back by themselves) and print one "
                "line saying what failed and what to send upstream")
TFLITE_BUILDS = "https://github.com/feranick/TFlite-builds/releases/download/v2.17.1"
COCOA = ("https://github.com/cocoa-xu/libedgetpu/releases/download/v0.1.14/"
         "edgetpu_runtime_aarch64-linux-gnu_v0.1.14.tar.gz")
LITERT_212_CP313 = "6d760ef51c72f56b307fa6f1675a62f870a546515b1da0c0f282ca15ff1836c5"
BULLSEYE = [
    f"Coral apt repository: {REPO}",
    "apt-get update",
    "Edge TPU runtime: apt-get install libedgetpu1-std",
    "Python runtime: apt-get install python3-pycoral (brings tflite-runtime 2.5.0.post1)",
    "camera and video: apt-get install python3-opencv",
    *ACCESS,
    BULLSEYE_UDEV,
    "check: model_edgetpu.tflite runs on the Edge TPU (python3 coral_runtime.py --check)",
]


def _common(camera: str = "python3-opencv") -> list[str]:
    return ["apt-get update", SYSTEM, VENV, f"camera and video: apt-get install {camera}", *ACCESS]


def _candidate(n: int, libedgetpu: str, runtime: str, delegate: str) -> list[str]:
    name = f"candidate {n}" if n == 1 else f"candidate {n} (if candidate {n - 1} fails)"
    return [f"{name}: Edge TPU runtime: {libedgetpu}", f"{name}: TFLite runtime: {runtime}",
            f"{name}: {UDEV}", f"{name}: {CHECK}{delegate})"]


def _litert(version: str, sha: str) -> str:
    return f"pip install ai-edge-litert=={version} into .venv (--require-hashes sha256 {sha})"


def _feranick(deb: str) -> str:
    return (f"download {FERANICK}/16.0TF2.19.1-1/{deb}, verify it ({UNPUBLISHED}), apt-get install it")


def _trixie(first: str, second: str) -> list[str]:
    cocoa = (f"download {COCOA}, verify it ({UNPUBLISHED}), put its libedgetpu.so.1 into .libedgetpu/ "
             "and its udev rule into /etc/udev/rules.d")
    deb = "libedgetpu1-std_16.0tf2.19.1-1.trixie_arm64.deb"
    return [*_common(),
            *_candidate(1, _feranick(deb), first, "libedgetpu.so.1"),
            *_candidate(2, cocoa, second, "APP/.libedgetpu/libedgetpu.so.1"),
            CPU_FALLBACK]


PLANS = {
    ("raspios-bullseye-armhf", "armv7l", "3.9"): BULLSEYE,
    ("raspios-bullseye-arm64", "aarch64", "3.9"): BULLSEYE,
    ("raspios-bookworm-arm64", "aarch64", "3.11"): [
        *_common("python3-picamera2 python3-opencv"),
        *_candidate(
            1, f"download {FERANICK}/16.0TF2.17.1-1/libedgetpu1-std_16.0tf2.17.1-1.bookworm_arm64.deb, "
               f"verify it ({UNPUBLISHED}), apt-get install it",
            f"download {TFLITE_BUILDS}/tflite_runtime-2.17.1-cp311-cp311-linux_aarch64.whl, "
            f"verify it ({UNPUBLISHED}), pip install it into .venv", "libedgetpu.so.1"),
        CPU_FALLBACK,
    ],
    # The system Python of Raspberry Pi OS / Debian 13: ai-edge-litert 2.1.2 (TF 2.21.0-dev0)
    # for both candidates.
    ("debian-trixie", "aarch64", "3.13"): _trixie(
        _litert("2.1.2", LITERT_212_CP313), _litert("2.1.2", LITERT_212_CP313)),
    # A Python 3.12 the user chose: 1.2.0 (TF 2.19) first, as the libedgetpu's TF.
    ("debian-trixie", "aarch64", "3.12"): _trixie(
        _litert("1.2.0", "f8f7c89b78431328337abe94e05ec16016a3707d871be2f32e533c01df91a252"),
        _litert("2.1.2", "1b412368980b404aa051d09405abd473d3a15130db030938d26966f1a1e7c413")),
    ("ubuntu-24.04", "x86_64", "3.12"): [
        *_common(),
        *_candidate(1, _feranick("libedgetpu1-std_16.0tf2.19.1-1.ubuntu24.04_amd64.deb"),
                    _litert("1.2.0", "cd9a8e6411c9684aaa9fd9683330f3ed9791861707e32f5d2d267e11f8014fe1"),
                    "libedgetpu.so.1"),
        CPU_FALLBACK,
    ],
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
    ("debian-trixie", "armv7l", "3.13"): "32-bit Raspberry Pi OS Trixie (armhf) has no TFLite runtime "
                                               "for a current libedgetpu (ai-edge-litert ships no armhf "
                                               "wheels",
    ("debian-trixie", "aarch64", "3.10"): "ai-edge-litert 2.1.2 (the runtime pinned for Trixie) has no PyPI "
                                          "wheel for Python 3.10 on arm64",
    ("fedora-40", "x86_64", "3.12"): "Fedora Linux 40 (Workstation Edition) is not supported",
    # Debian itself has no ID_LIKE: not "no Debian-based system"
    ("debian-forky", "aarch64", "3.13"): "Debian GNU/Linux forky/sid is not a platform this app has a "
                                         "tested Edge TPU setup for",
    ("ubuntu-24.04", "aarch64", "3.12"): "Ubuntu 24.04 on arm64 has no tested libedgetpu + runtime pair",
    # a PC with a USB Accelerator on current Debian: no pair, but the way to the CPU model
    ("debian-trixie", "x86_64", "3.13"): "Debian 13 Trixie on x86-64 has no tested libedgetpu + runtime "
                                         "pair (the Trixie pair is for arm64; on x86-64 Debian 12 and "
                                         "Ubuntu 24.04 have one); the CPU model runs without this script: "
                                         "sudo apt install python3-venv && python3 -m venv .venv && "
                                         ".venv/bin/pip install ai-edge-litert pillow, then "
                                         ".venv/bin/python classify_image.py --cpu photo.jpg",
    ("raspios-bookworm-arm64", "riscv64", "3.11"): "bookworm on riscv64 (riscv64) is not supported",
    ("raspios-bookworm-arm64", "aarch64", "3.12"): "wheels pinned for Bookworm are for Python 3.11, not 3.12",
}


@pytest.fixture(scope="module")
def tpu_app(models, tmp_path_factory) -> Path:  # noqa: F811
    return render_coral_app(tmp_path_factory.mktemp("install") / "coral", model_name="install test",
                            variant=LITE0, labels=HOSTILE_LABELS, cpu_model=models["uint8"],
                            edgetpu_model=models["tpu_plain"])


def install(app: Path, fixture: str, arch: str, python: str, *args: str,
            **env_extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("SUDO_USER", "EDGETPU_DELEGATE")}
    env.update(USER="pi", EFFKIT_OS_RELEASE=str(OS_RELEASE / fixture), EFFKIT_ARCH=arch,
               EFFKIT_PYTHON_VERSION=python, **env_extra)
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
    assert lines[1].startswith("detected: ")
    assert lines[2].startswith("pair: ") or lines[2].startswith("pairs, tried in this order")
    assert lines[-1] == "dry run: nothing was changed"
    assert sorted(p.name for p in tpu_app.iterdir()) == before  # no .venv, no .downloads


@pytest.mark.parametrize("platform", list(REFUSED), ids=lambda p: f"{p[0]}-{p[1]}-py{p[2]}")
def test_unsupported_platforms_are_refused_in_one_line(platform, tpu_app: Path) -> None:
    proc = install(tpu_app, *platform, "--dry-run")
    assert proc.returncode == 1 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("install.sh: error: ") and REFUSED[platform] in line
    assert "supported: Raspberry Pi OS/Debian 13 Trixie (arm64, Python 3.11-3.13)" in line


def test_pairs_and_the_max_clock(tpu_app: Path) -> None:
    proc = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--dry-run", "--max")
    assert proc.returncode == 0, proc.stderr
    pair = ("  candidate 1: libedgetpu 16.0tf2.17.1-1 + tflite-runtime 2.17.1 "
            "(proven: Frigate ships this pair)")
    assert pair in proc.stdout.splitlines()
    assert "warning: --max runs the Edge TPU at its maximum clock" in proc.stdout
    assert f"{FERANICK}/16.0TF2.17.1-1/libedgetpu1-max_16.0tf2.17.1-1.bookworm_arm64.deb" in proc.stdout
    assert "libedgetpu1-std" not in proc.stdout
    bullseye = install(tpu_app, "raspios-bullseye-armhf", "armv7l", "3.9", "--dry-run", "--max")
    assert "Edge TPU runtime: apt-get install libedgetpu1-max" in bullseye.stdout
    ubuntu = install(tpu_app, "ubuntu-24.04", "x86_64", "3.12", "--dry-run")
    assert "not proven on an Edge TPU; suggested by the libedgetpu maintainer's report" in ubuntu.stdout
    trixie = install(tpu_app, "debian-trixie", "aarch64", "3.13", "--dry-run", "--max")
    assert "libedgetpu1-max_16.0tf2.19.1-1.trixie_arm64.deb" in trixie.stdout
    assert "libedgetpu v0.1.14 (cocoa-xu, built against TF 2.21.0) + ai-edge-litert 2.1.2" in trixie.stdout


def test_options(tpu_app: Path) -> None:
    bad = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--bogus")
    # one line (it printed the whole usage after it)
    assert bad.returncode == 2
    assert bad.stderr == "install.sh: error: unknown option --bogus; see ./install.sh --help\n"
    missing = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--trust")
    assert missing.returncode == 1 and "--trust needs FILE=SHA256" in missing.stderr
    digest = "AB" * 32
    ok = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--dry-run",
                 "--trust", f"a.deb={digest}")
    assert ok.returncode == 0
    # the value is checked: '--trust --dry-run' must never become a real install
    for value in ("--dry-run", "a.deb=00", "a.deb", f"../a.deb={digest}", f"={digest}", f"a.deb={digest}x"):
        for argv in (["--trust", value, "--dry-run"], [f"--trust={value}", "--dry-run"]):
            refused = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", *argv)
            assert refused.returncode == 2, (argv, refused.stdout, refused.stderr)
            assert "--trust takes FILE=SHA256" in refused.stderr and refused.stdout == "", argv
    helped = install(tpu_app, "raspios-bookworm-arm64", "aarch64", "3.11", "--help")
    assert helped.returncode == 0 and "--dry-run" in helped.stdout and "EFFKIT_OS_RELEASE" in helped.stdout
    assert helped.stdout.rstrip().endswith("EFFKIT_PYTHON_VERSION (e.g. 3.11).")  # the whole header
    no_file = install(tpu_app, "does-not-exist", "aarch64", "3.11", "--dry-run")
    assert no_file.returncode == 1 and "cannot read" in no_file.stderr


def test_cpu_only_app_checks_the_cpu_model(models, tmp_path: Path) -> None:  # noqa: F811
    app = render_coral_app(tmp_path / "cpu", model_name="cpu", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=None)
    proc = install(app, "raspios-bullseye-armhf", "armv7l", "3.9", "--dry-run")
    assert steps(proc, app)[-1] == ("check: model.tflite runs on the CPU; this app has no Edge TPU model "
                                    "(python3 coral_runtime.py --check)")
    # with candidate pairs, each is checked as far as it can be without a model: its libedgetpu loads
    trixie = install(app, "debian-trixie", "aarch64", "3.13", "--dry-run")
    assert ("candidate 1: check: libedgetpu loads and finds the Edge TPU (this app has no Edge TPU model "
            "to run on it; model.tflite runs on the CPU) (APP/.venv/bin/python coral_runtime.py --check "
            "--delegate libedgetpu.so.1)") in steps(trixie, app)
    # compiled later and copied in (effkit compile-edgetpu, or by hand): the check is the TPU's
    shutil.copy(models["tpu_plain"], app / "model_edgetpu.tflite")
    proc = install(app, "raspios-bullseye-armhf", "armv7l", "3.9", "--dry-run")
    assert steps(proc, app)[-1] == ("check: model_edgetpu.tflite runs on the Edge TPU "
                                    "(python3 coral_runtime.py --check)")


def test_install_sh_is_shellcheck_clean(tpu_app: Path) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    proc = subprocess.run(["shellcheck", str(tpu_app / "install.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


def test_sh_is_told_to_use_bash(tpu_app: Path) -> None:
    if shutil.which("dash") is None:
        pytest.skip("dash is not installed")
    proc = subprocess.run(["dash", str(tpu_app / "install.sh"), "--dry-run"], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (1, "")
    assert proc.stderr == "install.sh: run it with bash: ./install.sh or bash install.sh\n"


def test_a_crashing_pair_is_reported_to_its_own_project(tpu_app: Path, models, tmp_path: Path) -> None:  # noqa: F811
    """Candidate 2's libedgetpu (the app's .libedgetpu/) crashes the probe as a mismatched pair
    does: that failure, and only it, goes to the project that built it."""
    gcc = shutil.which("gcc")
    if gcc is None or ctypes.util.find_library("edgetpu"):
        pytest.skip("needs gcc and no installed libedgetpu")
    app = render_coral_app(tmp_path / "crash", model_name="crash", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=models["tpu_plain"])
    (app / ".libedgetpu").mkdir()
    library = app / ".libedgetpu" / "libedgetpu.so.1"
    subprocess.run([gcc, "-shared", "-fPIC", "-DCRASH_SEGV", "-o", str(library),
                    str(Path(__file__).parent / "coral_fixtures" / "fake_delegate.c")], check=True)
    proc = install(app, "debian-trixie", "aarch64", "3.13", "--check-only", EFFKIT_PYTHON=sys.executable,
                   XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert proc.returncode == 1, proc.stderr
    (warning,) = proc.stderr.strip().splitlines()
    assert "crashed the process (SIGSEGV)" in warning
    assert warning.endswith(" coral_runtime.py --check --json\" to https://github.com/cocoa-xu/libedgetpu/issues")


def test_a_model_cut_short_stops_the_check_naming_it(tpu_app: Path, models, tmp_path: Path) -> None:  # noqa: F811
    app = render_coral_app(tmp_path / "cut", model_name="cut", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=models["tpu_plain"])
    whole = (app / "model_edgetpu.tflite").read_bytes()
    (app / "model_edgetpu.tflite").write_bytes(whole[:len(whole) // 2])
    proc = install(app, "debian-trixie", "aarch64", "3.13", "--check-only", EFFKIT_PYTHON=sys.executable,
                   XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert proc.returncode == 1
    assert len([line for line in proc.stdout.splitlines() if line.startswith("    failed: ")]) == 1
    (error,) = proc.stderr.strip().splitlines()
    assert error.startswith("install.sh: error: model_edgetpu.tflite is truncated or damaged ")
    assert "libedgetpu/issues" not in error


def test_a_model_never_compiled_stops_the_check_naming_it(tpu_app: Path, models, tmp_path: Path) -> None:  # noqa: F811
    # no libedgetpu + runtime pair can run it: one check, no other candidate, no upstream blamed
    app = render_coral_app(tmp_path / "never", model_name="never", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=models["tpu_plain"])
    shutil.copy(models["uint8_plain"], app / "model_edgetpu.tflite")  # copied in by hand
    proc = install(app, "debian-trixie", "aarch64", "3.13", "--check-only", EFFKIT_PYTHON=sys.executable,
                   XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert proc.returncode == 1
    assert len([line for line in proc.stdout.splitlines() if line.startswith("    failed: ")]) == 1
    (error,) = proc.stderr.strip().splitlines()
    assert error == ("install.sh: error: model_edgetpu.tflite is not compiled for the Edge TPU (it has no "
                     "edgetpu-custom-op): compile it with effkit compile-edgetpu")


def test_check_only_before_any_install_says_to_install_first(tpu_app: Path, tmp_path: Path) -> None:
    """--check-only with no runtime for its Python: nothing could be checked and nothing
    runs, yet it said 'the app runs on the CPU' and sent the user to the libedgetpu
    projects (an outside walk)."""
    import importlib.util

    only = tmp_path / "numpy-only"  # a Python with numpy and no TensorFlow Lite runtime
    only.mkdir()
    numpy_dir = Path(importlib.util.find_spec("numpy").origin).parent
    (only / "numpy").symlink_to(numpy_dir)
    if (numpy_dir.parent / "numpy.libs").is_dir():
        (only / "numpy.libs").symlink_to(numpy_dir.parent / "numpy.libs")
    python = tmp_path / "python3"
    python.write_text(f'#!/bin/sh\nPYTHONPATH={only} exec {sys.executable} -S "$@"\n')
    python.chmod(0o755)
    proc = install(tpu_app, "debian-trixie", "aarch64", "3.13", "--check-only",
                   EFFKIT_PYTHON=str(python), XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert proc.returncode == 1, proc.stderr
    (error,) = proc.stderr.strip().splitlines()
    assert error == (f"install.sh: error: no TensorFlow Lite runtime is installed for {python}, so "
                     "nothing could be checked and the app cannot run yet: run ./install.sh "
                     "(without --check-only) first")


def test_check_only_tries_every_candidate_then_names_the_causes(tpu_app: Path, tmp_path: Path) -> None:
    """The candidate loop for real, without installing: each candidate's check runs (the probe
    with this Python's ai-edge-litert), fails for want of a libedgetpu, and the last line
    says what failed for each and where to send it; exit 1, nothing written."""
    if ctypes.util.find_library("edgetpu"):
        pytest.skip("a libedgetpu is installed here: candidate 1's check could pass")
    before = sorted(p.name for p in tpu_app.iterdir())
    proc = install(tpu_app, "debian-trixie", "aarch64", "3.13", "--check-only",
                   EFFKIT_PYTHON=sys.executable, XDG_CACHE_HOME=str(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert steps(proc, tpu_app) == [
        f"candidate 1: {CHECK}libedgetpu.so.1)".replace("APP/.venv/bin/python", sys.executable),
        f"candidate 2 (if candidate 1 fails): {CHECK}APP/.libedgetpu/libedgetpu.so.1)".replace(
            "APP/.venv/bin/python", sys.executable)]
    failed = [line for line in proc.stdout.splitlines() if line.startswith("    failed: ")]
    assert len(failed) == 2 and all("is not installed" in line for line in failed)
    (warning,) = proc.stderr.strip().splitlines()
    assert warning.startswith(
        "install.sh: warning: no libedgetpu + runtime pair passed the Edge TPU check (candidate 1 "
        "(libedgetpu 16.0tf2.19.1-1 (feranick, Debian package for Trixie) + ai-edge-litert 2.1.2): "
        "the Edge TPU runtime libedgetpu.so.1 is not installed")
    assert "; candidate 2 (libedgetpu v0.1.14 (cocoa-xu, built against TF 2.21.0) + ai-edge-litert 2.1.2): " \
        in warning
    # nothing a libedgetpu project could fix: no report upstream
    assert warning.endswith("the app runs on the CPU: fix what the lines above name (README.md, "
                            "Troubleshooting) and run ./install.sh again")
    assert sorted(p.name for p in tpu_app.iterdir()) == before
    both = install(tpu_app, "debian-trixie", "aarch64", "3.13", "--check-only", "--dry-run")
    assert both.returncode == 2 and "exclude each other" in both.stderr


def test_check_only_in_an_app_without_an_edge_tpu_model_loads_each_libedgetpu(
        models, tmp_path: Path) -> None:  # noqa: F811
    """A build without the compiler has no Edge TPU model: candidate 1 "passed" its check
    without ever loading libedgetpu (a missing one included), so the pair was never tried
    (a Pi walk). Each candidate's library is loaded now; none is installed here, so both
    fail, and a note says to check again once the Edge TPU model is there."""
    if ctypes.util.find_library("edgetpu"):
        pytest.skip("a libedgetpu is installed here: candidate 1's check could pass")
    app = render_coral_app(tmp_path / "cpu", model_name="cpu", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=None)
    proc = install(app, "debian-trixie", "aarch64", "3.13", "--check-only", EFFKIT_PYTHON=sys.executable,
                   XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert proc.returncode == 1, proc.stdout
    failed = [line for line in proc.stdout.splitlines() if line.startswith("    failed: ")]
    assert len(failed) == 2 and all("is not installed" in line for line in failed), proc.stdout
    # install.sh's own causes do not tell the user to run install.sh
    assert not any("run ./install.sh" in line for line in failed)
    assert proc.stdout.rstrip().endswith(
        "note: this app has no Edge TPU model, so no pair ran a model on the Edge TPU: after adding "
        "model_edgetpu.tflite (README.md, top), run ./install.sh --check-only")
