"""effkit eval: top-1/top-5 of a .tflite classifier on a labelled folder (and --compare)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from effkit.cli._common import (
    ForceOpt,
    JsonOpt,
    ModelArg,
    SaveEvalOpt,
    XnnpackOpt,
    console,
    err_console,
    escape,
    handle_errors,
    print_json,
    stage_progress,
)

SHOW_DISAGREEMENTS = 15


@handle_errors
def eval_(
    model: ModelArg,
    data: Annotated[Path, typer.Option(
        "--data", "-d", show_default=False,
        help="Labelled images: one sub-folder per class named as in the labels (or by ImageNet "
        "wnid), or ImageNet-style files <wnid>_<name>.JPEG.")],
    labels: Annotated[Path | None, typer.Option(
        "--labels", help="Labels file, one per line (default: the model's metadata).")] = None,
    compare: Annotated[Path | None, typer.Option(
        "--compare", help="A second .tflite model: both accuracies, top-1 agreement and the "
        "images where they disagree.")] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", help="Use at most N images, spread evenly over the folder.")] = None,
    threads: Annotated[int | None, typer.Option(
        "--threads", help="LiteRT CPU threads (default: LiteRT's choice).")] = None,
    xnnpack: XnnpackOpt = True,
    save: SaveEvalOpt = False,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Top-1 and top-5 accuracy with the model's own preprocessing; --compare two models."""
    from effkit.analysis.evaluate import per_model_documents
    from effkit.analysis.saved_results import check_can_save, save_result
    from effkit.api import evaluate

    if save:  # fail before minutes of work, not after
        check_can_save([model, compare], "eval", force)

    with stage_progress(transient=True) as on_progress:
        doc = evaluate(model, data, labels=labels, compare=compare, limit=limit, threads=threads,
                       xnnpack=xnnpack, progress=on_progress).to_dict()
    saved = []
    if save:
        saved = [str(save_result(path, "eval", d, force)) for path, d in per_model_documents(doc)]
    if json_out:
        print_json(doc | ({"saved": saved} if save else {}))
        return
    _show(doc, saved)


def _show(doc: dict, saved: list[str]) -> None:
    from effkit.analysis.evaluate import trivial_top5

    kernels = "XNNPACK" if doc.get("xnnpack", True) else "reference kernels"
    table = Table(title=f"effkit eval on {escape(doc['data'])} ({doc['layout']}, {kernels})")
    for col in ("model", "top-1", "top-5", "images"):
        table.add_column(col, justify="left" if col == "model" else "right",
                         overflow="fold" if col == "model" else "ellipsis")
    rows = [doc] + ([doc["compare"]] if doc.get("compare") else [])
    for r in rows:
        table.add_row(escape(r["model"]["path"]), f"{100 * r['top1']:.2f}%",
                      "-" if trivial_top5(r) else f"{100 * r['top5']:.2f}%", str(r["count"]))
    console.print(table)
    for r in rows:
        norm = r["model"].get("normalization") or {}
        if norm.get("source") == "assumed":
            err_console.print(f"note: {escape(r['model']['path'])} has no normalization metadata: its "
                          f"input was taken as (x - {norm['mean']:g}) / {norm['std']:g}, "
                          "EfficientNet-Lite's; give it its own with 'effkit metadata MODEL --labels "
                          "FILE --mean M --std S'", highlight=False)
        for note in (norm.get("note"), r["model"].get("scores_note")):
            if note:
                err_console.print(f"note: {escape(r['model']['path'])}: {escape(note)}", highlight=False)
    few = [r["model"]["num_classes"] for r in rows if trivial_top5(r)]
    if few:
        console.print(f"top-5: not shown for a model of {few[0]} classes (every class is among "
                      "its top 5)", highlight=False)
    if doc["skipped"]:
        console.print(f"[yellow]skipped {doc['skipped']} unreadable image(s)[/], first: "
                      f"{escape(doc['skipped_files'][0])}", highlight=False)
    if doc["unlabelled"]:
        console.print(f"ignored {doc['unlabelled']} image(s) whose class could not be told",
                      highlight=False)
    other = doc.get("compare")
    if other:
        differ = other["disagreements"]
        console.print(f"top-1 agreement: {100 * other['agreement']:.2f}% "
                      f"({len(differ)} of {doc['count']} images differ)", highlight=False)
        if other["only_model_right"] == other["only_compare_right"] == 0:
            console.print("top-1 difference: none (no image is right for only one of the two)",
                          highlight=False)
        else:  # some image is right for one model only, so there are images
            console.print(f"top-1 difference: {100 * (doc['top1'] - other['top1']):+.2f} points, "
                          f"standard error {other['top1_difference_se_points']:.2f} "
                          f"({other['only_model_right']} images only the model gets right, "
                          f"{other['only_compare_right']} only the compared one)", highlight=False)
        if differ:
            t = Table(title="images where the top-1 differs"
                      + (f" (first {SHOW_DISAGREEMENTS})" if len(differ) > SHOW_DISAGREEMENTS else ""))
            for col in ("image", "label", "model", "compare"):
                t.add_column(col, overflow="fold")
            for d in differ[:SHOW_DISAGREEMENTS]:
                t.add_row(escape(Path(d["path"]).name), escape(_name(d, "label")),
                          escape(_name(d, "top1")), escape(_name(d, "other_top1")))
            console.print(t)
    for path in saved:
        console.print(f"saved {escape(path)}", highlight=False)


def _name(d: dict, key: str) -> str:
    name = d.get(f"{key}_name")
    return f"{d[key]} {name}" if name is not None else str(d[key])
