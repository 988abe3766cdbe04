"""effkit build: bad input fails fast with one line and leaves nothing behind; a real
lite0 build gives a full-integer model that carries its labels and normalization."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_one_line_error, link_all, one_line_error, staging_leftovers, stopped_docker_client
from photos import acceptable
from typer.testing import CliRunner

from effkit.cli.main import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["build", *args])




leftovers = staging_leftovers


def test_unknown_variant(tmp_path):
    result = run("--variant", "lite9", "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "unknown variant 'lite9'", "lite0")
    assert result.exit_code == 2  # a bad option value, as an unknown --target
    assert not (tmp_path / "o").exists()


def test_unknown_target_and_quant(tmp_path):
    assert_one_line_error(run("--target", "tpu", "--out", str(tmp_path / "o")), "unknown target")
    assert_one_line_error(run("--quant", "int4", "--out", str(tmp_path / "o")), "unknown quantization")
    assert_one_line_error(run("--target", "coral", "--quant", "float16", "--out", str(tmp_path / "o")),
                          "Edge TPU runs only full-integer models (--quant int8)", "Drop --quant")
    # int8 I/O is effkit's choice for Coral, not the chip's limit, and the line says so (it
    # blamed the hardware, which takes int8 too: an outside walk)
    assert_one_line_error(run("--target", "coral", "--io", "int8", "--out", str(tmp_path / "o")),
                          "effkit's Coral target builds uint8 input and output", "Drop --io")


def test_android_runtime_checked_with_the_other_flags(tmp_path):
    """--android-runtime: a known name, and only with --target android (issue 21)."""
    out = str(tmp_path / "o")
    assert_one_line_error(run("--target", "android", "--android-runtime", "npu", "--out", out),
                          "unknown Android runtime 'npu'", "compiled-model or interpreter")
    assert_one_line_error(run("--android-runtime", "interpreter", "--out", out),
                          "--android-runtime only applies to --target android")
    assert not (tmp_path / "o").exists()


def test_existing_output_is_not_overwritten_without_force(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "mine.txt").write_text("user data")
    result = run("--out", str(out))
    assert_one_line_error(result, "not empty", "--force")
    assert (out / "mine.txt").read_text() == "user data"


def test_output_that_is_a_file(tmp_path):
    (tmp_path / "o").write_text("x")
    assert_one_line_error(run("--out", str(tmp_path / "o")), "not a folder")


def test_unwritable_output(tmp_path):
    # /sys refuses new folders even to root; a read-only folder refuses everyone else.
    target = Path("/sys/effkit-out") if os.geteuid() == 0 else tmp_path / "ro" / "o"
    if os.geteuid() != 0:
        (tmp_path / "ro").mkdir(mode=0o555)
    assert_one_line_error(run("--out", str(target)), "cannot write")
    assert not target.exists()


def test_labels_not_utf8(tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_bytes(b"caf\xe9\n" * 1000)
    assert_one_line_error(run("--labels", str(labels), "--out", str(tmp_path / "o")), "not UTF-8")
    assert not (tmp_path / "o").exists()


def test_label_count_mismatch(tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("cat\ndog\nbird\n", encoding="utf-8")
    result = run("--labels", str(labels), "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "3 labels", "1000 outputs")


def test_calibration_folder_missing_or_empty(tmp_path):
    assert_one_line_error(run("--calibration", str(tmp_path / "nope"), "--out", str(tmp_path / "o")),
                          "does not exist")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no images here")
    assert_one_line_error(run("--calibration", str(tmp_path / "empty"), "--out", str(tmp_path / "o")),
                          "has no images")
    # named before an output folder in the way: the user fixes the input first
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "mine.txt").write_text("a user's file")
    assert_one_line_error(run("--calibration", str(tmp_path / "nope"), "--out", str(tmp_path / "o")),
                          "does not exist")


def test_calibration_folder_all_corrupt(tmp_path):
    bad = tmp_path / "bad"
    (bad / "sub").mkdir(parents=True)
    for i in range(3):
        (bad / "sub" / f"img{i}.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    result = run("--calibration", str(bad), "--out", str(tmp_path / "o"))
    # which file and why, as eval's skipped line says (an outside walk found only counts)
    assert_one_line_error(result, "none of the 3 images", "could be read; first: ",
                          "img0.jpg: ")
    assert not (tmp_path / "o").exists()
    assert leftovers(tmp_path) == []


def test_weights_that_are_not_a_checkpoint(tmp_path):
    junk = tmp_path / "weights.bin"
    junk.write_bytes(os.urandom(4096))
    assert_one_line_error(run("--weights", str(junk), "--out", str(tmp_path / "o")), "weights.bin")
    assert_one_line_error(run("--weights", str(tmp_path / "missing"), "--out", str(tmp_path / "o")),
                          "do not exist")


def test_wrong_variant_checkpoint_names_first_mismatch(tmp_path, official_ckpt):
    result = run("--variant", "lite1", "--weights", str(official_ckpt / "efficientnet-lite0"),
                 "--out", str(tmp_path / "o"))
    assert_one_line_error(result, "first mismatching variable")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("variant", ["lite3", "lite4"])
def test_large_variants_offline_name_the_official_checkpoint(tmp_path, variant, monkeypatch):
    # lite3/4 default to the fetched official checkpoint (tests/test_weights_fetch.py);
    # offline and not cached, the error names the manual route.
    monkeypatch.setenv("EFFKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("EFFKIT_OFFLINE", "1")
    result = run("--variant", variant, "--out", str(tmp_path / "o"))
    assert_one_line_error(result, f"efficientnet-{variant}.tar.gz", f"--weights efficientnet-{variant}/")
    assert not (tmp_path / "o").exists()


def test_coral_without_compiler_fails_before_long_work_with_require_compile(tmp_path,
                                                                            monkeypatch):
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no compiler, no docker client
    monkeypatch.delenv("EFFKIT_EDGETPU_COMPILER", raising=False)
    result = run("--variant", "lite1", "--target", "coral", "--out", str(tmp_path / "o"),
                 "--require-compile")
    assert_one_line_error(result, "edgetpu_compiler")
    assert "--skip-compile" in result.stderr and "--compiler docker" in result.stderr
    # the hint offered --compiler docker, which failed as well: it says why, and its fix
    line = " ".join(result.stderr.split())
    assert "and Docker cannot stand in: docker is not installed" in line, line
    assert "install Docker (https://docs.docker.com/get-docker/) for --compiler docker" in line, line
    assert not (tmp_path / "o").exists()


def test_require_compile_where_the_docker_engine_refuses_the_user(tmp_path, monkeypatch):
    """The engine runs but its socket refuses this user (not in the docker group): the
    error said to start Docker. A stand-in client answers as the real one does then."""
    (tmp_path / "bin").mkdir()
    client = tmp_path / "bin" / "docker"
    client.write_text("#!/bin/sh\necho 'permission denied while trying to connect to the Docker "
                      "daemon socket at unix:///var/run/docker.sock' >&2\nexit 1\n")
    client.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.delenv("EFFKIT_EDGETPU_COMPILER", raising=False)
    if shutil.which("edgetpu_compiler"):
        pytest.skip("edgetpu_compiler is installed: no Docker stand-in is asked")
    result = run("--variant", "lite1", "--target", "coral", "--out", str(tmp_path / "o"),
                 "--require-compile")
    line = " ".join(result.stderr.split())
    assert "Docker cannot stand in: the docker engine refused this user (permission denied" in line, line
    assert "add yourself to the docker group ('sudo usermod -aG docker $USER'" in line, line
    assert "start Docker" not in line


def test_require_compile_with_a_stopped_docker_engine_says_to_start_it(tmp_path, monkeypatch):
    client = stopped_docker_client()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "docker").symlink_to(client)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # the client alone, no compiler
    monkeypatch.delenv("EFFKIT_EDGETPU_COMPILER", raising=False)
    result = run("--variant", "lite1", "--target", "coral", "--out", str(tmp_path / "o"),
                 "--require-compile")
    line = " ".join(result.stderr.split())
    assert "Docker cannot stand in: the docker client is installed but its engine is not running" in line
    assert "start Docker Desktop or the docker service" in line, line


_NO_TF_SCRIPT = """
import sys
from typer.testing import CliRunner
from effkit.cli.main import app
result = CliRunner().invoke(app, sys.argv[1:])
print(result.exit_code, "tensorflow" in sys.modules, "keras" in sys.modules)
"""


def test_missing_compiler_fails_before_tensorflow_is_imported(tmp_path):
    """"Before long work" measured by what was loaded, not by a clock: no TensorFlow."""
    env = {k: v for k, v in os.environ.items() if k != "EFFKIT_EDGETPU_COMPILER"}
    env["PATH"] = "/usr/bin:/bin"
    proc = subprocess.run([sys.executable, "-c", _NO_TF_SCRIPT, "build", "--variant", "lite1",
                           "--target", "coral", "--out", str(tmp_path / "o"), "--require-compile"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.stdout.split() == ["1", "False", "False"], proc.stdout + proc.stderr


def test_ctrl_c_leaves_nothing_behind(tmp_path):
    out = tmp_path / "o"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from effkit.cli.main import main; main()", "build",
         "--variant", "lite0", "--out", str(out), "--weights", "random"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        # A shell runs background jobs with SIGINT ignored, and children inherit that:
        # give the build the default disposition a user's terminal gives it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    # stderr is a pipe, so the build prints a line as each stage starts: interrupt it
    # as soon as the first long stage is under way (no clock, no sleep).
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.rstrip().endswith(": started"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    err = "".join(seen) + err
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_stages_print_start_and_end_lines_without_a_terminal():
    import io

    from effkit.core.progress import LineProgress, ProgressEvent

    clock = iter([0.0, 3.0, 11.0, 12.0, 30.0]).__next__
    stream = io.StringIO()
    show = LineProgress(stream, interval_s=10.0, clock=clock, heartbeat=False)
    show(ProgressEvent("calibration", "start"))
    show(ProgressEvent("calibration", "update", 5, 64, 3.0))   # too soon: no line
    show(ProgressEvent("calibration", "update", 20, 64, 11.0))
    show(ProgressEvent("calibration", "update", 21, 64, 12.0))  # too soon again
    show(ProgressEvent("calibration", "end", 1, 1, 30.2))
    assert stream.getvalue().splitlines() == [
        "Calibration data: started", "Calibration data: 20/64 after 11 s",
        "Calibration data: done in 30.2 s"]


def test_updates_without_a_start_or_a_clock_are_timed_from_the_first():
    """train's epochs send bare updates (no start event, no elapsed time of their own)."""
    import io

    from effkit.core.progress import LineProgress, ProgressEvent

    clock = iter([100.0, 104.0, 112.0]).__next__
    stream = io.StringIO()
    show = LineProgress(stream, interval_s=10.0, clock=clock, heartbeat=False)
    for done in (1, 10, 30):
        show(ProgressEvent("head epoch 1", "update", done, 40))
    assert stream.getvalue().splitlines() == ["head epoch 1: 30/40 after 12 s"]


