"""effkit bench: CPU latency percentiles, size and peak memory of .tflite models."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

if TYPE_CHECKING:
    from effkit.analysis.bench import BenchResult

from effkit.cli._common import (
    ForceOpt,
    JsonOpt,
    ModelArg,
    SaveBenchOpt,
    XnnpackOpt,
    console,
    escape,
    handle_errors,
    print_json,
    stage_progress,
)


@handle_errors
def bench(
    model: ModelArg,
    runs: Annotated[int, typer.Option("--runs", "-n", help="Timed invocations per model.")] = 100,
    warmup: Annotated[int, typer.Option("--warmup", help="Untimed invocations first.")] = 10,
    threads: Annotated[int, typer.Option("--threads", help="LiteRT CPU threads.")] = 1,
    xnnpack: XnnpackOpt = True,
    vs: Annotated[Path | None, typer.Option(
        "--vs", help="A second .tflite model, timed interleaved run by run; gives the ratio.")] = None,
    save: SaveBenchOpt = False,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Latency p50/p90/p99 after warm-up (a model in a fresh process; with --vs the two
    interleaved in one), size, peak memory (each model in its own process)."""
    from effkit.analysis.bench import VsResult
    from effkit.analysis.saved_results import check_can_save, save_result
    from effkit.api import benchmark

    if save:
        check_can_save([model, vs], "bench", force)

    with stage_progress(transient=True) as on_progress:
        found = benchmark(model, runs=runs, warmup=warmup, threads=threads, xnnpack=xnnpack,
                          vs=vs, progress=on_progress)
    ratio: dict[str, float] | None = None
    out = found.to_dict()  # the API's document is the command's
    if isinstance(found, VsResult):
        results = [found.model, found.other]
        ratio = {"ratio_p50": found.ratio_p50, "ratio_p90": found.ratio_p90}
        docs = [out["model"], out["other"]]
    else:
        results, docs = [found], [out]
    saved = []
    if save:
        for r, d in zip(results, docs, strict=True):
            saved.append(str(save_result(r.model, "bench", d, force)))
    if json_out:
        print_json(out | ({"saved": saved} if save else {}))
        return
    _show(results, ratio, threads, results[0].machine, saved)


def _show(results: list[BenchResult], ratio: dict[str, float] | None, threads: int,
          machine: dict, saved: list[str]) -> None:
    runs = results[0].latency.runs
    title = (f"effkit bench: {runs} run{'s' if runs != 1 else ''}, {threads} thread(s), "
             f"{'XNNPACK' if results[0].xnnpack else 'no XNNPACK'}, {machine['cpu']}")
    table = Table(title=escape(title))
    table.add_column("")
    for r in results:
        table.add_column(escape(str(r.model)), justify="right", overflow="fold")
    lat = [r.latency for r in results]
    for key in ("p50", "p90", "p99", "mean", "min"):
        table.add_row(f"latency {key} (ms)", *[f"{getattr(x, key):.2f}" for x in lat])
    table.add_row("size (MB)", *[f"{r.size_bytes / 1e6:.2f}" for r in results])
    table.add_row("peak RSS (MiB)", *[f"{r.peak_rss_mb:.0f}" for r in results])
    table.add_row("RSS after imports (MiB)", *[f"{r.baseline_rss_mb:.0f}" for r in results])
    table.add_row("load (ms)", *[f"{r.load_ms:.0f}" for r in results])
    console.print(table)
    if ratio is not None:
        k = ratio["ratio_p50"]
        verdict = ("as fast (within 0.5%)" if abs(k - 1) < 0.005 else
                   f"{k:.2f}x faster" if k > 1 else f"{1 / k:.2f}x slower")
        console.print(f"p50 ratio (--vs / model): {k:.2f}; the model is {verdict} "
                      f"(interleaved runs)", highlight=False)
    for path in saved:
        console.print(f"saved {escape(path)}", highlight=False)
