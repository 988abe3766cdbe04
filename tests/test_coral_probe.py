"""The Coral app's Edge TPU probe, through the real ai-edge-litert ``load_delegate``.

No Edge TPU can be attached here, so the delegates are real shared libraries built with
gcc from tests/coral_fixtures/fake_delegate.c: one whose ``tflite_plugin_create_delegate``
raises SIGSEGV (what a libedgetpu built for another TensorFlow does), one that aborts,
one that returns NULL (what libedgetpu does when it finds no device), and one that loads
and claims no nodes, so the "Edge TPU" run is the CPU kernels and must equal the CPU model.
The real-device test at the end runs only where an Edge TPU is attached.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_coral_app import (  # noqa: F401  (models is a fixture)
    HOSTILE_LABELS,
    LITE0,
    effkit_top1,
    fallback_lines,
    models,
    run_app,
    runtime_module,
)

from effkit.apps.coral import render_coral_app
from effkit.model.preprocess import list_images

FIXTURES = Path(__file__).parent / "coral_fixtures"
CRASH = "do not match; run ./install.sh"
NO_DEVICE = "no Edge TPU found"


@pytest.fixture(scope="module")
def delegates(tmp_path_factory) -> dict[str, Path]:
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed (apt-get install gcc)")
    out = tmp_path_factory.mktemp("delegates")
    libs = {}
    for kind, define in [("segv", "CRASH_SEGV"), ("abort", "CRASH_ABORT"), ("null", "RETURN_NULL"),
                         ("prepare", "PREPARE_FAILS"), ("noop", "CLAIMS_NOTHING")]:
        libs[kind] = out / f"libfake_{kind}.so"
        subprocess.run([gcc, "-shared", "-fPIC", "-O1", "-Wall", "-Wextra", "-Werror", f"-D{define}",
                        "-o", str(libs[kind]), str(FIXTURES / "fake_delegate.c")], check=True,
                       capture_output=True, timeout=120)
    return libs


@pytest.fixture(scope="module")
def tpu_app(models, tmp_path_factory) -> Path:  # noqa: F811
    """An app whose "Edge TPU model" is the uint8 model without metadata (runs on CPU kernels)."""
    return render_coral_app(tmp_path_factory.mktemp("tpu") / "coral", model_name="probe app",
                            variant=LITE0, labels=HOSTILE_LABELS, cpu_model=models["uint8"],
                            edgetpu_model=models["tpu_plain"])


@pytest.fixture()
def cache(tmp_path: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(tmp_path / "cache")}


def _no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "_library" not in proc.stderr, proc.stderr


FAILURES = [
    ("segv", "crashed the process (SIGSEGV): libedgetpu and the TFLite runtime (ai-edge-litert "),
    ("abort", "crashed the process (SIGABRT): libedgetpu and the TFLite runtime (ai-edge-litert "),
    ("null", NO_DEVICE + ": no USB Accelerator (1a6e:089a or 18d1:9302 in lsusb)"),
    ("prepare", "cannot run model_edgetpu.tflite on the Edge TPU (Restored original execution plan"),
]


@pytest.mark.parametrize("kind, line", FAILURES)
def test_a_broken_delegate_gives_one_line_and_the_cpu_result(
        kind, line, delegates, tpu_app: Path, models, photo_dir: Path, cache) -> None:  # noqa: F811
    images = list_images(photo_dir)[::12]
    proc = run_app(tpu_app, "classify_image.py", "--json", "--delegate", str(delegates[kind]),
                   *map(str, images), env=cache)
    _no_traceback(proc)
    lines = fallback_lines(proc.stderr)
    assert len(lines) == 1 and line in lines[0], proc.stderr
    assert lines[0].startswith(str(delegates[kind])) or kind in ("null", "prepare")
    doc = json.loads(proc.stdout)
    assert doc["device"] == "cpu"
    assert [r["top"][0]["index"] for r in doc["results"]] == effkit_top1(models["uint8"], images)
    # --require-tpu: the same cause as the error, exit 1, nothing on stdout.
    strict = run_app(tpu_app, "classify_image.py", "--require-tpu", "--delegate", str(delegates[kind]),
                     str(images[0]), check=False, env=cache)
    assert strict.returncode == 1 and strict.stdout == ""
    assert strict.stderr.strip().splitlines()[-1] == f"error: {lines[0].split('; running the CPU')[0]}"
    _no_traceback(strict)


@pytest.mark.parametrize("script, args", [
    ("classify_camera.py", ["--no-display", "--max-frames", "1", "--source", "VIDEO"]),
    ("benchmark.py", ["--runs", "2", "--warmup", "0"]),
])
def test_every_script_takes_delegate_and_require_tpu(script, args, delegates, tpu_app: Path,
                                                     photo_dir: Path, tmp_path: Path, cache) -> None:
    from test_coral_app import _write_video

    video = tmp_path / "clip.avi"
    _write_video(video, list_images(photo_dir)[:2])
    args = [str(video) if a == "VIDEO" else a for a in args]
    env = {**cache, "EDGETPU_DELEGATE": str(delegates["segv"])}  # the variable, not --delegate
    proc = run_app(tpu_app, script, *args, env=env)
    _no_traceback(proc)
    assert CRASH in proc.stderr + proc.stdout  # benchmark.py shows it in its table
    strict = run_app(tpu_app, script, *args, "--require-tpu", check=False, env=env)
    assert strict.returncode == 1 and CRASH in strict.stderr.strip().splitlines()[-1]
    _no_traceback(strict)
    ok = run_app(tpu_app, script, *args, "--require-tpu", "--delegate", str(delegates["noop"]), env=env)
    _no_traceback(ok)
    assert "running the CPU model" not in ok.stderr


def test_a_delegate_that_loads_passes_the_probe_and_matches_the_cpu(
        delegates, tpu_app: Path, models, photo_dir: Path, cache) -> None:  # noqa: F811
    images = list_images(photo_dir)[::6]
    proc = run_app(tpu_app, "classify_image.py", "--json", "--require-tpu", "--delegate",
                   str(delegates["noop"]), *map(str, images), env=cache)
    assert fallback_lines(proc.stderr) == []
    doc = json.loads(proc.stdout)
    assert (doc["model"], doc["device"]) == ("model_edgetpu.tflite", "edgetpu")
    cpu = json.loads(run_app(tpu_app, "classify_image.py", "--json", "--cpu", *map(str, images),
                             env=cache).stdout)
    strip = [[(t["index"], t["score"]) for t in r["top"]] for r in doc["results"]]
    assert strip == [[(t["index"], t["score"]) for t in r["top"]] for r in cpu["results"]]
    check = run_app(tpu_app, "coral_runtime.py", "--check", "--delegate", str(delegates["noop"]), env=cache)
    assert check.stdout.startswith("ok: model_edgetpu.tflite runs on the Edge TPU")


# Messages users reported from real libedgetpu/runtime pairs (google-coral/edgetpu#44 and the
# "runtime version" error quoted in the app's README), each mapped to its own line.
PUBLISHED_ERRORS = [
    ("run", "Failed to prepare for TPU. Failed precondition: Package requires runtime version (14), "
            "which is newer than this runtime version (13).",
     "the Edge TPU rejected model_edgetpu.tflite (Failed to prepare for TPU."),
    ("run", "Internal: Unsupported data type in custom op handler: 0Node number 1 "
            "(EdgeTpuDelegateForCustomOp) failed to prepare.",
     "libedgetpu (libedgetpu.so.1) and the TFLite runtime do not match"),
    ("load", "libedgetpu.so.1: cannot open shared object file: No such file or directory",
     "the Edge TPU runtime libedgetpu.so.1 is not installed"),
    ("load", "/usr/lib/libedgetpu.so.1: undefined symbol: TfLiteIntArrayCreate",
     "cannot load libedgetpu.so.1 (/usr/lib/libedgetpu.so.1: undefined symbol"),
]


@pytest.mark.parametrize("stage, detail, line", PUBLISHED_ERRORS)
def test_published_errors_get_their_own_cause(stage, detail, line, tpu_app: Path) -> None:
    cause = runtime_module(tpu_app)._cause(stage, detail, "libedgetpu.so.1", "model_edgetpu.tflite")
    assert cause.startswith(line) and "\n" not in cause
    assert "./install.sh" in cause


def test_the_verdict_is_cached_per_library_and_runtime(delegates, tpu_app: Path, cache) -> None:
    rt = runtime_module(tpu_app)
    os.environ["XDG_CACHE_HOME"] = cache["XDG_CACHE_HOME"]
    try:
        first = rt.probe_edgetpu(library=str(delegates["segv"]))
        again = rt.probe_edgetpu(library=str(delegates["segv"]))
        assert (first["ok"], first["cached"], again["cached"]) == (False, False, True)
        assert again["cause"] == first["cause"] and "SIGSEGV" in first["cause"]
        cache_file = Path(cache["XDG_CACHE_HOME"]) / "effkit-coral" / "edgetpu-probe.json"
        stored = json.loads(cache_file.read_text())
        assert any("ai-edge-litert" in key and str(delegates["segv"]) in key for key in stored)
        # "No device" can change by plugging in: never cached.
        assert rt.probe_edgetpu(library=str(delegates["null"]))["cached"] is False
        assert rt.probe_edgetpu(library=str(delegates["null"]))["cached"] is False
        # A rebuilt library (new mtime/size) is probed again.
        rebuilt = delegates["segv"].with_name("libfake_rebuilt.so")
        shutil.copy(delegates["noop"], rebuilt)
        fresh = rt.probe_edgetpu(library=str(rebuilt))
        assert (fresh["ok"], fresh["cached"]) == (True, False)
        assert rt.probe_edgetpu(library=str(rebuilt))["cached"] is True
    finally:
        del os.environ["XDG_CACHE_HOME"]


def test_missing_runtime_and_missing_model_causes(models, tmp_path: Path, cache) -> None:  # noqa: F811
    cpu_only = render_coral_app(tmp_path / "cpu", model_name="cpu only", variant=LITE0,
                                labels=HOSTILE_LABELS, cpu_model=models["uint8"], edgetpu_model=None)
    proc = run_app(cpu_only, "classify_image.py", "--require-tpu", "x.jpg", check=False, env=cache)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: no Edge TPU model model_edgetpu.tflite in this app"
    check = run_app(cpu_only, "coral_runtime.py", "--check", env=cache)
    assert check.stdout.startswith("ok: no Edge TPU model in this app: model.tflite on CPU")
    tpu = render_coral_app(tmp_path / "tpu", model_name="tpu", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=models["tpu_plain"])
    missing = run_app(tpu, "coral_runtime.py", "--check", "--delegate", str(tmp_path / "libnone.so"),
                      check=False, env=cache)
    assert missing.returncode == 1 and "is not installed" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    _no_traceback(missing)


def test_relative_delegate_and_model_are_the_users_folder(delegates, tpu_app: Path, photo_dir: Path,
                                                         tmp_path: Path, cache, models) -> None:  # noqa: F811
    # the probe's child runs in the app folder; ./lib and models/x_edgetpu.tflite are the user's
    mine = tmp_path / "models"
    mine.mkdir()
    shutil.copy(models["tpu_plain"], mine / "mine_edgetpu.tflite")
    shutil.copy(delegates["noop"], tmp_path / "libmine.so.1")
    image = str(list_images(photo_dir)[0])
    proc = run_app(tpu_app, "classify_image.py", "--json", "--require-tpu", "--delegate", "./libmine.so.1",
                   "--model", "models/mine_edgetpu.tflite", image, env=cache, cwd=tmp_path)
    _no_traceback(proc)
    doc = json.loads(proc.stdout)
    assert (doc["model"], doc["device"]) == ("mine_edgetpu.tflite", "edgetpu"), proc.stderr


NOT_COMPILED = ("is not compiled for the Edge TPU (it has no edgetpu-custom-op): compile it with "
                "effkit compile-edgetpu")


def test_the_edge_tpu_is_chosen_by_the_compilers_op_not_by_the_file_name(
        delegates, models, photo_dir: Path, tmp_path: Path, cache) -> None:  # noqa: F811
    # A delegate that loads claims no node of a model edgetpu_compiler never compiled: the CPU
    # kernels run it, and an app that said "runs on the Edge TPU" would lie (as before).
    image = str(list_images(photo_dir)[0])
    never = render_coral_app(tmp_path / "never", model_name="never compiled", variant=LITE0,
                             labels=HOSTILE_LABELS, cpu_model=models["uint8"],
                             edgetpu_model=models["tpu_plain"])
    shutil.copy(models["uint8_plain"], never / "model_edgetpu.tflite")  # effkit renders none such
    noop = ["--delegate", str(delegates["noop"])]
    check = run_app(never, "coral_runtime.py", "--check", *noop, check=False, env=cache)
    assert check.returncode == 1
    assert check.stderr.strip() == f"error: model_edgetpu.tflite {NOT_COMPILED}"
    proc = run_app(never, "classify_image.py", "--json", *noop, image, env=cache)
    assert fallback_lines(proc.stderr) == [f"model_edgetpu.tflite {NOT_COMPILED}; running the CPU "
                                           "model model.tflite instead."]
    assert json.loads(proc.stdout)["device"] == "cpu"
    strict = run_app(never, "classify_image.py", "--require-tpu", *noop, image, check=False, env=cache)
    assert strict.returncode == 1 and NOT_COMPILED in strict.stderr.strip().splitlines()[-1]
    _no_traceback(strict)

    # --model: a compiled one runs on the Edge TPU whatever its name; a *_edgetpu.tflite that
    # never was runs on the CPU, and says so
    shutil.copy(models["tpu_plain"], tmp_path / "renamed.tflite")
    shutil.copy(models["uint8_plain"], tmp_path / "plain_edgetpu.tflite")
    renamed = run_app(never, "classify_image.py", "--json", "--require-tpu", *noop, "--model",
                      str(tmp_path / "renamed.tflite"), image, env=cache)
    assert (json.loads(renamed.stdout)["model"], json.loads(renamed.stdout)["device"]) == ("renamed.tflite",
                                                                                          "edgetpu")
    plain = run_app(never, "classify_image.py", "--json", *noop, "--model",  # no labels of its own
                    str(tmp_path / "plain_edgetpu.tflite"), "--labels", str(never / "labels.txt"),
                    image, env=cache)
    assert json.loads(plain.stdout)["device"] == "cpu"
    assert plain.stderr.strip() == f"plain_edgetpu.tflite {NOT_COMPILED}; running it on the CPU."
    strict = run_app(never, "classify_image.py", "--require-tpu", *noop, "--model",
                     str(tmp_path / "plain_edgetpu.tflite"), image, check=False, env=cache)
    assert strict.returncode == 1 and strict.stderr.strip().splitlines()[-1] == \
        f"error: plain_edgetpu.tflite {NOT_COMPILED}"
    # a compiled model cannot run on the CPU: one line, not the runtime's "unresolved custom op"
    cpu = run_app(never, "classify_image.py", "--cpu", "--model", str(tmp_path / "renamed.tflite"), image,
                  check=False, env=cache)
    assert cpu.returncode == 1 and cpu.stdout == ""
    assert cpu.stderr.strip() == ("error: renamed.tflite is compiled for the Edge TPU and does not run on "
                                  "the CPU: drop --cpu, or pass the model from before edgetpu_compiler "
                                  "(model.tflite)")


def test_a_compiled_model_is_never_swapped_for_another_or_run_on_the_cpu(
        models, delegates, tmp_path: Path, photo_dir: Path, cache) -> None:  # noqa: F811
    """With the Edge TPU unavailable, a compiled --model other than the app's own fell back
    to the app's model.tflite (another model, maybe with other classes) under a warning;
    and a model.tflite replaced by a compiled one was told to "drop --cpu" without --cpu."""
    app = render_coral_app(tmp_path / "app", model_name="swap", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=models["tpu_plain"])
    image = str(list_images(photo_dir)[0])
    missing = ["--delegate", str(tmp_path / "libedgetpu.so.1")]  # no Edge TPU runtime
    shutil.copy(models["tpu_plain"], tmp_path / "other.tflite")
    other = run_app(app, "classify_image.py", *missing, "--model", str(tmp_path / "other.tflite"), image,
                    check=False, env=cache)
    assert other.returncode == 1 and other.stdout == ""
    line = other.stderr.strip()
    assert line.startswith("error: the Edge TPU runtime ") and line.endswith(
        "; other.tflite is compiled for the Edge TPU and does not run on the CPU: pass the model "
        "from before edgetpu_compiler as --model"), line
    _no_traceback(other)
    # the app's own Edge TPU model, named: the usual fallback to its CPU model
    own = run_app(app, "classify_image.py", "--json", *missing, "--model", str(app / "model_edgetpu.tflite"),
                  image, env=cache)
    assert json.loads(own.stdout)["device"] == "cpu"
    assert fallback_lines(own.stderr)[0].endswith("; running the CPU model model.tflite instead.")

    shutil.copy(models["tpu_plain"], app / "model.tflite")  # compiled by hand, in the CPU model's place
    fix = ("error: model.tflite is compiled for the Edge TPU and does not run on the CPU: copy the "
           "model from before edgetpu_compiler (the build folder's model.tflite) over it")
    for args in (missing, ["--cpu"]):
        proc = run_app(app, "classify_image.py", *args, image, check=False, env=cache)
        assert proc.returncode == 1 and proc.stderr.strip().splitlines()[-1] == fix, proc.stderr
        _no_traceback(proc)


def test_effkit_renders_no_app_around_an_edge_tpu_model_never_compiled(models, tmp_path: Path) -> None:  # noqa: F811
    from effkit.errors import ModelFileError

    with pytest.raises(ModelFileError, match="is not compiled for the Edge TPU .it has no edgetpu-custom-op"):
        render_coral_app(tmp_path / "app", model_name="m", variant=LITE0, labels=HOSTILE_LABELS,
                         cpu_model=models["uint8"], edgetpu_model=models["uint8_plain"])
    assert not (tmp_path / "app").exists()


def test_a_file_that_is_no_library_is_not_called_a_missing_device(tpu_app: Path, cache) -> None:
    # dlopen's own words: "invalid ELF header", not "no Edge TPU found: plug it in"
    check = run_app(tpu_app, "coral_runtime.py", "--check", "--delegate", str(tpu_app / "README.md"),
                    check=False, env=cache)
    assert check.returncode == 1, check.stdout
    line = check.stderr.strip()
    assert line.startswith(f"error: cannot load {tpu_app / 'README.md'} (") and "invalid ELF header" in line
    assert "it is not a library for this system" in line and NO_DEVICE not in line
    _no_traceback(check)


@pytest.mark.parametrize("which", ["model.tflite", "model_edgetpu.tflite"])
def test_a_model_cut_short_is_named_before_a_runtime_opens_it(which, tmp_path: Path, photo_dir: Path,
                                                              cache, models) -> None:  # noqa: F811
    # ai-edge-litert 2.1.2 on arm64 (Trixie's) dies of SIGSEGV on one: an interrupted copy
    app = render_coral_app(tmp_path / "cut", model_name="cut", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=models["tpu_plain"])
    whole = (app / which).read_bytes()
    (app / which).write_bytes(whole[:len(whole) // 2])
    args = ["--cpu"] if which == "model.tflite" else ["--require-tpu"]
    proc = run_app(app, "classify_image.py", *args, str(list_images(photo_dir)[0]), check=False, env=cache)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1].startswith(f"error: {which} is truncated or damaged ")
    assert "copy the app folder to this machine again" in proc.stderr
    _no_traceback(proc)
    check = run_app(app, "coral_runtime.py", "--check", check=False, env=cache)
    assert check.returncode == 1 and "truncated or damaged" in check.stderr


def test_every_cut_of_a_model_is_refused_without_reading_past_its_end(models, tmp_path: Path) -> None:  # noqa: F811
    rt = runtime_module(render_coral_app(tmp_path / "app", model_name="cuts", variant=LITE0,
                                         labels=HOSTILE_LABELS, cpu_model=models["uint8"],
                                         edgetpu_model=None))
    whole = models["uint8_plain"].read_bytes()  # no metadata: the flatbuffer is the whole file
    rt.check_model_bytes(whole, "whole.tflite")
    for cut in [0, 7, 8, 64, 4096, *range(len(whole) // 40, len(whole), len(whole) // 40), len(whole) - 1]:
        with pytest.raises(rt.AppError, match=r"cut\.tflite is (truncated or damaged|not a TFLite)"):
            rt.check_model_bytes(whole[:cut], "cut.tflite")


def test_cpu_and_require_tpu_conflict(tpu_app: Path) -> None:
    proc = run_app(tpu_app, "classify_image.py", "--cpu", "--require-tpu", "x.jpg", check=False)
    assert proc.returncode == 2 and "--cpu and --require-tpu exclude each other" in proc.stderr


def test_threads_outside_one_to_the_cpu_count_is_a_usage_error(tpu_app: Path) -> None:
    """--threads 0, -1 or a thousand is refused by every script before a model is read, as
    effkit eval refuses it (LiteRT's own message named neither the option nor the range)."""
    cores = os.cpu_count() or 1
    for script in ("classify_image.py", "benchmark.py", "classify_camera.py"):
        for threads in ("0", "-1", str(cores + 1)):
            proc = run_app(tpu_app, script, "--threads", threads, *(["x.jpg"] if "image" in script else []),
                           check=False)
            assert proc.returncode == 2, (script, threads, proc.stderr)
            want = f"error: --threads must be 1 to {cores} (this machine's CPU count), not {threads}"
            assert proc.stderr.splitlines()[-1].endswith(want), proc.stderr
            assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["50% off %(prog)s", "100%", "%(prog)", "%s %d %%"])
