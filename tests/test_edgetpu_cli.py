"""`effkit check-edgetpu` and `effkit compile-edgetpu`: exit codes, JSON, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from edgetpu_fixtures.models import tflite, with_custom_op, with_op_version
from edgetpu_fixtures.standin import write_standin
from helpers import one_line_error, stopped_docker_client
from typer.testing import CliRunner

from effkit.cli.main import app
from effkit.edgetpu import compiler as etc

runner = CliRunner()


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    etc._version_cached.cache_clear()
    monkeypatch.delenv(etc.ENV_VAR, raising=False)


def model_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(tflite(name))
    return path




def test_check_passes_for_full_integer_model(tmp_path):
    result = runner.invoke(app, ["check-edgetpu", str(model_file(tmp_path, "int8"))])
    assert result.exit_code == 0, result.stderr
    assert "10 of 10 ops predicted on the Edge TPU" in result.stdout
    assert "DEPTHWISE_CONV_2D" in result.stdout


def test_check_fails_and_reports_split(tmp_path):
    path = model_file(tmp_path, "leaky")
    result = runner.invoke(app, ["check-edgetpu", str(path)])
    assert result.exit_code == 1
    assert "the graph splits at op #3 LEAKY_RELU" in " ".join(result.stdout.split())
    result = runner.invoke(app, ["check-edgetpu", str(path), "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["all_mapped"] is False and doc["split"] == {"index": 3, "op": "LEAKY_RELU"}
    assert doc["ops"][3]["reasons"] == ["LEAKY_RELU is not in the Edge TPU's supported operations"]


def test_check_reports_op_versions_and_memory(tmp_path):
    plain = runner.invoke(app, ["check-edgetpu", str(model_file(tmp_path, "int8"))])
    assert "parameters (estimated):" in plain.stdout and "MiB on chip" in plain.stdout
    path = tmp_path / "newer.tflite"
    path.write_bytes(with_op_version(tflite("int8"), "QUANTIZE", 3))
    result = runner.invoke(app, ["check-edgetpu", str(path), "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["compiler_version"] == "16.0.384591198" and not doc["all_mapped"]
    assert "QUANTIZE version 3 is newer than edgetpu_compiler 16" in doc["ops"][0]["reasons"][0]
    older = runner.invoke(app, ["check-edgetpu", str(model_file(tmp_path, "int8")), "--json",
                                "--compiler-version", "2.0.267685300"])
    assert older.exit_code == 0  # RELU v2 is the refusal known for 2.0; this model has none
    # a compiler too old for the runtime asked for is a warning, as JSON's "warnings" and
    # docs/edgetpu.md call it (the text said "note:")
    old = runner.invoke(app, ["check-edgetpu", str(model_file(tmp_path, "int8")), "--compiler-version",
                              "15.0", "--min-runtime", "14"])
    assert old.exit_code == 0 and "warning: edgetpu_compiler 15.0 compiles for Edge TPU runtime 13" \
        in " ".join(old.stdout.split())
    bad = runner.invoke(app, ["check-edgetpu", str(path), "--compiler-version", "latest"])
    assert bad.exit_code == 2 and "is not an edgetpu_compiler version" in one_line_error(bad)


def test_check_float_model_json(tmp_path):
    result = runner.invoke(app, ["check-edgetpu", str(model_file(tmp_path, "float")), "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["quantization"] == "float" and doc["ops_tpu"] == 0


def test_check_missing_file(tmp_path):
    result = runner.invoke(app, ["check-edgetpu", str(tmp_path / "none.tflite")])
    assert result.exit_code == 1
    assert "does not exist" in one_line_error(result)


def test_compile_with_standin(tmp_path, edgetpu_logs, monkeypatch):
    from effkit.cli import _common

    # the table as a table: on a console made while an 80-column COLUMNS was set (an earlier
    # test's), its long temporary paths do not fit and it is shown one block per row
    monkeypatch.setattr(_common.console, "_width", 400)
    script = write_standin(tmp_path / "bin", mode="success",
                           replay=next(edgetpu_logs.glob("10-*")))  # its version: 15.0
    model = model_file(tmp_path, "int8")
    out = tmp_path / "build"
    args = ["compile-edgetpu", str(model), "--out", str(out), "--compiler", str(script)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert (out / "int8_edgetpu.tflite").is_file() and (out / "int8_edgetpu.log").is_file()
    text = " ".join(result.stdout.split())
    assert "ops on Edge TPU │ 10 of 10" in text and "parameters on-chip" in text

    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert "already exists. Pass --force to replace it" in one_line_error(again)

    forced = runner.invoke(app, [*args, "--force", "--json", "--min-runtime", "14"])
    assert forced.exit_code == 0, forced.stderr
    doc = json.loads(forced.stdout)
    assert doc["compiled"] == [str(out / "int8_edgetpu.tflite")]
    assert doc["report"]["ops_tpu"] == 10 and doc["version"] == "15.0.340273435"
    assert doc["argv"][1:4] == ["-s", "-m", "14"]


@pytest.mark.parametrize("name", ["My[/]Op", "Op[red]X"])
def test_custom_op_names_are_shown_as_written(name, tmp_path, edgetpu_logs):
    # the op's name is the model author's text: as markup it crashed both commands' tables
    # (a compile that had succeeded exited 1) or lost its brackets
    model = tmp_path / "custom.tflite"
    model.write_bytes(with_custom_op(tflite("int8"), "MEAN", name))
    check = runner.invoke(app, ["check-edgetpu", str(model)], terminal_width=200)
    assert check.exit_code == 1, check.output
    assert "Traceback" not in check.output and f"CUSTOM:{name}" in check.stdout
    script = write_standin(tmp_path / "bin", mode="success", replay=next(edgetpu_logs.glob("10-*")))
    compiled = runner.invoke(app, ["compile-edgetpu", str(model), "--compiler", str(script)],
                             terminal_width=200)
    assert compiled.exit_code == 0, compiled.output
    assert (tmp_path / "custom_edgetpu.tflite").is_file() and name in compiled.stdout


def test_compile_failure_is_one_line(tmp_path, edgetpu_logs):
    script = write_standin(tmp_path / "bin", mode="fail", replay=next(edgetpu_logs.glob("04-*")))
    model = model_file(tmp_path, "int8")
    result = runner.invoke(app, ["compile-edgetpu", str(model), "--compiler", str(script)])
    assert result.exit_code == 1
    line = one_line_error(result)
    Path(line.split("Its output is in ", 1)[1].rstrip(".")).unlink()  # kept for the user, not the tests
    assert "edgetpu_compiler failed (exit status 1): Model failed in Tflite interpreter" in line
    assert not (tmp_path / "int8_edgetpu.tflite").exists()


def test_compile_without_compiler(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = runner.invoke(app, ["compile-edgetpu", str(model_file(tmp_path, "int8"))])
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "edgetpu_compiler is not installed" in line and "--compiler docker" in line
    # a missing or non-model file is named first: no errand to install a compiler for it
    result = runner.invoke(app, ["compile-edgetpu", str(tmp_path / "nothing.tflite")])
    assert result.exit_code == 1 and "does not exist" in one_line_error(result)
    (tmp_path / "labels.txt").write_text("cat\ndog\n")
    result = runner.invoke(app, ["compile-edgetpu", str(tmp_path / "labels.txt")])
    assert result.exit_code == 1 and "not a TFLite" in one_line_error(result)


def test_compile_docker_without_engine(tmp_path):
    stopped_docker_client()
    result = runner.invoke(app, ["compile-edgetpu", str(model_file(tmp_path, "int8")),
                                 "--compiler", "docker"])
    assert result.exit_code == 1
    assert "engine is not running" in one_line_error(result)


# -- effkit edgetpu-log --------------------------------------------------------------

FIXTURE_LOGS = Path(__file__).resolve().parent / "edgetpu_fixtures" / "logs"
REPORT_FIELDS = {"compiler_version", "status", "failure_kind", "ops_total", "ops_tpu", "ops_cpu",
                 "models", "on_chip_used_bytes", "off_chip_used_bytes", "subgraphs", "segments",
                 "co_compiled", "co_compiled_models", "attempts"}


def _all_logs(edgetpu_logs: Path) -> list[Path]:
    files = sorted(p for p in edgetpu_logs.iterdir() if p.suffix in (".txt", ".log"))
    return files + sorted(FIXTURE_LOGS.glob("*.txt"))


def test_edgetpu_log_on_every_shared_log(edgetpu_logs):
    from effkit.edgetpu.logparse import parse_log_file

    files = _all_logs(edgetpu_logs)
    assert len(files) == 23
    for path in files:
        shown = runner.invoke(app, ["edgetpu-log", str(path)])
        assert shown.exit_code == 0, (path.name, shown.stderr)
        assert "compiler version" in shown.stdout
        result = runner.invoke(app, ["edgetpu-log", str(path), "--json"])
        assert result.exit_code == 0, (path.name, result.stderr)
        doc = json.loads(result.stdout)
        assert REPORT_FIELDS <= set(doc), path.name
        assert doc == json.loads(json.dumps(parse_log_file(path).to_dict())), path.name
        assert doc["status"] in ("succeeded", "failed", "unknown")
        if doc["ops_tpu"] is not None and doc["ops_cpu"] is not None:
            assert doc["ops_total"] == doc["ops_tpu"] + doc["ops_cpu"], path.name


def test_logs_saved_on_windows_or_from_a_colour_terminal_read_alike(edgetpu_logs, tmp_path):
    """A UTF-8 byte-order mark, UTF-16 (Windows PowerShell 5.1's `>`) and a terminal's colour
    codes around the text: the same report as the plain log, for every shared log."""
    from effkit.edgetpu.logparse import read_log_file

    for path in _all_logs(edgetpu_logs):
        text = path.read_bytes().decode("utf-8")
        plain = read_log_file(path).to_dict()
        for kind, data in (("bom", b"\xef\xbb\xbf" + text.encode()), ("utf16", text.encode("utf-16")),
                           ("utf16be", b"\xfe\xff" + text.encode("utf-16-be")),
                           ("ansi", f"\x1b[1;32m{text}\x1b[0m".encode())):
            copy = tmp_path / f"{kind}-{path.name}"
            copy.write_bytes(data)
            assert read_log_file(copy).to_dict() == plain, (kind, path.name)


def test_edgetpu_log_fields(edgetpu_logs, monkeypatch):
    def doc(prefix: str) -> dict:
        path = next(p for p in _all_logs(edgetpu_logs) if p.name.startswith(prefix))
        return json.loads(runner.invoke(app, ["edgetpu-log", str(path), "--json"]).stdout)

    assert doc("09")["co_compiled_models"] == ["temp_models/1.tflite", "temp_models/2.tflite"]
    assert doc("08")["segments"] == [[0, 2]] and doc("08")["status"] == "failed"
    # its 84 ops are segment 0's: the failed segment 1 has no model in the log
    assert doc("08")["segments_missing"] == [1] and doc("08")["ops_total"] == 84
    path08 = next(p for p in _all_logs(edgetpu_logs) if p.name.startswith("08"))
    from effkit.cli import _common

    monkeypatch.setattr(_common.console, "_width", 200)  # table cells on one line each
    text = " ".join(runner.invoke(app, ["edgetpu-log", str(path08)]).stdout.split())
    assert "84 of 84 on the Edge TPU, 0 on the CPU (of the segments compiled)" in text
    assert "compiled: 1 of 2; no model in the log: 2 of 2" in text
    assert doc("879")["failure_kind"] == "op-version"
    assert doc("01")["on_chip_used_bytes"] == round(6.08 * 2**20)
    text = " ".join(runner.invoke(app, ["edgetpu-log", str(FIXTURE_LOGS / "845-v16-transpose"
                                                          "-conv-v4.txt")]).stdout.split())
    assert "op-version: Didn't find op for builtin opcode" in text and "TRANSPOSE_CONV" in text


def test_edgetpu_log_says_a_cut_log_is_cut_short(tmp_path, edgetpu_logs, monkeypatch):
    from effkit.cli import _common

    monkeypatch.setattr(_common.console, "_width", 200)  # table cells on one line each
    cut = tmp_path / "cut_edgetpu.log"  # `head -c -8`: the last row ends "Mapped to E"
    cut.write_bytes(next(edgetpu_logs.glob("11a-*")).read_bytes()[:-8])
    result = runner.invoke(app, ["edgetpu-log", str(cut)])
    text = " ".join(result.stdout.split())
    assert result.exit_code == 0 and "? of 86 on the Edge TPU, ? on the CPU" in text
    assert "the log looks cut short" in text


def test_edgetpu_log_pasted_runs(tmp_path, edgetpu_logs):
    pasted = tmp_path / "console.txt"
    runs = [next(edgetpu_logs.glob(p + "-*")).read_text(encoding="utf-8") for p in ("05", "10")]
    pasted.write_text("\n".join(runs), encoding="utf-8")
    result = runner.invoke(app, ["edgetpu-log", str(pasted)])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "earlier run 1 │ failed (internal-compiler-error" in text and "succeeded" in text


def test_edgetpu_log_bad_input(tmp_path):
    missing = runner.invoke(app, ["edgetpu-log", str(tmp_path / "none.txt")])
    assert missing.exit_code != 0 and "does not exist" in one_line_error(missing)
    other = tmp_path / "notes.txt"
    other.write_text("hello\n", encoding="utf-8")
    result = runner.invoke(app, ["edgetpu-log", str(other)])
    assert result.exit_code != 0 and "is not an edgetpu_compiler log" in one_line_error(result)
    binary = tmp_path / "model.tflite"
    binary.write_bytes(tflite("int8"))
    result = runner.invoke(app, ["edgetpu-log", str(binary), "--json"])
    assert result.exit_code != 0 and "binary file" in one_line_error(result)
    assert runner.invoke(app, ["edgetpu-log", "--help"]).exit_code == 0


@pytest.mark.parametrize("out", ["build/lite0-coral", "my out [1] $(touch x)", "it's/"])
def test_finish_hint_is_a_command_to_paste(out):
    """The hint a build without the compiler ends with names --out as one shell word."""
    import shlex

    from effkit.edgetpu.locate import finish_hint

    command = finish_hint(out).split("'effkit ", 1)[1].rsplit("' on an", 1)[0]
    assert shlex.split(command) == ["compile-edgetpu", out.rstrip("/") + "/"]


def test_a_compile_that_maps_no_op_stops_a_build_before_its_app(tmp_path):
    """With --min-tpu-ops 0 a build took any coverage, even none: the compiler's model then
    has no Edge TPU op, and the app rendered around it would run on the CPU saying Edge TPU."""
    from effkit.edgetpu.locate import choose_compiler
    from effkit.errors import EdgeTPUCoverageError
    from effkit.pipeline.edgetpu_stage import compile_section

    script = write_standin(tmp_path / "bin", mode="success-stripped")
    model = model_file(tmp_path, "float")  # nothing maps
    (tmp_path / "out").mkdir()
    choice = choose_compiler(str(script), require=True).with_version()
    with pytest.raises(EdgeTPUCoverageError, match="mapped no op to the Edge TPU") as info:
        compile_section({}, choice, model, tmp_path / "out", timeout_s=60, num_segments=None,
                        min_runtime_version=None)
    assert "effkit check-edgetpu float.tflite" in info.value.hint
    # compiling the one model is the user's to judge: it is written, its report says 0 ops
    result = runner.invoke(app, ["compile-edgetpu", str(model), "--compiler", str(script), "--json",
                                 "--out", str(tmp_path / "one")])
    assert result.exit_code == 0 and json.loads(result.stdout)["report"]["ops_tpu"] == 0, result.output
    # and its summary says that nothing runs on the Edge TPU, as edgetpu-log does
    (tmp_path / "one2").mkdir()
    shown = runner.invoke(app, ["compile-edgetpu", str(model), "--compiler", str(script),
                                "--out", str(tmp_path / "one2")])
    flat = " ".join(shown.stdout.replace("│", " ").replace(":", "").split())  # a table, or its narrow form
    assert shown.exit_code == 0 and "note no op runs on the Edge TPU" in flat, flat
    assert "Edge TPU subgraphs 0" in flat, flat
