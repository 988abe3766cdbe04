"""effkit report: an HTML page and PNG charts from build folders and their measurements."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from effkit.cli._common import (
    ForceOpt,
    JsonOpt,
    console,
    err_console,
    escape,
    handle_errors,
    live_console,
    print_json,
)


@handle_errors
def report(
    folders: Annotated[list[Path], typer.Argument(
        help="Build folders written by 'effkit build' (with eval.json/bench.json from "
        "'effkit eval/bench MODEL --save'); among several, folders without build.json "
        "(build/lib after pip install .) are skipped.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("report"),
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Accuracy vs latency, float vs int8, build time per stage and Edge TPU coverage."""
    from effkit.analysis.report.page import build_report

    with live_console().status("drawing charts", spinner="dots"):
        result = build_report(folders, out, force)
    for skipped in result.doc["skipped"]:
        err_console.print(f"note: skipped {escape(skipped)}: not an effkit build folder (no "
                          "build.json)", highlight=False)
    if json_out:
        print_json(result.doc | {"out_dir": str(result.out_dir), "files": list(result.files)})
        return
    console.print(f"report: {escape(str(result.out_dir / 'index.html'))}", highlight=False)
    for name in result.files[2:]:
        console.print(f"  chart {escape(str(result.out_dir / name))}", highlight=False)
    for key, why in result.doc["missing_charts"].items():
        console.print(f"  [dim]no {key} chart: {escape(why)}[/]", highlight=False)
    for w in result.doc["warnings"]:
        console.print(f"  [yellow]all builds: {escape(w)}[/]", highlight=False)
    for b in result.doc["builds"]:
        for w in b["warnings"]:
            console.print(f"  [yellow]{escape(Path(b['folder']).name)}: {escape(w)}[/]",
                          highlight=False)
