"""effkit compile-edgetpu: run edgetpu_compiler on a .tflite model and report what maps."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from effkit.cli._common import (
    ForceOpt,
    JsonOpt,
    console,
    count_text,
    err_console,
    escape,
    handle_errors,
    live_console,
    print_json,
)
from effkit.cli.check_edgetpu_cmd import MinRuntimeOpt


def _finish_build(folder: Path, *, out: Path | None, compiler: str | None,
                  num_segments: int | None, min_runtime: int | None, timeout: float | None,
                  force: bool, extra: bool, json_out: bool) -> None:
    """compile-edgetpu OUT/: the Edge TPU part of a coral build made without the compiler."""
    from effkit.errors import UsageError
    from effkit.pipeline.edgetpu_stage import compile_build_folder

    if out is not None or extra:
        raise UsageError("--out, --search-delegate and --multiple-subgraphs apply to a "
                         ".tflite model, not to a build folder",
                         "drop them, or pass the model file")

    def note(text: str) -> None:
        err_console.print(f"note: {escape(text)}", highlight=False)

    with contextlib.nullcontext() if json_out else live_console().status(
            f"Compiling {escape(str(folder))} for the Edge TPU"):
        doc = compile_build_folder(folder, compiler=compiler, force=force, timeout_s=timeout,
                                   num_segments=num_segments, min_runtime_version=min_runtime,
                                   on_stage=None if json_out else note)
    if json_out:
        print_json(doc | {"out_dir": str(folder)})
        return
    report = doc["edgetpu"]["compile"]["report"]
    console.print(f"{escape(str(folder))}: {doc['edgetpu']['status']}; {count_text(report['ops_tpu'])} "
                  f"of {count_text(report['ops_total'])} ops on the Edge TPU, parameters on-chip "
                  f"{size_text(report['on_chip_used_bytes'])}, off-chip "
                  f"{size_text(report['off_chip_used_bytes'])}; wrote model_edgetpu.tflite, "
                  "coral/ and build.json", highlight=False)


def operator_table(report) -> Table | None:
    """The compiler log's operators (a model column when the log has several), every name
    escaped: custom op names are the model author's text. None when the log lists none."""
    rows = [(m, r) for m in report.models for r in m.operators]
    if not rows:
        return None
    several = len(report.models) > 1
    ops = Table(title="Operators")
    for col in ("model", "operator", "count", "status")[0 if several else 1:]:
        ops.add_column(col, overflow="fold")
    for m, r in rows:
        shown = f"[green]{escape(r.status)}[/]" if r.mapped else f"[red]{escape(r.status)}[/]"
        cells = [escape(r.operator), str(r.count), shown]
        ops.add_row(*([escape(Path(m.input_model or "?").name)] if several else []), *cells)
    return ops


def size_text(n: int | None) -> str:
    """Bytes as the compiler prints them (KiB/MiB, two decimals); '?' when unknown."""
    if n is None:
        return "?"
    for unit, scale in (("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} B"


@handle_errors
def compile_edgetpu(
    model: Annotated[Path, typer.Argument(
        help="A .tflite model, or the folder of an 'effkit build --target coral' made "
        "without the compiler, to finish in place.", show_default=False)],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Output folder [default: the model's folder].")] = None,
    compiler: Annotated[str | None, typer.Option(
        "--compiler", help="edgetpu_compiler path, or 'docker' "
        "[default: $EFFKIT_EDGETPU_COMPILER, then PATH].")] = None,
    num_segments: Annotated[int | None, typer.Option(
        "--num-segments", min=1, help="Split the model into N segments for pipelining.")] = None,
    min_runtime: MinRuntimeOpt = None,
    timeout: Annotated[float | None, typer.Option(
        "--timeout", min=1, show_default=False, help="Compiler timeout per compilation, seconds "
        "(edgetpu_compiler -t, compiler 16+); effkit stops a compiler still running 60 s later "
        "(Docker: 120 s) [default: 180; a build folder: its build's --compile-timeout, else 600].")] = None,
    search_delegate: Annotated[bool, typer.Option(
        "--search-delegate", help="edgetpu_compiler -d: on failure, search for the largest "
        "part of the graph that compiles.")] = False,
    multiple_subgraphs: Annotated[bool, typer.Option(
        "--multiple-subgraphs", help="edgetpu_compiler -a (compiler 16+): allow several Edge TPU "
        "subgraphs when unsupported ops sit between supported ones.")] = False,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Compile a .tflite model for the Coral Edge TPU: writes <stem>_edgetpu.tflite and its logs.

    Given a build folder (build.json says "not compiled"), compiles its model.tflite in
    place: model_edgetpu.tflite with the metadata re-attached, coral/ and build.json updated.
    """
    from effkit.edgetpu.check import check_min_runtime
    from effkit.edgetpu.compiler import compile_model
    from effkit.edgetpu.locate import COMPILE_TIMEOUT_S, compiler_version, find_compiler
    from effkit.errors import check_seconds

    check_min_runtime(min_runtime)  # before looking for the compiler: a typo is the user's to fix
    if timeout is not None:
        check_seconds(timeout, "--timeout", example=600)

    def status(text: str) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext() if json_out else live_console().status(text)

    if model.is_dir():
        _finish_build(model, out=out, compiler=compiler, num_segments=num_segments,
                      min_runtime=min_runtime, timeout=timeout, force=force,
                      extra=search_delegate or multiple_subgraphs, json_out=json_out)
        return

    from effkit.metadata.model_file import load_model_file

    load_model_file(model)  # a missing or non-TFLite file is named before the compiler is asked for
    found = find_compiler(compiler)
    with status("Preparing edgetpu_compiler (docker builds its image once)"):
        version = compiler_version(found)
    with status(f"Compiling {escape(model.name)} with edgetpu_compiler {version}"):
        result = compile_model(
            model, out if out is not None else model.parent, compiler=found,
            min_runtime_version=min_runtime, num_segments=num_segments,
            timeout_s=timeout if timeout is not None else COMPILE_TIMEOUT_S,
            search_delegate=search_delegate, multiple_subgraphs=multiple_subgraphs, overwrite=force)
    if json_out:
        print_json(result.to_dict())
        return
    report = result.report
    summary = Table(title=f"edgetpu_compiler {version}", show_header=False)
    summary.add_column("", style="bold")
    summary.add_column("")
    summary.add_row("ops on Edge TPU", f"{count_text(report.ops_tpu)} of {count_text(report.ops_total)}")
    summary.add_row("ops on CPU", count_text(report.ops_cpu))
    if report.note:  # nothing mapped: the compile "succeeded" with the whole model on the CPU
        summary.add_row("note", f"[yellow]{escape(report.note)}[/]")
    summary.add_row("Edge TPU subgraphs", count_text(report.subgraphs))
    summary.add_row("parameters on-chip", size_text(report.on_chip_used_bytes))
    summary.add_row("parameters off-chip", size_text(report.off_chip_used_bytes))
    for path in (*result.compiled, *result.op_logs, result.console_log_path):
        summary.add_row("wrote", escape(str(path)))
    console.print(summary)
    ops = operator_table(report)
    if ops is not None:
        console.print(ops)
