"""effkit build: the whole pipeline in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from effkit.cli._common import (
    ForceOpt,
    JsonOpt,
    console,
    count_text,
    err_console,
    handle_errors,
    print_json,
    stage_progress,
)
from effkit.edgetpu.locate import BUILD_COMPILE_TIMEOUT_S


@handle_errors
def build(
    variant: Annotated[
        str, typer.Option("--variant", "-v", help="lite0 .. lite4 (see 'effkit variants').")
    ] = "lite0",
    target: Annotated[
        str, typer.Option("--target", "-t", help="cpu, coral (Edge TPU + Pi scripts) or android.")
    ] = "cpu",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder (default: build/VARIANT-TARGET).")
    ] = None,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            help="'official' (Google's checkpoint, downloaded once into the cache; "
            "$EFFKIT_WEIGHTS_URL, EFFKIT_OFFLINE=1), an official checkpoint folder, a .pth "
            "state dict, a .weights.h5/.keras file, or 'random'. Default: the bundled port (lite0-2), "
            "'official' (lite3/4).",
        ),
    ] = None,
    labels: Annotated[
        Path | None, typer.Option("--labels", help="Labels file, one per line (UTF-8).")
    ] = None,
    calibration: Annotated[
        Path | None,
        typer.Option(
            "--calibration",
            help="Folder of images to calibrate on (recursive). Default: data "
            "distilled from the model's batch-norm statistics, no images needed.",
        ),
    ] = None,
    calibration_size: Annotated[
        int | None,
        typer.Option(
            "--calibration-size", help="Images to calibrate on (default: 100 from a folder, 32 distilled)."
        ),
    ] = None,
    quant: Annotated[
        str, typer.Option("--quant", help="int8 (full integer), float16, dynamic or float32.")
    ] = "int8",
    io: Annotated[str | None, typer.Option(
        "--io", help="int8 model input/output type: uint8 (default) or int8.")] = None,
    bias_correction: Annotated[
        bool, typer.Option("--bias-correction/--no-bias-correction",
                           help="int8: remove the mean shift int8 weights add to each channel, "
                           "measured on the calibration images (docs/calibration.md).")
    ] = True,
    weight_rounding: Annotated[
        str, typer.Option("--weight-rounding",
                          help="int8: nearest (the converter's), or gptq: rounded to fit the "
                          "calibration images, closer to float, slower (docs/calibration.md).")
    ] = "nearest",
    skip_compile: Annotated[
        bool, typer.Option("--skip-compile", help="coral: build everything but the Edge TPU compile.")
    ] = False,
    require_compile: Annotated[
        bool, typer.Option("--require-compile", help="coral: fail when neither edgetpu_compiler "
                           "nor a Docker engine is found (default: build everything else and "
                           "say how to finish).")
    ] = False,
    compiler: Annotated[
        str | None,
        typer.Option(
            "--compiler",
            help="edgetpu_compiler path, or 'docker' (default: $EFFKIT_EDGETPU_COMPILER, then PATH).",
        ),
    ] = None,
    min_tpu_ops: Annotated[
        float,
        typer.Option("--min-tpu-ops", help="Fail when fewer ops than this fraction map to the Edge TPU."),
    ] = 1.0,
    num_segments: Annotated[
        int | None, typer.Option("--num-segments", help="Edge TPU segments: 1 only (the app runs "
                                 "one model on one Edge TPU; split a model file with compile-edgetpu).")
    ] = None,
    min_runtime: Annotated[
        int | None,
        typer.Option("--min-runtime", help="edgetpu_compiler -m: oldest Edge TPU runtime to support."),
    ] = None,
    compile_timeout: Annotated[float, typer.Option(
        "--compile-timeout", min=1, help="coral: edgetpu_compiler's time limit per compilation, "
        "seconds (lite4 on a slow host or under emulation may need more); as compile-edgetpu "
        "--timeout.")] = BUILD_COMPILE_TIMEOUT_S,
    quant_report: Annotated[
        bool, typer.Option("--quant-report", help="int8: also write quant_report.json, the per-layer "
                           "float vs int8 errors on the calibration set (see 'effkit quant-report').")
    ] = False,
    app_id: Annotated[str | None, typer.Option(
        "--app-id", help="android: Java package name [default: com.example.VARIANT].")] = None,
    app_name: Annotated[str | None, typer.Option(
        "--app-name", help="android: app name shown on the phone [default: the model name].")] = None,
    android_runtime: Annotated[
        str | None,
        typer.Option("--android-runtime", help="android: compiled-model (LiteRT 2.x CompiledModel, GPU "
                     "with CPU fallback; the default) or interpreter (LiteRT 1.4 Interpreter).")
    ] = None,
    model_name: Annotated[str | None, typer.Option("--name", help="Model name in the metadata.")] = None,
    description: Annotated[str | None, typer.Option(
        "--description", help="Model description in the metadata [default: variant, classes, "
        "quantization].", show_default=False)] = None,
    model_version: Annotated[str, typer.Option("--model-version", help="Model version in the metadata.")] = "1",
    author: Annotated[str, typer.Option("--author", help="Author in the metadata.")] = "effkit",
    license_: Annotated[str, typer.Option("--license", help="License in the metadata.")] = "Apache-2.0",
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Build a full-integer TFLite model with metadata (and Edge TPU model, sample app)."""
    from effkit.api import build as build_model

    with stage_progress(transient=json_out) as on_progress:
        result = build_model(
            variant, target=target, out=out, weights=weights, labels=labels,
            calibration=calibration, calibration_size=calibration_size, quant=quant, io=io,
            bias_correction=bias_correction, weight_rounding=weight_rounding,
            force=force, progress=on_progress, skip_compile=skip_compile,
            require_compile=require_compile, compiler=compiler, quant_report=quant_report,
            min_tpu_ops=min_tpu_ops, num_segments=num_segments, min_runtime_version=min_runtime,
            compile_timeout=compile_timeout, app_id=app_id, app_name=app_name, android_runtime=android_runtime,
            model_name=model_name, description=description, model_version=model_version,
            author=author, license=license_)
    doc = result.to_dict()
    if json_out:
        from effkit.pipeline.edgetpu_stage import closing_warning

        closing = closing_warning(doc, result.out_dir)  # with the others, where a pipeline looks
        print_json(doc | {"warnings": [*doc.get("warnings", ()), closing]} if closing else doc)
    else:
        _summary(result)
    edgetpu_notes(result.out_dir, doc)


