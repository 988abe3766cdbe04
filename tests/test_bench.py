"""effkit bench: sane latency/memory figures from a fresh process, --vs ratio, bad input."""

from __future__ import annotations

import gc
import json
import warnings
from pathlib import Path

import pytest
from _lite0_builds import copy_build, lite0_builds
from helpers import assert_one_line_error, assert_progress_lines
from typer.testing import CliRunner

from effkit.analysis.bench import Latency, bench_model
from effkit.cli.main import app
from effkit.errors import UsageError

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["bench", *map(str, args)])




def test_percentiles():
    lat = Latency.from_ms([float(v) for v in range(1, 101)])
    assert (lat.runs, lat.min, lat.max, lat.mean) == (100, 1.0, 100.0, 50.5)
    assert lat.p50 == pytest.approx(50.5) and lat.p90 == pytest.approx(90.1)
    assert lat.p99 == pytest.approx(99.01)


def test_bad_input_is_one_line(tmp_path):
    assert_one_line_error(run(tmp_path / "none.tflite"), "does not exist")
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"\0" * 64)
    assert_one_line_error(run(junk), "TFL3")
    assert_one_line_error(run(junk, "--runs", 0), "--runs")
    assert_one_line_error(run(junk, "--threads", 0), "--threads")
    with pytest.raises(UsageError, match="--warmup must be at least 0"):
        bench_model(junk, warmup=-1)


@pytest.fixture(scope="module")
def builds(tmp_path_factory, photo_dir) -> dict[str, Path]:
    return lite0_builds(tmp_path_factory, photo_dir)


@pytest.mark.slow
def test_bench_gives_sane_numbers(builds):
    model = builds["int8"] / "model.tflite"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        r = bench_model(model, runs=20, warmup=3, threads=1)
        gc.collect()
    # the child's stdout pipe is closed (a library caller with warnings on saw it unclosed)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    lat = r.latency
    assert lat.runs == 20
    assert 0 < lat.min <= lat.p50 <= lat.p90 <= lat.p99 <= lat.max < 5000
    assert r.size_bytes == model.stat().st_size
    # Measured in a fresh process: the interpreter's arena and weights add to the imports.
    assert 20 < r.baseline_rss_mb < r.peak_rss_mb < 2000
    assert r.load_ms > 0 and r.threads == 1 and r.xnnpack


@pytest.mark.slow
def test_vs_interleaves_and_gives_the_ratio(builds):
    int8, f32 = builds["int8"] / "model.tflite", builds["float32"] / "model.tflite"
    result = run(int8, "--vs", f32, "--runs", 10, "--warmup", 2, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["interleaved"] is True
    a, b = doc["model"], doc["other"]
    assert a["model"]["path"] == str(int8) and b["model"]["path"] == str(f32)
    assert a["latency"]["runs"] == b["latency"]["runs"] == 10
    assert doc["ratio_p50"] == pytest.approx(b["latency"]["p50"] / a["latency"]["p50"], rel=1e-3)
    assert b["size_bytes"] > 3 * a["size_bytes"]  # float32 weights: 4 bytes instead of 1
    assert b["peak_rss_mb"] > a["peak_rss_mb"]
    assert a["vs"] == {"model": b["model"], "interleaved": True, "ratio_p50": doc["ratio_p50"],
                       "ratio_p90": doc["ratio_p90"]}
    text = run(int8, "--vs", f32, "--runs", 4, "--warmup", 1)
    assert text.exit_code == 0 and "ratio" in text.stdout
    # the API's document is the command's: the same shape, the same file records
    import effkit

    api = effkit.benchmark(int8, vs=f32, runs=2, warmup=1).to_dict()

    def shape(value):
        return {k: shape(v) for k, v in value.items()} if isinstance(value, dict) else type(value)

    assert shape(api) == shape(doc)
    assert api["model"]["model"] == a["model"] and api["other"]["model"] == b["model"]


@pytest.mark.slow
def test_no_xnnpack_and_save(builds, tmp_path):
    build = copy_build(builds["int8"], tmp_path / "b")
    model = build / "model.tflite"
    result = run(model, "--runs", 3, "--warmup", 1, "--no-xnnpack", "--threads", 2, "--save", "--json")
    assert result.exit_code == 0, result.stderr
    assert_progress_lines(result.stderr, "Benchmarking")  # stderr is not a terminal here
    saved = json.loads((build / "bench.json").read_text())
    assert saved["effkit_bench"] == 1 and saved["xnnpack"] is False and saved["threads"] == 2
    assert saved["model"]["sha256"] == json.loads((build / "build.json").read_text())[
        "artifacts"][0]["sha256"]
    assert saved["machine"]["cores"] >= 1
    assert_one_line_error(run(model, "--runs", 3, "--save"), "already exists", "--force")


def test_a_model_of_int32_ids_is_timed(tmp_path):
    """An int32 input of ids (an Embedding's Gather) was filled with random int32 values:
    'gather index out of bounds' and the hint to run it again, every time (outside walk)."""
    import keras
    import tensorflow as tf

    ids = keras.Input((8,), batch_size=1, dtype="int32")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(50, 4)(ids))
    model = tmp_path / "ids.tflite"
    model.write_bytes(tf.lite.TFLiteConverter.from_keras_model(
        keras.Model(ids, keras.layers.Dense(3)(pooled))).convert())
    result = runner.invoke(app, ["bench", str(model), "--runs", "3", "--warmup", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["latency"]["runs"] == 3
