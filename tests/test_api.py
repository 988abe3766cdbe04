"""The Python API (effkit/__init__.py, docs/api.md), called directly: each call, its result
type and its errors. Bad input raises an EffkitError subclass with a hint before any
TensorFlow import (checked once in a fresh interpreter, where sys.modules tells)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

import effkit
from effkit.errors import (
    DataError,
    EffkitError,
    LabelsError,
    ModelFileError,
    OutputError,
    ToolNotFoundError,
    UsageError,
    VariantError,
    WeightsError,
)

# --------------------------------------------------------------------------- no TensorFlow

_BAD_INPUT_SCRIPT = """
import json, sys
import effkit
loaded_on_import = sorted(m for m in ("tensorflow", "keras", "jinja2", "matplotlib") if m in sys.modules)
out = sys.argv[1]

def filled(plan):  # what a first run of the same plan leaves (a notebook cell run twice)
    import os
    os.makedirs(plan.out_dir)
    open(os.path.join(plan.out_dir, "build.json"), "w").write("{}")
    return plan

calls = {
    "variant": lambda: effkit.build("lite9", out=out),
    "target": lambda: effkit.build("lite0", target="tpu", out=out),
    "labels": lambda: effkit.build("lite0", labels=["cat", "dog"], out=out),
    "large": lambda: effkit.build("lite3", out=out),
    "calibration": lambda: effkit.build("lite0", calibration=out + "-missing", out=out),
    "compiler": lambda: effkit.build("lite0", target="coral", out=out, require_compile=True),
    "runtime": lambda: effkit.build("lite0", target="android", android_runtime="tflite", out=out),
    "runtime_target": lambda: effkit.build("lite0", android_runtime="interpreter", out=out),
    "coral_name": lambda: effkit.build("lite0", target="coral", model_name="x" * 101,
                                       skip_compile=True, out=out),
    "eval": lambda: effkit.evaluate(out + "-missing.tflite", out),
    "inspect": lambda: effkit.inspect(out + "-missing.tflite"),
    "rerun": lambda: effkit.run(filled(effkit.plan(effkit.BuildRequest("lite0", out=out + "-rerun",
                                                                       weights="random")))),
}
errors = {}
for name, call in calls.items():
    try:
        call()
    except effkit.EffkitError as exc:
        errors[name] = [type(exc).__name__, exc.one_line()]
print(json.dumps({"on_import": loaded_on_import, "errors": errors,
                  "tensorflow": "tensorflow" in sys.modules}))
