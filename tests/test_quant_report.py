"""effkit quant-report on real lite0 builds: a model against itself is exact, noise
calibration ranks clearly worse than the build's own on its worst layers, the JSON
keys are stable, the page escapes user strings and renders in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from _lite0_builds import copy_build, eval_images, lite0_builds
from helpers import assert_one_line_error, assert_progress_lines, chromium_screenshot, colour_pixels, link_all
from typer.testing import CliRunner

from effkit.analysis.quant_report import measure as qr
from effkit.analysis.quant_report import page as qr_page
from effkit.cli.main import app

runner = CliRunner()
HOSTILE = 'lite0 <img src=x onerror="alert(1)"> & <b>int8'  # a folder name: no slash

REPORT_KEYS = {"effkit_quant_report", "images", "snr_cap_db", "int8_sha256", "float_sha256", "summary",
               "worst", "unmatched", "layers"}
SUMMARY_KEYS = {"layers", "min_snr_db", "median_snr_db", "output_snr_db", "output_cosine",
                "layers_with_causes"}
LAYER_KEYS = {"index", "op", "name", "tensor", "matched_by", "shape", "dtype", "scale", "zero_point",
              "float_min", "float_max", "rel_rmse", "snr_db", "exact", "cosine", "clipped",
              "clip_error_share", "at_limits", "range_use", "snr_drop_db", "per_tensor_weights", "causes"}
WORST_KEYS = {"index", "name", "op", "snr_db", "causes"}


def cli(*args):
    return runner.invoke(app, [*map(str, args)])


# --------------------------------------------------------------------------- no models


def op(index, name, kind="CONV_2D", shape=(1, 8, 8, 4)):
    return qr._Op(index, kind, index, (), name, shape)


def test_ops_match_by_name_then_by_order():
    float_ops = [op(0, "a/stem_conv_1/convolution"), op(1, "b", "DEPTHWISE_CONV_2D"), op(2, "c"),
                 op(3, "Identity", "SOFTMAX", (1, 10))]
    int8_ops = [op(1, "a/stem_conv_1/convolution"), op(2, "renamed", "DEPTHWISE_CONV_2D"), op(3, "c"),
                op(4, "Identity1", "SOFTMAX", (1, 10)), op(5, "extra", "MEAN", (1, 4))]
    pairs, unmatched = qr.match_ops(int8_ops, float_ops)
    assert [(q.index, f.index, how) for q, f, how in pairs] == [
        (1, 0, "name"), (2, 1, "order"), (3, 2, "name"), (4, 3, "order")]
    assert unmatched == ["extra"]


def test_short_layer_names():
    name = ("m/m/block3_dwconv_relu_1/Relu6;m/m/block3_dwconv_bn_1/batchnorm/add_1;"
            "m/m/block3_dwconv_1/depthwise;m/m/block3_dwconv_bn_1/batchnorm/sub1")
    assert qr.short_name(name, "DEPTHWISE_CONV_2D") == "block3_dwconv"
    assert qr.short_name("m/m/avg_pool_1/Mean", "MEAN") == "avg_pool"
    assert qr.short_name("StatefulPartitionedCall_1:01", "SOFTMAX") == "softmax"


def test_likely_causes_follow_the_numbers():
    none = qr.likely_causes("CONV_2D", clipped=0.0, range_use=0.8, per_tensor_weights=False)
    assert none == ()
    (sat,) = qr.likely_causes("CONV_2D", clipped=0.05, range_use=0.9, per_tensor_weights=False)
    assert sat.startswith("saturated activation: 5.00%")
    (few,) = qr.likely_causes("ADD", clipped=0.002, clip_error_share=0.6, range_use=1.5,
                              per_tensor_weights=None)
    assert few.startswith("saturated activation: 0.20%") and "make 60% of its error" in few
    (out,) = qr.likely_causes("ADD", clipped=0.0, range_use=0.02, per_tensor_weights=None)
    assert out.startswith("outlier-dominated range") and "5 of the 256" in out
    (dw,) = qr.likely_causes("DEPTHWISE_CONV_2D", clipped=0.0, range_use=0.5, per_tensor_weights=True)
    assert "per-tensor weight scale" in dw


def test_chart_draws_layer_names_as_plain_text():
    layer = {"name": r"$\frac{1}{$ x $^_$", "snr_db": 20.0, "causes": []}
    bad = {"name": "a_$b", "snr_db": 8.0, "causes": ["saturated activation"]}
    png = qr_page.chart_png({"layers": [layer, bad]})  # math text would fail on these names
    assert png.startswith(b"\x89PNG")


# --------------------------------------------------------------------------- real builds


@pytest.fixture(scope="module")
def builds(tmp_path_factory, photo_dir) -> dict[str, Path]:
    return lite0_builds(tmp_path_factory, photo_dir)


@pytest.fixture(scope="module")
def images(tmp_path_factory, photo_dir) -> Path:
    return link_all(eval_images(photo_dir, 8), tmp_path_factory.mktemp("qr") / "images")


@pytest.fixture(scope="module")
def inputs(builds, images) -> np.ndarray:
    x, source = qr.inputs_for(builds["int8"] / "model.tflite", images, 8)
    assert source["count"] == 8 and x.shape == (8, 224, 224, 3)
    return x


@pytest.fixture(scope="module")
def noise_int8() -> bytes:
    """lite0 int8 calibrated on uniform noise (README: 11.6 top-1 points lost)."""
    from effkit.model.network import build_model
    from effkit.model.variants import get_variant
    from effkit.pipeline.convert import ConvertOptions, convert, pin_input_range
    from effkit.weights.load import load_weights

    variant = get_variant("lite0")
    model = build_model(variant)
    load_weights(model, variant)
    noise = np.random.default_rng(0).uniform(-1, 1, (32, *variant.input_shape)).astype(np.float32)
    return convert(model, ConvertOptions(), pin_input_range(noise, variant.norm_mean, variant.norm_std))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["int8", "float32"])
def test_a_model_against_itself_is_exact(builds, inputs, kind):
    data = (builds[kind] / "model.tflite").read_bytes()
    report = qr.compare(data, data, inputs[:2])
    assert len(report.layers) > 50 and not report.unmatched
    for s in report.layers:
        assert s.exact and s.snr_db == qr.SNR_CAP_DB and s.cosine == 1.0 and s.rel_rmse == 0.0
        assert s.clipped == 0.0 and not any(c.startswith("saturated") for c in s.causes)
        assert s.matched_by == "name" or s.op == "SOFTMAX"  # the output is renamed by the converter
    doc = report.to_dict()
    assert doc["summary"]["min_snr_db"] == qr.SNR_CAP_DB and doc["summary"]["output_cosine"] == 1.0
    json.dumps(doc, allow_nan=False)  # no inf/nan in the document


@pytest.mark.slow
def test_noise_calibration_ranks_clearly_worse(builds, inputs, noise_int8):
    float_bytes = (builds["float32"] / "model.tflite").read_bytes()
    default = qr.compare((builds["int8"] / "model.tflite").read_bytes(), float_bytes, inputs)
    noise = qr.compare(noise_int8, float_bytes, inputs)
    assert [s.tensor for s in noise.layers] == [s.tensor for s in default.layers]
    worst_noise = np.mean([s.snr_db for s in noise.worst(5)])
    worst_default = np.mean([s.snr_db for s in default.worst(5)])
    assert worst_noise < worst_default - 3.0, (worst_noise, worst_default)
    assert noise.layers[-1].cosine < default.layers[-1].cosine
    # Noise calibration leaves late residual adds saturated; the report names it.
    assert sum(bool(s.causes) for s in noise.layers) > sum(bool(s.causes) for s in default.layers)
    assert any(c.startswith("saturated") for s in noise.worst(10) for c in s.causes), \
        [(s.name, s.clipped, s.clip_error_share) for s in noise.worst(10)]


@pytest.mark.slow
def test_json_schema_is_stable(builds, images):
    result = cli("quant-report", builds["int8"] / "model.tflite", "--float",
                 builds["float32"] / "model.tflite", "--data", images, "--limit", 2, "--json")
    assert result.exit_code == 0, result.stderr
    # not a terminal: plain lines for reading the images, then for the report
    assert_progress_lines(result.stderr, "Per-layer float vs int8 report",
                          first="Reading the comparison images")
    doc = json.loads(result.stdout)
    assert set(doc) == REPORT_KEYS | {"int8_model", "float_model", "data"}
    assert doc["effkit_quant_report"] == 1 and doc["images"] == 2
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert {k for w in doc["worst"] for k in w} == WORST_KEYS and len(doc["worst"]) == qr.WORST_COUNT
    assert all(set(layer) == LAYER_KEYS for layer in doc["layers"])
    assert doc["data"] == {"source": "folder", "path": str(images.resolve()), "count": 2, "skipped": 0}
    snrs = [w["snr_db"] for w in doc["worst"]]
    assert snrs == sorted(snrs)
    # --worst N lists N everywhere: it changed only the terminal's table (an outside walk)
    page = images.parent / "worst3.html"
    three = cli("quant-report", builds["int8"] / "model.tflite", "--float",
                builds["float32"] / "model.tflite", "--data", images, "--limit", 2, "--worst", 3,
                "--html", page, "--json", "--force")
    assert three.exit_code == 0, three.stderr
    assert [w["name"] for w in json.loads(three.stdout)["worst"]] == [w["name"] for w in doc["worst"][:3]]
    worst_table = page.read_text(encoding="utf-8").split("Worst layers", 1)[1].split("</table>", 1)[0]
    assert worst_table.count("<tr") == 1 + 3  # the header and three layers
    page.unlink()


@pytest.mark.slow
def test_default_data_is_the_builds_calibration_set(builds):
    result = cli("quant-report", builds["int8"] / "model.tflite", "--float",
                 builds["float32"] / "model.tflite", "--limit", 3, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["data"]["source"] == "build calibration folder" and doc["images"] == 3
    # the build's set, which may be distilled again for minutes, is a stage a log shows
    # (it was a spinner, silent outside a terminal: upgrade walk)
    assert_progress_lines(result.stderr, "Per-layer float vs int8 report",
                          first="Reading the comparison images")


@pytest.mark.slow
def test_bad_input_is_one_line(builds, tmp_path):
    loose = tmp_path / "loose.tflite"
    shutil.copy(builds["int8"] / "model.tflite", loose)
    float_model = builds["float32"] / "model.tflite"
    assert_one_line_error(cli("quant-report", loose, "--float", float_model), "no build.json", "--data")
    assert_one_line_error(cli("quant-report", loose, "--float", tmp_path / "nope.tflite", "--data", tmp_path),
                          "does not exist")
    assert_one_line_error(cli("quant-report", loose, "--float", loose, "--data", tmp_path),
                          "takes uint8 input: it is a quantized model", "--quant float32")
    assert_one_line_error(cli("quant-report", loose, "--float", float_model, "--data", tmp_path),
                          "has no images")
    assert_one_line_error(cli("quant-report", loose, "--float", float_model, "--worst", "-1"),
                          "--worst must be at least 1")
    assert_one_line_error(cli("quant-report", loose, "--float", float_model, "--data", tmp_path,
                              "--limit", "-5"), "--limit must be at least 1 (got -5)", "Pass e.g. --limit 32")
    page = tmp_path / "page.html"
    page.write_text("mine")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(cli("quant-report", loose, "--float", float_model, "--data", empty,
                              "--html", page), "already exists", "--force")
    # --force replaces an earlier page, never a user's file, an input or a file in --data
    assert_one_line_error(cli("quant-report", loose, "--float", float_model, "--data", empty,
                              "--html", page, "--force"), "is not an effkit quant-report page")
    assert page.read_text() == "mine"
    assert_one_line_error(cli("quant-report", loose, "--float", float_model, "--data", empty,
                              "--html", loose, "--force"), f"--html '{loose}' is the input")
    # a page or a model under another file type's name is refused before the work
    assert_one_line_error(cli("quant-report", loose, "--float", float_model, "--data", empty,
                              "--html", tmp_path / "page.png"), "does not end in .html",
                          f"'{tmp_path / 'page.html'}'")
    assert_one_line_error(cli("quant-report", builds["int8"] / "model.tflite", "--float", float_model,
                              "--keep-float", 1, "--out", tmp_path / "mixed.bin"),
                          "--out", "does not end in .tflite")
    data = tmp_path / "photos"
    data.mkdir()
    assert_one_line_error(cli("quant-report", loose, "--float", float_model, "--data", data,
                              "--html", data / "p.html"), "is inside the input folder")
    assert_one_line_error(cli("quant-report", builds["int8"] / "model.tflite", "--float", float_model,
                              "--keep-float", 1, "--out", float_model, "--force"), "is the input")
    # without --data the images are the build's calibration folder: an input as well
    calibrated = tmp_path / "calibrated"
    shutil.copytree(builds["int8"], calibrated)
    doc = json.loads((calibrated / "build.json").read_text())
    doc["calibration"] = {"source": "folder", "detail": {"path": str(data)}, "count": 8}
    (calibrated / "build.json").write_text(json.dumps(doc))
    assert_one_line_error(cli("quant-report", calibrated / "model.tflite", "--float", float_model,
                              "--html", data / "p.html"), f"is inside the input folder '{data}'")
    assert sorted(p.name for p in data.iterdir()) == []


@pytest.fixture(scope="module")
def page(builds, images, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("qr-page")
    hostile = copy_build(builds["int8"], root / HOSTILE)
    out = root / "report.html"
    result = cli("quant-report", hostile / "model.tflite", "--float", builds["float32"] / "model.tflite",
                 "--data", images, "--limit", 2, "--html", out)
    assert result.exit_code == 0, result.stderr
    assert qr_page.PAGE_FILE.is_one(out)  # what --force may replace next time
    return out


def png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float32)


@pytest.mark.slow
def test_page_is_self_contained_and_escaped(page):
    text = page.read_text(encoding="utf-8")
    assert HOSTILE not in text and "<img src=x" not in text and "<b>" not in text
    assert "lite0 &lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; &lt;b&gt;int8" in text
    (chart,) = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    px = png_pixels(base64.b64decode(chart))
    assert px.shape[0] > 300 and px.shape[1] > 900 and px.std() > 10
    assert not re.search(r'(src|href)="(?!data:)', text) and "<script" not in text
    assert text.count("<tr><td class=\"n\">") > 60  # worst table + every layer


@pytest.mark.slow
def test_chromium_screenshot_shows_the_chart(page, tmp_path):
    px = chromium_screenshot(page, tmp_path, 1200, 1000)
    assert px.shape[:2] == (1000, 1200) and px.std() > 20
    close = colour_pixels(px, qr_page.BAR_COLOR)
    assert close > 2000, f"only {close} bar-coloured pixels in the screenshot"


# --------------------------------------------------------------------------- mixed precision


@pytest.mark.slow
def test_keep_float_is_refused_where_it_cannot_work(builds, tmp_path):
    coral = copy_build(builds["int8"], tmp_path / "coral")
    doc = json.loads((coral / "build.json").read_text())
    (coral / "build.json").write_text(json.dumps(doc | {"target": "coral"}))
    float_model = builds["float32"] / "model.tflite"
    assert_one_line_error(cli("quant-report", coral / "model.tflite", "--float", float_model,
                              "--keep-float", 2, "--out", tmp_path / "m.tflite"),
                          "Edge TPU", "run everything after it on the CPU")
    assert_one_line_error(cli("quant-report", builds["int8"] / "model.tflite", "--float", float_model,
                              "--out", tmp_path / "m.tflite"), "--keep-float")
    assert_one_line_error(cli("quant-report", builds["int8"] / "model.tflite", "--float", float_model,
                              "--keep-float", 2), "--out")
    assert not (tmp_path / "m.tflite").exists()


@pytest.mark.slow
def test_keep_float_writes_a_mixed_model(builds, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from effkit.metadata.reader import labels_from_model

    out = tmp_path / "mixed.tflite"
    result = cli("quant-report", builds["int8"] / "model.tflite", "--float",
                 builds["float32"] / "model.tflite", "--limit", 2, "--keep-float", 2, "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    mixed = json.loads(result.stdout)["mixed"]
    assert mixed["path"] == str(out) and len(mixed["kept_float"]) == 2
    assert mixed["bytes"] == out.stat().st_size
    data = out.read_bytes()
    assert labels_from_model(data) == labels_from_model((builds["int8"] / "model.tflite").read_bytes())
    it = Interpreter(model_content=data)
    it.allocate_tensors()
    tensors = {t["index"]: t for t in it.get_tensor_details()}
    ops = it._get_ops_details()
    # The input is quantized once; each float layer is fed by a DEQUANTIZE.
    assert sum(o["op_name"] == "DEQUANTIZE" for o in ops) >= 2
    float_convs = [o for o in ops if o["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")
                   and tensors[o["outputs"][0]]["dtype"] == np.float32]
    assert len(float_convs) == 2
    assert sorted(qr.short_name(tensors[o["outputs"][0]]["name"], o["op_name"]) for o in float_convs) == \
        sorted(mixed["kept_float"])


@pytest.mark.slow
def test_a_train_build_is_compared_and_kept_in_float_on_the_data_images(builds, images, tmp_path):
    """'effkit train --build' calibrates on its training split, which build.json does not
    list: quant-report said 'the build has no calibration set (a float build?). Pass --data'
    even with --data given, and --keep-float ignored --data (an outside walk)."""
    import shutil

    trained = tmp_path / "lite0-cpu"
    shutil.copytree(builds["int8"], trained)
    manifest = json.loads((trained / "build.json").read_text())
    manifest["calibration"] = {**manifest["calibration"], "source": "training split",
                               "detail": {"images": 26}}
    (trained / "build.json").write_text(json.dumps(manifest))
    float_model = builds["float32"] / "model.tflite"
    assert_one_line_error(cli("quant-report", trained / "model.tflite", "--float", float_model),
                          "calibrated on images of its training split", "Pass --data DIR")
    out = tmp_path / "mixed.tflite"
    result = cli("quant-report", trained / "model.tflite", "--float", float_model, "--data", images,
                 "--limit", 2, "--keep-float", 1, "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["mixed"]["calibration"] == (
        "the 2 --data images it is measured on, which flatter it")
    assert out.is_file()


def test_keep_float_takes_the_builds_own_weights_and_no_other(tmp_path, monkeypatch):
    """build.json keeps a weights path as it was given: from another folder it was not
    found ('do not exist. Pass official...', a flag quant-report lacks), and other weights
    put under that path were converted without a word (an outside walk). The file is
    looked up from the folders above the build too, and taken only with its sha256."""
    import shutil

    from effkit.errors import DataError
    from effkit.model.variants import get_variant
    from effkit.weights.load import resolve_weights

    mine = tmp_path / "w" / "mine.pth"
    mine.parent.mkdir()
    shutil.copyfile(resolve_weights(get_variant("lite0"), None).path, mine)
    recorded = {"kind": "pth", "path": "w/mine.pth",
                "sha256": resolve_weights(get_variant("lite0"), mine).sha256}
    build = tmp_path / "runs" / "b"
    build.mkdir(parents=True)
    info = qr.BuildInfo(build, {"variant": "lite0", "weights": recorded})
    monkeypatch.chdir(build)  # not where the build ran (tmp_path)
    assert info.weights_source().path == mine
    (build / "w").mkdir()  # a damaged file of that name nearer: passed over, not read
    (build / "w" / "mine.pth").write_bytes(b"half-written")
    assert info.weights_source().path == mine
    shutil.copyfile(resolve_weights(get_variant("lite1"), None).path, mine)  # retrained in place
    with pytest.raises(DataError, match=r"the weights the build read \('w/mine.pth', sha256 "
                                        r"[0-9a-f]{12}\.\.\.\) are not there any more, or hold other"):
        info.weights_source()


@pytest.mark.slow
def test_per_tensor_depthwise_weights_are_named(builds, inputs):
    """A real per-tensor build: the converter's (private) _experimental_disable_per_channel."""
    import tensorflow as tf

    from effkit.core.native_log import native_log_captured
    from effkit.model.network import build_model
    from effkit.model.variants import get_variant
    from effkit.pipeline.convert import batch_of_one, pin_input_range, representative_dataset
    from effkit.weights.load import load_weights

    variant = get_variant("lite0")
    model = build_model(variant)
    load_weights(model, variant)
    converter = tf.lite.TFLiteConverter.from_keras_model(batch_of_one(model))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_dataset(pin_input_range(inputs, 127.0, 128.0))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.uint8
    converter._experimental_disable_per_channel = True
    with native_log_captured():
        per_tensor = bytes(converter.convert())
    report = qr.compare(per_tensor, (builds["float32"] / "model.tflite").read_bytes(), inputs[:2])
    depthwise = [s for s in report.layers if s.op == "DEPTHWISE_CONV_2D"]
    assert depthwise and all(s.per_tensor_weights for s in depthwise)
    assert all(any("per-tensor weight scale" in c for c in s.causes) for s in depthwise)
    default = qr.compare((builds["int8"] / "model.tflite").read_bytes(),
                         (builds["float32"] / "model.tflite").read_bytes(), inputs[:2])
    assert not any(s.per_tensor_weights for s in default.layers)  # effkit builds are per-channel


