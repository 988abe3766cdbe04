"""The edgetpu_compiler log parser, on the 21 real logs in tests/data/edgetpu-logs/.

One test per file asserts what that file says (see SOURCES.md there); no log
text is made up here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from effkit.edgetpu.logmodel import STATUS_MAPPED, OperatorRow, parse_size, parse_version
from effkit.edgetpu.logparse import parse_log, parse_log_file

OTHERWISE = "Operation is otherwise supported, but not mapped due to some unspecified limitation"
SUBGRAPH = "More than one subgraph is not supported"
DATA_TYPE = "Operation is working on an unsupported data type"
V16, V15, V14 = "16.0.384591198", "15.0.340273435", "14.1.317412892"
MiB, KiB = 1024**2, 1024


@pytest.fixture(scope="module")
def log(edgetpu_logs: Path):
    def parse(prefix: str):
        (path,) = [p for p in edgetpu_logs.iterdir() if p.name.startswith(prefix + "-")]
        return parse_log_file(path)
    return parse


def rows(model) -> list[tuple[str, int, str]]:
    return [(r.operator, r.count, r.status) for r in model.operators]


def test_every_log_parses(edgetpu_logs: Path):
    files = sorted(p for p in edgetpu_logs.iterdir() if p.suffix in (".txt", ".log"))
    assert len(files) == 21
    for path in files:
        report = parse_log_file(path)
        assert report.compiler_version is not None, path.name
        report.to_dict()  # serializable view never fails either


def test_01_v16_cpu_ops_two_subgraphs(log):
    r = log("01")
    assert (r.compiler_version, r.status, r.source) == (V16, "succeeded", "console")
    assert r.command == "edgetpu_compiler -sa yolov5s-int8-224.tflite"  # CRLF file
    assert (r.compile_time_ms, r.timeout_s) == (3173, 180)
    (m,) = r.models
    assert (m.input_model, m.output_model) == ("yolov5s-int8-224.tflite",
                                               "yolov5s-int8-224_edgetpu.tflite")
    assert (m.ops_total, m.ops_tpu, m.ops_cpu, m.subgraphs) == (294, 289, 5, 2)
    assert m.on_chip_used_bytes == round(6.08 * MiB)
    assert m.on_chip_remaining_bytes == 0
    assert m.off_chip_used_bytes == round(1.70 * MiB)
    assert (m.input_size_bytes, m.output_size_bytes) == (round(7.37 * MiB), round(8.34 * MiB))
    assert m.operation_log == "yolov5s-int8-224_edgetpu.log"
    assert len(m.operators) == 17
    assert rows(m)[:3] == [("RESIZE_NEAREST_NEIGHBOR", 2, STATUS_MAPPED),
                           ("CONCATENATION", 1, OTHERWISE), ("CONCATENATION", 17, STATUS_MAPPED)]
    assert rows(m)[-1] == ("CONV_2D", 62, STATUS_MAPPED)
    assert sum(x.count for x in m.operators) == 294
    assert sum(x.count for x in m.operators if not x.mapped) == 5
    assert m.all_mapped is False and r.failure_kind is None


def test_02_v15_mostly_cpu(log):
    r = log("02")
    assert (r.compiler_version, r.status, r.compile_time_ms) == (V15, "succeeded", 577)
    assert r.command == "> ./compile_edgetpu.sh yolo/yolov3-tiny_int8.tflite"
    (m,) = r.models
    assert (m.ops_total, m.ops_tpu, m.ops_cpu, m.subgraphs) == (36, 2, 34, 1)
    assert m.on_chip_used_bytes == 3 * KiB
    assert m.on_chip_remaining_bytes == round(7.67 * MiB)
    assert m.off_chip_used_bytes == 0
    assert m.input_model == "/home/yolo/yolov3-tiny_int8.tflite"
    assert rows(m) == [
        ("MAX_POOL_2D", 6, SUBGRAPH), ("QUANTIZE", 2, OTHERWISE), ("QUANTIZE", 1, STATUS_MAPPED),
        ("QUANTIZE", 1, SUBGRAPH), ("CONV_2D", 1, STATUS_MAPPED), ("CONV_2D", 12, SUBGRAPH),
        ("RESIZE_NEAREST_NEIGHBOR", 1, "Operation version not supported"),
        ("LEAKY_RELU", 11, "Operation not supported"), ("CONCATENATION", 1, SUBGRAPH)]
    assert sum(x.count for x in m.operators if x.mapped) == 2


def test_04_v16_unresolved_custom_op(log):
    r = log("04")
    assert (r.compiler_version, r.status, r.failure_kind) == (V16, "failed", "tflite-interpreter")
    assert r.failure_reason == ("Model failed in Tflite interpreter. Please ensure model can be "
                                "loaded/run in Tflite interpreter.")
    assert r.errors == ("Encountered unresolved custom op: Atan.",
                        "Node number 1 (Atan) failed to prepare.")
    assert r.models == () and r.timeout_s == 180 and r.failure_hint


def test_05_v15_internal_compiler_error(log):
    r = log("05")
    assert (r.compiler_version, r.status) == (V15, "failed")
    assert r.failure_kind == "internal-compiler-error"
    assert r.failure_reason == "Internal compiler error. Aborting!"
    assert r.command == "$ edgetpu_compiler internal_err.tflite"
    assert r.errors == () and r.models == ()


def test_06_v14_not_quantized(log):
    r = log("06")
    assert (r.compiler_version, r.status, r.failure_kind) == (V14, "failed", "not-quantized")
    assert r.failure_reason == "Model not quantized"
    assert "full-integer" in r.failure_hint


def test_07_v15_not_quantized(log):
    r = log("07")
    assert (r.compiler_version, r.status, r.failure_kind) == (V15, "failed", "not-quantized")
    assert r.failure_reason == "Model not quantized"


def test_08_v16_num_segments_second_fails(log):
    r = log("08")
    assert r.compiler_version == V16
    (seg0,) = r.models
    assert seg0.segment == (0, 2)
    assert seg0.input_model == "efficientdet_lite3_512_ptq_segment_0_of_2.tflite"
    assert (seg0.ops_total, seg0.ops_tpu, seg0.ops_cpu) == (84, 84, 0)  # no "not all" paragraph
    assert seg0.on_chip_used_bytes == round(6.02 * MiB)
    assert seg0.on_chip_remaining_bytes == round(1.02 * MiB)
    assert r.compile_time_ms == 1857
    # segment 1 starts a second compilation that reports an error: the run failed
    assert r.status == "failed"
    assert r.errors == ("Restored original execution plan after delegate application failure.",)
    assert r.failure_reason == r.errors[0]
    assert len(r.segments) == 1 and not r.co_compiled


def test_09_v16_cocompiled_two_models(log):
    r = log("09")
    assert (r.compiler_version, r.status, r.compile_time_ms) == (V16, "succeeded", 524)
    assert r.co_compiled
    first, second = r.models
    assert (first.input_model, first.output_model) == ("temp_models/1.tflite",
                                                       "temp_models/co-compiled/2/1_edgetpu.tflite")
    assert (first.ops_total, first.ops_tpu, first.ops_cpu) == (57, 57, 0)
    assert first.on_chip_used_bytes == round(2.27 * MiB)
    assert second.input_model == "temp_models/2.tflite"
    assert second.ops_total == 6 and second.on_chip_used_bytes == 2 * MiB
    assert second.operation_log == "temp_models/co-compiled/2/2_edgetpu.log"
    # the excerpt stops right after "Operation log:": the mapping of model 2 is not shown
    assert second.ops_tpu is None and r.ops_tpu is None
    assert r.ops_total == 63 and r.subgraphs == 2


def test_10_v15_all_mapped_show_operations(log):
    r = log("10")
    assert (r.compiler_version, r.status, r.compile_time_ms) == (V15, "succeeded", 128)
    assert r.timeout_s is None  # compiler 15 has no timeout timer
    (m,) = r.models
    assert (m.ops_total, m.ops_tpu, m.ops_cpu, m.subgraphs) == (15, 15, 0, 1)
    assert m.on_chip_used_bytes == round(85.75 * KiB)
    assert m.off_chip_used_bytes == round(5.50 * KiB)
    assert rows(m) == [("SOFTMAX", 1, STATUS_MAPPED), ("FULLY_CONNECTED", 2, STATUS_MAPPED),
                       ("ADD", 4, STATUS_MAPPED), ("MUL", 4, STATUS_MAPPED),
                       ("CONV_2D", 4, STATUS_MAPPED)]
    assert m.all_mapped is True


def test_custom_op_names_keep_the_whole_table(edgetpu_logs: Path):
    """Log 10 with two rows renamed as custom ops may be named: a dot and a hyphen, and a
    space between padded columns. Every row stays, in order (a rejected row ended the
    table and dropped the rows after it without a word)."""
    text = next(edgetpu_logs.glob("10-*")).read_text(encoding="utf-8")
    text = text.replace("\nMUL                            4 ", "\nMy-Custom.Op                   4 ")
    text = text.replace("\nADD                            4 ", "\nSOFT MAX                       4 ")
    (m,) = parse_log(text).models
    assert rows(m) == [("SOFTMAX", 1, STATUS_MAPPED), ("FULLY_CONNECTED", 2, STATUS_MAPPED),
                       ("SOFT MAX", 4, STATUS_MAPPED), ("My-Custom.Op", 4, STATUS_MAPPED),
                       ("CONV_2D", 4, STATUS_MAPPED)]


def test_11a_v16_oplog_efficientnet(log):
    r = log("11a")
    assert (r.source, r.compiler_version, r.status) == ("operation-log", V16, "unknown")
    (m,) = r.models
    assert m.input_model == "test/model/efficientnet-edgetpu-M_quant.tflite"
    assert m.output_model == "test/model/compiled/efficientnet-edgetpu-M_quant_edgetpu.tflite"
    assert rows(m) == [("FULLY_CONNECTED", 1, STATUS_MAPPED),
                       ("DEPTHWISE_CONV_2D", 14, STATUS_MAPPED), ("CONV_2D", 50, STATUS_MAPPED),
                       ("QUANTIZE", 2, STATUS_MAPPED), ("SOFTMAX", 1, STATUS_MAPPED),
                       ("MEAN", 1, STATUS_MAPPED), ("ADD", 17, STATUS_MAPPED)]
    assert (m.ops_total, m.ops_tpu, m.ops_cpu) == (86, 86, 0)


def test_11b_v16_oplog_mobilenet(log):
    r = log("11b")
    (m,) = r.models
    assert r.compiler_version == V16
    assert m.input_model == "test/model/mobilenet_v2_1.0_224_inat_bird_quant.tflite"
    assert (m.ops_total, m.ops_tpu) == (65, 65)
    assert ("AVERAGE_POOL_2D", 1, STATUS_MAPPED) in rows(m)
    assert ("DEPTHWISE_CONV_2D", 17, STATUS_MAPPED) in rows(m)


def test_11c_v16_oplog_dummy(log):
    r = log("11c")
    (m,) = r.models
    assert m.output_model == "test/model/compiled/dummy_edgetpu.tflite"
    assert rows(m) == [("QUANTIZE", 2, STATUS_MAPPED), ("DEPTHWISE_CONV_2D", 1, STATUS_MAPPED)]
    assert (m.ops_total, m.ops_tpu, m.ops_cpu) == (3, 3, 0)


def test_12_v15_oplog_unmapped(log):
    r = log("12")
    assert r.compiler_version == V15
    (m,) = r.models
    assert ("QUANTIZE", 1, OTHERWISE) in rows(m)
    assert ("DEQUANTIZE", 1, DATA_TYPE) in rows(m)
    assert (m.ops_total, m.ops_tpu, m.ops_cpu) == (10, 8, 2)
    assert m.all_mapped is False


def test_13_v14_oplog_more_than_one_subgraph(log):
    r = log("13")
    assert r.compiler_version == V14
    (m,) = r.models
    assert rows(m)[0] == ("CONCATENATION", 1, SUBGRAPH)
    assert ("RESIZE_NEAREST_NEIGHBOR", 1, "Operation version not supported") in rows(m)
    assert (m.ops_total, m.ops_tpu, m.ops_cpu) == (25, 19, 6)


def test_14_v2_oplog_all_mapped(log):
    r = log("14")
    assert r.compiler_version == "2.0.267685300"
    (m,) = r.models
    assert m.input_model == "quant_coco-tiny-v3-relu.tflite"
    assert (m.ops_total, m.ops_tpu, m.ops_cpu) == (25, 25, 0)
    assert ("CONV_2D", 13, STATUS_MAPPED) in rows(m)


def test_15_v16_oplog_dequantize(log):
    r = log("15")
    (m,) = r.models
    assert (m.input_model, m.output_model) == ("model.tflite", "model_edgetpu.tflite")
    assert ("DEQUANTIZE", 3, DATA_TYPE) in rows(m)
    for op in ("TANH", "SUM", "L2_NORMALIZATION"):
        assert any(x.operator == op and x.mapped for x in m.operators), op
    assert len(m.operators) == 16
    assert (m.ops_total, m.ops_tpu, m.ops_cpu) == (513, 510, 3)


def test_16_v16_delegate_search_without_success(log, edgetpu_logs: Path):
    path = next(edgetpu_logs.glob("16-*"))
    assert path.stat().st_size > 1_000_000
    assert max(len(line) for line in path.read_text().splitlines()) > 2000
    r = log("16")
    assert (r.compiler_version, r.status) == (V16, "failed")
    assert r.failure_kind == "delegate-search-failed"
    search = r.delegate_search
    assert (search.step, len(search.tries), search.tries[0], search.tries[-1]) == (1, 535, 535, 1)
    assert search.tries == tuple(range(535, 0, -1))
    assert not search.succeeded
    assert "535" in r.failure_reason
    assert r.models == () and r.errors == ()


def test_17_v16_large_activation_tensors(log):
    r = log("17")
    assert (r.compiler_version, r.status) == (V16, "failed")
    assert r.failure_kind == "large-activation-tensors"
    assert r.failure_reason == "Compilation failed due to large activation tensors in model."
    assert r.errors == ("Restored original execution plan after delegate application failure.",)


def test_18_v21_internal_error_after_error_lines(log):
    r = log("18")
    assert (r.compiler_version, r.status) == ("2.1.302470888", "failed")
    assert r.failure_kind == "internal-compiler-error"
    assert r.errors == (":160 NumOutputs(node) != 4 (1 != 4)",
                        "Node number 121 (TFLite_Detection_PostProcess) failed to prepare.")


def test_20_v16_delegate_search_all_mapped(log):
    r = log("20")
    assert (r.compiler_version, r.status, r.compile_time_ms) == (V16, "succeeded", 3133)
    assert r.delegate_search.step == 10 and r.delegate_search.tries == (246,)
    assert r.delegate_search.succeeded
    (m,) = r.models
    assert (m.ops_total, m.ops_tpu, m.ops_cpu) == (246, 246, 0)
    assert m.on_chip_used_bytes == round(5.90 * MiB)
    assert m.off_chip_used_bytes == round(41.75 * KiB)
    assert len(m.operators) == 8  # the excerpt stops inside the 9th row
    assert all(x.mapped for x in m.operators)
    assert rows(m)[-1] == ("QUANTIZE", 5, STATUS_MAPPED)


def test_22_v2_old_format_on_chip_available(log):
    r = log("22")
    assert (r.compiler_version, r.status, r.compile_time_ms) == ("2.0.267685300", "succeeded", 313)
    (m,) = r.models
    assert m.on_chip_available_bytes == round(7.62 * MiB)
    assert m.on_chip_remaining_bytes is None
    assert m.on_chip_used_bytes == round(5.66 * MiB)
    assert (m.ops_total, m.ops_tpu, m.ops_cpu) == (64, 63, 1)
    assert m.operators == ()  # the excerpt stops after the table header


def test_helpers():
    assert parse_size("0.00B") == 0
    assert parse_size("3.00KiB") == 3072
    assert parse_size("7.37MiB") == round(7.37 * MiB)
    assert parse_size("lots") is None
    assert parse_version("16.0.384591198") == (16, 0, 384591198)
    assert parse_version("sixteen") is None
    assert OperatorRow("ADD", 1, STATUS_MAPPED).mapped


def test_unknown_text_is_not_an_error():
    r = parse_log("hello\nworld\n")
    assert (r.status, r.compiler_version, r.models) == ("unknown", None, ())


# -- gaps found on logs the parser had not seen (issue 14) -----------------------------

FIXTURE_LOGS = Path(__file__).resolve().parent / "edgetpu_fixtures" / "logs"


def _text(edgetpu_logs: Path, prefix: str) -> str:
    return next(edgetpu_logs.glob(prefix + "-*")).read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "op", "version"), [
    ("845-v16-transpose-conv-v4.txt", "TRANSPOSE_CONV", 4),
    ("879-v16-quantize-v3.txt", "QUANTIZE", 3),
])
def test_op_version_refusal_is_its_own_failure_kind(name, op, version):
    r = parse_log_file(FIXTURE_LOGS / name)
    assert (r.compiler_version, r.status, r.failure_kind) == (V16, "failed", "op-version")
    assert r.failure_reason == f"Didn't find op for builtin opcode '{op}' version '{version}'"
    assert "check-edgetpu" in r.failure_hint and "TFLite interpreter loads" not in r.failure_hint


def test_totals_are_derived_from_tpu_and_cpu_counts(edgetpu_logs):
    text = "\n".join(line for line in _text(edgetpu_logs, "02").splitlines()
                     if not line.startswith("Total number of operations"))
    (m,) = parse_log(text).models
    assert (m.ops_total, m.ops_tpu, m.ops_cpu) == (36, 2, 34)


def test_cpu_count_is_derived_from_total_and_tpu_counts(edgetpu_logs):
    """Some logs print the total and the Edge TPU count but no CPU line: the CPU count is the
    difference, in the model, the report's totals and the CLI's JSON."""
    for prefix, want in (("01", None), ("02", (36, 2, 34))):
        text = "\n".join(line for line in _text(edgetpu_logs, prefix).splitlines()
                         if not line.startswith("Number of operations that will run on CPU"))
        report = parse_log(text)
        for m in report.models:
            assert m.ops_cpu == m.ops_total - m.ops_tpu
        if want:
            (m,) = report.models
            assert (m.ops_total, m.ops_tpu, m.ops_cpu) == want
            assert (report.ops_tpu, report.ops_cpu) == (2, 34)


def test_partial_mapping_sentence_in_an_excerpt_is_success(edgetpu_logs):
    lines = _text(edgetpu_logs, "02").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Input model:"))
    r = parse_log("\n".join(lines[start:]))  # pasted from "Input model:" on
    assert r.status == "succeeded" and r.failure_kind is None
    assert (r.ops_tpu, r.ops_cpu) == (2, 34)


def test_pasted_runs_report_the_last_and_keep_earlier_failures(edgetpu_logs):
    failed, ok = _text(edgetpu_logs, "05"), _text(edgetpu_logs, "10")
    r = parse_log("\n".join([failed, failed, ok]))
    assert (r.status, r.compiler_version, r.ops_tpu, r.ops_total) == ("succeeded", V15, 15, 15)
    assert [(a.status, a.failure_kind) for a in r.attempts] == [
        ("failed", "internal-compiler-error")] * 2
    assert r.attempts[0].failure_reason == "Internal compiler error. Aborting!"
    doc = r.to_dict()
    assert len(doc["attempts"]) == 2 and doc["attempts"][1]["failure_hint"]
    assert r.command == "$ edgetpu_compiler -s tl_obj_experimental.tflite"  # carried along


def test_two_separate_runs_are_not_a_co_compilation(edgetpu_logs):
    ok = _text(edgetpu_logs, "10")
    r = parse_log(ok + "\n" + ok)
    assert not r.co_compiled and len(r.models) == 1 and len(r.attempts) == 1
    assert parse_log_file(next(edgetpu_logs.glob("09-*"))).co_compiled  # "Models compiled ..."


# -- logs cut short (an outside walk) ----------------------------------------------------


def test_a_row_cut_in_its_status_is_not_counted_on_the_cpu(edgetpu_logs):
    """`head -c -8` of operation log 11a ends in "ADD  17  Mapped to E": it may have said
    mapped, so it counts for neither side, and the report says the log is cut short."""
    text = _text(edgetpu_logs, "11a")
    cut = parse_log(text[:-8])
    (m,) = cut.models
    assert rows(m)[-1] == ("ADD", 17, "Mapped to E") and m.operators[-1].cut_off
    assert (m.ops_total, m.ops_tpu, m.ops_cpu, m.all_mapped) == (86, None, None, None)
    assert cut.cut_short and cut.to_dict()["cut_short"] is True
    whole = parse_log(text)
    assert (whole.ops_tpu, whole.ops_cpu, whole.cut_short) == (86, 0, False)
    # a status that says "not mapped" however short it is stays a CPU row
    assert not OperatorRow("ADD", 1, "Operation is otherwise sup").cut_off


def test_counts_that_do_not_add_up_say_the_log_is_cut_short(edgetpu_logs):
    """Log 02 cut inside "CPU: 34": 2 + 3 is not 36, so no op count is vouched for."""
    text = _text(edgetpu_logs, "02")
    cut = parse_log(text[:text.index("CPU: 34") + len("CPU: 3")])
    (m,) = cut.models
    assert (m.ops_total, m.ops_tpu, m.ops_cpu, cut.cut_short) == (36, None, None, True)
    assert not parse_log(text).cut_short


# -- logs as they are pasted or saved (an outside walk) ------------------------------------


@pytest.mark.parametrize(("kind", "prefix"), [
    ("quote", "> "),                             # how logs 10 and 17 were posted on GitHub
    ("nested quote", "> > "),
    ("ci", "2024-05-01T10:00:00.1234567Z "),     # a CI runner's time stamps
    ("ci utc", "2024-05-01T10:00:00Z "),
])
def test_a_prefix_on_every_line_is_stripped(edgetpu_logs, tmp_path, kind, prefix):
    from effkit.edgetpu.logparse import read_log_file

    for path in sorted(p for p in edgetpu_logs.iterdir() if p.suffix in (".txt", ".log")):
        text = path.read_text(encoding="utf-8")
        copy = tmp_path / path.name
        copy.write_text("".join(prefix + line for line in text.splitlines(keepends=True)),
                        encoding="utf-8")
        assert read_log_file(copy).to_dict() == parse_log(text).to_dict(), (kind, path.name)


def test_a_prompt_on_one_line_is_not_a_quote(log):
    assert log("02").command == "> ./compile_edgetpu.sh yolo/yolov3-tiny_int8.tflite"


def test_utf16_without_a_byte_order_mark_is_read(edgetpu_logs, tmp_path):
    from effkit.edgetpu.logparse import read_log_file

    for path in sorted(p for p in edgetpu_logs.iterdir() if p.suffix in (".txt", ".log")):
        text = path.read_text(encoding="utf-8")
        for codec in ("utf-16-le", "utf-16-be"):
            copy = tmp_path / f"{codec}-{path.name}"
            copy.write_bytes(text.encode(codec))
            assert read_log_file(copy).to_dict() == parse_log(text).to_dict(), (codec, path.name)


def test_a_log_that_maps_no_op_says_nothing_runs_on_the_edge_tpu(edgetpu_logs):
    """Log 02 edited to 0 of 36 ops mapped: it "succeeded", and the report says that nothing
    runs on the Edge TPU and where to look; so does an operation log with no mapped row."""
    text = (_text(edgetpu_logs, "02").replace("Edge TPU: 2\n", "Edge TPU: 0\n")
            .replace("CPU: 34\n", "CPU: 36\n").replace(STATUS_MAPPED, "Operation not supported"))
    r = parse_log(text)
    assert (r.status, r.ops_tpu, r.ops_cpu, r.ops_total) == ("succeeded", 0, 36, 36)
    assert r.note.startswith("no op runs on the Edge TPU") and "check-edgetpu" in r.note
    assert r.to_dict()["note"] == r.note
    oplog = parse_log(_text(edgetpu_logs, "12").replace(STATUS_MAPPED, "Operation not supported"))
    assert (oplog.ops_tpu, oplog.note) == (0, r.note)
    assert parse_log(_text(edgetpu_logs, "02")).note is None  # 2 of 36 map
    assert parse_log(_text(edgetpu_logs, "06")).note is None  # failed: its hint says why


def test_a_segmented_log_cut_after_one_segment_is_not_a_success(edgetpu_logs):
    """Log 08 cut after segment 1 of 2's "Compilation succeeded!": the second segment's
    outcome (it failed) is not in the text, so the run's status is unknown, and a note says
    which segment is missing."""
    text = (edgetpu_logs / "08-v16-num-segments-2-large-activation-EXCERPT.txt").read_text()
    cut = parse_log(text[:text.index("Compilation succeeded!") + len("Compilation succeeded!")])
    assert cut.status == "unknown" and not cut.succeeded and cut.failure_kind is None
    assert cut.segments_missing == (1,)
    assert cut.note and "segment 2 of 2" in cut.note and "pass the whole log" in cut.note
    assert parse_log(text).status == "failed"
