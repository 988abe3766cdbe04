"""What a new user sees: help with flags shown as flags, tables that fit 80 columns, and
a build summary that lists the rendered app and says what to do next."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from effkit.cli.main import app


def _registered() -> tuple[str, ...]:
    """Every command the CLI registers, subcommands as "weights fetch": a new command is
    held to the rules below without being listed here."""
    import typer

    group = typer.main.get_command(app)
    found: list[str] = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        found += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    return tuple(found)


COMMANDS = _registered()
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "80"}, terminal_width=80)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_flags_as_flags_within_80_columns(command):
    result = _run(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    assert "--json" in result.output and "--help" in result.output
    assert "<bool>" not in result.output
    assert "\\[" not in result.output  # help is plain text: no markup escapes shown
    assert max(len(line) for line in result.output.splitlines()) <= 80


@pytest.mark.parametrize("command", COMMANDS)
def test_help_descriptions_read_well_at_80_columns(command):
    """No option description squeezed into a narrow column (rich's panel left ~20
    characters for 'train --help'): each starts early enough to have 30 or more."""
    import re

    lines = _run(*command.split(), "--help").output.splitlines()
    options = lines[lines.index("Options:") + 1:]
    starts = []
    for line in options:
        if not line.strip():
            break
        if (m := re.match(r"^  -\S.*?\s{2,}(\S)", line)) is not None:
            starts.append(m.start(1))  # a description beside its option
        elif not line.lstrip().startswith("-"):
            starts.append(len(line) - len(line.lstrip()))  # a wrapped description line
    assert starts, lines
    assert max(80 - s for s in starts) >= 30 and min(80 - s for s in starts) >= 30, lines


@pytest.mark.parametrize("group", [(), ("weights",)])
def test_command_lists_are_not_cut_short_at_80_columns(group):
    result = _run(*group, "--help")
    assert result.exit_code == 0, result.output
    listed = result.output.split("Commands:", 1)[1].splitlines()[1:]
    assert listed and not [line for line in listed if line.rstrip().endswith("...")], listed


def test_variants_table_fits_80_columns(monkeypatch):
    # An 80-column terminal. (COLUMNS in _run's env comes after effkit's console was made,
    # so it sets no width: the test passed only where an earlier test had set COLUMNS.)
    from effkit.cli import _common

    monkeypatch.setattr(_common.console, "_width", 80)
    result = _run("variants")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    row = next(line for line in lines if line.strip().startswith("lite4"))
    assert "13.01M" in row and "80.2%" in row and "official" in row  # nothing cut off


def _printed(width: int, renderable) -> str:
    """What effkit's console prints of ``renderable`` at ``width`` columns (no final newline)."""
    import io

    from effkit.cli._common import _Console

    stream = io.StringIO()
    _Console(file=stream, width=width).print(renderable, highlight=False, end="")
    return stream.getvalue()


@pytest.mark.parametrize("width", [70, 60, 40, 20])
def test_a_table_too_wide_for_the_terminal_loses_nothing(monkeypatch, width):
    """rich cut cells it could not fit to "…": on 60 columns `effkit variants` showed
    "75.…" for 75.1% and "0…" for 0.2. Such a table is shown one block per row instead."""
    from effkit.cli import _common

    monkeypatch.setattr(_common.console, "_width", width)
    result = _run("variants")
    assert result.exit_code == 0
    assert "…" not in result.output
    blocks = result.output.split("\nlite")
    assert len(blocks) == 6 and " ".join(blocks[0].split()) == "EfficientNet-Lite variants"
    lite4 = "lite" + blocks[5]
    for line in ("lite4", "  params: 13.01M", "  top-1 fp32: 81.5%", "  top-1 int8: 80.2%",
                 "  weights: official"):
        assert line in lite4.splitlines(), lite4
    # where it fits, it stays a table
    monkeypatch.setattr(_common.console, "_width", 100)
    assert "variant  width  depth" in _run("variants").output