"""


def test_import_is_light_and_bad_input_fails_before_tensorflow(tmp_path):
    # No edgetpu_compiler anywhere; offline, so lite3's official checkpoint is not fetched.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "EFFKIT_OFFLINE": "1"}
    proc = subprocess.run([sys.executable, "-c", _BAD_INPUT_SCRIPT, str(tmp_path / "o")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    assert doc["on_import"] == []
    errors = doc["errors"]
    assert errors["variant"][0] == "VariantError" and "unknown variant 'lite9'" in errors["variant"][1]
    assert errors["target"][0] == "UsageError" and "unknown target" in errors["target"][1]
    assert errors["labels"][0] == "LabelsError" and "2 labels" in errors["labels"][1]
    assert errors["large"][0] == "WeightsError" and "efficientnet-lite3" in errors["large"][1]
    assert errors["calibration"][0] == "DataError" and "does not exist" in errors["calibration"][1]
    assert "edgetpu_compiler" in errors["compiler"][1] and "skip_compile=True" in errors["compiler"][1]
    assert errors["runtime"][0] == "UsageError" and "unknown Android runtime" in errors["runtime"][1]
    # the keywords a library user types, not the command line's flags
    assert "android_runtime only applies to target android" in errors["runtime_target"][1]
    assert "101 characters long" in errors["coral_name"][1]  # checked at plan time
    assert errors["eval"][0] == "ModelFileError" and errors["inspect"][0] == "ModelFileError"
    assert errors["rerun"][0] == "OutputError" and "is not empty" in errors["rerun"][1]
    assert doc["tensorflow"] is False
    assert not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- errors in-process


def _raises(exc_type, words, call):
    with pytest.raises(exc_type) as info:
        call()
    assert isinstance(info.value, EffkitError)
    line = info.value.one_line()
    for w in words:
        assert w in line, line
    return info.value


def test_build_errors_name_the_problem_and_the_fix(tmp_path):
    out = tmp_path / "o"
    # a keyword the call does not take names the setting it most likely meant (the CLI's
    # --dropout is dropout_rate), else where the settings are listed
    err = _raises(UsageError, ["unexpected keyword argument 'dropout'"],
                  lambda: effkit.train(tmp_path, out=out, dropout=0.1))
    assert err.hint.startswith("did you mean dropout_rate=?")
    err = _raises(UsageError, ["'zzz'"], lambda: effkit.build("lite0", out=out, zzz=1))
    assert err.hint == "see help(effkit.build) for the settings"
    err = _raises(VariantError, ["unknown variant 'lite9'"], lambda: effkit.build("lite9", out=out))
    assert "lite0" in err.hint
    _raises(UsageError, ["Edge TPU runs only full-integer models (quant int8)"],
            lambda: effkit.build("lite0", target="coral", quant="float16", out=out))
    _raises(UsageError, ["calibration_size must be at least 1"],
            lambda: effkit.build("lite0", calibration_size=0, out=out))
    _raises(LabelsError, ["label 2 is empty"], lambda: effkit.build("lite0", labels=["a", " "], out=out))
    _raises(LabelsError, ["3 labels", "1000 outputs"],
            lambda: effkit.build("lite0", labels=["a", "b", "c"], out=out))
    (tmp_path / "labels.txt").write_bytes(b"caf\xe9\n")
    _raises(LabelsError, ["not UTF-8"], lambda: effkit.build("lite0", labels=tmp_path / "labels.txt",
                                                             out=out))
    _raises(WeightsError, ["do not exist"], lambda: effkit.build("lite0", weights=tmp_path / "w.h5",
                                                                 out=out))
    (tmp_path / "empty").mkdir()
    _raises(DataError, ["has no images"], lambda: effkit.build("lite0", calibration=tmp_path / "empty",
                                                               out=out))
    out.mkdir()
    (out / "mine.txt").write_text("keep")
    err = _raises(OutputError, ["not empty"], lambda: effkit.build("lite0", out=out))
    assert "force=True" in err.hint and "--" not in err.hint
    assert (out / "mine.txt").read_text() == "keep"


def test_missing_compiler_is_a_tool_error_with_both_ways_out(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.delenv("EFFKIT_EDGETPU_COMPILER", raising=False)
    err = _raises(ToolNotFoundError, ["edgetpu_compiler"],
                  lambda: effkit.build("lite0", target="coral", out=tmp_path / "o",
                                       require_compile=True))
    assert "skip_compile=True" in err.hint and "compiler docker" in err.hint
    assert "gpg --dearmor" in err.hint  # a shell command to copy keeps its flags
    # the model is read first (as the CLI does): a missing one is named, not the compiler
    _raises(ModelFileError, ["m.tflite"], lambda: effkit.compile_edgetpu(tmp_path / "m.tflite"))


def test_compile_and_other_calls_check_their_arguments_before_any_work(tmp_path, monkeypatch):
    """Everything a caller can get wrong is a UsageError before the compiler is looked for
    or TensorFlow loads: a folder (compile_build finishes one), an unknown option, a flag
    given as text ("false" from a config file must not read as true), a number as text."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no compiler: these must fail before it counts
    monkeypatch.delenv("EFFKIT_EDGETPU_COMPILER", raising=False)
    model = tmp_path / "m.tflite"
    _raises(UsageError, ["is a folder", "effkit.compile_build(folder)"],
            lambda: effkit.compile_edgetpu(tmp_path))
    _raises(UsageError, ["unexpected option 'foo'"], lambda: effkit.compile_edgetpu(model, foo=1))
    _raises(UsageError, ["force", "True or False"], lambda: effkit.compile_edgetpu(model, force="y"))
    _raises(UsageError, ["num_segments"], lambda: effkit.compile_edgetpu(model, num_segments="2"))
    _raises(UsageError, ["out_dir", "a path"], lambda: effkit.compile_edgetpu(model, out_dir=5))
    _raises(UsageError, ["compiler_version 16 is not an edgetpu_compiler version"],
            lambda: effkit.check_edgetpu(model, compiler_version=16))
    _raises(UsageError, ["compiler_version 'banana'"],
            lambda: effkit.check_edgetpu(model, compiler_version="banana"))
    for bad in ("0.5", " 16", "9" * 5000):  # releases begin at 1.0; int() of 5000 digits raised
        _raises(UsageError, [f"compiler_version {bad[:40]!r} is not an edgetpu_compiler version"],
                lambda bad=bad: effkit.check_edgetpu(model, compiler_version=bad))
    for call in (lambda: effkit.evaluate(model, tmp_path, xnnpack="no"),
                 lambda: effkit.benchmark(model, xnnpack="no")):
        _raises(UsageError, ["xnnpack", "True or False"], call)
    _raises(UsageError, ["progress", "a callable"], lambda: effkit.build("lite0", out=tmp_path / "o",
                                                                          progress=5))
    _raises(UsageError, ["progress", "a callable"], lambda: effkit.evaluate(model, tmp_path, progress=5))
    _raises(UsageError, ["calibration", "a folder of images"],
            lambda: effkit.build("lite0", calibration=5, out=tmp_path / "o"))
    for labels in (5, b"cat\ndog", {"cat": 0}):  # a wrong type is a usage error, as above
        _raises(UsageError, ["labels must be a labels file (a path) or a list of names"],
                lambda v=labels: effkit.build("lite0", labels=v, out=tmp_path / "o"))
    # an empty path is the current folder to Python: refused, as the CLI refuses it
    for call, name in ((lambda: effkit.evaluate(model, ""), "data"), (lambda: effkit.inspect(""), "model"),
                       (lambda: effkit.build("lite0", out=""), "out"),
                       (lambda: effkit.build("lite0", labels="", out=tmp_path / "o"), "labels")):
        _raises(UsageError, [f'{name} is empty ("")', "'.' for the current folder"], call)
    _raises(UsageError, ["is not an effkit build folder"], lambda: effkit.compile_build(tmp_path))
    _raises(UsageError, ["force", "True or False"], lambda: effkit.compile_build(tmp_path, force="no"))
    assert not (tmp_path / "o").exists()


