"""effkit report: a self-contained page with the expected charts from real lite0 builds
measured by effkit eval/bench --save; escaping; stale results; a headless Chromium
screenshot shows the chart."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from _lite0_builds import copy_build, eval_images, lite0_builds
from helpers import assert_one_line_error, chromium_screenshot, colour_pixels, link_all
from typer.testing import CliRunner

from effkit.analysis.report.charts import CHART_TITLES, QUANT_COLORS
from effkit.analysis.report.collect import _tpu_counts, load_build
from effkit.cli.main import app
from effkit.errors import DataError

runner = CliRunner()
HOSTILE = 'lite0 <img src=x onerror="alert(1)"> & <b>int8'  # a folder name: no slash


def cli(*args: str):
    return runner.invoke(app, [*map(str, args)])




def test_not_a_build_folder(tmp_path):
    with pytest.raises(DataError, match="no build.json"):
        load_build(tmp_path)
    assert_one_line_error(cli("report", tmp_path, "--out", tmp_path / "r"), "not an effkit build folder")
    assert_one_line_error(cli("report", tmp_path / "missing", "--out", tmp_path / "r"), "not a folder")
    (tmp_path / "build.json").write_text("{broken")
    assert_one_line_error(cli("report", tmp_path, "--out", tmp_path / "r"), "build manifest",
                          "is damaged", "not JSON")
    assert not (tmp_path / "r").exists()


def test_report_over_a_glob_skips_folders_that_are_not_builds(tmp_path):
    """``effkit report build/*`` after ``pip install .``: build/lib and build/bdist.* (no
    build.json) are skipped with a note; only non-build folders is still an error."""
    build = tmp_path / "build"
    good = build / "lite0-cpu"
    good.mkdir(parents=True)
    (good / "build.json").write_text(json.dumps(
        {"variant": "lite0", "quantization": {"mode": "int8", "io": "uint8"}, "artifacts": []}))
    (build / "lib" / "effkit").mkdir(parents=True)
    (build / "bdist.linux-x86_64").mkdir()
    result = cli("report", *sorted(build.iterdir()), "--out", tmp_path / "r", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [Path(b["folder"]).name for b in doc["builds"]] == ["lite0-cpu"]
    assert doc["skipped"] == [str(build / "bdist.linux-x86_64"), str(build / "lib")]
    notes = result.stderr.splitlines()
    assert len([n for n in notes if n.startswith("note: skipped")]) == 2, result.stderr
    assert_one_line_error(cli("report", build / "lib", build / "bdist.linux-x86_64",
                              "--out", tmp_path / "r2"), "none of the 2 folders")
    assert_one_line_error(cli("report", build / "lib", "--out", tmp_path / "r2"),
                          "not an effkit build folder")
    assert not (tmp_path / "r2").exists()


def test_malformed_results_are_one_line_errors(tmp_path):
    (tmp_path / "build.json").write_text(json.dumps(
        {"variant": "lite0", "quantization": {"mode": "int8", "io": "uint8"}, "artifacts": []}))
    (tmp_path / "eval.json").write_text(json.dumps({"effkit_eval": 1, "model": {}, "top1": "high"}))
    assert_one_line_error(cli("report", tmp_path, "--out", tmp_path / "r"),
                          "is not an effkit eval result", "--force")
    (tmp_path / "eval.json").write_text("[1, 2]")
    assert_one_line_error(cli("report", tmp_path, "--out", tmp_path / "r"), "not a JSON object")
    (tmp_path / "eval.json").unlink()
    (tmp_path / "build.json").write_text(json.dumps({"variant": "lite0", "quantization": "int8"}))
    assert_one_line_error(cli("report", tmp_path, "--out", tmp_path / "r"), "lacks the variant")
    assert not (tmp_path / "r").exists()


def test_edgetpu_counts_come_from_the_compiler_log_when_compiled(edgetpu_logs):
    from effkit.edgetpu.logparse import parse_log_file

    log = parse_log_file(edgetpu_logs / "10-v15-all-mapped-show-operations.txt")
    counts = _tpu_counts({"compiled": True, "compile": {"report": log.to_dict()},
                          "check": {"ops_tpu": 1, "ops_cpu": 99}})
    assert counts == {"source": "edgetpu_compiler", "ops_tpu": log.ops_tpu, "ops_cpu": 0,
                      "on_chip_bytes": log.on_chip_used_bytes,
                      "off_chip_bytes": log.off_chip_used_bytes}
    predicted = _tpu_counts({"compiled": False, "check": {"ops_tpu": 60, "ops_cpu": 4,
                                                           "on_chip_bytes": 2**20,
                                                           "off_chip_bytes": 0}})
    assert (predicted["ops_cpu"], predicted["on_chip_bytes"]) == (4, 2**20)
    assert _tpu_counts(None) is None


def test_a_drop_is_shown_only_between_evaluations_of_the_same_photos():
    """Float evaluated on 20 photos, int8 on 100 others: no '(-1.0)' drop between them."""
    from effkit.analysis.report.charts import same_images
    from effkit.analysis.report.collect import BuildEntry

    def entry(quant: str, **ev) -> BuildEntry:
        return BuildEntry(Path(quant), "lite0", quant, "uint8", "cpu", "pth", 1, eval=ev)

    a, b = entry("int8", images_sha256="a" * 64), entry("float32", images_sha256="b" * 64)
    assert not same_images(a, b) and same_images(a, entry("float32", images_sha256="a" * 64))
    # results saved before the digest: the folder as given and the count decide
    assert same_images(entry("int8", data="photos", images=20), entry("float32", data="photos", images=20))
    assert not same_images(entry("int8", data="sub20", images=20), entry("float32", data="p", images=100))


def test_two_builds_of_one_variant_and_quantization_are_both_drawn():
    """An engineer comparing two int8 lite0 builds (bias correction on and off): the latency
    and float-vs-int8 charts kept only the first (an outside walk), and the accuracy chart
    drew one line through both, each labelled 'lite0'. Each build is its own bar, named by
    its folder; two points of one variant and quantization get no line."""
    from effkit.analysis.report.charts import (
        accuracy_latency_figure,
        latency_figure,
        quant_drop_figure,
    )
    from effkit.analysis.report.collect import BuildEntry

    def entry(name: str, quant: str, top1: float, p50: float) -> BuildEntry:
        return BuildEntry(Path(name), "lite0", quant, "uint8", "cpu", "pth", 1,
                          eval={"top1": top1, "top5": 0.97, "images_sha256": "a" * 64, "count": 20},
                          bench={"latency": {"p50": p50, "p90": p50 * 1.1, "p99": p50 * 1.2}, "threads": 2})

    entries = [entry("b0", "int8", 0.90, 3.8), entry("b1", "int8", 0.88, 2.3),
               entry("f0", "float32", 0.89, 6.2)]
    from effkit.core.native_log import import_matplotlib

    import_matplotlib()
    names = ["b0 (lite0 int8)", "b1 (lite0 int8)", "f0 (lite0 float32)"]
    for figure, order in ((latency_figure(entries), names),
                          (quant_drop_figure(entries), names[2:] + names[:2])):
        (ax,) = figure.axes
        assert len(ax.patches) == 3  # one bar per build (float32 first where it is the reference)
        assert [t.get_text() for t in ax.get_yticklabels()] == order
    (ax,) = quant_drop_figure(entries).axes
    assert [t.get_text() for t in ax.texts] == ["89.0", "90.0 (+1.0 vs f0)", "88.0 (-1.0 vs f0)"]
    (ax,) = accuracy_latency_figure(entries).axes
    int8_line = next(line for line in ax.lines if line.get_label() == "int8")
    assert int8_line.get_linestyle() == "None" and len(int8_line.get_xdata()) == 2
    assert sorted(t.get_text() for t in ax.texts) == ["b0", "b1", "lite0"]


def test_latencies_from_other_machines_or_thread_counts_are_warned_of():
    """A Pi's bench.json beside an x86 one: the page said 'measured on' the first build's
    machine for all and put 3.8 ms beside 45 ms silently (an outside walk)."""
    from effkit.analysis.report.collect import BuildEntry
    from effkit.analysis.report.page import comparison_warnings, render_html

    def entry(name: str, cpu: str, cores: int, threads: int | None) -> BuildEntry:
        return BuildEntry(Path(name), "lite0", "int8", "uint8", "cpu", "pth", 1,
                          bench={"latency": {"p50": 3.8, "p90": 4.0, "p99": 4.2}, "threads": threads,
                                 "machine": {"cpu": cpu, "cores": cores}})

    same = [entry("a", "Xeon", 2, None), entry("b", "Xeon", 2, None)]
    assert comparison_warnings(same) == []
    mixed = [entry("a", "Xeon", 2, None), entry("pi", "Cortex-A72 (Raspberry Pi 4)", 4, 2)]
    assert comparison_warnings(mixed) == [
        "the latencies were measured on different machines (Xeon (2 cores): a; Cortex-A72 (Raspberry "
        "Pi 4) (4 cores): pi): compare them with care",
        "the latencies were measured on different thread counts (LiteRT default threads: a; 2 threads: "
        "pi): compare them with care"]
    page = render_html(mixed, {}, generated="now")
    assert "measured on Xeon" not in page and "different machines" in page
    assert "measured on Xeon (2 cores)" in render_html(same, {}, generated="now")


# --------------------------------------------------------------------------- real builds


@pytest.fixture(scope="module")
def measured(tmp_path_factory, photo_dir) -> dict[str, Path]:
    """Private copies of the int8 and float32 lite0 builds, each measured with
    'effkit eval --save' and 'effkit bench --save', plus a Coral-style copy whose
    manifest carries effkit's real Edge TPU check of the int8 model."""
    from effkit.edgetpu.check import check_model

    builds = lite0_builds(tmp_path_factory, photo_dir)
    root = tmp_path_factory.mktemp("measured")
    data = link_all(eval_images(photo_dir, 12), root / "images")
    out = {"int8": copy_build(builds["int8"], root / HOSTILE),
           "float32": copy_build(builds["float32"], root / "lite0-float32")}
    for folder in out.values():
        model = folder / "model.tflite"
        for args in (("eval", model, "--data", data, "--save"),
                     ("bench", model, "--runs", 5, "--warmup", 1, "--save")):
            result = cli(*args)
            assert result.exit_code == 0, result.stderr
    coral = copy_build(builds["int8"], root / "lite0-coral")
    doc = json.loads((coral / "build.json").read_text())
    report = check_model((coral / "model.tflite").read_bytes())
    doc.update(target="coral", edgetpu={"check": report.to_dict(), "compiled": False,
                                         "status": "not compiled (--skip-compile)"})
    (coral / "build.json").write_text(json.dumps(doc))
    out["coral"] = coral
    return out


@pytest.fixture(scope="module")
def report_dir(measured, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report"
    result = cli("report", *measured.values(), "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["out_dir"] == str(out)
    return out


def page_images(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', page)]


def png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"), dtype=np.float32)


@pytest.mark.slow
def test_report_writes_a_self_contained_page_with_every_chart(report_dir):
    names = sorted(p.name for p in report_dir.iterdir())
    charts = sorted(f"{k}.png" for k in CHART_TITLES)
    assert names == sorted(["index.html", "report.json", *charts])
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    for title in CHART_TITLES.values():
        assert f"<h2>{html.escape(title)}</h2>" in page
    embedded = page_images(page)
    assert len(embedded) == len(CHART_TITLES)
    assert sorted(embedded) == sorted((report_dir / c).read_bytes() for c in charts)
    for data in embedded:
        px = png_pixels(data)
        assert px.shape[0] > 200 and px.shape[1] > 500 and px.std() > 10  # drawn, not blank
    # No external assets: nothing is fetched when the page opens.
    assert not re.search(r'(src|href)="(?!data:)', page)
    assert "<script" not in page and "<link" not in page and "url(" not in page
    # the table names each build's target, and an uncompiled coral build's TPU ops as predicted
    assert "<th>target</th>" in page and "<td>coral</td>" in page and " (predicted)</td>" in page


@pytest.mark.slow
def test_report_figures_match_the_saved_results(report_dir, measured):
    doc = json.loads((report_dir / "report.json").read_text())
    rows = {Path(b["folder"]).name: b for b in doc["builds"]}
    for key, folder in measured.items():
        row = rows[folder.name]
        if key == "coral":
            assert row["top1"] is None and row["edgetpu"]["source"].startswith("predicted")
            assert row["edgetpu"]["ops_tpu"] + row["edgetpu"]["ops_cpu"] > 50
            continue
        saved_eval = json.loads((folder / "eval.json").read_text())
        saved_bench = json.loads((folder / "bench.json").read_text())
        assert row["top1"] == saved_eval["top1"] and row["eval_images"] == 12
        assert row["latency_ms"] == saved_bench["latency"]
        built = json.loads((folder / "build.json").read_text()).get("warnings", [])  # few images
        assert row["quantization"] == key and row["warnings"] == [f"the build warned: {w}" for w in built]
    assert doc["missing_charts"] == {}


@pytest.mark.slow
def test_user_strings_are_escaped(report_dir):
    page = (report_dir / "index.html").read_text(encoding="utf-8")
    assert HOSTILE not in page and "<b>" not in page and "<img src=x" not in page
    # Jinja's autoescape (markupsafe) writes a double quote as &#34; where html.escape has &quot;
    assert html.escape(HOSTILE, quote=True).replace("&quot;", "&#34;") in page


@pytest.mark.slow
def test_stale_and_random_weight_results(measured, tmp_path):
    stale = copy_build(measured["float32"], tmp_path / "stale")
    doc = json.loads((stale / "eval.json").read_text())
    doc["model"]["sha256"] = "0" * 64  # measured on another model file
    (stale / "eval.json").write_text(json.dumps(doc))
    entry = load_build(stale)
    assert entry.eval is None and entry.bench is not None
    assert any("another model file" in w and "--save --force' again" in w for w in entry.warnings)

    # model.tflite swapped after the build, then measured: measuring again cannot match the
    # build's digest, so the fix is to build again (it said '--save --force' again: a loop)
    swapped = copy_build(measured["float32"], tmp_path / "swapped")
    other = (measured["int8"] / "model.tflite").read_bytes()
    (swapped / "model.tflite").write_bytes(other)
    doc = json.loads((swapped / "eval.json").read_text())
    doc["model"]["sha256"] = hashlib.sha256(other).hexdigest()  # eval --save --force on it
    (swapped / "eval.json").write_text(json.dumps(doc))
    entry = load_build(swapped)
    assert entry.eval is None
    assert any("another model file" in w and "build the folder again with 'effkit build'" in w
               for w in entry.warnings), entry.warnings

    rand = copy_build(measured["float32"], tmp_path / "random")
    doc = json.loads((rand / "build.json").read_text())
    doc["weights"] = {"kind": "random", "path": None, "description": "random initialization"}
    (rand / "build.json").write_text(json.dumps(doc))
    entry = load_build(rand)
    assert entry.top1 is None and entry.p50 is not None and "random" in entry.label

    # what the build itself warned of is in the report too (its list was [] beside a
    # build.json saying "calibrated on only 27 images": an outside walk)
    few = copy_build(measured["float32"], tmp_path / "few")
    doc = json.loads((few / "build.json").read_text())
    doc["warnings"] = ["int8 calibrated on only 27 images from the --calibration folder"]
    (few / "build.json").write_text(json.dumps(doc))
    assert load_build(few).warnings == (
        "the build warned: int8 calibrated on only 27 images from the --calibration folder",)

    # a build whose model.tflite is gone or was cut short is named, not charted silently
    gone = copy_build(measured["float32"], tmp_path / "gone")
    cut = copy_build(measured["float32"], tmp_path / "cut")
    (gone / "model.tflite").unlink()
    (cut / "model.tflite").write_bytes((cut / "model.tflite").read_bytes()[:1000])
    assert any("model.tflite is missing" in w for w in load_build(gone).warnings)
    assert any("differs from the one build.json lists" in w for w in load_build(cut).warnings)

    out = tmp_path / "r"
    result = cli("report", stale, rand, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "another model file" in result.stdout
    page = (out / "index.html").read_text()
    assert "No chart: needs builds with real weights" in page  # no accuracy to plot
    assert len(page_images(page)) == 2  # latency and build time
    # The output folder is never replaced without --force.
    assert_one_line_error(cli("report", stale, "--out", out), "not empty", "--force")
    assert cli("report", stale, "--out", out, "--force").exit_code == 0


def test_results_measured_without_xnnpack_are_flagged(measured, photo_dir, tmp_path):
    """Reference kernels are several times slower and round int8 otherwise: a report
    that mixes them with XNNPACK results says so for each such result."""
    assert not any("reference kernels" in w for w in load_build(measured["int8"]).warnings)
    slow = copy_build(measured["int8"], tmp_path / "slow")
    data = link_all(eval_images(photo_dir, 2), tmp_path / "images")
    for args in (("eval", "--data", data), ("bench", "--runs", 2, "--warmup", 1)):
        result = cli(args[0], slow / "model.tflite", *args[1:], "--no-xnnpack", "--save", "--force")
        assert result.exit_code == 0, result.stderr
    notes = [w for w in load_build(slow).warnings if "reference kernels" in w]
    assert [n.split()[0] for n in notes] == ["eval.json", "bench.json"]
    result = cli("report", measured["int8"], slow, "--out", tmp_path / "r")
    assert result.exit_code == 0 and "reference kernels" in " ".join(result.stdout.split())


@pytest.mark.slow
def test_chromium_screenshot_shows_the_chart(report_dir, tmp_path):
    px = chromium_screenshot(report_dir / "index.html", tmp_path, 1200, 1600)
    assert px.shape[:2] == (1600, 1200)
    assert px.std() > 20  # not a blank page
    # The accuracy-vs-latency chart sits below the table: its int8 line colour is on screen.
    close = colour_pixels(px, QUANT_COLORS["int8"])
    assert close > 500, f"only {close} chart-coloured pixels in the screenshot"


def test_charts_are_drawn_quietly_without_a_writable_home(tmp_path):
    """A read-only HOME (a CI job's) made matplotlib print two lines about its config
    folder on every report; it works from a temporary folder, so effkit keeps them off."""
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    home.write_text("a file: no folder can be made under it")
    env = {k: v for k, v in os.environ.items()
           if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")} | {"HOME": str(home)}
    code = ("from effkit.core.native_log import import_matplotlib\n"
            "import_matplotlib()\n"
            "from matplotlib.figure import Figure\n"
            f"Figure().savefig({str(tmp_path / 'x.png')!r})\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert (tmp_path / "x.png").stat().st_size > 0


def test_a_quant_report_of_another_model_is_left_out(measured, tmp_path):
    """quant_report.json copied from another build was drawn as this build's (an outside
    walk); eval.json and bench.json were already checked against the model's digest."""
    from effkit.core.manifest import Manifest

    folder = copy_build(measured["int8"], tmp_path / "q")
    sha = Manifest.read(folder).artifact("model.tflite").sha256
    (folder / "quant_report.json").write_text(json.dumps({"effkit_quant_report": 1, "int8_sha256": "0" * 64}))
    entry = load_build(folder)
    assert entry.quant_report is None
    assert any(w.startswith("quant_report.json was made from another model file") for w in entry.warnings)
    (folder / "quant_report.json").write_text(json.dumps({"effkit_quant_report": 1, "int8_sha256": sha}))
    assert load_build(folder).quant_report == {"effkit_quant_report": 1, "int8_sha256": sha}


def test_builds_of_one_folder_name_are_named_apart():
    """Two 'effkit train' runs both build OUT/lite0-cpu: the report's table, charts and notes
    named both 'lite0-cpu' (the review); long names were cut at their end, where
    '...-bias-correction-on' and '-off' differ."""
    from effkit.analysis.report.charts import _short
    from effkit.analysis.report.collect import BuildEntry, named_apart

    def entry(folder: str) -> BuildEntry:
        return BuildEntry(Path(folder), "lite0", "int8", "uint8", "cpu", "pth", 1)

    named = named_apart([entry("/runs/a/lite0-cpu"), entry("/runs/b/lite0-cpu"), entry("/x/f0")])
    assert [e.name for e in named] == ["a/lite0-cpu", "b/lite0-cpu", "f0"]
    on, off = _short("lite0-int8-bias-correction-on"), _short("lite0-int8-bias-correction-off")
    assert on != off and len(on) == len(off) == 24 and on.endswith("-on")