def test_the_block_form_keeps_every_cell_as_written():
    """An outside review of the block form: a path column squeezed to nothing at 20 columns
    kept the table (rich drew no "…"), a cell holding "…" itself hid a cut, and runs of
    spaces in a path were squeezed to one."""
    from rich.table import Table

    from effkit.cli._common import escape

    table = Table(title="wrote")
    table.add_column("")
    table.add_column("path", overflow="fold")
    table.add_column("bytes", justify="right", no_wrap=True)
    path = "/tmp/o  ut/checkpoint_final_version_two…copy[b]_edgetpu.tflite"
    table.add_row("", escape(path), "1,234,567")
    table.add_row("log", escape(path[:-7] + ".log"), "2,048")
    assert _printed(200, table).count("─") > 10  # it fits: a table
    for width in (20, 30):
        text = _printed(width, table)  # lines longer than the terminal wrap, as any text does
        flat = text.replace("\n", "")
        assert "─" not in text and flat == ("wrote" "row 1" f"  path: {path}" "  bytes: 1,234,567" "log"
                                            f"  path: {path[:-7]}.log" "  bytes: 2,048"), (width, text)
    # a fold column may break a path, not a word of 12 characters or fewer: at 40 the
    # table folds the path and keeps every number whole
    assert "─" in _printed(40, table) and "1,234,567" in _printed(40, table)


@pytest.mark.parametrize("text", ["mod\\", "mod\\\\", "a\\b\\\\\\", "[b]x\\", "plain"])
def test_escaped_text_ending_in_backslashes_is_shown_as_written(text):
    """rich reads a run of backslashes before a tag as escapes: a path `mod\\` showed as
    `mod\\\\` on its own, and `mod\\\\` lost one before a closing tag."""
    from rich.table import Table

    from effkit.cli._common import escape

    for line in (escape(text), f"[bold]{escape(text)}[/]", f"x {escape(text)} y",
                 f"{escape(text)}[dim]z[/]"):
        expected = line.replace(escape(text), text)
        expected = expected.replace("[bold]", "").replace("[dim]", "").replace("[/]", "")
        assert _printed(200, line) == expected, (text, line)
    table = Table(title=escape(text))
    table.add_column("name")
    table.add_row(escape(text))
    assert _printed(200, table).count(f" {text} ") == 2


def _summary_text(result) -> str:
    """What ``effkit build`` prints after a build, on an 80-column terminal."""
    from rich.console import Console

    from effkit.cli import build as build_cmd

    console = Console(width=80, force_terminal=False, color_system=None)
    old, build_cmd.console = build_cmd.console, console
    try:
        with console.capture() as captured:
            build_cmd._summary(result)
    finally:
        build_cmd.console = old
    return captured.get()


def test_build_summary_lists_the_app_and_the_next_step(tmp_path, capsys):
    from effkit.core.manifest import Artifact, Manifest
    from effkit.pipeline.build import BuildResult

    out = tmp_path / "lite0-coral"
    manifest = Manifest(
        variant="lite0", quantization={"mode": "int8", "io": "uint8"}, target="coral",
        artifacts=(Artifact("model.tflite", 5_300_000, "0" * 64),), app="coral",
        app_files=(Artifact("coral/install.sh", 2_000, "1" * 64),
                   Artifact("coral/model.tflite", 5_300_000, "0" * 64)),
        timings_s={"model": 1.0, "total": 1.0},
        edgetpu={"status": "not compiled (--skip-compile)", "compiled": False,
                 "check": {"ops_tpu": 64, "ops_cpu": 0}})
    result = BuildResult(out_dir=out, model_path=out / "model.tflite",
                         labels_path=out / "labels.txt", edgetpu_model_path=None,
                         app_dir=out / "coral", manifest=manifest)
    text = _summary_text(result)
    assert "(2 files)" in text  # the rendered app is listed with the artifacts
    assert "next: copy" in text and "./install.sh" in text
    assert "predicted by effkit" in text and "64" in text
    assert max(len(line) for line in text.splitlines()) <= 80


SHIPPED_SET = {"count": 32, "origin": "shipped", "skipped": 0, "source": "distilled"}


def _int8_summary(tmp_path, quantization: dict, calibration: dict = SHIPPED_SET) -> str:
    """The build summary of a lite0 cpu build whose build.json has this quantization."""
    from effkit.core.manifest import Artifact, Manifest
    from effkit.pipeline.build import BuildResult

    manifest = Manifest(variant="lite0", quantization=quantization, target="cpu",
                        artifacts=(Artifact("model.tflite", 5_300_000, "0" * 64),),
                        timings_s={"total": 1.0},
                        calibration=calibration)
    result = BuildResult(out_dir=tmp_path, model_path=tmp_path / "model.tflite",
                         labels_path=tmp_path / "labels.txt", edgetpu_model_path=None, app_dir=None,
                         manifest=manifest)
    return _summary_text(result)


