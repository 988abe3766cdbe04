"""The parameter-memory estimate against every shared compiler log that prints memory figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from effkit.edgetpu.logparse import parse_log_file
from effkit.edgetpu.memory import MiB, from_parameter_bytes

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "edgetpu_memory.py"


def _bench():
    """The benchmark script as a module (it imports benchmarks/shared_data.py, as a script
    run from its folder does)."""
    import sys

    sys.path.insert(0, str(BENCH.parent))
    try:
        spec = importlib.util.spec_from_file_location("edgetpu_memory_bench", BENCH)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(BENCH.parent))
    return mod


def test_estimate_against_every_log_with_memory(edgetpu_logs: Path):
    with_memory = {p.name[:2] for p in edgetpu_logs.iterdir()
                   if any(m.on_chip_used_bytes is not None for m in parse_log_file(p).models)}
    assert with_memory == {"01", "02", "08", "09", "10", "20", "22"}
    table = _bench().rows(edgetpu_logs)
    assert {r["log"] for r in table} == with_memory - {"02"}  # 02: 2 of 36 ops map
    assert len(table) == 7
    for r in table:  # the error stated in effkit/edgetpu/memory.py
        assert abs(r["total_error"]) <= 0.108, r
    assert sum(r["streams"] == r["est_streams"] for r in table) == 5
    worst = max(abs(r["est_off_chip"] - r["off_chip"]) for r in table)
    assert round(worst / MiB, 2) == 1.43


def test_capacity_is_the_median_of_the_logs(edgetpu_logs: Path):
    caps = []
    for p in sorted(edgetpu_logs.iterdir()):
        report = parse_log_file(p)
        for m in report.models:
            if report.co_compiled or m.on_chip_used_bytes is None:
                continue
            if m.on_chip_available_bytes is not None:
                caps.append(m.on_chip_available_bytes)
            elif m.on_chip_remaining_bytes:
                caps.append(m.on_chip_used_bytes + m.on_chip_remaining_bytes)
    caps.sort()
    assert len(caps) == 5
    assert from_parameter_bytes(10**9).on_chip_bytes == caps[len(caps) // 2]


def test_a_coral_build_warns_when_parameters_stream():
    """build.json's warnings (printed at the end of the build) carry the streaming warning:
    the compiler's own off-chip figure when it ran, else the check's estimate."""
    from effkit.pipeline.build import _streaming_warnings

    estimated = {"compiled": False, "check": {"parameter_memory": {
        "streams": True, "off_chip_bytes": 6 * 1024**2, "capacity_bytes": 8 * 1024**2}}}
    (line,) = _streaming_warnings(estimated)
    assert line.startswith("about 6.00 MiB of parameters do not fit the Edge TPU's 8.00 MiB")
    assert "will stream from host memory" in line and "--num-segments N" in line
    compiled = {"compiled": True, "compile": {"report": {"off_chip_used_bytes": 1024**2}},
                "check": estimated["check"]}  # the compiler's figure wins over the estimate
    (line,) = _streaming_warnings(compiled)
    assert line.startswith("1.00 MiB of parameters") and "and stream from host memory" in line
    assert _streaming_warnings({"compiled": True, "compile": {"report": {"off_chip_used_bytes": 0}}}) == ()
    assert _streaming_warnings({"compiled": False, "check": {"parameter_memory": {"streams": False}}}) == ()
    # a build folder takes no --num-segments above 1 (its app runs one model on one Edge
    # TPU): the build's warning names the compile of its model file, in an app of one's own
    (line,) = _streaming_warnings(estimated, Path("build/lite4-coral/model.tflite"))
    assert ("in an app of your own: effkit compile-edgetpu build/lite4-coral/model.tflite "
            "--num-segments N (effkit's Coral app runs one model on one Edge TPU)") in line, line
    (line,) = _streaming_warnings(estimated, Path("my out/model.tflite"))  # quoted to paste
    assert "effkit compile-edgetpu 'my out/model.tflite' --num-segments N" in line, line


def test_the_streaming_advice_does_not_offer_co_compiling(edgetpu_logs: Path):
    """Co-compiled models split one cache (log 09: the two models' on-chip shares, 2.27 and
    2.00 MiB, with the 1.07 MiB both report remaining, fit in the one cache): co-compiling
    cannot keep a model that is too big on chip, so the warning offers segments over several
    Edge TPUs or a smaller model, and says co-compiling cannot help."""
    from effkit.edgetpu.memory import ON_CHIP_CAPACITY_BYTES

    (co,) = [p for p in edgetpu_logs.iterdir() if p.name.startswith("09-")]
    report = parse_log_file(co)
    assert report.co_compiled and len(report.models) == 2
    (left,) = {m.on_chip_remaining_bytes for m in report.models}  # one cache, one remainder
    assert report.on_chip_used_bytes + left <= ON_CHIP_CAPACITY_BYTES
    warning = from_parameter_bytes(13_000_000).warning()
    assert "--num-segments N" in warning and "smaller variant" in warning
    assert "co-compiling it with other models cannot help" in warning
    assert "A.tflite B.tflite" not in warning and "so they share the cache" not in warning