# --------------------------------------------------------------------------- build and report


@pytest.mark.slow
def test_build_writes_quant_report_and_effkit_report_charts_it(photo_dir, tmp_path):
    """`effkit build --quant-report`: quant_report.json beside the model (an artifact of the
    build), measured on the build's own calibration set; `effkit report` draws its chart."""
    from _lite0_builds import calibration_images

    calib = link_all(calibration_images(photo_dir), tmp_path / "cal")
    out = tmp_path / "b"
    result = cli("build", "--variant", "lite0", "--out", out, "--calibration", calib,
                 "--calibration-size", 8, "--quant-report", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert "quant_report.json" in {a["path"] for a in doc["artifacts"]}
    assert "quant-report" in doc["timings_s"]
    report = json.loads((out / "quant_report.json").read_text())
    assert set(report) == REPORT_KEYS and report["images"] == 8
    # of model.tflite as written (it held the digest of the model before its metadata), the
    # digest effkit report checks a quant_report.json against
    assert report["int8_sha256"] == hashlib.sha256((out / "model.tflite").read_bytes()).hexdigest()
    assert report["summary"]["output_cosine"] > 0.9  # a sane int8 model against its float self
    rep = cli("report", out, "--out", tmp_path / "rep")
    assert rep.exit_code == 0, rep.stderr
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "Per-layer SNR, int8 vs float: b" in page
    assert (tmp_path / "rep" / "quant_layers_0.png").stat().st_size > 10_000


def test_quant_report_needs_an_int8_build(tmp_path):
    result = cli("build", "--variant", "lite0", "--out", tmp_path / "b", "--quant", "float16",
                 "--quant-report")
    assert_one_line_error(result, "--quant-report", "--quant int8")
    assert not (tmp_path / "b").exists()


@pytest.mark.slow
def test_the_builds_network_loads_without_tensorflows_start_up_lines(tmp_path):
    """Without --data, a distilled build's report loads its network (TensorFlow): its
    C++ start-up lines (the oneDNN notice, absl's warning) stay off the user's stderr, as in
    build and train. A fresh process: TensorFlow prints them only on its first import."""
    import subprocess
    import sys

    code = ("from pathlib import Path\n"
            "from effkit.analysis.quant_report.inputs import BuildInfo\n"
            "BuildInfo(Path('.'), {'variant': 'lite0', 'weights': {}}).keras_model()\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "", run.stderr


def test_models_of_other_networks_or_outputs_are_refused(tmp_path):
    """An int8 model and a float one of another network (or another class count) gave an
    'output' figure that was an inner layer's and causes such as 'calibration range too
    narrow' (outside walk): they are refused in words."""
    import keras
    from helpers import tiny_keras_classifier

    from effkit.pipeline.convert import ConvertOptions, convert

    calib = np.random.default_rng(0).uniform(-1, 1, size=(8, 16, 16, 3)).astype(np.float32)

    def write(name: str, model, quant: str) -> Path:
        path = tmp_path / f"{name}.tflite"
        options = ConvertOptions(quant=quant, io="uint8") if quant == "int8" else ConvertOptions(quant=quant)
        path.write_bytes(convert(model, options, calib if quant == "int8" else None))
        return path

    int8 = write("int8", tiny_keras_classifier(5), "int8")
    inp = keras.Input((16, 16, 3), batch_size=1)
    x = keras.layers.Conv2D(8, 3, activation="relu")(inp)
    x = keras.layers.Conv2D(8, 3, activation="relu")(x)
    x = keras.layers.DepthwiseConv2D(3)(x)
    other = keras.Model(inp, keras.layers.Dense(5, activation="softmax")(keras.layers.Flatten()(x)))
    for float_model, words in ((write("three", tiny_keras_classifier(3), "float32"),
                                "the models give different outputs (5 and 3 scores)"),
                               (write("other", other, "float32"),
                                "they look like different networks")):
        with pytest.raises(qr.ModelFileError, match=re.escape(words)) as info:
            qr.compare(int8.read_bytes(), float_model.read_bytes(), calib)
        assert "float build of the same network" in info.value.hint
    same = write("same", tiny_keras_classifier(5), "float32")
    assert qr.compare(int8.read_bytes(), same.read_bytes(), calib).layers  # the same network
