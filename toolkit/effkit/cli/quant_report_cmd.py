"""effkit quant-report: per-layer float vs int8 errors, the worst layers and their likely causes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from effkit.cli._common import (
    ForceOpt,
    JsonOpt,
    ModelArg,
    console,
    escape,
    handle_errors,
    print_json,
    stage_progress,
)


@handle_errors
def quant_report(
    model: ModelArg,
    float_model: Annotated[Path, typer.Option(
        "--float", show_default=False,
        help="The float32 .tflite of the same network (e.g. 'effkit build --quant float32').")],
    data: Annotated[Path | None, typer.Option(
        "--data", "-d", show_default=False,
        help="Images to compare on (any folder, labels not needed). Default: the calibration set "
        "of the build the model belongs to (build.json beside it).")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", help="Use at most N images, spread evenly over the set.")] = 32,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Also write a self-contained HTML page with the per-layer chart.")] = None,
    worst: Annotated[int, typer.Option("--worst", help="Layers to list, worst SNR first.")] = 10,
    keep_float: Annotated[int | None, typer.Option(
        "--keep-float", help="CPU builds: convert the build again with the N layers that add the most "
        "error kept in float (mixed precision) and write it to --out. Refused for Coral: float layers "
        "split the Edge TPU graph.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Where --keep-float writes the mixed-precision .tflite.")] = None,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Run both models with every tensor kept and compare each layer: SNR, RMSE / range,
    cosine, scale and zero point, clipped share, and the likely cause of the worst ones."""
    from effkit.analysis.quant_report.inputs import BuildInfo, inputs_for
    from effkit.analysis.quant_report.measure import compare
    from effkit.analysis.quant_report.page import PAGE_FILE, render_html
    from effkit.core.outputs import check_output_file, write_file_atomic
    from effkit.errors import UsageError, check_whole
    from effkit.metadata.model_file import TFLITE_FILE, load_model_file

    check_whole(worst, "--worst", high=10_000, example=10, why=" layers")

    # without --data the images are the build's calibration folder (if it had one): an input too
    images = data
    if data is None and (html or out) and (Path(model).parent / "build.json").is_file():
        images = BuildInfo.beside(model).calibration_folder
    for path, kind, flag in ((html, PAGE_FILE, "--html"), (out, TFLITE_FILE, "--out")):
        if path is not None:  # before the work; never an input, --force only over its own kind
            check_output_file(path, force, inputs=(model, float_model, images), kind=kind, flag=flag)
    mixed: tuple[BuildInfo, int, Path] | None = None  # the build, --keep-float, --out
    if keep_float is not None:
        from effkit.pipeline.mixed_precision import check_target

        if keep_float < 1 or out is None:
            raise UsageError("--keep-float N needs N >= 1 and --out MIXED.tflite")
        build = BuildInfo.beside(model, needed_for="--keep-float has no network to convert again",
                                 hint="run quant-report on model.tflite in the folder 'effkit build' wrote")
        check_target(build.target)
        mixed = (build, keep_float, out)
    elif out is not None:
        raise UsageError("--out is where --keep-float writes its model", "add --keep-float N, or drop --out")
    int8_bytes, float_bytes = load_model_file(model), load_model_file(float_model)
    import numpy as np

    from effkit.analysis.evaluate import TFLiteClassifier
    from effkit.errors import naming_file

    taken = []
    for path, data_bytes in ((model, int8_bytes), (float_model, float_bytes)):
        with naming_file(path):  # a broken or unfit model is named, before the images are read
            taken.append(np.dtype(TFLiteClassifier(data_bytes, xnnpack=False).input["dtype"]).name)
    if taken[1] != "float32" and taken[0] == "float32":  # a float MODEL and an int8 --float
        raise UsageError(f"MODEL {str(model)!r} takes float32 input and --float "
                         f"{str(float_model)!r} takes {taken[1]}: the two look swapped",
                         "pass the int8 model first and its float build with --float "
                         "(effkit quant-report INT8.tflite --float FLOAT.tflite)")
    if "float32" not in taken:  # two int8 models (the same one twice reads as 120 dB everywhere)
        raise UsageError(f"--float {str(float_model)!r} takes {taken[1]} input: it is a "
                         "quantized model, not the float one",
                         "pass the float32 build of the same network (effkit build --quant float32)")
    from effkit.core.progress import StageClock

    # a stage each, so a log shows them too: without --data the build's distilled set may
    # be made again (minutes), which a spinner kept off every log and pipe
    with stage_progress(transient=True) as on_progress:
        clock = StageClock(on_progress)
        with clock.stage("inputs", checks_first=True) as tick:
            inputs, source = inputs_for(model, data, limit, tick)
        with clock.stage("quant-report", checks_first=True) as tick:
            report = compare(int8_bytes, float_bytes, inputs, tick)
    doc = report.to_dict(worst) | {"int8_model": str(model), "float_model": str(float_model), "data": source}
    if mixed is not None:
        doc["mixed"] = _mixed(report, mixed[0], int8_bytes, float_bytes, inputs, mixed[1], mixed[2],
                              force)
    if html is not None:
        page = render_html(report, int8_name=str(model), float_name=str(float_model),
                           data_source=f"{source['source']}: {source.get('path')}", worst=worst)
        write_file_atomic(html, page.encode("utf-8"), force)
        doc["html"] = str(html)
    if json_out:
        print_json(doc)
        return
    _show(report, doc, worst)