@pytest.mark.parametrize("corrected, line", [(True, "int8 biases corrected on them"),
                                             (False, "no bias correction (--no-bias-correction)"),
                                             (None, None)])  # a build.json of an older effkit
def test_build_summary_says_whether_biases_were_corrected(tmp_path, corrected, line):
    quant = {"mode": "int8", "io": "uint8"} | ({} if corrected is None else {"bias_correction": corrected})
    text = _int8_summary(tmp_path, quant)
    assert "calibration: 32 images" in text
    if line is None:
        assert "bias" not in text
    else:
        assert line in text
    assert "GPTQ" not in text


@pytest.mark.parametrize("quant, line", [
    ({"mode": "int8", "io": "uint8"}, "quantization: int8, uint8 input and output"),
    ({"mode": "int8", "io": "int8"}, "quantization: int8, int8 input and output"),
    ({"mode": "float16", "io": "float32"}, "quantization: float16, float32 input and output"),
])
def test_build_summary_says_the_quantization_and_io(tmp_path, quant, line):
    """--quant float16 or --io int8 shows in the summary, not only in the file size."""
    assert line in _int8_summary(tmp_path, quant)


def test_build_summary_names_the_calibration_folder_or_what_a_set_was_distilled_from(tmp_path):
    quant = {"mode": "int8", "io": "uint8", "bias_correction": True}
    assert "distilled from the model's batch-norm statistics" in _int8_summary(tmp_path, quant)
    photos = {"count": 100, "skipped": 2, "source": "folder", "detail": "/data/[bold]photos"}
    text = _int8_summary(tmp_path, quant, photos)
    assert "calibration: 100 images, 2 unreadable skipped" in text
    assert "from /data/[bold]photos" in text  # the path, its markup escaped
    assert "distilled" not in text


def test_build_summary_says_the_weights_were_rounded_by_gptq(tmp_path):
    text = _int8_summary(tmp_path, {"mode": "int8", "io": "uint8", "bias_correction": True,
                                    "weight_rounding": "gptq"})
    assert "int8 weights rounded by GPTQ on them" in text


def test_lines_are_not_wrapped_in_logs_and_pipes(monkeypatch):
    """A log has no width to fit: a long message stays one line (rich's default would break
    it at 80 columns, mid-path); where COLUMNS is set, rich wraps at it as usual."""
    import io

    from effkit.cli._common import _Console

    line = "warning: " + "word " * 60 + "/a/long/path/that/must/stay/whole"
    monkeypatch.delenv("COLUMNS", raising=False)
    stream = io.StringIO()
    _Console(file=stream).print(line, highlight=False)
    assert stream.getvalue() == line + "\n"
    monkeypatch.setenv("COLUMNS", "80")
    stream = io.StringIO()
    _Console(file=stream).print(line, highlight=False)
    assert max(len(ln) for ln in stream.getvalue().splitlines()) <= 80


def test_version():
    from importlib.metadata import version

    result = _run("--version")
    assert result.exit_code == 0 and result.output == f"effkit {version('effkit')}\n", result.output


@pytest.mark.parametrize("argv", [
    ("inspect", "missing.tflite"), ("build", "--variant", "lite9"), ("check-edgetpu", "missing.tflite"),
    ("edgetpu-log", "missing.log"), ("report", "missing-build"), ("bench", "missing.tflite"),
])
def test_errors_with_json_are_a_json_document_too(argv, tmp_path, monkeypatch):
    """--json promises a document on stdout: a failure prints the error there as JSON, and
    still its one line on stderr and a non-zero exit."""
    import json

    monkeypatch.chdir(tmp_path)
    result = _run(*argv, "--json")
    doc = json.loads(result.stdout)
    assert result.exit_code == doc["exit_code"] != 0
    assert set(doc) == {"error", "hint", "kind", "exit_code"} and doc["kind"].endswith("Error")
    assert result.stderr.startswith("error: " + doc["error"])
    # `effkit --json COMMAND ...`, as scripts write global-looking flags, is the same call
    first = _run("--json", *argv)
    assert (first.exit_code, json.loads(first.stdout)) == (result.exit_code, doc)


