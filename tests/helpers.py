"""Helpers shared by the tests: CLI assertions, image folders, staging leftovers, a tiny net."""

from __future__ import annotations

import os
import re
import sys

import pytest

# The staging names effkit's commands write next to --out before the final rename.
STAGING_MARKS = (".tmp-", ".old-")


def link_all(paths, folder):
    """Symlink images into ``folder`` (a labelled or calibration folder; never copies)."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in paths:
        (folder / p.name).symlink_to(p)
    return folder


def staging_leftovers(parent) -> list[str]:
    """Names of staging folders left in ``parent`` (none after any run, good or bad)."""
    return sorted(p.name for p in parent.iterdir() if any(m in p.name for m in STAGING_MARKS))


def stand_in_edgetpu_model(cpu_model, out):
    """``cpu_model`` written to ``out`` as a stand-in compiled model (edgetpu_fixtures.models.
    with_edgetpu_op: it runs on the CPU kernels, yet carries the compiler's op)."""
    from edgetpu_fixtures.models import with_edgetpu_op

    out.write_bytes(with_edgetpu_op(cpu_model.read_bytes()))
    return out


def tiny_keras_classifier(num_classes: int = 5, *, seed: int = 0):
    """A real tiny RGB classifier (16x16x3 -> ``num_classes``, softmax), input named "image"."""
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input((16, 16, 3), batch_size=1, name="image")
    x = keras.layers.Conv2D(4, 3, strides=2, activation="relu6")(inp)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, keras.layers.Dense(num_classes, activation="softmax")(x))

# The stage lines a build prints when stderr is not a terminal (effkit.core.progress.LineProgress).
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


def assert_progress_lines(stderr: str, title: str, first: str | None = None) -> None:
    """What a measuring command prints on stderr in a log or a pipe: its stages' plain
    progress lines, from the ``first`` stage's start (default: ``title``'s) to ``title``'s
    end, and nothing else."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert lines and all(PROGRESS_LINE.match(ln) for ln in lines), stderr
    assert lines[0] == f"{first or title}: started", stderr
    assert lines[-1].startswith(f"{title}: done in "), stderr


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


def chromium_screenshot(page, folder, width: int, height: int):
    """A headless Chromium screenshot of the HTML file ``page`` as RGB float pixels
    (height, width, 3); skips the test when Chromium is not installed."""
    import io
    import shutil
    import subprocess

    import numpy as np
    import pytest
    from PIL import Image

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    shot = folder / "shot.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={folder / 'profile'}", f"--screenshot={shot}", f"--window-size={width},{height}",
         page.resolve().as_uri()],
        capture_output=True, timeout=180, check=False)
    assert shot.is_file() and shot.stat().st_size > 10_000, "no screenshot written"
    with Image.open(io.BytesIO(shot.read_bytes())) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float32)


def colour_pixels(px, colour: str, tolerance: int = 12) -> int:
    """How many pixels are within ``tolerance`` of the ``#rrggbb`` colour."""
    import numpy as np

    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float32)
    return int((np.abs(px - rgb).max(axis=2) < tolerance).sum())


def stopped_docker_client() -> str:
    """The docker client of this machine when its engine is not running (the case a test
    covers), else the test is skipped, saying which of the two is missing."""
    import shutil
    import subprocess

    client = shutil.which("docker")
    if client is None:
        pytest.skip("no docker client here: this covers a client whose engine is stopped")
    if subprocess.run([client, "version", "--format", "{{.Server.Version}}"],
                      capture_output=True, timeout=30).returncode == 0:
        pytest.skip("the docker engine runs here: this covers a stopped one")
    return client
