"""The Raspberry Pi + Coral app: rendered from coral/, run here on the CPU through ai-edge-litert.

The models are small real int8 classifiers (uint8 I/O, and int8 I/O for the quantizing
path) converted by effkit's own converter with effkit's metadata attached; "effkit's
evaluation" is ``effkit.analysis.evaluate.TFLiteClassifier`` on ``effkit.model.preprocess`` pixels.
"""

from __future__ import annotations

import ast
import ctypes.util
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import stand_in_edgetpu_model, tiny_keras_classifier

from effkit.apps.coral import render_coral_app
from effkit.apps.render import ANSWERS_FILE, load_answers
from effkit.errors import LabelsError, ModelFileError, OutputError, TemplateError
from effkit.model.preprocess import list_images, load_image, normalize
from effkit.model.variants import get_variant

LITE0 = get_variant("lite0")
HOSTILE_NAME = 'Evil "name" \'q\' \\ $(id) `id` ${#x[@]} {{ 7*7 }} Bärenklau 熊'
HOSTILE_LABELS = [
    '"; rm -rf ~; echo "',
    "Bärenklau 熊",
    "back\\slash \\n",
    "it's",
    'say "hi"',
    "$(touch /tmp/effkit-pwned) `id`",
    "{{ 7*7 }} {% raw %}",
    "<b>&amp;</b> *md* [x](y)",
] + [f"class {i}" for i in range(4)]
SCRIPTS = ("classify_image.py", "classify_camera.py", "benchmark.py", "coral_runtime.py")
FALLBACK = "running the CPU model"


# --- fixtures: real int8 models ---------------------------------------------------------


def _tiny_classifier(images: list[Path], num_classes: int):
    """A small conv net whose top-1 varies over real photos (softmax over standardized features)."""
    import keras

    res = LITE0.resolution
    x = np.stack([normalize(load_image(p, res), LITE0.norm_mean, LITE0.norm_std) for p in images])
    inputs = keras.Input((res, res, 3))
    h = keras.layers.Conv2D(8, 5, strides=4, activation="relu")(inputs)
    h = keras.layers.Conv2D(16, 3, strides=2, activation="relu")(h)
    h = keras.layers.GlobalAveragePooling2D()(h)
    features = keras.Model(inputs, h).predict(x, verbose=0)
    mu, sd = features.mean(0), features.std(0) + 1e-6
    weights = np.random.default_rng(0).normal(size=(16, num_classes)) / sd[:, None]
    weights *= 3.0 / ((features - mu) @ weights).std()
    dense = keras.layers.Dense(num_classes, activation="softmax")
    model = keras.Model(inputs, dense(h))
    dense.set_weights([weights.astype(np.float32), (-(mu @ weights)).astype(np.float32)])
    return model, x


@pytest.fixture(scope="module")
def models(tmp_path_factory, photo_dir: Path) -> dict[str, Path]:
    from effkit.metadata import attach_classifier_metadata
    from effkit.pipeline.convert import ConvertOptions, convert, pin_input_range

    root = tmp_path_factory.mktemp("models")
    model, calib = _tiny_classifier(list_images(photo_dir)[:40], len(HOSTILE_LABELS))
    calib = pin_input_range(calib, LITE0.norm_mean, LITE0.norm_std)
    out = {}
    for io in ("uint8", "int8"):
        plain = convert(model, ConvertOptions(quant="int8", io=io), calib)
        (root / f"{io}_plain.tflite").write_bytes(plain)
        data = attach_classifier_metadata(
            plain, labels=HOSTILE_LABELS, norm_mean=LITE0.norm_mean, norm_std=LITE0.norm_std,
            name="tiny", description="test classifier", version="1", author="effkit tests",
            license="Apache-2.0")
        (root / f"{io}.tflite").write_bytes(data)
        out[io] = root / f"{io}.tflite"
        out[f"{io}_plain"] = root / f"{io}_plain.tflite"
    # "Edge TPU models" for the probe tests: the CPU model carrying the compiler's op code
    out["tpu"] = stand_in_edgetpu_model(out["uint8"], root / "tpu_edgetpu.tflite")
    out["tpu_plain"] = stand_in_edgetpu_model(out["uint8_plain"], root / "tpu_plain_edgetpu.tflite")
    return out


@pytest.fixture(scope="module")
def app(models, tmp_path_factory) -> Path:
    """The app rendered with hostile names, uint8 model, no Edge TPU model."""
    return render_coral_app(tmp_path_factory.mktemp("apps") / "coral", model_name=HOSTILE_NAME,
                            variant=LITE0, labels=HOSTILE_LABELS, cpu_model=models["uint8"],
                            edgetpu_model=None)