def test_the_metadata_layer_is_reachable_after_a_plain_import():
    """api.md writes effkit.metadata.labels_from_model(...) after `import effkit`."""
    import subprocess
    import sys

    code = ("import sys, effkit; assert 'numpy' not in sys.modules; "
            "print(effkit.metadata.labels_from_model.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "labels_from_model"


def test_model_file_errors(tmp_path):
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"\0" * 64)
    for call in (effkit.inspect, lambda m: effkit.evaluate(m, tmp_path), effkit.benchmark):
        _raises(ModelFileError, ["junk.tflite", "TFL3"], lambda c=call: c(junk))
    _raises(ModelFileError, ["TFL3"], lambda: effkit.check_edgetpu(junk))
    _raises(UsageError, ["runs must be at least 1"], lambda: effkit.benchmark(junk, runs=0))


def test_arguments_a_call_does_not_take_are_usage_errors(tmp_path):
    """Python's TypeError for a wrong call was the one error that was not effkit's (outside
    walk: evaluate(max_images=10), build("lite0", "coral"), train(data) without out)."""
    model = tmp_path / "m.tflite"
    _raises(UsageError, ["effkit.evaluate(): got an unexpected keyword argument 'max_images'"],
            lambda: effkit.evaluate(model, tmp_path, max_images=10))  # type: ignore[call-arg]
    _raises(UsageError, ["effkit.build(): too many positional arguments"],
            lambda: effkit.build("lite0", "coral"))  # type: ignore[misc]
    # Python 3.12+ says "a required keyword-only argument"
    _raises(UsageError, ["effkit.train(): missing a required ", "argument: 'out'"],
            lambda: effkit.train(tmp_path))  # type: ignore[call-arg]
    err = _raises(UsageError, ["unexpected keyword argument 'rnus'"],
                  lambda: effkit.benchmark(model, rnus=3))  # type: ignore[call-arg]
    assert err.hint.startswith("did you mean runs=?")
    request = effkit.BuildRequest("lite0", out=tmp_path / "o")
    err = _raises(UsageError, ["build() takes a request's settings as arguments, not a BuildRequest"],
                  lambda: effkit.build(request))  # type: ignore[arg-type]
    assert "effkit.run(effkit.plan(request))" in err.hint


def test_plan_and_run_errors_name_python_keywords(tmp_path):
    """effkit.plan and effkit.run were the pipeline's own functions, so their errors named
    the command line's flags (--calibration-size, --force) to a library user."""
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    _raises(UsageError, ["calibration_size must be at least 1", "calibration_size 100"],
            lambda: effkit.plan(effkit.BuildRequest("lite0", calibration_size=0, out=tmp_path / "o")))
    err = _raises(OutputError, ["is not empty"],
                  lambda: effkit.plan(effkit.BuildRequest("lite0", out=tmp_path / "full")))
    assert "--" not in err.one_line() and "force=True" in err.hint
    # refused by the plan, before any work, not by the compile at the end of a build
    for bad in (0, float("inf")):
        _raises(UsageError, ["compile_timeout must be a positive number of seconds, at most 604,800 "
                             f"(a week) (got {bad})", "compile_timeout 1200"],
                lambda bad=bad: effkit.plan(effkit.BuildRequest("lite0", target="coral", compile_timeout=bad,
                                                                out=tmp_path / "o")))
    # compile_build's None is the build's own limit; compile_edgetpu has none to fall back to
    # (None reached the compiler as a TypeError, infinity as an OverflowError)
    (tmp_path / "m.tflite").write_bytes(b"x")
    for bad in (float("inf"), float("nan"), 1e10):
        _raises(UsageError, [f"timeout_s must be a positive number of seconds, at most 604,800 (a week) "
                             f"(got {bad})"],
                lambda bad=bad: effkit.compile_edgetpu(tmp_path / "m.tflite", timeout_s=bad))
    # not a number at all: named by its type ("(got 5)" for the text "5" read as a valid value)
    for bad, shown in ((None, "NoneType 'None'"), ("5", "str '5'")):
        _raises(UsageError, [f"timeout_s must be a number of seconds, not {shown}"],
                lambda bad=bad: effkit.compile_edgetpu(tmp_path / "m.tflite", timeout_s=bad))
    _raises(UsageError, ["effkit.run(): missing a required argument: 'plan'"],
            lambda: effkit.run())  # type: ignore[call-arg]


def test_a_home_relative_path_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    _raises(ModelFileError, [f"{tmp_path / 'nope.tflite'}"], lambda: effkit.inspect("~/nope.tflite"))


def test_train_errors_before_any_work(tmp_path):
    (tmp_path / "one" / "dogs").mkdir(parents=True)
    _raises(DataError, ["at least two classes"],
            lambda: effkit.train(tmp_path / "one", out=tmp_path / "o"))
    _raises(UsageError, ["unknown target"],
            lambda: effkit.train(tmp_path / "one", out=tmp_path / "o", build_target="phone"))
    assert not (tmp_path / "o").exists()