@pytest.mark.parametrize(("argv", "message", "where"), [
    (("eval", "m.tflite"), "Missing option '--data' / '-d'.", "effkit eval"),
    (("build", "--bogus"), "No such option: --bogus", "effkit build"),
    (("bench", "m.tflite", "--runs", "abc"), "Invalid value for '--runs'", "effkit bench"),
    (("weights", "path", "--bogus"), "No such option: --bogus", "effkit weights path"),
    (("bogus",), "No such command 'bogus'.", "effkit"),
    (("--bogus",), "No such option: --bogus", "effkit"),
])
def test_command_line_mistakes_are_one_line_errors_and_json_too(argv, message, where):
    """A mistake Click finds while reading the command line is reported as effkit's own
    errors are: one line naming the command's --help, exit 2, and with --json the same
    document on stdout (only words before `--` count as options)."""
    import json

    from helpers import one_line_error

    result = _run(*argv)
    assert result.exit_code == 2 and result.stdout == ""
    line = one_line_error(result)
    assert line.startswith(f"error: {message}") and line.endswith(f"Run '{where} --help'."), line
    if argv[0].startswith("--"):
        return  # `effkit --bogus --json`: --json is not an option of the root
    result = _run(*argv, "--json")
    doc = json.loads(result.stdout)
    assert doc["kind"] == "UsageError" and doc["exit_code"] == result.exit_code == 2
    assert doc["error"].startswith(message) and doc["hint"] == f"run '{where} --help'"
    assert _run(*argv, "--", "--json").stdout == ""


def test_an_option_without_its_value_names_the_commands_help():
    """Click finds a missing value before the command's context exists: the hint still
    names the command's --help, not the root's."""
    from helpers import one_line_error

    for argv, where in ((("build", "-t", "android", "--app-id"), "effkit build"),
                        (("eval", "m.tflite", "--data"), "effkit eval")):
        result = _run(*argv)
        line = one_line_error(result)
        assert result.exit_code == 2 and line.startswith(f"error: Option '{argv[-1]}' requires an argument")
        assert line.endswith(f"Run '{where} --help'."), line


def test_json_before_the_command_is_the_commands_own():
    import json

    for argv in (("--json", "weights", "list"), ("weights", "--json", "list")):
        assert json.loads(_run(*argv).stdout)["variants"][0]["variant"] == "lite0", argv
    # right after the command's name: an option left without its value does not take it
    missing = _run("--json", "metadata", "m.tflite", "--labels")
    assert missing.exit_code == 2
    assert "Option '--labels' requires an argument" in json.loads(missing.stdout)["error"]
    assert _run("--json", "--help").exit_code == 0 and "Usage: effkit" in _run("--json", "--help").stdout
    unknown = _run("--json", "bogus")
    assert json.loads(unknown.stdout)["error"].startswith("No such command 'bogus'")
    assert _run("--json", "bogus", "--", "x").exit_code == 2
    # no command: the words as they were, a usage error as before; --json is not dropped
    # before a `--` (it ran `variants` and printed its table)
    for argv in (("--json",), ("--json", "weights"), ("weights", "--json"), ("--json", "--", "variants")):
        result = _run(*argv)
        assert result.exit_code == 2 and "No such option: --json" in result.stderr, argv
        assert "lite0" not in result.stdout


def test_a_command_group_alone_still_shows_its_help():
    for argv in ((), ("weights",)):
        result = _run(*argv)
        assert "Usage: effkit" in result.output and "Commands:" in result.output


def test_help_loads_neither_tensorflow_nor_numpy():
    """`effkit --help` and every command's --help stay light: in a fresh interpreter neither
    TensorFlow nor numpy is loaded (a module-level import in one command loads it for all).
    The app is called as the console script does (typer's test runner itself loads numpy)."""
    import subprocess
    import sys

    code = ("import sys\nfrom effkit.cli.main import app\n"
            "for argv in ([], *(c.split() for c in sys.argv[1:])):\n"
            "    try:\n"
            "        app([*argv, '--help'], prog_name='effkit')\n"
            "    except SystemExit as exc:\n"
            "        assert exc.code in (0, None), (argv, exc.code)\n"
            "heavy = ('tensorflow', 'numpy', 'keras')\n"
            "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code, *COMMANDS], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "[]", proc.stderr