def run_app(app_dir: Path, script: str, *args: str, check: bool = True,
            env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run a rendered script (in ``cwd``, default the app folder); ``env`` adds variables
    (EDGETPU_DELEGATE, XDG_CACHE_HOME)."""
    env = {**{k: v for k, v in os.environ.items()
              if k not in ("DISPLAY", "WAYLAND_DISPLAY", "EDGETPU_DELEGATE")}, **(env or {})}
    proc = subprocess.run([sys.executable, str(app_dir / script), *args], cwd=cwd or app_dir, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{script} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def runtime_module(app_dir: Path):
    name = f"coral_runtime_{abs(hash(str(app_dir)))}"
    spec = importlib.util.spec_from_file_location(name, app_dir / "coral_runtime.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def effkit_top1(model: Path, images: list[Path]) -> list[int]:
    from effkit.analysis.evaluate import TFLiteClassifier

    clf = TFLiteClassifier(model)
    return [int(np.argmax(clf.raw(load_image(p, clf.resolution)))) for p in images]


def fallback_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if FALLBACK in line]


# --- rendering ----------------------------------------------------------------------------


def test_rendered_layout(app: Path, models) -> None:
    names = sorted(p.name for p in app.iterdir())
    assert names == sorted([ANSWERS_FILE, "README.md", "benchmark.py", "classify_camera.py",
                            "classify_image.py", "coral_runtime.py", "install.sh", "labels.txt",
                            "model.tflite"])
    for script in ("classify_image.py", "classify_camera.py", "benchmark.py", "install.sh"):
        assert os.access(app / script, os.X_OK), script
    assert (app / "model.tflite").read_bytes() == models["uint8"].read_bytes()
    assert (app / "labels.txt").read_text(encoding="utf-8") == "\n".join(HOSTILE_LABELS) + "\n"
    answers = load_answers(app)
    assert answers["model_name"] == HOSTILE_NAME and answers["has_edgetpu"] is False
    assert "This build has **no Edge TPU model**" in (app / "README.md").read_text(encoding="utf-8")


def test_rendered_scripts_are_standalone(app: Path) -> None:
    for script in SCRIPTS:
        tree = ast.parse((app / script).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "effkit" or n.startswith("effkit.") for n in names), script


def test_hostile_names_are_escaped(app: Path) -> None:
    rt = runtime_module(app)
    assert rt.MODEL_NAME == HOSTILE_NAME
    for script in SCRIPTS:  # compiles: no quote broke out of a literal or comment
        compile((app / script).read_text(encoding="utf-8"), script, "exec")
    readme = (app / "README.md").read_text(encoding="utf-8")
    assert "{{" not in readme.split("\n", 1)[0]  # the title shows the name, Jinja-inert
    assert "<b>" not in readme and "Bärenklau 熊" in readme
    # install.sh prints the name back verbatim and runs nothing from it.
    proc = subprocess.run(["bash", str(app / "install.sh"), "--dry-run"], capture_output=True,
                          text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert f"Setting up the Coral app for {HOSTILE_NAME} in" in proc.stdout
    assert not Path("/tmp/effkit-pwned").exists()


def test_readme_renders_hostile_labels_and_name_as_text(models, tmp_path: Path) -> None:
    """Rendered by a CommonMark renderer that passes raw HTML through (markdown-it-py, as
    rich ships it), the README holds no live tag: the model name is escaped in the title and
    labels appear only in the indented example output, a code block."""
    from markdown_it import MarkdownIt

    labels = ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[x](javascript:y)"]
    app_dir = render_coral_app(tmp_path / "coral", model_name="<script>name</script> *m*",
                               variant=LITE0, labels=labels + ["d", "e"],
                               cpu_model=models["uint8"], edgetpu_model=None)
    html = MarkdownIt("commonmark").render((app_dir / "README.md").read_text(encoding="utf-8"))
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as text
    assert "&lt;script&gt;name&lt;/script&gt;" in html


README_NAMES = ["EfficientNet-Lite1 (int8) v2.0", "my_model_1", "*bold* _it_ `code` ~x~",
                "1. not a list", "# not a heading #", "a &amp; b & c", "[x](y) <i>z</i> \\n"]


def _code_texts(tokens) -> list[str]:
    """Every code span and every line of every code block in markdown-it's token stream."""
    texts = []
    for tok in tokens:
        if tok.type in ("fence", "code_block"):
            texts += tok.content.splitlines()
        for child in tok.children or ():
            if child.type == "code_inline":
                texts.append(child.content)
    return texts


@pytest.mark.parametrize("compiled", [False, True], ids=["cpu-only", "edgetpu"])
def test_readme_reads_right_and_says_what_to_run(models, tmp_path: Path, compiled: bool) -> None:
    """The real coral/ templates rendered with Jinja: the README reads right as plain text
    (no Markdown escapes in ordinary names and versions) and under CommonMark (every model
    name shows as itself); it sends the user to `effkit compile-edgetpu OUT/`, never to
    edgetpu_compiler by hand; and every script command uses `.venv/bin/python`, as its
    install section says."""
    import html as html_lib

    from markdown_it import MarkdownIt

    from effkit import __version__

    md = MarkdownIt("commonmark")
    for i, name in enumerate(README_NAMES):
        app_dir = render_coral_app(tmp_path / f"coral{i}", model_name=name,
                                   variant=get_variant("lite1"), labels=HOSTILE_LABELS,
                                   cpu_model=models["uint8"],
                                   edgetpu_model=models["tpu"] if compiled else None)
        text = (app_dir / "README.md").read_text(encoding="utf-8")
        tokens = md.parse(text)
        assert tokens[0].type == "heading_open", name
        rendered = md.renderer.render(tokens[1].children, md.options, {})
        assert html_lib.unescape(rendered) == f"{name} on Raspberry Pi + Coral", name
    assert text.splitlines()[0] == "# \\[x\\](y) &lt;i>z&lt;/i> \\\\n on Raspberry Pi + Coral"
    first = (tmp_path / "coral0" / "README.md").read_text(encoding="utf-8")
    assert first.startswith("# EfficientNet-Lite1 (int8) v2.0 on Raspberry Pi + Coral\n")
    intro = f"EfficientNet-Lite1 (240x240 input, {len(HOSTILE_LABELS)} classes), built by effkit"
    assert f"{intro} {__version__}." in " ".join(first.split())
    assert "my_model_1 on" in (tmp_path / "coral1" / "README.md").read_text(encoding="utf-8")

    code = _code_texts(md.parse(first))
    assert not [c for c in code if c.startswith("edgetpu_compiler ")], "edgetpu_compiler by hand"
    assert "effkit compile-edgetpu OUT/" in code
    runs = [c for c in code if re.match(r"python3?\s+\S+\.py", c)]
    assert runs == [], runs  # python3 x.py, not .venv/bin/python x.py
    assert ".venv/bin/python classify_image.py photo.jpg" in " ".join(first.split())


def test_rendered_scripts_lint_clean(app: Path) -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    proc = subprocess.run(
        [ruff, "check", "--isolated", "--target-version", "py39", "--line-length", "120",
         "--select", "E,F,W,B,UP,I", "--config", 'lint.isort.known-first-party = ["coral_runtime"]',
         *SCRIPTS], cwd=app, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_install_sh_is_clean_shell(app: Path) -> None:
    proc = subprocess.run(["bash", "-n", str(app / "install.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    proc = subprocess.run(["shellcheck", str(app / "install.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("name, problem", [
    ("two\nlines", "U+000A"),
    ("nul\x00", "U+0000"),
    ("tab\there", "U+0009"),
    ("bidi \u202e override", "U+202E"),
    ("   ", "empty"),
    ("x" * 101, "characters long"),
])
def test_bad_model_names_are_rejected(models, tmp_path: Path, name: str, problem: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(problem)) as err:
        render_coral_app(tmp_path / "coral", model_name=name, variant=LITE0, labels=["a"],
                         cpu_model=models["uint8"], edgetpu_model=None)
    assert "model name" in err.value.one_line()
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("labels, problem", [
    (["ok", "bad\nline"], "label 2"),
    (["ok", "\r"], "label 2"),
    (["ok", ""], "label 2 is empty"),
    ([], "at least one label"),
])
def test_bad_labels_are_rejected(models, tmp_path: Path, labels, problem: str) -> None:
    """The one label rule set (effkit.model.labels.Labels), not a rule set of the app's own."""
    with pytest.raises(LabelsError, match=problem):
        render_coral_app(tmp_path / "coral", model_name="m", variant=LITE0, labels=labels,
                         cpu_model=models["uint8"], edgetpu_model=None)
    assert list(tmp_path.iterdir()) == []


def test_bad_models_and_outputs(models, tmp_path: Path) -> None:
    kwargs = dict(model_name="m", variant=LITE0, labels=["a"], edgetpu_model=None)
    with pytest.raises(ModelFileError, match="does not exist"):
        render_coral_app(tmp_path / "a", cpu_model=tmp_path / "missing.tflite", **kwargs)
    (tmp_path / "x.tflite").write_bytes(b"not a model at all")
    with pytest.raises(ModelFileError, match="not a TFLite model"):
        render_coral_app(tmp_path / "a", cpu_model=tmp_path / "x.tflite", **kwargs)
    out = tmp_path / "out"
    out.mkdir()
    (out / "user.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty"):
        render_coral_app(out, cpu_model=models["uint8"], **kwargs)
    assert [p.name for p in out.iterdir()] == ["user.txt"]
    with pytest.raises(OutputError, match="not written by effkit"):  # not effkit's: kept
        render_coral_app(out, cpu_model=models["uint8"], force=True, **kwargs)
    (out / ".effkit-answers.json").write_text("{}")  # an earlier effkit render, and a user's file
    with pytest.raises(OutputError, match="holds files effkit did not write \\('user.txt'\\)"):
        render_coral_app(out, cpu_model=models["uint8"], force=True, **kwargs)
    assert (out / "user.txt").read_text() == "mine"
    (out / "user.txt").unlink()
    (out / "install.sh").write_text("PREVIOUS RENDER")  # all effkit's: replaced
    render_coral_app(out, cpu_model=models["uint8"], force=True, **kwargs)
    assert (out / "model.tflite").exists() and (out / "install.sh").read_text() != "PREVIOUS RENDER"


# --- the runtime pieces --------------------------------------------------------------------


def test_preprocessing_is_effkits(app: Path, photo_dir: Path, tmp_path: Path) -> None:
    from PIL import Image

    rt = runtime_module(app)
    for path in list_images(photo_dir)[::6]:
        for res in (224, 240, 300):
            assert np.array_equal(rt.load_image(path, res), load_image(path, res)), path
    # Odd sizes, grey and RGBA images, and camera frames (arrays) take the same path.
    rng = np.random.default_rng(1)
    for i, (w, h, mode) in enumerate([(641, 479, "RGB"), (100, 333, "L"), (257, 256, "RGBA")]):
        channels = {"RGB": 3, "L": 1, "RGBA": 4}[mode]
        arr = rng.integers(0, 256, size=(h, w, channels), dtype=np.uint8).squeeze()
        png = tmp_path / f"{i}.png"
        Image.fromarray(arr, mode=mode).save(png)
        assert np.array_equal(rt.load_image(png, 224), load_image(png, 224))
    # 16-bit grey (issue 16): scaled to 8 bits the same way, not clipped to white
    grey16 = tmp_path / "grey16.png"
    Image.fromarray(rng.integers(0, 65536, size=(120, 90), dtype=np.uint16)).save(grey16)
    assert np.array_equal(rt.load_image(grey16, 224), load_image(grey16, 224))
    assert (load_image(grey16, 224) == 255).mean() < 0.05
    # grey images with no range of their own (int32, float): the same range rule
    for i, arr in enumerate([rng.integers(0, 256, size=(50, 70)).astype(np.int32),
                             rng.integers(0, 2**20, size=(50, 70)).astype(np.int32),
                             rng.random((50, 70)).astype(np.float32),
                             (rng.random((50, 70)) * 255).astype(np.float32)]):
        wide = tmp_path / f"wide{i}.tiff"
        Image.fromarray(arr).save(wide)
        assert np.array_equal(rt.load_image(wide, 224), load_image(wide, 224)), arr.dtype


def test_camera_frames_take_the_fast_path(app: Path, photo_dir: Path) -> None:
    """Camera frames: the ISP-scaled ones pass as they are (channels put in RGB order), others
    are cropped like a still and shrunk with a fast OpenCV filter, close to the bicubic still path."""
    from PIL import Image

    rt = runtime_module(app)
    for path in list_images(photo_dir)[::12]:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB").resize((640, 480), Image.BICUBIC))
        still = rt.preprocess(Image.fromarray(rgb), 224).astype(int)
        fast = rt.frame_to_input(np.ascontiguousarray(rgb[:, :, ::-1]), 224, bgr=True)
        assert fast.shape == (224, 224, 3) and fast.dtype == np.uint8 and fast.flags["C_CONTIGUOUS"]
        assert np.abs(fast.astype(int) - still).mean() < 2.0, path  # out of 255
        assert np.array_equal(rt.frame_to_input(rgb[:, :, ::-1], 224, bgr=True), fast)  # views too
        scaled = np.ascontiguousarray(rgb[:224, :224])
        assert np.array_equal(rt.frame_to_input(scaled, 224), scaled)
        assert np.array_equal(rt.frame_to_input(scaled[:, :, ::-1], 224, bgr=True), scaled)
    # picamera2's ScalerCrop: the still's central crop, inside the sensor area.
    assert rt.sensor_crop((0, 0, 4608, 2592), 224) == (1170, 162, 2268, 2268)  # 224/256 of the height
    assert rt.sensor_crop((16, 8, 640, 480), 300) == (16 + 104, 8 + 24, 433, 433)


def test_picamera_loop_when_a_camera_is_present(app: Path) -> None:
    """Runs on a Raspberry Pi with picamera2 and a camera attached; skipped elsewhere."""
    if importlib.util.find_spec("picamera2") is None:
        pytest.skip("picamera2 is not installed (Raspberry Pi OS: apt install python3-picamera2)")
    from picamera2 import Picamera2

    if not Picamera2.global_camera_info():
        pytest.skip("picamera2 finds no camera attached")
    proc = run_app(app, "classify_camera.py", "--no-display", "--max-frames", "5", "--cpu", "--json")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["frame"] for r in rows] == [1, 2, 3, 4, 5]


def test_metadata_reader(app: Path, models) -> None:
    rt = runtime_module(app)
    info = rt.parse_metadata(models["uint8"].read_bytes())
    assert (info.name, info.mean, info.std) == ("tiny", [127.0], [128.0])
    assert info.labels_name == "labels.txt"
    assert rt.read_packed_file(models["uint8"], "labels.txt").splitlines() == HOSTILE_LABELS
    assert rt.read_packed_file(models["uint8_plain"], "labels.txt") is None
    empty = rt.parse_metadata(models["uint8_plain"].read_bytes())
    assert (empty.mean, empty.labels_name) == (None, None)
    data = models["uint8"].read_bytes()
    with pytest.raises(ValueError):
        rt.parse_metadata(b"\x00" * 8)
    # A model cut short never crashes the reader: it raises ValueError or finds less.
    for cut in range(16, len(data), max(len(data) // 50, 1)):
        try:
            rt.parse_metadata(data[:cut])
        except ValueError:
            pass


def test_labels_and_normalization_fallbacks(app: Path, models, tmp_path: Path) -> None:
    # This app's Edge TPU model, whose appended files the compiler stripped, gets its labels
    # from the CPU model's metadata.
    tpu_app = render_coral_app(tmp_path / "tpu", model_name="tpu", variant=LITE0,
                               labels=HOSTILE_LABELS, cpu_model=models["uint8"],
                               edgetpu_model=models["tpu_plain"])
    setup = runtime_module(tpu_app).model_setup(tpu_app / "model_edgetpu.tflite")
    assert setup.labels == HOSTILE_LABELS and setup.labels_source == "model.tflite metadata"
    # Another model without labels (--model) is refused: it took this app's labels and
    # normalization, maybe of other classes, with nothing but the source line to say so
    rt = runtime_module(app)
    with pytest.raises(rt.AppError, match="has no labels in its TFLite metadata and is neither "
                                          "this app's model nor an Edge TPU one"):
        rt.model_setup(models["uint8_plain"])
    given = tmp_path / "given.txt"
    given.write_text("\n".join(HOSTILE_LABELS) + "\n", encoding="utf-8")
    setup = rt.model_setup(models["uint8_plain"], given)
    assert setup.labels == HOSTILE_LABELS and setup.labels_source == str(given)
    # Without metadata anywhere: labels.txt and the rendered defaults.
    plain_app = render_coral_app(tmp_path / "plain", model_name="plain", variant=LITE0,
                                 labels=["x"] * len(HOSTILE_LABELS),
                                 cpu_model=models["uint8_plain"], edgetpu_model=None)
    setup = runtime_module(plain_app).model_setup(plain_app / "model.tflite")
    assert setup.labels_source == "labels.txt" and setup.norm_source == "defaults"
    assert float(setup.mean[0]) == 127.0 and float(setup.std[0]) == 128.0


def test_an_edge_tpu_model_of_other_classes_is_refused_this_apps_labels(app: Path, models,
                                                                         tmp_path: Path) -> None:
    """An Edge TPU model of another name (--model: a Coral zoo model, one compiled from
    another build) has no labels (the compiler drops them) and borrowed this app's, read
    under a warning even with another class count: now such a count is refused with the fix."""
    from effkit.pipeline.convert import ConvertOptions, convert

    rng = np.random.default_rng(0)
    calib = rng.uniform(-1, 1, size=(8, 16, 16, 3)).astype(np.float32)
    five = tmp_path / "five.tflite"
    five.write_bytes(convert(tiny_keras_classifier(5), ConvertOptions(quant="int8", io="uint8"), calib))
    rt = runtime_module(app)
    interpreter_class = rt._interpreter_class()[0]

    def classifier(model: Path, labels=None):
        setup = rt.model_setup(model, labels)
        loaded = rt.Loaded(interpreter_class(model_path=str(model)), model, "edgetpu", "stand-in")
        return rt.Classifier(loaded, setup)

    zoo = stand_in_edgetpu_model(five, tmp_path / "zoo_edgetpu.tflite")
    with pytest.raises(rt.AppError) as refused:
        classifier(zoo)
    assert str(refused.value) == (
        f"zoo_edgetpu.tflite has 5 outputs and this app's labels (model.tflite metadata) are "
        f"{len(HOSTILE_LABELS)}: it was compiled from a model of other classes; pass its labels "
        "with --labels FILE")
    given = tmp_path / "five.txt"
    given.write_text("a\nb\nc\nd\ne\n", encoding="utf-8")
    assert classifier(zoo, given).setup.labels == list("abcde")
    # one of this app's class count (compiled from its model elsewhere) still takes its labels
    assert classifier(models["tpu_plain"]).setup.labels == HOSTILE_LABELS


def test_normalization_other_writers_let_through_is_one_line(models, photo_dir: Path, tmp_path: Path) -> None:
    # effkit refuses 2 values (not 1 or 3); tflite-support's writers only check that the counts
    # agree, so the app meets such models (and read them as it could, or crashed in numpy)
    from effkit.metadata import associated_files
    from effkit.metadata.reader import read_metadata
    from effkit.metadata.writer import populate_metadata

    data = models["uint8"].read_bytes()
    meta = read_metadata(data)
    options = meta.subgraphMetadata[0].inputTensorMetadata[0].processUnits[0].options
    options.mean, options.std = [127.0, 127.0], [128.0, 128.0]
    odd = tmp_path / "odd.tflite"
    odd.write_bytes(populate_metadata(models["uint8_plain"].read_bytes(), meta, associated_files(data)))
    odd_app = render_coral_app(tmp_path / "odd", model_name="odd", variant=LITE0, labels=HOSTILE_LABELS,
                               cpu_model=odd, edgetpu_model=None)
    proc = run_app(odd_app, "classify_image.py", "--cpu", str(list_images(photo_dir)[0]), check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip() == ("error: the metadata of model.tflite normalizes with 2 mean and 2 std "
                                   "values, not 1 or 3 (one per RGB channel): attach the metadata again "
                                   "(effkit metadata --force)")


def test_make_input(app: Path) -> None:
    rt = runtime_module(app)
    pixels = np.arange(256, dtype=np.uint8).repeat(3).reshape(16, 16, 3)
    ident = {"dtype": np.uint8, "quantization": (1 / 128, 127)}
    assert rt.input_is_raw_pixels(ident, [127.0], [128.0])
    assert np.array_equal(rt.make_input(pixels, ident, [127.0], [128.0])[0], pixels)
    other = {"dtype": np.uint8, "quantization": (0.02, 120)}
    assert not rt.input_is_raw_pixels(other, [127.0], [128.0])
    expect = np.clip(np.round(normalize(pixels, 127, 128) / 0.02 + 120), 0, 255).astype(np.uint8)
    assert np.array_equal(rt.make_input(pixels, other, [127.0], [128.0])[0], expect)
    int8 = {"dtype": np.int8, "quantization": (1 / 128, -1)}
    got = rt.make_input(pixels, int8, [127.0], [128.0])[0]
    assert got.dtype == np.int8 and np.array_equal(got.astype(int), pixels.astype(int) - 128)
    f32 = {"dtype": np.float32, "quantization": (0.0, 0)}
    assert np.allclose(rt.make_input(pixels, f32, [127.0], [128.0])[0], normalize(pixels, 127, 128))
    # Per-channel normalization is honoured (no identity shortcut).
    assert not rt.input_is_raw_pixels(ident, [127.0, 120.0, 127.0], [128.0, 128.0, 128.0])


# --- running the scripts -------------------------------------------------------------------


@pytest.mark.slow  # every dev image through both pipelines
def test_classify_image_matches_effkit_on_every_image(app: Path, models,
                                                      photo_dir: Path) -> None:
    images = list_images(photo_dir)
    proc = run_app(app, "classify_image.py", "--json", "--top-k", "3", *map(str, images))
    assert len(fallback_lines(proc.stderr)) == 1  # the one line saying why the CPU runs
    assert "no Edge TPU model model_edgetpu.tflite" in proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["device"], doc["backend"]) == ("cpu", "ai-edge-litert")
    assert doc["labels_source"] == doc["normalization_source"] == "model.tflite metadata"
    got = [r["top"][0]["index"] for r in doc["results"]]
    expected = effkit_top1(models["uint8"], images)
    assert len(got) == len(images) == 48
    mismatches = [str(p.name) for p, a, b in zip(images, got, expected, strict=True) if a != b]
    assert not mismatches, mismatches[:5]
    assert len(set(got)) >= 4  # the model does discriminate (the photos show four subjects)
    for r in doc["results"]:
        top = r["top"][0]
        assert top["label"] == HOSTILE_LABELS[top["index"]]
        assert r["latency_ms"] > 0
        scores = [t["score"] for t in r["top"]]
        assert scores == sorted(scores, reverse=True)


def test_classify_image_text_output_and_quantizing_path(tmp_path: Path, models,
                                                        photo_dir: Path) -> None:
    # int8 input: the app quantizes with the model's scale/zero point, like effkit.
    app8 = render_coral_app(tmp_path / "int8", model_name="int8 model", variant=LITE0,
                            labels=HOSTILE_LABELS, cpu_model=models["int8"], edgetpu_model=None)
    images = list_images(photo_dir)[1::8]
    proc = run_app(app8, "classify_image.py", "--cpu", "--json", *map(str, images))
    doc = json.loads(proc.stdout)
    assert [r["top"][0]["index"] for r in doc["results"]] == effkit_top1(models["int8"], images)
    proc = run_app(app8, "classify_image.py", "--cpu", "-k", "2", str(images[0]))
    assert fallback_lines(proc.stderr) == []  # --cpu: no fallback message
    assert "XNNPACK delegate" not in proc.stderr, proc.stderr  # LiteRT's INFO line held back
    lines = proc.stdout.splitlines()
    assert lines[0] == "Model: model.tflite on CPU (ai-edge-litert)"
    assert lines[3].startswith(str(images[0])) and lines[3].endswith(" ms)")
    assert len(lines) == 6 and any(label in lines[4] for label in HOSTILE_LABELS)


def test_classify_image_user_errors(app: Path, tmp_path: Path) -> None:
    proc = run_app(app, "classify_image.py", str(tmp_path / "nope.jpg"), check=False)
    assert proc.returncode == 1 and "image" in proc.stderr and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    proc = run_app(app, "classify_image.py", str(junk), check=False)
    assert proc.returncode == 1 and "cannot read image" in proc.stderr
    assert "not an image Pillow can decode" in proc.stderr and "BufferedReader" not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_classify_camera_without_a_webcam_says_what_to_check(app: Path) -> None:
    pytest.importorskip("cv2")
    proc = run_app(app, "classify_camera.py", "--cpu", "--no-display", "--source", "57", check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.strip() == ("error: cannot open camera 57: no USB webcam there (ls /dev/video* "
                                   "lists the cameras; plug one in, or use the Pi camera without --source)")


def test_pi_scripts_json_errors_reach_stdout(app: Path, tmp_path: Path) -> None:
    """With --json an error is also a JSON document on stdout (effkit's own shape), one line,
    so a program that reads stdout, or classify_camera.py's JSON lines, learns why there
    are no results; stderr keeps its one line."""
    missing = str(tmp_path / "nope.tflite")
    for script, args in (("classify_image.py", ("--model", missing, "x.jpg")),
                         ("benchmark.py", ("--runs", "1", "--image", str(tmp_path / "nope.jpg"))),
                         ("classify_camera.py", ("--model", missing, "--no-display", "--source", "57"))):
        proc = run_app(app, script, "--cpu" if script != "benchmark.py" else "--cpu-only", *args,
                       "--json", check=False)
        assert proc.returncode == 1 and proc.stderr.count("error:") == 1, (script, proc.stderr)
        assert len(proc.stdout.splitlines()) == 1, (script, proc.stdout)
        doc = json.loads(proc.stdout)
        assert doc == {"error": proc.stderr.strip().removeprefix("error: "), "hint": None,
                       "kind": "AppError", "exit_code": 1}, script
        assert "does not exist" in doc["error"], doc
    # without --json stdout stays empty
    proc = run_app(app, "classify_image.py", "--cpu", "--model", missing, "x.jpg", check=False)
    assert proc.returncode == 1 and proc.stdout == ""
    # usage errors (exit 2) too, as effkit's own: --top-k 0, --cpu with --require-tpu
    for script, args in (("classify_image.py", ("--top-k", "0", "x.jpg")),
                         ("classify_camera.py", ("--cpu", "--require-tpu")),
                         ("benchmark.py", ("--runs", "x"))):
        proc = run_app(app, script, *args, "--json", check=False)
        assert proc.returncode == 2 and "error:" in proc.stderr, (script, proc.stderr)
        doc = json.loads(proc.stdout)
        assert (doc["kind"], doc["exit_code"]) == ("UsageError", 2), doc
        assert doc["error"] in proc.stderr, (doc, proc.stderr)
        assert run_app(app, script, *args, check=False).stdout == ""


def test_classify_image_hostile_files(app: Path, tmp_path: Path, photo_dir: Path) -> None:
    """A FIFO, /dev/zero and a decompression bomb among the photos are skipped with one line
    each (the others are classified, exit 1); a FIFO model and an empty labels file are one
    line; an image name with a terminal escape is shown escaped, never sent raw."""
    from test_hostile import BOMB_PNG

    good = tmp_path / "ok\x1b]0;PWNED\x07.jpg"
    shutil.copy(list_images(photo_dir)[0], good)
    os.mkfifo(tmp_path / "pipe.jpg")
    (tmp_path / "zero.jpg").symlink_to("/dev/zero")
    (tmp_path / "bomb.png").write_bytes(BOMB_PNG)
    proc = run_app(app, "classify_image.py", "--cpu", *(str(tmp_path / n) for n in (
        "pipe.jpg", "zero.jpg", "bomb.png")), str(good), check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    skipped = [ln for ln in proc.stderr.splitlines() if ln.startswith("skipped: ")]
    assert len(skipped) == 3, proc.stderr
    assert "not a regular file" in skipped[0] and "not a regular file" in skipped[1]
    assert "decompression-bomb guard" in skipped[2]
    assert "\x1b" not in proc.stdout and "ok\\x1b]0;PWNED\\x07.jpg" in proc.stdout
    # --json names the skipped files too, as effkit eval --json does
    doc = json.loads(run_app(app, "classify_image.py", "--cpu", "--json", str(tmp_path / "bomb.png"),
                             str(good), check=False).stdout)
    assert [s["image"] for s in doc["skipped"]] == [str(tmp_path / "bomb.png")] and len(doc["results"]) == 1
    assert "decompression-bomb guard" in doc["skipped"][0]["reason"]
    os.mkfifo(tmp_path / "m.tflite")
    proc = run_app(app, "classify_image.py", "--cpu", "--model", str(tmp_path / "m.tflite"),
                   str(good), check=False)
    assert proc.returncode == 1 and "not a regular file" in proc.stderr, proc.stderr
    (tmp_path / "empty.txt").write_text("\n")
    proc = run_app(app, "classify_image.py", "--cpu", "--labels", str(tmp_path / "empty.txt"),
                   str(good), check=False)
    assert proc.returncode == 1 and "is empty" in proc.stderr, proc.stderr
    extra = tmp_path / "extra.txt"  # 3 labels more than the model's 12 outputs
    extra.write_text("".join(f"l{i}\n" for i in range(len(HOSTILE_LABELS) + 3)))
    proc = run_app(app, "classify_image.py", "--cpu", "--labels", str(extra), str(good))
    assert "the last 3 are never shown" in proc.stderr and "missing" not in proc.stderr
    proc = run_app(app, "benchmark.py", "--cpu-only", "--runs", "1", "--image",
                   str(tmp_path / "bomb.png"), check=False)
    assert proc.returncode == 1 and "decompression-bomb guard" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    # a missing --image is the one error, before the Edge TPU model is looked for
    proc = run_app(app, "benchmark.py", "--runs", "1", "--image", str(tmp_path / "nope.jpg"), check=False)
    assert proc.returncode == 1 and proc.stderr.count("error:") == 1, proc.stderr
    assert "does not exist" in proc.stderr and "Edge TPU" not in proc.stderr, proc.stderr


def test_pi_scripts_read_phone_photos_upright(app: Path, tmp_path: Path, photo_dir: Path) -> None:
    """The rendered load_image applies the EXIF orientation, pixel for pixel as effkit does."""
    from test_hostile import rotated_phone_photo

    reference, tagged, _ = rotated_phone_photo(list_images(photo_dir)[3], tmp_path)
    runtime = runtime_module(app)
    assert np.array_equal(runtime.load_image(tagged, 224), runtime.load_image(reference, 224))
    assert np.array_equal(runtime.load_image(tagged, 224), load_image(tagged, 224))


def test_without_pillow_the_pi_scripts_say_how_to_get_it(app: Path, tmp_path: Path,
                                                         photo_dir: Path) -> None:
    """'pip install ai-edge-litert', as the scripts' own hint said, brings numpy and not
    Pillow: classify_image.py then ended in a traceback (an outside walk)."""
    import importlib.util

    only = tmp_path / "only-litert"  # numpy and the runtime, as that pip install leaves them
    only.mkdir()
    for name in ("numpy", "ai_edge_litert", "flatbuffers"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            pytest.skip(f"{name} is not installed")
        (only / name).symlink_to(Path(spec.origin).parent)
    libs = Path(importlib.util.find_spec("numpy").origin).parent.parent / "numpy.libs"
    if libs.is_dir():
        (only / "numpy.libs").symlink_to(libs)
    env = {k: v for k, v in os.environ.items() if k != "EDGETPU_DELEGATE"} | {"PYTHONPATH": str(only)}
    proc = subprocess.run([sys.executable, "-S", str(app / "classify_image.py"), "--cpu",
                           str(list_images(photo_dir)[0])], cwd=app, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        "error: Pillow is not installed: sudo apt install python3-pil (./install.sh installs "
        "it), or pip install pillow")


def damaged_exif_photo(tmp_path: Path) -> Path | None:
    """A JPEG whose EXIF block makes Pillow's exif_transpose raise something other than
    OSError/ValueError/SyntaxError (struct.error, AttributeError, TypeError, ...), found by
    changing bytes of the block as the outside walk did; None if this Pillow raises none."""
    import io
    import random
    import warnings

    from PIL import Image, ImageOps

    y, x = np.mgrid[0:48, 0:64]
    base = Image.fromarray(np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.uint8))
    exif = Image.Exif()
    exif[0x0112], exif[0x010F], exif[0x0132], exif[0x011A] = 6, "Canon", "2020:01:01 00:00:00", (72, 1)
    buf = io.BytesIO()
    base.save(buf, "JPEG", exif=exif.tobytes())
    data = buf.getvalue()
    start = data.index(b"Exif\x00\x00") + 6
    rng = random.Random(1)
    for _ in range(3000):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(start, start + 120)] = rng.randrange(256)
        try:
            with warnings.catch_warnings(), Image.open(io.BytesIO(bytes(damaged))) as im:
                warnings.simplefilter("ignore")
                ImageOps.exif_transpose(im)
        except (OSError, ValueError, SyntaxError):
            continue
        except Exception:  # noqa: BLE001 - what the readers did not catch
            path = tmp_path / "damaged-exif.jpg"
            path.write_bytes(bytes(damaged))
            return path
    return None


def test_a_damaged_exif_block_leaves_the_photo_as_stored(app: Path, tmp_path: Path) -> None:
    """Both effkit and the Pi scripts read such a photo (they ended in a traceback: an
    outside walk), with the same pixels."""
    photo = damaged_exif_photo(tmp_path)
    if photo is None:
        pytest.skip("this Pillow raises only OSError/ValueError/SyntaxError for damaged EXIF")
    assert np.array_equal(runtime_module(app).load_image(photo, 224), load_image(photo, 224))
    proc = run_app(app, "classify_image.py", "--cpu", "--json", str(photo))
    assert "Traceback" not in proc.stderr and json.loads(proc.stdout)


def test_edgetpu_fallback_is_one_line(models, tmp_path: Path, photo_dir: Path) -> None:
    if ctypes.util.find_library("edgetpu"):
        pytest.skip("an Edge TPU runtime is installed here: the fallback is not forced")
    # An app with an "Edge TPU model": the delegate libedgetpu.so.1 cannot load here.
    tpu_app = render_coral_app(tmp_path / "tpu", model_name="tpu", variant=LITE0,
                               labels=HOSTILE_LABELS, cpu_model=models["uint8"],
                               edgetpu_model=models["tpu_plain"])
    assert "This build has **no Edge TPU model**" not in (tpu_app / "README.md").read_text(encoding="utf-8")
    image = str(list_images(photo_dir)[0])
    proc = run_app(tpu_app, "classify_image.py", "--json", image)
    lines = fallback_lines(proc.stderr)
    assert len(lines) == 1 and "libedgetpu.so.1 is not installed" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and "_library" not in proc.stderr
    assert json.loads(proc.stdout)["device"] == "cpu"
    bench = json.loads(run_app(tpu_app, "benchmark.py", "--runs", "3", "--json").stdout)
    tpu_row = bench["results"][0]
    assert tpu_row["device"] == "edgetpu" and "libedgetpu.so.1" in tpu_row["skipped"]


def test_benchmark_reports_percentiles(app: Path, models, photo_dir: Path) -> None:
    image = list_images(photo_dir)[5]
    proc = run_app(app, "benchmark.py", "--runs", "30", "--warmup", "2", "--image", str(image),
                   "--json")
    doc = json.loads(proc.stdout)
    assert doc["model_name"] == HOSTILE_NAME and doc["runs"] == 30
    tpu, cpu = doc["results"]
    assert tpu["device"] == "edgetpu" and "no Edge TPU model" in tpu["skipped"]
    assert cpu["device"] == "cpu" and cpu["runs"] == 30
    assert 0 < cpu["p50_ms"] <= cpu["p90_ms"] <= cpu["p99_ms"]
    assert cpu["top1"] == effkit_top1(models["uint8"], [image])[0]
    assert cpu["top1_label"] == HOSTILE_LABELS[cpu["top1"]]
    text = run_app(app, "benchmark.py", "--runs", "5", "--cpu-only").stdout
    assert text.startswith(f"{HOSTILE_NAME}: 5 runs after 5 warm-up runs")
    assert "p50 ms" in text and "model.tflite" in text


def _write_video(path: Path, images: list[Path]) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    assert writer.isOpened()
    for p in images:
        writer.write(cv2.resize(cv2.imread(str(p)), (320, 240), interpolation=cv2.INTER_AREA))
    writer.release()


def test_classify_camera_on_a_video_file(app: Path, models, photo_dir: Path,
                                         tmp_path: Path) -> None:
    import cv2

    video = tmp_path / "clip.avi"
    _write_video(video, list_images(photo_dir)[::5][:10])
    # effkit's evaluation of the very frames the app decodes.
    frames = []
    capture = cv2.VideoCapture(str(video))
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(tmp_path / f"frame{len(frames)}.png")
        cv2.imwrite(str(frames[-1]), frame)
    capture.release()
    assert len(frames) == 10
    proc = run_app(app, "classify_camera.py", "--source", str(video), "--no-display", "--json")
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["frame"] for r in rows] == list(range(1, 11))
    # The camera path crops and shrinks frames with OpenCV (not the stills'
    # bicubic): effkit's model on exactly those pixels gives the same classes.
    from effkit.analysis.evaluate import TFLiteClassifier

    rt, clf = runtime_module(app), TFLiteClassifier(models["uint8"])
    expected = [int(np.argmax(clf.raw(rt.frame_to_input(cv2.imread(str(f)), clf.resolution, bgr=True))))
                for f in frames]
    assert [r["top"][0]["index"] for r in rows] == expected
    agree = sum(a == b for a, b in zip(expected, effkit_top1(models["uint8"], frames), strict=True))
    # and mostly the classes of the bicubic still path: two resamplers on a tiny model whose
    # int8 conversion varies a little on a busy machine (7 of 10 seen under -n 2, 8-10 alone)
    assert agree >= 7, agree
    assert all(r["fps"] >= 0 and r["inference_ms"] > 0 for r in rows)
    # Text mode, a frame limit, and no display available: one line per frame.
    proc = run_app(app, "classify_camera.py", "--source", str(video), "--max-frames", "4", "--cpu")
    lines = proc.stdout.splitlines()
    assert "no display found" in proc.stderr
    assert sum(line.startswith("frame") for line in lines) == 4
    assert lines[-1].startswith("4 frames in")
    missing = run_app(app, "classify_camera.py", "--source", str(tmp_path / "none.avi"),
                      "--no-display", check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_names_and_labels_with_terminal_escapes_are_shown_escaped(app: Path, models,
                                                                   tmp_path: Path) -> None:
    """A --model file name, a --source path and --labels lines with ESC are user text: the
    camera loop printed labels raw, a missing video's error cleared the screen, and the
    "Model:" line sent a model's name raw (outside walk). Every line goes through shown()."""
    import cv2

    model = tmp_path / "m\x1b[31mX.tflite"
    shutil.copy(models["uint8"], model)
    labels = tmp_path / "labels.txt"
    labels.write_text("".join(f"lab{i}\x1b[31mRED\n" for i in range(len(HOSTILE_LABELS))))
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5, (64, 48))
    for shade in (0, 120):
        writer.write(np.full((48, 64, 3), shade, np.uint8))
    writer.release()
    runs = [
        run_app(app, "classify_camera.py", "--cpu", "--no-display", "--model", str(model),
                "--labels", str(labels), "--source", str(video), "--max-frames", "2"),
        run_app(app, "classify_camera.py", "--cpu", "--no-display", "--source",
                str(tmp_path / "no\x1b[2Jsuch.avi"), check=False),
        run_app(app, "classify_image.py", "--cpu", "--model", str(model), "--labels", str(labels),
                str(video.with_name("missing.jpg")), check=False),
    ]
    for proc in runs:
        assert "\x1b" not in proc.stdout + proc.stderr, (proc.stdout, proc.stderr)
    assert "m\\x1b[31mX.tflite on CPU" in runs[0].stdout
    assert "lab" in runs[0].stdout and "\\x1b[31mRED" in runs[0].stdout
    assert runs[1].returncode == 1 and "no\\x1b[2Jsuch.avi does not exist" in runs[1].stderr
    assert "m\\x1b[31mX.tflite" in runs[2].stdout


def test_the_camera_window_draws_labels_in_ascii_without_their_accents(app: Path) -> None:
    """OpenCV's Hershey fonts draw ASCII only: 'café' was drawn 'caf?' (outside walk)."""
    code = ("import json, sys, classify_camera as c; "
            "print(json.dumps([c.overlay_text(t) for t in json.loads(sys.argv[1])]))")
    texts = ["97%  café", "Ångström", "ﬁsh", "日本", "tab\there", "plain (1)"]
    proc = subprocess.run([sys.executable, "-c", code, json.dumps(texts)], cwd=app,
                          capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout) == ["97%  cafe", "Angstrom", "fish", "??", "tab?here",
                                       "plain (1)"]