def test_plan_is_frozen_and_resolves_everything_once(tmp_path):
    plan = effkit.plan(effkit.BuildRequest("lite0", out=tmp_path / "o", labels=None))
    assert plan.variant.name == "lite0" and plan.num_classes == 1000 and len(plan.labels) == 1000
    assert plan.weights.kind == "pth" and len(plan.weights.sha256) == 64
    assert plan.compiler is None and plan.calibration is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.out_dir = tmp_path  # type: ignore[misc]
    # a size without images is a distillation of that many: minutes, said (the default is not)
    assert plan.warnings == ()
    sized = effkit.plan(effkit.BuildRequest("lite0", out=tmp_path / "o", calibration_size=100))
    assert [w for w in sized.warnings if "distils 100 images from the model, where the default 32 "
            "uses a shipped or cached set: about 9 min for lite0" in w]
    # a few images take seconds, said as such (it was "about 0 min"; 35 s measured for 5)
    few = effkit.plan(effkit.BuildRequest("lite0", out=tmp_path / "o", calibration_size=5))
    assert [w for w in few.warnings if "distils 5 images" in w and "about 35 s for lite0" in w]


def test_labels_type_is_one_rule_set():
    labels = effkit.Labels.of(["cat", "dog"])
    assert list(labels) == ["cat", "dog"] and labels.to_bytes() == b"cat\ndog\n"
    assert effkit.Labels.of(labels) is labels
    for bad, words in (([], "at least one label"), (["a", "b\nc"], "line break"),
                       (["a\0"], "U+0000"), (["x" * 201], "201 characters")):
        _raises(LabelsError, [words], lambda b=bad: effkit.Labels.of(b))


def test_the_api_table_of_docs_api_md_is_the_real_signatures():
    """Each call's row in docs/api.md, parameters and defaults as written, is the function's
    own signature (compile_build's timeout_s was documented as 180.0, the code's is None)."""
    import inspect
    import re

    table = (Path(__file__).resolve().parents[1] / "docs" / "api.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `effkit\.(\w+)\((.*?)\)` \|", table, flags=re.M))
    assert len(rows) >= 8, rows
    for name, written in rows.items():
        params, star = [], False
        for p in inspect.signature(getattr(effkit, name)).parameters.values():
            if p.kind is p.KEYWORD_ONLY and not star:
                params.append("*")
                star = True
            text = {p.VAR_KEYWORD: "**", p.VAR_POSITIONAL: "*"}.get(p.kind, "") + p.name
            if p.default is not p.empty:
                text += "=" + (f'"{p.default}"' if isinstance(p.default, str) else repr(p.default))
            params.append(text)
        assert written == ", ".join(params), name


def test_manifest_round_trips_through_json():
    art = effkit.Artifact("model.tflite", 3, "ab" * 32)
    m = effkit.Manifest(variant="lite0", quantization={"mode": "int8", "io": "uint8"},
                        target="cpu", artifacts=(art,), calibration={"source": "folder"})
    again = effkit.Manifest.from_json(m.to_json())
    assert again == m and again.artifact("model.tflite") == art
    _raises(DataError, ["lacks the variant"], lambda: effkit.Manifest.from_json('{"variant": 1}'))
    _raises(DataError, ["build manifest", "is damaged"], lambda: effkit.Manifest.from_json("{"))
    # to_dict() is a copy to change freely (docs/api.md): an edit reached the manifest itself
    doc = m.to_dict()
    doc["calibration"]["source"] = "edited"
    doc["quantization"]["io"] = "int8"
    assert m.calibration == {"source": "folder"} and m.quantization["io"] == "uint8"
    _raises(UsageError, ["folder must be a build folder (a path), not int"],
            lambda: effkit.Manifest.read(5))


