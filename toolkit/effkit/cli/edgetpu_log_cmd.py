"""effkit edgetpu-log: read a saved edgetpu_compiler log (console output or *_edgetpu.log)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from effkit.cli._common import JsonOpt, console, count_text, escape, handle_errors, print_json
from effkit.cli.compile_cmd import operator_table, size_text


@handle_errors
def edgetpu_log(
    log: Annotated[Path, typer.Argument(help="A saved edgetpu_compiler console log or "
                                        "<stem>_edgetpu.log.", show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Parse an edgetpu_compiler log from any machine: outcome, op mapping, memory, attempts.

    Several runs pasted into one file are reported as attempts: the last run decides,
    the earlier failures are kept. Exit status 0 when the log parses, also for a failed
    compile (the verdict is in "status").
    """
    from effkit.edgetpu.logparse import read_log_file

    report = read_log_file(log)
    if json_out:
        print_json(report.to_dict())
        return
    colour = {"succeeded": "green", "failed": "red"}.get(report.status, "yellow")
    table = Table(title=f"edgetpu_compiler log: {escape(log.name)}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    table.add_row("compiler version", escape(report.compiler_version or "?"))
    table.add_row("status", f"[{colour}]{report.status}[/]")
    if report.failure_kind:
        table.add_row("failure", escape(f"{report.failure_kind}: {report.failure_reason or ''}"))
        table.add_row("hint", escape(report.failure_hint or ""))
    if report.note:
        table.add_row("note", f"[yellow]{escape(report.note)}[/]")
    for error in report.errors:
        table.add_row("ERROR line", escape(error))

    missing = report.segments_missing
    table.add_row("ops", f"{count_text(report.ops_tpu)} of {count_text(report.ops_total)} on the Edge "
                  f"TPU, {count_text(report.ops_cpu)} on the CPU"
                  + (" (of the segments compiled)" if missing else ""))
    if report.cut_short:
        table.add_row("cut short", "[yellow]the log looks cut short: an operator row stops in "
                      "its status, or the TPU and CPU counts do not add up to the total; the "
                      "counts it cannot vouch for are '?' (pass the whole log)[/]")
    table.add_row("Edge TPU subgraphs", count_text(report.subgraphs))
    table.add_row("parameters on-chip", size_text(report.on_chip_used_bytes))
    table.add_row("parameters off-chip", size_text(report.off_chip_used_bytes))
    if report.segments:  # numbered from 1, as "segment 1 of 2"; the files count from 0
        total = max(m.segment[1] for m in report.segments if m.segment)
        table.add_row("segments", "compiled: " + ", ".join(
            f"{m.segment[0] + 1} of {m.segment[1]}" for m in report.segments if m.segment)
            + ("; no model in the log: " + ", ".join(f"{i + 1} of {total}" for i in missing)
               if missing else ""))
    if report.co_compiled:
        table.add_row("co-compiled models",
                      escape(", ".join(m.input_model or "?" for m in report.models)))
    if report.delegate_search:
        search = report.delegate_search.to_dict()
        table.add_row("delegate search", f"{search['tries']} tries, "
                      + ("succeeded" if search["succeeded"] else "none compiled"))
    for i, attempt in enumerate(report.attempts, 1):
        what = attempt.status + (f" ({attempt.failure_kind}: {attempt.failure_reason})"
                                 if attempt.failure_kind else "")
        table.add_row(f"earlier run {i}", escape(what))
    console.print(table)
    ops = operator_table(report)
    if ops is not None:
        console.print(ops)