def test_a_stage_that_checks_first_is_announced_at_its_first_tick():
    """eval and bench check their input before any work: bad input fails without a
    'started' line before its error."""
    from effkit.core.progress import StageClock

    seen = []
    clock = StageClock(lambda e: seen.append((e.stage, e.kind)))
    with pytest.raises(ValueError), clock.stage("evaluate", checks_first=True):
        raise ValueError("no such folder")
    assert seen == []
    with clock.stage("evaluate", checks_first=True) as tick:
        tick(1, 2)
    assert seen == [("evaluate", "start"), ("evaluate", "update"), ("evaluate", "end")]


def test_silent_long_stages_print_a_heartbeat_line():
    """A stage that reports nothing (convert) still shows it is alive, from a thread."""
    import io
    import threading

    from effkit.core.progress import LineProgress, ProgressEvent

    class Stream(io.StringIO):
        def __init__(self):
            super().__init__()
            self.beat = threading.Event()

        def write(self, text):
            if "running" in text:
                self.beat.set()
            return super().write(text)

    stream = Stream()
    show = LineProgress(stream, interval_s=0.01)
    show(ProgressEvent("convert", "start"))
    assert stream.beat.wait(120)  # a generous bound, not a measurement
    show(ProgressEvent("convert", "end", 1, 1, 0.5))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "Converting to TFLite: started"
    assert lines[-1] == "Converting to TFLite: done in 0.5 s"
    assert all(line.startswith("Converting to TFLite: running, ") for line in lines[1:-1])


_SHOWN_THROUGH_CAPTURE = r"""
import sys, time
from effkit.cli._common import live_console
from effkit.core.native_log import native_log_captured
from effkit.core.progress import LineProgress, ProgressEvent

show = LineProgress(sys.stderr, interval_s=0.05)
bars = live_console()
show(ProgressEvent("convert", "start"))
with native_log_captured() as captured:
    bars.print("drawn by the bars")
    print("the converter's chatter", file=sys.stderr)
    time.sleep(1.0)
show(ProgressEvent("convert", "end", 1, 1, 1.0))
print("captured:", repr(captured[0].strip()))
"""


