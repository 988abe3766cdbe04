"""effkit check-edgetpu: predict which ops the Edge TPU compiler maps, without the compiler."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from effkit.cli._common import JsonOpt, ModelArg, console, escape, handle_errors, print_json

MinRuntimeOpt = Annotated[int | None, typer.Option(
    "--min-runtime",
    help="Oldest Edge TPU runtime the model must run on (edgetpu_compiler -m) [default: 13].")]


CompilerVersionOpt = Annotated[str | None, typer.Option(
    "--compiler-version", help="edgetpu_compiler release whose op-version limits apply, "
    "e.g. 15.0 [default: 16.0, the last release].")]


@handle_errors
def check_edgetpu(
    model: ModelArg,
    min_runtime: MinRuntimeOpt = None,
    compiler_version: CompilerVersionOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a .tflite model against Coral's Edge TPU requirements, op by op.

    Exit status 0 when every op is predicted to run on the Edge TPU, 1 otherwise.
    """
    from effkit.api import check_edgetpu
    from effkit.edgetpu.logmodel import check_compiler_version

    if compiler_version is not None:
        check_compiler_version(compiler_version, "--compiler-version")
    report = check_edgetpu(model, min_runtime_version=min_runtime, compiler_version=compiler_version)
    if json_out:
        print_json(report.to_dict())
    else:
        table = Table(title=f"Edge TPU check: {escape(model.name)} "
                            f"({report.quantization}, runtime {report.min_runtime_version}+)")
        for col in ("#", "op", "runs on", "why"):
            table.add_column(col, overflow="fold")
        for op in report.ops:
            where = "[green]Edge TPU[/]" if op.on_tpu else "[red]CPU[/]"
            why = "; ".join(op.reasons) or (op.note or "")
            table.add_row(str(op.index), escape(op.op), where, escape(why))
        console.print(table)
        for problem in report.problems:
            console.print(f"[red]problem:[/] {escape(problem)}", highlight=False)
        for warning in report.warnings:
            console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
        if report.memory is not None:
            mem = report.memory
            console.print(f"parameters (estimated): {mem.on_chip_bytes / 2**20:.2f} MiB on "
                          f"chip, {mem.off_chip_bytes / 2**20:.2f} MiB streamed from host "
                          "memory", highlight=False)
        colour = "green" if report.all_mapped else "red"
        console.print(f"[bold {colour}]{escape(report.summary())}[/]", highlight=False)
    if not report.all_mapped:
        raise typer.Exit(code=1)