def test_percent_in_the_model_name_does_not_break_help(name, models, tmp_path: Path) -> None:  # noqa: F811
    app = render_coral_app(tmp_path / "coral", model_name=name, variant=LITE0, labels=["a"],
                           cpu_model=models["uint8"], edgetpu_model=None)
    for script in ("classify_image.py", "classify_camera.py", "benchmark.py", "coral_runtime.py"):
        proc = run_app(app, script, "--help", env={"COLUMNS": "300"})
        assert name in proc.stdout, (script, proc.stdout)
        _no_traceback(proc)


def test_on_a_real_edge_tpu(models, tmp_path: Path, photo_dir: Path, app_for_device) -> None:  # noqa: F811
    images = list_images(photo_dir)[::3]
    check = run_app(app_for_device, "coral_runtime.py", "--check", check=False)
    assert check.returncode == 0, check.stderr
    doc = json.loads(run_app(app_for_device, "classify_image.py", "--json", "--require-tpu",
                             *map(str, images)).stdout)
    assert doc["device"] == "edgetpu"
    got = [r["top"][0]["index"] for r in doc["results"]]
    assert np.mean(np.asarray(got) == np.asarray(effkit_top1(models["uint8"], images))) >= 0.95


@pytest.fixture()
def app_for_device(models, tmp_path: Path, tpu_app: Path) -> Path:  # noqa: F811
    """A real Edge TPU app, or a skip naming what is missing."""
    seen = runtime_module(tpu_app).attached_edgetpus()
    if not seen:
        pytest.skip("no Edge TPU attached (no USB 1a6e:089a / 18d1:9302 in sysfs, no /dev/apex_0)")
    if shutil.which("edgetpu_compiler") is None:
        pytest.skip("edgetpu_compiler is not installed (Debian/Ubuntu x86-64 only)")
    subprocess.run(["edgetpu_compiler", "-s", "-o", str(tmp_path), str(models["uint8"])],
                   check=True, capture_output=True, timeout=300)
    return render_coral_app(tmp_path / "tpu", model_name="tpu", variant=LITE0, labels=HOSTILE_LABELS,
                            cpu_model=models["uint8"], edgetpu_model=tmp_path / "uint8_edgetpu.tflite")