def test_plan_treats_paths_and_variants_as_build_does(tmp_path, monkeypatch):
    """An outside walk of the API: plan() took "~/b" as a folder named "~" (build() expands
    it), made build/LITE0-cpu and "build/ lite0-android" from the variant as typed, took a
    set of labels in hash order, and plan/run given the wrong object raised AttributeError."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    planned = effkit.plan(effkit.BuildRequest("lite0", out="~/b"))
    assert planned.out_dir == tmp_path / "home" / "b"
    # a "~" no home stands behind: one line, not Path.expanduser's RuntimeError traceback
    for call in (lambda: effkit.plan(effkit.BuildRequest("lite0", out="~no_such_user_x/b")),
                 lambda: effkit.build("lite0", labels="~no_such_user_x/l.txt")):
        _raises(UsageError, ["'~no_such_user_x/", "cannot tell which folder '~no_such_user_x' is",
                             "as a full path"], call)
    # training takes "~" as the build after it does (--out=~/x, which a shell leaves alone,
    # put the weights in ./~/x and the build in $HOME/x)
    from effkit.training.trainer import TrainConfig

    config = TrainConfig(data="~/photos", out="~/runs", val="~/val")
    assert (config.data, config.out, config.val) == (tmp_path / "home" / "photos",
                                                     tmp_path / "home" / "runs", tmp_path / "home" / "val")
    for typed in ("LITE0", " lite0", "efficientnet-lite0"):
        assert effkit.plan(effkit.BuildRequest(typed, target="android")).out_dir == Path(
            "build/lite0-android"), typed
    assert effkit.plan(effkit.BuildRequest("Lite0")).request.variant == "lite0"
    _raises(UsageError, ["labels must be", "not set"],
            lambda: effkit.plan(effkit.BuildRequest("lite0", labels={"a", "b"})))
    _raises(UsageError, ["plan() takes a BuildRequest, not str"], lambda: effkit.plan("lite0"))
    _raises(UsageError, ["run() takes a BuildPlan, not BuildRequest", "effkit.run(effkit.plan(request))"],
            lambda: effkit.run(effkit.BuildRequest("lite0")))


# --------------------------------------------------------------------------- real calls


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> effkit.BuildResult:
    """A real build through the API: lite0 for Android, random weights, float32 (quick: no
    calibration), labels passed as a list."""
    events = []
    out = tmp_path_factory.mktemp("api") / "lite0"
    labels = list(effkit.Labels.imagenet())
    result = effkit.build("lite0", target="android", out=out, weights="random", quant="float32",
                          labels=labels, app_id="com.example.api", progress=events.append)
    assert [e.stage for e in events if e.kind == "start"] == ["model", "weights", "convert",
                                                               "metadata", "app"]
    assert all(e.kind in ("start", "update", "end") for e in events)
    return result


@pytest.mark.slow
def test_build_result(built):
    assert isinstance(built, effkit.BuildResult)
    assert built.model_path == built.out_dir / "model.tflite" and built.model_path.is_file()
    assert built.labels_path.read_text(encoding="utf-8").splitlines()[0] == "tench"
    assert built.edgetpu_model_path is None and built.app_dir == built.out_dir / "android"
    assert (built.app_dir / "app/src/main/assets/model.tflite").read_bytes() == \
        built.model_path.read_bytes()
    assert "android/app/src/main/assets/model.tflite" in {a.path for a in built.manifest.app_files}
    m = built.manifest
    assert isinstance(m, effkit.Manifest) and m == effkit.Manifest.read(built.out_dir)
    assert m.quantization == {"mode": "float32", "io": "float32"} and m.weights["kind"] == "random"
    # The app's LiteRT runtime: the default, recorded in build.json.
    assert m.android_runtime == "compiled-model" and m.to_dict()["android_runtime"] == "compiled-model"
    # and the app's id and name, for scripts (the default name is the model's)
    assert (m.app_id, m.app_name) == ("com.example.api", m.model_name) and m.to_dict()["app_id"] == m.app_id
    assert "CompiledModel" in (built.app_dir / "app/src/main/java/com/example/api/Classifier.kt").read_text()
    doc = built.to_dict()  # what `effkit build --json` prints: build.json plus out_dir
    assert doc == m.to_dict() | {"out_dir": str(built.out_dir)} and doc["variant"] == "lite0"
    json.dumps(doc)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.out_dir = Path("x")  # type: ignore[misc]


@pytest.mark.slow
def test_inspect_check_evaluate_benchmark(built, photo_dir, tmp_path, monkeypatch):
    info = effkit.inspect(built.model_path)
    assert isinstance(info, effkit.ModelInfo) and info.labels == 1000 and info.has_metadata
    assert info.inputs[0]["dtype"] == "float32" and info.to_dict()["size_bytes"] == info.size_bytes

    report = effkit.check_edgetpu(built.model_path)
    assert isinstance(report, effkit.EdgeTPUReport) and not report.all_mapped  # float model
    assert "ops" in report.to_dict()

    events = []
    result = effkit.evaluate(built.model_path, photo_dir, limit=10, progress=events.append)
    assert isinstance(result, effkit.EvalResult) and result.count == 10
    assert 0.0 <= result.top1 <= result.top5 <= 1.0
    assert result.to_dict()["top1"] == result.top1 and result.other is None
    result.to_dict()["top1"] = 99  # the caller's copy: the frozen result does not change
    assert result.to_dict()["top1"] == result.top1 != 99
    assert events[0].kind == "start" and events[-1].kind == "end"
    # "~/photos": the result's data is the folder read, as its document says (it kept "~")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "photos").symlink_to(photo_dir)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home = effkit.evaluate(built.model_path, "~/photos", limit=2)
    assert home.data == tmp_path / "home" / "photos" and str(home.data) == home.to_dict()["data"]

    bench = effkit.benchmark(built.model_path, runs=3, warmup=1)
    assert isinstance(bench, effkit.BenchResult) and bench.latency.runs == 3
    assert bench.model == built.model_path and isinstance(bench.model, type(result.model))  # Paths
    assert bench.to_dict()["model"]["path"] == str(built.model_path)
    assert bench.latency.p50 > 0 and bench.to_dict()["sha256"] == built.manifest.artifacts[0].sha256


@pytest.mark.slow
def test_compile_edgetpu_fake_compiler_plumbing(tmp_path, edgetpu_logs, photo_dir):
    """effkit.compile_edgetpu's plumbing: argv, output files, the parsed console log, the
    result's dict, refusing to overwrite. The real compiler cannot run here and the tests'
    stand-in (edgetpu_fixtures) derives its op counts from effkit's own check rules, so
    nothing here checks those counts: the predictor is checked against the real compiler
    logs in tests/data/edgetpu-logs (test_edgetpu_check, test_edgetpu_logparse)."""
    from edgetpu_fixtures.standin import calls, write_standin
    from helpers import link_all

    from effkit.model.preprocess import list_images

    calib = link_all(list_images(photo_dir)[:2], tmp_path / "cal")
    int8 = effkit.build("lite0", out=tmp_path / "int8", weights="random", calibration=calib,
                        calibration_size=2)
    standin = write_standin(tmp_path / "bin", mode="success-stripped",
                            replay=edgetpu_logs / "10-v15-all-mapped-show-operations.txt")
    result = effkit.compile_edgetpu(int8.model_path, out_dir=tmp_path / "out", compiler=standin)
    assert isinstance(result, effkit.CompileResult)
    assert result.model_path == int8.model_path  # the model it was given
    assert result.compiled == (tmp_path / "out" / "model_edgetpu.tflite",)
    assert result.compiled[0].is_file()
    assert result.version == "15.0.340273435"  # what the (replayed) compiler said it is
    assert result.console_log_path.read_text(encoding="utf-8") == result.console_log
    assert calls(standin)[-1] == list(result.argv[1:])  # the argv the compiler got
    doc = json.loads(json.dumps(result.to_dict()))  # plain JSON values only
    assert doc["model"] == str(result.model_path) and doc["version"] == result.version
    assert doc["report"]["compiler_version"] == result.version
    with pytest.raises(OutputError, match="already exists"):
        effkit.compile_edgetpu(int8.model_path, out_dir=tmp_path / "out", compiler=standin)

    # a coral build made without the compiler, finished in place as compile-edgetpu OUT/ does
    coral = effkit.build("lite0", target="coral", out=tmp_path / "coral", weights="random",
                         calibration=calib, calibration_size=2, skip_compile=True)
    assert coral.manifest.edgetpu["compiled"] is False
    finished = effkit.compile_build(coral.out_dir, compiler=standin)
    assert isinstance(finished, effkit.Manifest) and finished == effkit.Manifest.read(coral.out_dir)
    assert finished.edgetpu["compiled"] and (coral.out_dir / "coral" / "model_edgetpu.tflite").is_file()
    with pytest.raises(OutputError, match="already has its Edge TPU model"):
        effkit.compile_build(coral.out_dir, compiler=standin)


def test_package_names_are_calls_even_after_their_modules_load():
    """effkit.train/effkit.evaluate and effkit.training.train are functions, whichever
    module was imported first (no module shares a call's name any more)."""
    import types

    import effkit.analysis.evaluate  # noqa: F401
    import effkit.training.build  # noqa: F401
    import effkit.training.trainer  # noqa: F401
    from effkit.training import TrainConfig, build_trained, plan_trained, train

    for call in (train, build_trained, plan_trained, effkit.train, effkit.evaluate):
        assert callable(call) and not isinstance(call, types.ModuleType)
    assert TrainConfig.__module__ == "effkit.training.trainer"


THREADS_SCRIPT = r"""
import json, logging, os, sys, threading
import effkit

logging.basicConfig(level=logging.INFO, format="APP %(message)s")  # the user's own, first
fds = [os.readlink(f"/proc/self/fd/{fd}") for fd in (1, 2)]
handlers = list(logging.getLogger().handlers)
results, errors = {}, []

def build(name):
    try:
        r = effkit.build("lite0", out=sys.argv[1] + "/" + name, weights="random", quant="float32")
        results[name] = r.manifest.artifacts[0].sha256
    except BaseException as exc:  # what a user's thread would see
        errors.append(f"{type(exc).__name__}: {exc}")

threads = [threading.Thread(target=build, args=(n,)) for n in ("a", "b")]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"results": results, "errors": errors,
                  "fds_kept": [os.readlink(f"/proc/self/fd/{fd}") for fd in (1, 2)] == fds,
                  "stdout_kept": sys.stdout is sys.__stdout__,
                  "handlers_kept": logging.getLogger().handlers == handlers}))
"""


@pytest.mark.slow
def test_builds_from_two_threads_run_one_after_another(tmp_path):
    """Two builds started together in a fresh process (TensorFlow not yet imported): the
    outside walk saw a deadlock in TensorFlow's import, a process broken for good, and
    stdout left on a deleted file. Now the calls take turns and leave the process as found."""
    run = subprocess.run([sys.executable, "-c", THREADS_SCRIPT, str(tmp_path)], capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    doc = json.loads(run.stdout.strip().splitlines()[-1])
    assert doc["errors"] == [] and sorted(doc["results"]) == ["a", "b"]  # random weights: own bytes
    assert doc["fds_kept"] and doc["stdout_kept"] and doc["handlers_kept"], doc


def test_captures_from_two_threads_restore_the_fds_and_the_root_logger():
    import logging
    import os
    import threading

    from effkit.core.native_log import native_log_captured

    before = [os.readlink(f"/proc/self/fd/{fd}") for fd in (1, 2)]
    handlers = list(logging.getLogger().handlers)
    start = threading.Barrier(2)

    def capture():
        start.wait()
        for _ in range(20):
            with native_log_captured():
                logging.basicConfig()  # what absl does during a SavedModel save
                os.write(2, b"native chatter\n")

    threads = [threading.Thread(target=capture) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [os.readlink(f"/proc/self/fd/{fd}") for fd in (1, 2)] == before
    assert logging.getLogger().handlers == handlers


def test_a_native_crash_inside_a_capture_is_reported_on_the_terminals_stderr(tmp_path):
    """The converter's own abort (TensorFlow 2.16's MLIR 'LLVM ERROR' on Keras 3 models)
    went into the capture, which died with the process: exit 134 and not a word."""
    script = ("import os\n"
              "from effkit.core.native_log import native_log_captured\n"
              "with native_log_captured():\n"
              "    os.write(2, b'LLVM ERROR: Failed to infer result type(s).\\n')\n"
              "    os.abort()\n")
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
    for flags, extra in (([], {}), (["-X", "faulthandler"], {}), ([], {"PYTHONFAULTHANDLER": "1"})):
        proc = subprocess.run([sys.executable, *flags, "-c", script], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120, env={**env, **extra})
        assert proc.returncode == -6  # SIGABRT
        assert proc.stderr.startswith("Fatal Python error: Aborted"), (flags, extra, proc.stderr)
        assert "line 5 in <module>" in proc.stderr
        # and the library's own reason, which was in the capture, after it
        assert proc.stderr.endswith(
            "effkit: the process ended inside TensorFlow or LiteRT; their last lines:\n"
            "  LLVM ERROR: Failed to infer result type(s).\n"), proc.stderr
    quiet = subprocess.run([sys.executable, "-c", script.replace("os.abort()", "pass")],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env)
    assert (quiet.returncode, quiet.stderr) == (0, "")  # without a crash, nothing of it shows
    # -X faulthandler reports on fd 2 again after the capture, as it did before it
    after = subprocess.run([sys.executable, "-X", "faulthandler", "-c",
                            script.replace("    os.abort()", "    pass") + "os.abort()\n"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env)
    assert after.stderr.startswith("Fatal Python error: Aborted") and "line 6 in <module>" in after.stderr
    assert "LLVM ERROR" not in after.stderr  # the crash came after the capture had ended


def _captures(tmp_path, body: str, timeout: float = 60) -> subprocess.CompletedProcess:
    import os

    script = ("import os, signal, sys, time\n"
              "from effkit.core.native_log import native_log_captured, _watcher\n" + body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=tmp_path,
                          timeout=timeout, env=dict(os.environ))


def test_python_writes_in_a_capture_keep_their_order_and_outlive_it(tmp_path):
    """Python-level writes go into the capture's file at once, so a line without its newline
    yet stays in its place among the native ones; and a logging handler made inside a
    capture (TensorFlow's own, on its import) keeps working after it ends: its lines go to
    the stderr of the moment, the terminal or a later capture (a closed stream printed
    '--- Logging error ---' on every later TensorFlow warning; a stream that dropped them
    silenced TensorFlow's Python logger for the rest of the process, a notebook user's own
    TensorFlow code included)."""
    ran = _captures(tmp_path, "import logging\n"
                    "with native_log_captured() as captured:\n"
                    "    print('py 1'); os.write(1, b'native 2\\n')\n"
                    "    print('py 3 no newline', end=''); os.write(1, b'native 4\\n')\n"
                    "    handler = logging.StreamHandler()  # its stream: sys.stderr, captured\n"
                    "log = logging.getLogger('tf-like'); log.addHandler(handler)\n"
                    "log.warning('retracing')\n"
                    "with native_log_captured() as later:\n"
                    "    log.warning('inside a later capture')\n"
                    "print(repr(captured[0])); print(repr(later[0]))\n")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == (b"'py 1\\nnative 2\\npy 3 no newlinenative 4\\n'\n"
                          b"'inside a later capture\\n'\n")
    assert ran.stderr == b"retracing\n"
    # where stderr leads back into the ended stream (a wrapper of it, or the stream itself
    # put back by a display that had saved it) the line reaches the real stderr once, with
    # no RecursionError; a closed stderr drops it rather than raise into logging
    odd = _captures(tmp_path, "import logging\n"
                    "with native_log_captured():\n"
                    "    handler = logging.StreamHandler()\n"
                    "ended = handler.stream\n"
                    "log = logging.getLogger('tf-like'); log.addHandler(handler)\n"
                    "class Wrapper:\n"
                    "    def write(self, text): return ended.write(text)\n"
                    "    def flush(self): ended.flush()\n"
                    "sys.stderr = Wrapper(); log.warning('through a wrapper')\n"
                    "sys.stderr = ended; log.warning('put back')\n"
                    "sys.stderr = open(os.devnull, 'w'); sys.stderr.close(); log.warning('closed')\n"
                    "sys.stderr = sys.__stderr__; print('done')\n")
    assert (odd.returncode, odd.stdout) == (0, b"done\n"), odd.stderr
    assert odd.stderr == b"through a wrapper\nput back\n", odd.stderr
    # a write after the end never reaches the next file given the capture's fd number
    late = _captures(tmp_path, "with native_log_captured():\n    stream = sys.stdout\n"
                     "fd = os.open('next.txt', os.O_CREAT | os.O_WRONLY)\n"
                     "stream.write('after the end')\nos.close(fd)\n"
                     "print(repr(open('next.txt').read()))\n")
    assert late.stdout == b"''\n", late.stderr


def test_the_crash_watcher_in_odd_processes(tmp_path):
    """An outside review of the watcher: each of these lost the report, killed the process
    or held it up before."""
    import time

    # SIGPIPE left to kill (as some CLIs set it) and the watcher gone: the next capture goes
    # on (socket.send_fds drops MSG_NOSIGNAL: exit 141, no word)
    gone = _captures(tmp_path, "signal.signal(signal.SIGPIPE, signal.SIG_DFL)\n"
                     "with native_log_captured():\n    pass\n"
                     "(_, proc), = [w for w in _watcher.values() if w]\n"
                     "proc.kill(); proc.wait()\n"
                     "with native_log_captured():\n    os.write(2, b'chatter\\n')\n"
                     "print('still here')\n")
    assert (gone.returncode, gone.stdout, gone.stderr) == (0, b"still here\n", b"")
    # a child forked after a capture keeps no hold on the parent's watcher: the parent's
    # exit waited for it, and the report of a crash came only when the child ended
    started = time.monotonic()
    forked = _captures(tmp_path, "with native_log_captured():\n    pass\n"
                       "if os.fork() == 0:\n"
                       "    null = os.open(os.devnull, os.O_RDWR)\n"
                       "    os.dup2(null, 1); os.dup2(null, 2)  # run() waits for no EOF of it\n"
                       "    time.sleep(15); os._exit(0)\n"
                       "with native_log_captured():\n"
                       "    os.write(2, b'LLVM ERROR: after the fork\\n')\n"
                       "    os.kill(os.getpid(), signal.SIGKILL)\n", timeout=60)
    assert forked.stderr.endswith(b"  LLVM ERROR: after the fork\n")
    assert time.monotonic() - started < 10  # not after the child's 15 s
    # the inner of two nested captures: its lines, on the terminal's stderr (they went into
    # the outer capture's file)
    nested = _captures(tmp_path, "with native_log_captured():\n"
                       "    with native_log_captured():\n"
                       "        os.write(2, b'LLVM ERROR: inner\\n')\n"
                       "        os.kill(os.getpid(), signal.SIGKILL)\n")
    assert nested.returncode == -9 and nested.stderr.endswith(b"  LLVM ERROR: inner\n")
    # one line longer than the 4 KiB read: its end is shown, not nothing; bytes that are
    # not UTF-8 as escapes
    long = _captures(tmp_path, "with native_log_captured():\n"
                     "    os.write(2, b'A' * 5000 + b'\\nLLVM ERROR: ' + b'x' * 5000 + b'\\xff\\n')\n"
                     "    os.kill(os.getpid(), signal.SIGKILL)\n")
    assert long.returncode == -9 and long.stderr.endswith(b"xxx\\udcff\n"), long.stderr[-200:]
    # Python-level writes (Keras' prints, a warning) are in the report too, in the order
    # they came with the native lines: they were kept in memory, and died with it
    mixed = _captures(tmp_path, "with native_log_captured():\n"
                      "    print('Saved artifact at /tmp/x')\n"
                      "    os.write(2, b'W0000 native\\n')\n"
                      "    print('odd \\udcff', file=sys.stderr)\n"
                      "    os.kill(os.getpid(), signal.SIGKILL)\n")
    assert mixed.returncode == -9 and mixed.stderr.endswith(
        b"  Saved artifact at /tmp/x\n  W0000 native\n  odd \\udcff\n"), mixed.stderr
    # a frozen app's sys.executable is the app itself: starting it would start another app
    # (the review saw a chain of 138 in 10 s), so it starts none
    frozen = _captures(tmp_path, "sys.frozen = True\n"
                       "with native_log_captured():\n    pass\nprint(list(_watcher.values()))\n")
    assert frozen.stdout == b"[None]\n"


def test_a_process_killed_inside_a_capture_leaves_the_native_libraries_last_lines(tmp_path):
    """The OOM killer, or a kill -9, during a conversion: the converter's last lines were in
    the capture, which died with the process. They come out, made visible, and only the
    capture that was running when the process ended; a capture that ended says nothing."""
    import os

    script = ("import os, signal\n"
              "from effkit.core.native_log import native_log_captured\n"
              "with native_log_captured():\n"
              "    os.write(2, b'an earlier capture\\n')\n"
              "with native_log_captured():\n"
              "    os.write(2, b'\\n'.join(b'line %d' % i for i in range(30)) + b'\\n')\n"
              "    os.write(2, b'W0000 converting \\x1b[2J\\n')\n"
              "    os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, env=dict(os.environ))
    assert proc.returncode == -9
    assert proc.stderr == (
        "effkit: the process ended inside TensorFlow or LiteRT; their last lines:\n"
        + "".join(f"  line {i}\n" for i in range(11, 30)) + "  W0000 converting \\x1b[2J\n")


def test_the_settings_classes_refuse_an_unknown_keyword_as_a_usage_error():
    """effkit.BuildRequest (documented: effkit.plan(effkit.BuildRequest(...))) and
    TrainConfig raised a bare TypeError for a keyword they do not take (docs walk); the
    API's rule is a UsageError naming the setting meant, as effkit.build(bogus=1) gives."""
    import dataclasses

    from effkit.training import TrainConfig

    err = _raises(UsageError, ["effkit.BuildRequest() got an unexpected keyword argument 'calibraton_size'"],
                  lambda: effkit.BuildRequest("lite0", calibraton_size=3))
    assert err.hint.startswith("did you mean calibration_size=?")
    _raises(UsageError, ["effkit.BuildRequest() missing a required argument: 'variant'"],
            lambda: effkit.BuildRequest())
    err = _raises(UsageError, ["effkit.training.TrainConfig() got an unexpected keyword argument"],
                  lambda: TrainConfig(data="d", out="o", dropout=0.1))
    assert err.hint.startswith("did you mean dropout_rate=?")
    # still the dataclasses they were: replace() and the signature help() shows
    req = dataclasses.replace(effkit.BuildRequest("lite0"), target="coral")
    assert req.target == "coral" and req.variant == "lite0"
    assert "calibration_size" in str(__import__("inspect").signature(effkit.BuildRequest))