def edgetpu_notes(out_dir: Path, doc: dict) -> None:
    """The compiler route when effkit chose Docker by itself; the closing warning when the
    Edge TPU model could not be made (on stderr, so --json stays one document)."""
    from effkit.cli._common import escape
    from effkit.pipeline.edgetpu_stage import closing_warning

    note = (doc.get("edgetpu") or {}).get("compiler_note") or ""
    if note.startswith("no local edgetpu_compiler"):
        err_console.print(f"note: {escape(note)}", highlight=False)
    for warning in [*doc.get("warnings", ()), closing_warning(doc, out_dir)]:
        if warning:
            err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


NEXT_STEPS = {
    "coral": "copy {app} to the Raspberry Pi, then run ./install.sh there",
    "android": "open {app} in Android Studio and run it on a phone",
}


def _summary(result) -> None:
    from rich.table import Table

    from effkit.cli._common import escape

    doc = result.manifest
    table = Table(title=f"effkit build: {doc.variant} -> {doc.target}", show_header=True)
    table.add_column("artifact", overflow="fold")
    table.add_column("size", justify="right", no_wrap=True)
    for art in doc.artifacts:
        table.add_row(escape(str(result.out_dir / art.path)), f"{art.bytes / 1e6:.2f} MB")
    if result.app_dir is not None:
        table.add_row(escape(f"{result.app_dir}/") + f" ({len(doc.app_files)} files)",
                      f"{sum(a.bytes for a in doc.app_files) / 1e6:.2f} MB")
    console.print(table, highlight=False)
    quant = doc.quantization or {}
    mode, io = quant.get("mode"), quant.get("io")
    console.print(f"quantization: {mode}" + (f", {io} input and output" if mode == "int8" else
                                             ", float32 input and output"), highlight=False)
    calib = doc.calibration
    if calib:
        # one phrase a line: a terminal of 80 columns wraps none of them mid-phrase
        origin = {"shipped": " (the set shipped with effkit for these weights)",
                  "cache": " (from the cache)", "distilled now": " (distilled now)"}
        console.print(f"calibration: {calib['count']} images"
                      + origin.get(str(calib.get("origin")), "")
                      + (f", {calib['skipped']} unreadable skipped" if calib["skipped"] else ""),
                      highlight=False)
        # a folder's set names the folder; a distilled set says what it was distilled from
        detail = calib.get("detail")  # a folder's: {"path": ...} (calibration_section)
        folder = detail.get("path") if isinstance(detail, dict) else detail
        console.print(f"  from {escape(str(folder))}" if calib["source"] == "folder"
                      else "  distilled from the model's batch-norm statistics", highlight=False)
        corrected = (doc.quantization or {}).get("bias_correction")
        if corrected is not None:
            console.print("  int8 biases corrected on them" if corrected
                          else "  no bias correction (--no-bias-correction)", highlight=False)
        if (doc.quantization or {}).get("weight_rounding") == "gptq":
            console.print("  int8 weights rounded by GPTQ on them", highlight=False)
    if doc.edgetpu:
        console.print(_edgetpu_table(doc.edgetpu))
    console.print("stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in doc.timings_s.items()),
                  highlight=False)
    if result.app_dir is not None and doc.target in NEXT_STEPS:
        import shlex

        app = shlex.quote(f"{result.app_dir}/")  # one word, as a shell would need it
        console.print("next: " + escape(NEXT_STEPS[doc.target].format(app=app)), highlight=False)


def _edgetpu_table(tpu: dict):
    """Ops on the Edge TPU and on the CPU, parameter memory on and off chip."""
    from rich.table import Table

    check = tpu["check"]
    table = Table(title=f"Edge TPU: {tpu['status']}")
    # Short headers: the table stays within 80 columns.
    for col in ("", "TPU ops", "CPU ops", "params on-chip", "off-chip"):
        table.add_column(col, justify="right")

    def mib(n):
        return "" if n is None else f"{n / 2**20:.2f} MiB"

    table.add_row("predicted by effkit", count_text(check["ops_tpu"]), count_text(check["ops_cpu"]),
                  mib(check.get("on_chip_bytes")), mib(check.get("off_chip_bytes")))
    report = (tpu.get("compile") or {}).get("report")
    if report:
        table.add_row("edgetpu_compiler", count_text(report["ops_tpu"]), count_text(report["ops_cpu"]),
                      mib(report["on_chip_used_bytes"]), mib(report["off_chip_used_bytes"]))
    return table