def _mixed(report, build, int8_bytes: bytes, float_bytes: bytes, inputs, n: int, out: Path,
           force: bool) -> dict:
    """Convert with the ``n`` worst layers in float, write it, and compare it too."""
    from effkit.analysis.quant_report.measure import compare
    from effkit.core.outputs import write_file_atomic
    from effkit.pipeline.mixed_precision import mixed_from_build

    kept = report.biggest_losses(n)
    # the build's own calibration set; train --build's training split is not listed to read
    # back, so the --data images quant-report compares on calibrate instead
    own = not build.calibrated_on_training_split
    from effkit.core.progress import StageClock

    with stage_progress(transient=True) as on_progress, StageClock(on_progress).stage("convert"):
        data = mixed_from_build(int8_bytes, build, [s.tensor for s in kept], None if own else inputs)
        after = compare(data, float_bytes, inputs).to_dict()["summary"]
    write_file_atomic(out, data, force)
    return {"path": str(out), "bytes": len(data), "kept_float": [s.name for s in kept],
            # the same images measure it: figures that flatter it, and it says so
            "calibration": "the build's own set" if own else (
                f"the {len(inputs)} --data images it is measured on, which flatter it"),
            "output_snr_db": after["output_snr_db"], "output_cosine": after["output_cosine"],
            "min_snr_db": after["min_snr_db"]}


def _show(report, doc: dict, worst: int) -> None:
    s = doc["summary"]
    console.print(f"{doc['images']} image(s) from {escape(doc['data']['source'])}; {s['layers']} layers; "
                  f"median SNR {s['median_snr_db']:.1f} dB, lowest {s['min_snr_db']:.1f} dB, "
                  f"output {s['output_snr_db']:.1f} dB (cosine {s['output_cosine']:.4f})", highlight=False)
    table = Table(title=f"worst {min(worst, len(report.layers))} layers")
    for col in ("#", "layer", "op", "SNR dB", "lost here", "RMSE/range", "cosine", "clipped", "likely cause"):
        table.add_column(col, justify="left" if col in ("layer", "op", "likely cause") else "right",
                         overflow="fold")
    for r in report.worst(worst):
        table.add_row(str(r.index), escape(r.name), r.op, f"{r.snr_db:.1f}",
                      "-" if r.snr_drop_db is None else f"{r.snr_drop_db:.1f}", f"{r.rel_rmse:.4f}",
                      f"{r.cosine:.4f}", f"{r.clipped:.2%}", escape("; ".join(r.causes)) or "-")
    console.print(table)
    if report.unmatched:
        console.print(f"[yellow]{len(report.unmatched)} int8 layer(s) had no float counterpart[/]",
                      highlight=False)
    if doc.get("mixed"):
        m = doc["mixed"]
        console.print(f"kept in float: {escape(', '.join(m['kept_float']))}; output SNR "
                      f"{s['output_snr_db']:.1f} -> {m['output_snr_db']:.1f} dB; wrote {escape(m['path'])} "
                      f"({m['bytes'] / 1e6:.2f} MB, float32 input and output; calibrated on "
                      f"{m['calibration']}). Measure it with "
                      "'effkit eval' and 'effkit bench'.", highlight=False)
    if doc.get("html"):
        console.print(f"wrote {escape(doc['html'])}", highlight=False)