def test_an_app_without_an_edge_tpu_model_still_loads_the_named_libedgetpu(
        delegates, models, tmp_path: Path, cache) -> None:  # noqa: F811
    """install.sh checks each libedgetpu candidate with --check --delegate; in an app with
    no Edge TPU model (a build without the compiler) that passed without loading the
    library at all, a missing one included (a Pi walk). It loads it now, in the child:
    what cannot load (missing, crashing, no device) fails as it would with a model."""
    app = render_coral_app(tmp_path / "cpu", model_name="cpu only", variant=LITE0, labels=HOSTILE_LABELS,
                           cpu_model=models["uint8"], edgetpu_model=None)

    def check(library: Path) -> subprocess.CompletedProcess:
        return run_app(app, "coral_runtime.py", "--check", "--delegate", str(library), check=False, env=cache)

    ok = check(delegates["noop"])
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"ok: {delegates['noop']} loads into ai-edge-litert ")
    assert "finds an Edge TPU; no Edge TPU model in this app to run on it: model.tflite on CPU" in ok.stdout
    for library, line in [(tmp_path / "libnone.so.1", "is not installed"), (delegates["segv"], "SIGSEGV"),
                          (delegates["null"], NO_DEVICE)]:
        failed = check(library)
        assert failed.returncode == 1 and line in failed.stderr, failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1
    # without --delegate: the CPU model, as before (nothing asks for the Edge TPU)
    plain = run_app(app, "coral_runtime.py", "--check", env=cache)
    assert plain.stdout.startswith("ok: no Edge TPU model in this app: model.tflite on CPU")