def test_progress_displays_share_one_copy_of_stderr():
    """Each display opened its own copy of stderr and left it to the garbage collector: a
    descriptor leaked, and a ResourceWarning, per command."""
    code = ("import gc, sys\n"
            "from effkit.cli._common import live_console\n"
            "from effkit.core.progress import LineProgress\n"
            "shows = [LineProgress(sys.stderr, heartbeat=False) for _ in range(3)]\n"
            "assert len({id(s.stream) for s in shows}) == 1 and shows[0].stream is not sys.stderr\n"
            "live_console()\n"
            "del shows\n"
            "gc.collect()\n")
    done = subprocess.run([sys.executable, "-W", "always::ResourceWarning", "-c", code],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "ResourceWarning" not in done.stderr, done.stderr


def test_progress_is_shown_while_the_converter_is_captured():
    """The converter's output is captured (fds 1 and 2) for the whole conversion, 20 s to
    minutes: the heartbeat lines in a log and the bars at a terminal went there too, so a
    build looked stuck. They write on a copy of stderr now; the chatter stays captured."""
    done = subprocess.run([sys.executable, "-c", _SHOWN_THROUGH_CAPTURE],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Converting to TFLite: running, " in done.stderr
    assert "drawn by the bars" in done.stderr
    assert "chatter" not in done.stderr
    assert done.stdout.strip() == "captured: \"the converter's chatter\""


# --------------------------------------------------------------------------- real builds


@pytest.fixture(scope="module")
def lite0_build(tmp_path_factory) -> Path:
    """The README's CPU build: lite0, bundled weights, default (no data) calibration."""
    out = tmp_path_factory.mktemp("b") / "lite0"
    result = run("--variant", "lite0", "--target", "cpu", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output + result.stderr
    doc = json.loads(result.stdout)
    assert doc["out_dir"] == str(out)
    return out


def _constants(path):
    """A model's ops, and its int8 and int32 constants by name."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    it.allocate_tensors()
    ops = [o["op_name"] for o in it._get_ops_details()]
    # constants only: activations have the batch of one in front
    by_type = {d: {t["name"]: it.get_tensor(t["index"]).astype(np.int64)
                   for t in it.get_tensor_details()
                   if t["dtype"] == d and len(t["shape"]) >= 1 and t["shape"][0] > 1}
               for d in (np.int8, np.int32)}
    return ops, by_type


@pytest.mark.slow
def test_weight_rounding_gptq_moves_some_int8_weights(lite0_build, tmp_path):
    """--weight-rounding gptq: build.json says so; the same ops as the default build, with
    a share of the int8 weights on other levels than the converter's nearest ones."""
    out = tmp_path / "gptq"
    result = run("--variant", "lite0", "--target", "cpu", "--out", str(out), "--weight-rounding", "gptq")
    assert result.exit_code == 0, result.output + result.stderr
    doc = json.loads((out / "build.json").read_text())
    assert doc["quantization"] == {"mode": "int8", "io": "uint8", "bias_correction": True,
                                   "weight_rounding": "gptq"}
    (ops_a, a), (ops_b, b) = _constants(lite0_build / "model.tflite"), _constants(out / "model.tflite")
    assert ops_a == ops_b and a[np.int8].keys() == b[np.int8].keys()
    moved = np.concatenate([(a[np.int8][k] != b[np.int8][k]).ravel() for k in a[np.int8]])
    assert 0.01 < moved.mean() < 0.5, moved.mean()


@pytest.mark.slow
def test_no_bias_correction_changes_only_the_biases(lite0_build, tmp_path):
    """--no-bias-correction: build.json says so, and the model differs from the default
    build's in its int32 biases: the same ops and int8 weights (but for a few rounding ties
    of the converter's batch-norm folding, one step each)."""
    out = tmp_path / "plain"
    result = run("--variant", "lite0", "--target", "cpu", "--out", str(out), "--no-bias-correction")
    assert result.exit_code == 0, result.output + result.stderr
    doc = json.loads((out / "build.json").read_text())
    assert doc["quantization"] == {"mode": "int8", "io": "uint8", "bias_correction": False,
                                   "weight_rounding": "nearest"}

    (ops_a, a), (ops_b, b) = _constants(lite0_build / "model.tflite"), _constants(out / "model.tflite")
    assert ops_a == ops_b
    assert a[np.int8].keys() == b[np.int8].keys() and a[np.int32].keys() == b[np.int32].keys()
    steps = np.concatenate([np.abs(a[np.int8][k] - b[np.int8][k]).ravel() for k in a[np.int8]])
    assert steps.max() <= 1 and np.count_nonzero(steps) < 1e-4 * steps.size
    moved = sum(not np.array_equal(a[np.int32][k], b[np.int32][k]) for k in a[np.int32])
    assert moved >= len(a[np.int32]) // 2, (moved, len(a[np.int32]))


@pytest.mark.slow
def test_build_writes_model_labels_and_manifest(lite0_build):
    names = sorted(p.name for p in lite0_build.iterdir())
    assert names == ["build.json", "labels.txt", "model.tflite"]
    doc = json.loads((lite0_build / "build.json").read_text())
    assert doc["variant"] == "lite0"
    assert doc["quantization"] == {"mode": "int8", "io": "uint8", "bias_correction": True,
                                   "weight_rounding": "nearest"}
    assert doc["weights"]["kind"] == "pth"
    assert doc["calibration"]["source"] == "distilled" and doc["calibration"]["count"] >= 16
    assert doc["calibration"]["origin"] == "shipped"  # the bundled weights' set, from the wheel
    assert isinstance(doc["calibration"]["detail"], dict)  # the settings, not JSON in a string
    assert doc["calibration"]["detail"]["count"] == doc["calibration"]["count"]
    assert doc["versions"]["tensorflow"] and doc["versions"]["effkit"] and doc["versions"]["pillow"]
    # what else makes the bytes (CI-integrator walk): the runtime, numpy and the processor
    assert doc["versions"]["ai_edge_litert"] and doc["versions"]["numpy"] and doc["versions"]["keras"]
    assert doc["versions"]["machine"] and doc["versions"]["cpu"]
    assert doc["metadata"] == {"description": "EfficientNet-lite0 image classifier (1000 classes), "
                               "int8 quantized by effkit", "version": "1", "author": "effkit",
                               "license": "Apache-2.0", "labels": "ImageNet labels"}
    assert {"model", "weights", "calibration", "convert", "metadata"} <= set(doc["timings_s"])
    import hashlib

    for art in doc["artifacts"]:
        data = (lite0_build / art["path"]).read_bytes()
        assert art["bytes"] == len(data)
        assert art["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_built_model_is_full_integer_and_labelled_by_its_own_metadata(lite0_build, photo_dir,
                                                                       imagenet_index):
    from ai_edge_litert.interpreter import Interpreter

    from effkit.metadata import labels_from_model, normalization
    from effkit.model.preprocess import list_images, load_image

    data = (lite0_build / "model.tflite").read_bytes()
    it = Interpreter(model_content=data)
    it.allocate_tensors()
    inp, outp = it.get_input_details()[0], it.get_output_details()[0]
    assert inp["dtype"] == np.uint8 and outp["dtype"] == np.uint8
    assert inp["quantization"] == (pytest.approx(1 / 128), 127)  # raw pixels go straight in
    for t in it.get_tensor_details():  # every tensor is integer: nothing runs in float
        assert t["dtype"] in (np.uint8, np.int8, np.int32), t["name"]
    labels = labels_from_model(data)
    assert labels is not None and len(labels) == 1000 and labels[1] == "goldfish"
    mean, std = normalization(data)
    assert (mean, std) == ((127.0,), (128.0,))
    paths = list_images(photo_dir)
    correct = 0
    for p in paths:
        it.set_tensor(inp["index"], load_image(p, 224)[None])
        it.invoke()
        top = int(np.argmax(it.get_tensor(outp["index"])[0]))
        correct += top in acceptable(imagenet_index[p.name.split("_")[0]])
    assert correct >= len(paths) - 2, f"{correct}/{len(paths)}"  # float lite0: all 48


@pytest.mark.slow
def test_tflite_support_reads_the_built_metadata(lite0_build):
    displayer_mod = pytest.importorskip(
        "tensorflow_lite_support.metadata.python.metadata",
        reason="tflite-support 0.4.4 (test oracle, Python <= 3.11) is not installed")
    from effkit.analysis.inspect import inspect_model

    data = (lite0_build / "model.tflite").read_bytes()
    displayer = displayer_mod.MetadataDisplayer.with_model_buffer(data)
    assert json.loads(displayer.get_metadata_json()) == inspect_model(data)["metadata"]
    assert displayer.get_packed_associated_file_list() == ["labels.txt"]


@pytest.mark.slow
def test_same_inputs_give_the_same_bytes(tmp_path, photo_dir):
    calib = link_all(sorted(photo_dir.iterdir())[:8], tmp_path / "calib")
    digests = []
    for i in range(2):
        out = tmp_path / f"o{i}"
        result = run("--variant", "lite0", "--calibration", str(calib), "--out", str(out))
        assert result.exit_code == 0, result.stderr
        digests.append((out / "model.tflite").read_bytes())
    assert digests[0] == digests[1]


@pytest.mark.slow
def test_force_replaces_a_previous_build(tmp_path, photo_dir):
    calib = link_all(sorted(photo_dir.iterdir())[:4], tmp_path / "calib")
    out = tmp_path / "o"
    out.mkdir()
    (out / "old.txt").write_text("previous")
    # an earlier effkit build, whose build.json lists old.txt: --force replaces only effkit's
    (out / "build.json").write_text(json.dumps({
        "effkit_manifest": 1, "variant": "lite0", "quantization": {},
        "artifacts": [{"path": "old.txt", "bytes": 8, "sha256": "0" * 64}]}))
    result = run("--variant", "lite0", "--calibration", str(calib), "--out", str(out), "--force",
                 "--quant", "int8", "--io", "int8")
    assert result.exit_code == 0, result.stderr
    assert not (out / "old.txt").exists() and (out / "model.tflite").is_file()
    assert leftovers(tmp_path) == []
    # an int8 input, which MediaPipe and the Task Library refuse: build says so, as effkit
    # metadata did (an outside walk: the build said nothing)
    (warned,) = [w for w in json.loads((out / "build.json").read_text())["warnings"] if "int8 input" in w]
    assert warned.startswith("the model's int8 input is refused by MediaPipe's ImageClassifier")


# --------------------------------------------------------------------------- the coral target
# The real edgetpu_compiler cannot run here (x86-64 Debian/Ubuntu only, from Coral's apt
# repository). These tests drive the pipeline's compile stage with the tests' stand-in
# (tests/edgetpu_fixtures/standin.py), which replays a real compiler log and, like the real
# compiler, writes the model without its TFLite metadata. The real compiler's own test is
# test_real_compiler_coral_build below, skipped unless edgetpu_compiler is on PATH.


@pytest.fixture
def eight_images(tmp_path, photo_dir) -> Path:
    return link_all(sorted(photo_dir.iterdir())[:8], tmp_path / "calib")


@pytest.mark.slow
def test_coral_build_fake_compiler_plumbing(tmp_path, eight_images, edgetpu_logs, monkeypatch):
    """The coral build's compile stage with the stand-in: metadata re-attached, files and
    build.json. The stand-in's op counts come from effkit's own rules: not checked here."""
    from edgetpu_fixtures.standin import write_standin

    from effkit.metadata import labels_from_model, normalization
    from effkit.model.labels import imagenet_labels

    standin = write_standin(tmp_path / "bin", mode="success-stripped",
                            replay=edgetpu_logs / "10-v15-all-mapped-show-operations.txt")
    monkeypatch.setenv("EFFKIT_EDGETPU_COMPILER", str(standin))
    monkeypatch.chdir(tmp_path)
    out = Path("o")  # relative, as the default --out build/lite0-coral is
    result = run("--variant", "lite0", "--target", "coral", "--calibration", str(eight_images),
                 "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    tpu = doc["edgetpu"]
    assert tpu["compiled"] and tpu["metadata_reattached"] and tpu["check"]["all_mapped"]
    report = tpu["compile"]["report"]
    assert report["compiler_version"] == "15.0.340273435"  # the replayed compiler's
    # relative to --out: a relative --out left absolute paths into the removed staging folder
    assert tpu["compile"]["compiled"] == ["model_edgetpu.tflite"]
    assert ".o.tmp-" not in json.dumps(tpu), tpu["compile"]  # console_log, op_logs too
    compiled = (out / "model_edgetpu.tflite").read_bytes()
    assert labels_from_model(compiled) == imagenet_labels()
    assert normalization(compiled) == ((127.0,), (128.0,))
    assert {a["path"] for a in doc["artifacts"]} >= {"model.tflite", "model_edgetpu.tflite"}
    assert list(tpu)[-2:] == ["check", "compile"]  # the per-op tables after the summary
    on_disk = json.loads((out / "build.json").read_text(encoding="utf-8"))
    assert doc["app"] == "coral" and list(on_disk)[-1] == "edgetpu"
    import hashlib

    app_files = {a["path"]: a for a in doc["app_files"]}
    assert "coral/install.sh" in app_files and "coral/model_edgetpu.tflite" in app_files
    for path, art in app_files.items():
        assert art["sha256"] == hashlib.sha256((out / path).read_bytes()).hexdigest()
    assert sorted(app_files) == sorted(p.relative_to(out).as_posix()
                                       for p in (out / "coral").rglob("*") if p.is_file())
    assert (out / "coral" / "model_edgetpu.tflite").read_bytes() == compiled


@pytest.mark.slow
def test_a_compiler_log_without_op_counts_is_a_warning_not_a_pass(tmp_path, eight_images, monkeypatch):
    """A compiler that writes its model but a log effkit cannot read (another version's
    wording): the summary showed "None" ops and the default --min-tpu-ops 1.0 passed without
    a word; now '?' and a warning naming the log, also in build.json."""
    from edgetpu_fixtures.standin import write_standin

    odd = tmp_path / "odd.txt"
    odd.write_text("Edge TPU Compiler version 16.0.384591198\nCompilation went fine.\n"
                   "Mapping: all of it, more or less\n", encoding="utf-8")
    standin = write_standin(tmp_path / "bin", mode="success-replay", replay=odd)
    monkeypatch.setenv("EFFKIT_EDGETPU_COMPILER", str(standin))
    out = tmp_path / "o"
    result = run("--variant", "lite0", "--target", "coral", "--calibration", str(eight_images),
                 "--out", str(out))
    assert result.exit_code == 0, result.stderr
    flat = " ".join((result.stdout + result.stderr).split())
    assert "None" not in flat, flat
    assert "edgetpu_compiler ? ?" in " ".join(flat.replace("│", " ").split())
    warning = (f"edgetpu_compiler's log gives no op counts effkit can read, so how much of the "
               f"model runs on the Edge TPU is not confirmed (--min-tpu-ops was not checked): "
               f"read {out}/model_edgetpu.console.txt")
    assert "".join(warning.split()) in "".join(flat.split())  # wrapped at any column, in a path too
    assert warning in json.loads((out / "build.json").read_text(encoding="utf-8"))["warnings"]


def test_plan_holds_every_default_and_a_pending_plan_does_not_run(tmp_path):
    """What run needs is in the plan, computed once: the app answers' defaults, the weights
    with what was read and their sha256; a plan made before training (no weights) is
    refused by run before TensorFlow loads."""
    import effkit.pipeline.build as pipeline
    from effkit.errors import UsageError

    android = pipeline.plan(pipeline.BuildRequest("lite0", target="android", out=tmp_path / "a"))
    assert (android.app_id, android.app_name) == ("com.example.lite0", "EfficientNet-Lite0")
    assert android.android_runtime == "compiled-model"  # the default, stored in the plan
    assert android.model_name == "EfficientNet-Lite0" and android.compiler is None
    assert android.weights.kind == "pth" and android.weights.payload is not None
    assert len(android.weights.sha256 or "") == 64
    cpu = pipeline.plan(pipeline.BuildRequest("lite0", out=tmp_path / "c"))
    assert (cpu.app_id, cpu.app_name, cpu.android_runtime) == (None, None, None)
    pending = pipeline.plan(pipeline.BuildRequest("lite0", out=tmp_path / "p"), check_weights=False)
    with pytest.raises(UsageError, match="no weights yet"):
        pipeline.run(pending)
    with pytest.raises(UsageError, match="already has its weights"):
        pipeline.with_trained(cpu, weights=tmp_path / "w.h5", labels=["a"], calibration=None)


def test_weights_without_a_head_are_refused_by_the_plan(tmp_path):
    """A backbone saved without its classifier failed at 'Loading weights', after the
    calibration and the model, naming include_top=False, which the CLI has not (weights
    walk); the plan refuses it and names train --weights."""
    import effkit.pipeline.build as pipeline
    from effkit.errors import WeightsError
    from effkit.model.network import build_model
    from effkit.model.variants import get_variant

    backbone = build_model(get_variant("lite0"), include_top=False)
    backbone.save_weights(tmp_path / "bb.weights.h5")
    with pytest.raises(WeightsError, match="hold no classification head") as exc:
        pipeline.plan(pipeline.BuildRequest("lite0", weights=tmp_path / "bb.weights.h5",
                                            labels=["a", "b"], out=tmp_path / "o"))
    assert exc.value.hint.startswith("train a head on your images first: effkit train --variant "
                                     "lite0 --data DIR --out OUT --weights ")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_run_uses_what_the_plan_resolved(tmp_path, eight_images, monkeypatch):
    """After plan(): the compiler leaves PATH and the weights file is overwritten; run()
    still compiles with the planned compiler (its version not asked again) and loads the
    planned weights (their sha256 in build.json)."""
    from edgetpu_fixtures.standin import calls, write_standin

    from effkit.edgetpu import locate
    from effkit.model.variants import get_variant
    from effkit.pipeline.build import BuildRequest, plan, run
    from effkit.weights.files import default_weights_path

    bindir = tmp_path / "bin"
    standin = write_standin(bindir, mode="success-stripped")
    monkeypatch.delenv("EFFKIT_EDGETPU_COMPILER", raising=False)
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    weights = tmp_path / "lite0.pth"
    shutil.copyfile(default_weights_path(get_variant("lite0")), weights)
    planned = plan(BuildRequest("lite0", target="coral", out=tmp_path / "o", weights=weights,
                                calibration=eight_images, calibration_size=8))
    assert planned.compiler is not None and planned.compiler_version == "16.0.384591198"
    sha = planned.weights.sha256
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # the compiler cannot be found any more
    locate._version_cached.cache_clear()  # nor its version remembered
    weights.write_bytes(b"not weights any more")
    result = run(planned)
    doc = result.manifest.to_dict()
    assert doc["edgetpu"]["compiled"] and result.edgetpu_model_path is not None
    assert doc["weights"]["sha256"] == sha and doc["weights"]["path"] == str(weights)
    assert len([c for c in calls(standin) if "--version" in c]) == 1  # in plan, not in run


@pytest.mark.slow
def test_coral_build_fails_when_too_few_ops_map(tmp_path, eight_images, monkeypatch):
    from edgetpu_fixtures.standin import calls, write_standin

    # The stand-in reports this model's own mapping: with -m 10 its QUANTIZE ops (runtime
    # 13+) stay on the CPU, so fewer than all ops map.
    standin = write_standin(tmp_path / "bin", mode="success-stripped")
    monkeypatch.setenv("EFFKIT_EDGETPU_COMPILER", str(standin))
    result = run("--variant", "lite0", "--target", "coral", "--calibration", str(eight_images),
                 "--out", str(tmp_path / "o"), "--min-runtime", "10", "--min-tpu-ops", "1",
                 "--compile-timeout", "45")
    assert_one_line_error(result, "of the ops map to the Edge TPU", "--min-tpu-ops")
    assert not (tmp_path / "o").exists() and leftovers(tmp_path) == []
    (compiled,) = [c for c in calls(standin) if "--version" not in c]
    assert compiled[compiled.index("-t") + 1] == "45"  # build had no way to set it


@pytest.mark.slow
def test_coral_build_anywhere_then_compile_the_folder(tmp_path, eight_images, monkeypatch):
    """No compiler, no Docker engine: the build finishes, says how to finish, exits 0;
    `effkit compile-edgetpu OUT/` then adds the Edge TPU model in place."""
    from edgetpu_fixtures.standin import write_docker_standin, write_standin

    from effkit.metadata import labels_from_model
    from effkit.model.labels import imagenet_labels

    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no edgetpu_compiler, no docker
    monkeypatch.delenv("EFFKIT_EDGETPU_COMPILER", raising=False)
    out = tmp_path / "o"
    result = run("--variant", "lite0", "--target", "coral", "--calibration", str(eight_images),
                 "--out", str(out), "--min-runtime", "14", "--compile-timeout", "900")
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 2 and "only 8 images" in warnings[0]  # a fast test's few images
    warning = " ".join(result.stderr.split())
    assert "no edgetpu_compiler and no running Docker engine" in warning
    assert f"effkit compile-edgetpu {out}/" in warning and "x86-64 Linux" in warning
    assert "MiB" in result.stdout  # the estimated parameter memory in the summary
    doc = json.loads((out / "build.json").read_text())
    assert doc["edgetpu"]["compiled"] is False
    assert doc["edgetpu"]["status"].startswith("not compiled")
    assert f"effkit compile-edgetpu {out}/" in doc["edgetpu"]["finish"]  # this folder, not OUT/
    assert doc["edgetpu"]["check"]["on_chip_bytes"] > 0
    assert doc["edgetpu"]["check"]["off_chip_bytes"] == 0
    assert not (out / "model_edgetpu.tflite").exists()
    assert not (out / "coral" / "model_edgetpu.tflite").exists()
    before = {a["path"]: a["sha256"] for a in doc["artifacts"]}

    # Where a Docker engine runs (here a stand-in docker client running the stand-in
    # compiler for `docker run`), compile-edgetpu takes the container route by itself.
    image = write_standin(tmp_path / "image", mode="success-stripped")
    write_docker_standin(tmp_path / "bin", image)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    # an edited labels.txt would have reached only coral/labels.txt (the app reads the
    # models' metadata first) and build.json's hash of it: refused, naming the way to do it
    labels_txt = (out / "labels.txt").read_text(encoding="utf-8")
    (out / "labels.txt").write_text("EDITED " + labels_txt, encoding="utf-8")
    edited = runner.invoke(app, ["compile-edgetpu", str(out)])
    assert_one_line_error(edited, f"'{out}/labels.txt' does not match the labels in the metadata of "
                          f"'{out}/model.tflite' (label 1 is 'EDITED tench', not 'tench')",
                          "ndo the edit, or to change the labels build again with --labels FILE")
    (out / "labels.txt").write_text(labels_txt, encoding="utf-8")
    saved = '{"effkit_eval": 1, "count": 20}\n'  # eval --save on coral/model.tflite
    (out / "coral" / "model.eval.json").write_text(saved)
    # segments run only as a pipeline over several Edge TPUs; the app runs one model
    split = runner.invoke(app, ["compile-edgetpu", str(out), "--num-segments", "2"])
    assert_one_line_error(split, "--num-segments 2, which splits the model for a pipeline over 2 Edge TPUs",
                          "effkit compile-edgetpu OUT/model.tflite --num-segments N -o DIR")
    # an earlier effkit's build.json may hold it: named as build.json's, not as a flag not given
    manifest = (out / "build.json").read_text(encoding="utf-8")
    older = json.loads(manifest)
    older["edgetpu"]["compiler_options"]["num_segments"] = 2
    (out / "build.json").write_text(json.dumps(older), encoding="utf-8")
    assert_one_line_error(runner.invoke(app, ["compile-edgetpu", str(out)]),
                          "build.json (an earlier effkit's build) asks for --num-segments 2, which",
                          "Pass --num-segments 1")
    (out / "build.json").write_text(manifest, encoding="utf-8")
    finished = runner.invoke(app, ["compile-edgetpu", str(out)])
    assert finished.exit_code == 0, finished.stderr
    assert (out / "coral" / "model.eval.json").read_text() == saved  # carried into the new coral/
    assert "no local edgetpu_compiler: compiling in Docker" in " ".join(finished.stderr.split())
    assert "ops on the Edge TPU" in " ".join(finished.stdout.split())
    new = json.loads((out / "build.json").read_text())
    assert new["edgetpu"]["compiled"] and new["edgetpu"]["metadata_reattached"]
    assert new["edgetpu"]["compile"]["compiler"]["kind"] == "docker"
    # the build's --min-runtime and --compile-timeout reach the compiler though the finish
    # command names neither (compile-edgetpu's own default had been 180 s, the build's 600 s)
    assert doc["edgetpu"]["compiler_options"] == {"min_runtime_version": 14, "timeout_s": 900}
    argv = new["edgetpu"]["compile"]["argv"]
    assert argv[argv.index("-m") + 1] == "14" and argv[argv.index("-t") + 1] == "900", argv
    assert new["edgetpu"]["compiler_options"] == {"min_runtime_version": 14, "timeout_s": 900}
    compiled = (out / "model_edgetpu.tflite").read_bytes()
    assert labels_from_model(compiled) == imagenet_labels()
    assert (out / "coral" / "model_edgetpu.tflite").read_bytes() == compiled
    after = {a["path"]: a["sha256"] for a in new["artifacts"]}
    assert {k: after[k] for k in before} == before  # model.tflite and labels untouched
    assert "model_edgetpu.tflite" in after
    assert leftovers(tmp_path) == []

    again = runner.invoke(app, ["compile-edgetpu", str(out)])
    assert_one_line_error(again, "already has its Edge TPU model", "--force")
    # build.json of an effkit before compiler_options: --min-runtime 14 only as the runtime
    # checked for; the compile had used 13 without a word (upgrade walk)
    older = json.loads((out / "build.json").read_text(encoding="utf-8"))
    del older["edgetpu"]["compiler_options"]
    assert older["edgetpu"]["check"]["edgetpu_min_runtime_version"] == 14
    (out / "build.json").write_text(json.dumps(older), encoding="utf-8")
    redone = runner.invoke(app, ["compile-edgetpu", str(out), "--force", "--json"])
    assert redone.exit_code == 0, redone.stderr
    argv = json.loads((out / "build.json").read_text())["edgetpu"]["compile"]["argv"]
    assert argv[argv.index("-m") + 1] == "14", argv


@pytest.mark.slow
def test_the_not_compiled_warning_is_among_the_json_warnings(tmp_path, eight_images, monkeypatch):
    """A pipeline reading --json looks in "warnings"; the closing warning was only on stderr."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no edgetpu_compiler, no docker
    monkeypatch.delenv("EFFKIT_EDGETPU_COMPILER", raising=False)
    out = tmp_path / "o"
    result = run("--variant", "lite0", "--target", "coral", "--calibration", str(eight_images),
                 "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    closing = doc["warnings"][-1]
    assert closing.startswith("the Edge TPU model was not compiled")
    assert f"effkit compile-edgetpu {out}/" in closing
    assert f"warning: {closing}" in " ".join(result.stderr.split())  # and still on stderr for a person
    assert json.loads((out / "build.json").read_text())["warnings"] == doc["warnings"][:-1]


def _coral_folder(root: Path) -> Path:
    """A coral build folder as compile-edgetpu reads it (build.json recording its app files);
    the checks below run before the model is read, so it has none."""
    import hashlib

    out = root / "o"
    (out / "coral").mkdir(parents=True)
    files = {"coral/README.md": b"readme\n", "coral/classify_image.py": b"print('hi')\n"}
    for rel, data in files.items():
        (out / rel).write_bytes(data)
    (out / "build.json").write_text(json.dumps({
        "effkit_manifest": 1, "variant": "lite0", "target": "coral", "app": "coral",
        "quantization": {"mode": "int8", "io": "uint8"},
        "edgetpu": {"compiled": False, "status": "not compiled (no compiler)"},
        "app_files": [{"path": k, "bytes": len(v), "sha256": hashlib.sha256(v).hexdigest()}
                      for k, v in files.items()]}), encoding="utf-8")
    return out


def test_compile_edgetpu_folder_keeps_what_the_user_put_in_coral(tmp_path, monkeypatch):
    """compile-edgetpu OUT/ renders coral/ again: a file the user added there is never lost
    (not even with --force), an edit to effkit's script is undone only with --force."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no compiler: it is asked for last
    out = _coral_folder(tmp_path)
    (out / "coral" / "my_notes.txt").write_text("pins for the camera")
    for force in ([], ["--force"]):
        result = runner.invoke(app, ["compile-edgetpu", str(out), *force])
        assert_one_line_error(result, f"{out}/coral/ holds files effkit did not write "
                              f"('{out}/coral/my_notes.txt')", f"ove them out of {out}/coral/ first")
    (out / "coral" / "my_notes.txt").unlink()
    with (out / "coral" / "classify_image.py").open("a") as fh:
        fh.write("# my change\n")
    result = runner.invoke(app, ["compile-edgetpu", str(out)])
    assert_one_line_error(result, f"'{out}/coral/classify_image.py' changed since effkit wrote it",
                          "opy your changes elsewhere, then pass --force")
    assert (out / "coral" / "classify_image.py").read_text().endswith("# my change\n")
    # effkit eval/bench --save on coral/model.tflite: effkit's results, carried over
    (out / "coral" / "model.eval.json").write_text('{"effkit_eval": 1, "count": 20}\n')
    result = runner.invoke(app, ["compile-edgetpu", str(out), "--force"])
    assert f"model file '{out}/model.tflite' does not exist" in one_line_error(result)  # past the check


def test_compile_edgetpu_folder_bad_input(tmp_path):
    result = runner.invoke(app, ["compile-edgetpu", str(tmp_path)])
    assert_one_line_error(result, "is not an effkit build folder", "build.json")
    (tmp_path / "build.json").write_text("{not json", encoding="utf-8")
    assert_one_line_error(runner.invoke(app, ["compile-edgetpu", str(tmp_path)]),
                          "is damaged", "build.json")
    (tmp_path / "build.json").write_text(
        '{"target": "cpu", "variant": "lite0", "quantization": {"mode": "int8", "io": "uint8"}}',
        encoding="utf-8")
    result = runner.invoke(app, ["compile-edgetpu", str(tmp_path), "--json"])
    assert_one_line_error(result, "is a --target cpu build", "--target coral")
    result = runner.invoke(app, ["compile-edgetpu", str(tmp_path), "--out", str(tmp_path)])
    assert_one_line_error(result, "apply to a .tflite model, not to a build folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build.json"]


@pytest.mark.skipif(not shutil.which("edgetpu_compiler"),
                    reason="edgetpu_compiler not installed (x86-64 Debian/Ubuntu only, "
                    "from Coral's apt repository)")
@pytest.mark.parametrize("finish_later", [False, True])
def test_real_compiler_coral_build(tmp_path, eight_images, finish_later):
    """Compiled by the build, or built with --skip-compile and finished by compile-edgetpu OUT/."""
    from effkit.metadata import labels_from_model

    out = tmp_path / "o"
    result = run("--variant", "lite0", "--target", "coral", "--calibration", str(eight_images),
                 "--out", str(out), "--json", *(["--skip-compile"] if finish_later else []))
    if finish_later:
        assert result.exit_code == 0, result.stderr
        result = runner.invoke(app, ["compile-edgetpu", str(out), "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["edgetpu"]["compiled"] and doc["edgetpu"]["compile"]["report"]["ops_cpu"] == 0
    assert labels_from_model((out / "model_edgetpu.tflite").read_bytes())
    assert (out / "coral" / "model_edgetpu.tflite").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("quant", ["float16", "dynamic"])
def test_other_quantizations_build_and_run(tmp_path, quant, photo_dir):
    from effkit.analysis.evaluate import TFLiteClassifier
    from effkit.metadata import labels_from_model
    from effkit.model.preprocess import load_image

    out = tmp_path / quant
    result = run("--variant", "lite0", "--quant", quant, "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["quantization"] == {"mode": quant, "io": "float32"} and doc["calibration"] is None
    clf = TFLiteClassifier(out / "model.tflite")
    assert clf.input["dtype"] == np.float32
    espresso = next(p for p in sorted(photo_dir.iterdir()) if p.name.startswith("n07920052_"))
    assert int(np.argmax(clf.scores(load_image(espresso, 224)))) == 967  # espresso
    assert labels_from_model((out / "model.tflite").read_bytes())[0] == "tench"


def test_legal_but_likely_wrong_input_is_a_warning_kept_in_build_json(tmp_path, capsys):
    """Duplicate labels and a handful of calibration images build, but say so: on stderr
    at the end of the build and in build.json's "warnings"."""
    import numpy as np

    from effkit.calibration.sets import CalibrationSet
    from effkit.cli.build import edgetpu_notes
    from effkit.core.manifest import Manifest
    from effkit.model.labels import Labels
    from effkit.pipeline.build import _calibration_warnings

    labels = Labels(("a", "b", "a", "c", "b"), "mine.txt")
    assert labels.warnings() == ("2 label(s) name more than one class in 'mine.txt': "
                                 "'a' on lines 1, 3; 'b' on lines 2, 5",)
    # ImageNet's own two cranes and two maillots are the dataset's, not a user's mistake:
    # no warning, bundled or read back from the labels.txt effkit wrote (metadata warned)
    assert Labels.imagenet().warnings() == ()
    edited = Labels(Labels.imagenet().names[:-1] + ("crane",)).warnings()[0]  # a third crane
    assert "'crane' on lines 135, 518, 1000" in edited
    assert Labels(("a", "b")).warnings() == ()
    # names that differ only in Unicode form or case, as train warns of class folders
    # (outside walk: build and metadata --labels took them without a word)
    assert Labels(("caf\u00e9", "cafe\u0301", "Cat", "cat", "dog"), "l.txt").warnings() == (
        "2 group(s) of labels in 'l.txt' differ only in Unicode form or case, easy to take for "
        "one class: 'caf\\xe9' (line 1) and 'cafe\\u0301' (line 2); 'Cat' (line 3) and 'cat' (line 4)",)
    # ImageNet's own 'Cardigan' (the corgi) and 'cardigan' (the sweater) give none either
    alike = Labels(Labels.imagenet().names[:-1] + ("Crane",)).warnings()[1]
    assert "'crane' (line 135) and 'Crane' (line 1000)" in alike
    assert Labels(("a",) * 1000).warnings() == (  # a list from memory, one name 1000 times
        "1 label(s) name more than one class in 'labels': 'a' on lines 1, 2, 3, 4, 5 and 995 more",)
    few = CalibrationSet(np.zeros((5, 1, 1, 3), np.float32), "folder", "cal")
    assert "only 5 images from 'cal'" in _calibration_warnings(few)[0]
    enough = CalibrationSet(np.zeros((32, 1, 1, 3), np.float32), "folder", "cal")
    assert _calibration_warnings(enough) == () and _calibration_warnings(None) == ()

    doc = Manifest(variant="lite0", quantization={"mode": "int8"}, target="cpu",
                   warnings=labels.warnings())
    assert Manifest.from_json(doc.to_json()) == doc
    assert "warnings" not in Manifest(variant="lite0", quantization={}).to_dict()
    edgetpu_notes(tmp_path, doc.to_dict())
    err = capsys.readouterr().err
    assert " ".join(err.split()) == f"warning: {labels.warnings()[0]}"  # as the console wraps it


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_labels_files_of_any_line_ending_read_alike(tmp_path, ending):
    """Unix, Windows and classic Mac (CR only: it read as one label of every name) files."""
    from effkit.model.labels import Labels

    path = tmp_path / "labels.txt"
    path.write_bytes(ending.join(["cat", "dog", "émeu"]).encode() + ending.encode())
    assert Labels.from_file(path).names == ("cat", "dog", "émeu")


@pytest.mark.slow
def test_the_default_calibration_size_given_is_the_default(lite0_build, tmp_path):
    """--calibration-size 32, the help's 'default: 32 distilled', keeps the shipped set: the
    same model to the byte, not a set distilled now with other settings for a minute."""
    out = tmp_path / "o"
    result = run("--variant", "lite0", "--calibration-size", "32", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert json.loads((out / "build.json").read_text())["calibration"]["origin"] == "shipped"
    assert (out / "model.tflite").read_bytes() == (lite0_build / "model.tflite").read_bytes()


@pytest.mark.slow
def test_model_info_options_reach_the_metadata(tmp_path):
    """--description, --model-version, --author and --license land in the model's metadata
    (a float32 build: no calibration) and in build.json with the labels file, and a float
    build is not described as quantized."""
    from effkit.metadata.reader import read_metadata

    out = tmp_path / "f"
    labels = tmp_path / "my labels.txt"
    labels.write_text("".join(f"class {i}\n" for i in range(1000)), encoding="utf-8")
    result = run("--variant", "lite0", "--quant", "float32", "--out", str(out), "--description",
                 "Birds of the garden", "--model-version", "2.1", "--author", "Zoë", "--license", "MIT",
                 "--labels", str(labels))
    assert result.exit_code == 0, result.stderr
    md = read_metadata((out / "model.tflite").read_bytes())
    fields = tuple(v.decode("utf-8") for v in (md.description, md.version, md.author, md.license))
    assert fields == ("Birds of the garden", "2.1", "Zoë", "MIT")
    recorded = json.loads((out / "build.json").read_text(encoding="utf-8"))["metadata"]
    assert recorded == {"description": "Birds of the garden", "version": "2.1", "author": "Zoë",
                        "license": "MIT", "labels": str(labels)}
    default = tmp_path / "d"
    assert run("--variant", "lite0", "--quant", "float32", "--out", str(default)).exit_code == 0
    text = read_metadata((default / "model.tflite").read_bytes()).description.decode("utf-8")
    assert text.endswith("float32, not quantized by effkit") and "quantized by" not in text.replace(
        "not quantized by", "")


def test_force_over_edited_files_says_which_edits_it_replaces(tmp_path):
    """--force replaces a build, the user's edits to its app included: named, not silent."""
    import hashlib

    from effkit.pipeline.build import BuildRequest, plan

    out = tmp_path / "o"
    (out / "android").mkdir(parents=True)
    body = b"class MainActivity\n"
    files = {"android/MainActivity.kt": body, "android/README.md": b"# app\n"}
    for rel, data in files.items():
        (out / rel).write_bytes(data)
    (out / "build.json").write_text(json.dumps({
        "effkit_manifest": 1, "variant": "lite0", "quantization": {}, "artifacts": [],
        "app_files": [{"path": rel, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                      for rel, data in files.items()]}))
    req = BuildRequest(variant="lite0", target="android", out=out, force=True)
    assert plan(req, check_weights=False).warnings == ()
    (out / "android/MainActivity.kt").write_bytes(body + b"// mine\n")
    assert plan(req, check_weights=False).warnings == (
        f"--force replaced files edited since the previous build wrote them: "
        f"'{out}/android/MainActivity.kt'",)
