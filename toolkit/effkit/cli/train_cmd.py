"""effkit train: transfer learning on a folder of class sub-folders, then (optionally) build."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from effkit.cli._common import (
    ForceOpt,
    JsonOpt,
    console,
    err_console,
    handle_errors,
    live_console,
    print_json,
    stage_progress,
)
from effkit.core.native_log import import_tensorflow_quietly
from effkit.errors import EffkitError

if TYPE_CHECKING:
    from rich.progress import Progress

    from effkit.pipeline.build import BuildPlan
    from effkit.training.trainer import TrainConfig, TrainResult

PHASE_TITLES = {"head": "head", "fine_tune": "fine-tune"}
SCAN_TITLE = "Checking images"


def _epoch_title(phase: str, epoch: int) -> str:
    return f"{PHASE_TITLES[phase]} epoch {epoch}"


@handle_errors
def train(
    data: Annotated[Path, typer.Option(
        "--data", "-d", help="Folder with one sub-folder of images per class (names become the labels).",
        show_default=False)],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Output folder: model.weights.h5, labels.txt, train.json.",
        show_default=False)],
    variant: Annotated[str, typer.Option("--variant", "-v", help="lite0 .. lite4 (see 'effkit variants').")] = "lite0",
    val: Annotated[Path | None, typer.Option(
        "--val", help="Validation folder with the same class sub-folders (default: split --data).")] = None,
    val_split: Annotated[float | None, typer.Option(
        "--val-split", help="Fraction of each class held out for validation (stratified, seeded); "
        "not with --val. [default: 0.2]", show_default=False)] = None,
    epochs: Annotated[int, typer.Option("--epochs", help="Epochs for the new head (backbone frozen).")] = 10,
    fine_tune_epochs: Annotated[int, typer.Option(
        "--fine-tune-epochs", help="Then epochs for the whole network (BN in inference mode).")] = 0,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Global batch size.")] = 32,
    learning_rate: Annotated[float, typer.Option("--learning-rate", help="Adam learning rate for the head.")] = 5e-3,
    fine_tune_learning_rate: Annotated[float | None, typer.Option(
        "--fine-tune-learning-rate", help="Learning rate for fine-tuning (default: --learning-rate / 100).")] = None,
    patience: Annotated[int, typer.Option(
        "--patience", help="Stop a phase after this many epochs without a better validation accuracy.")] = 3,
    dropout: Annotated[float, typer.Option("--dropout", help="Dropout before the new dense layer.")] = 0.2,
    augment: Annotated[bool, typer.Option(
        "--augment/--no-augment", help="Random crop, flip and brightness/contrast on training images.")] = True,
    weights: Annotated[str | None, typer.Option(
        "--weights", help="Backbone weights: 'official' (Google's checkpoint), a checkpoint "
        "folder, a .pth, or a .weights.h5/.keras file effkit saved, with or without a head "
        "(replaced); 'random' (warned of without --fine-tune-epochs) [default: bundled "
        "ImageNet weights, lite0-2].")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for the split, shuffling, augmentation and the head.")] = 0,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue an interrupted run from OUT/checkpoints (same flags).")] = False,
    build: Annotated[bool, typer.Option(
        "--build", help="Then build the model (int8, calibrated on the training images) into OUT/VARIANT-TARGET "
        "and measure its accuracy on the validation split.")] = False,
    target: Annotated[str | None, typer.Option(
        "--target", "-t", help="With --build: cpu, coral or android (default: cpu).")] = None,
    skip_compile: Annotated[bool, typer.Option(
        "--skip-compile", help="With --build --target coral: skip the Edge TPU compile.")] = False,
    compiler: Annotated[str | None, typer.Option(
        "--compiler", help="With --build --target coral: edgetpu_compiler path, or 'docker'.")] = None,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Train a classifier on your own images: a new head on the pretrained backbone, then
    optionally the whole network; early stopping, a checkpoint every epoch, --resume."""
    from effkit.errors import UsageError
    from effkit.training.trainer import TrainConfig, validate

    if not build and (target or skip_compile or compiler):
        raise UsageError("--target, --skip-compile and --compiler only apply with --build",
                         "add --build")
    config = TrainConfig(
        data=data, out=out, variant=variant, val=val, val_split=val_split, epochs=epochs,
        fine_tune_epochs=fine_tune_epochs, batch_size=batch_size, learning_rate=learning_rate,
        fine_tune_learning_rate=fine_tune_learning_rate, patience=patience, dropout_rate=dropout,
        augment=augment, weights=weights, seed=seed, resume=resume, force=force,
    )
    validate(config)
    import_tensorflow_quietly()
    # The build is planned (and checked: the Edge TPU compiler too) before training, and that
    # plan is what runs after it; only the weights, classes and calibration set are filled in.
    planned = _plan_build(config, target or "cpu", skip_compile, compiler) if build else None

    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                        console=live_console(), transient=json_out,
                        disable=not err_console.is_terminal)  # no bar in logs and pipes
    result = None
    try:
        with progress:
            result = _train(config, progress)
            chief = result.summary["placement"]["chief"]
            section = _build(result, planned, progress) if planned and chief else None
    except (KeyboardInterrupt, Exception) as exc:
        from effkit.core.outputs import stop_exit_code

        # training finished and wrote its outputs; only the build did not: say how to finish
        kept = None if result is None else (
            f"training finished and is kept in {out} ({result.weights.name}, {result.labels.name}, "
            f"train.json); build it with: {_build_command(result, result.summary, target)}")
        if isinstance(exc, EffkitError) and kept is not None:
            exc.hint = f"{exc.hint}; {kept}" if exc.hint else kept
        code = stop_exit_code(exc)
        if code is None or isinstance(exc, EffkitError) or os.environ.get("EFFKIT_DEBUG"):
            raise
        from effkit.training.checkpoints import CHECKPOINT_DIR, STATE_NAME, epochs_done

        if kept is not None:
            note = f"the build did not finish; {kept}"
        elif (out / CHECKPOINT_DIR / STATE_NAME).is_file():
            done = epochs_done(out / CHECKPOINT_DIR)
            finished = "finished epochs are" if done is None else (
                "the finished epoch is" if done == 1 else f"the {done} finished epochs are")
            note = f"{finished} kept in {out / CHECKPOINT_DIR}; continue with --resume"
        else:
            note = "no epoch had finished, nothing to resume"
        from effkit.cli._common import print_notes, report_interrupt

        print_notes()  # what happened on the way (an earlier build removed) before the ending
        report_interrupt(note, code, json_out=json_out)
        raise typer.Exit(code=code) from None
    summary = dict(result.summary)
    if section is not None:
        summary["build"] = section
    if json_out:
        print_json(dataclasses.replace(result, summary=summary).to_dict())
    elif not chief:
        console.print(f"validation accuracy {summary['val_accuracy']:.4f}; this worker is not "
                      "the chief: the chief writes the outputs", highlight=False)
    else:
        _report(result, summary)
    if section is not None:  # the notes 'effkit build' ends with (no compiler: how to finish)
        from effkit.cli.build import edgetpu_notes
        from effkit.core.manifest import Manifest

        built = Path(section["out_dir"])
        edgetpu_notes(built, Manifest.read(built).to_dict())


def _plan_build(config: TrainConfig, target: str, skip_compile: bool,
                compiler: str | None) -> BuildPlan:
    from effkit.training.build import build_request, plan_trained

    return plan_trained(build_request(config, target, skip_compile=skip_compile,
                                      compiler=compiler))


def _train(config, progress):
    from effkit.core.progress import LineProgress, ProgressEvent
    from effkit.training.trainer import Callbacks, train

    tasks: dict[str, int] = {}
    # the bars are off in a log or a pipe: a line there about every 10 s instead
    lines = None if err_console.is_terminal else LineProgress(sys.stderr, heartbeat=False)

    def tick(title: str, done: int, total: int) -> None:
        if title not in tasks:
            tasks[title] = progress.add_task(title, total=total)
        progress.update(tasks[title], completed=done, total=total)
        if lines is not None:
            lines(ProgressEvent(title, "update", done, total))

    def on_scan(done: int, total: int) -> None:
        tick(SCAN_TITLE, done, total)

    def on_start(info: dict) -> None:  # on stderr: with --json too, stdout stays the document
        counts = info["counts"]
        progress.console.print(
            f"{len(counts)} classes, {sum(c['train'] for c in counts.values())} training and "
            f"{sum(c['val'] for c in counts.values())} validation images"
            + (f", {info['skipped']} unreadable skipped" if info["skipped"] else "")
            + (f", {info['ignored']} outside class folders ignored" if info["ignored"] else "")
            + f"; {info['placement']['kind']} strategy, {info['placement']['replicas']} replica(s)"
            + (", mixed precision" if info["placement"]["mixed_precision"] else ""),
            highlight=False)
        from effkit.cli._common import escape

        for warning in info.get("warnings", ()):
            progress.console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
        if info["resumed"]:
            r = info["resumed"]
            progress.console.print(f"resuming after {PHASE_TITLES[r['phase']]} epoch {r['epoch']}",
                                   highlight=False)

    def on_batch(phase: str, epoch: int, done: int, total: int) -> None:
        tick(_epoch_title(phase, epoch), done, total)

    def on_epoch(r) -> None:
        key = _epoch_title(r.phase, r.epoch)
        if key in tasks:
            progress.remove_task(tasks.pop(key))
        progress.console.print(
            f"{PHASE_TITLES[r.phase]} {r.epoch}/{r.epochs} loss {r.loss:.4f} acc {r.accuracy:.3f} "
            f"val_loss {r.val_loss:.4f} val_acc {r.val_accuracy:.3f} {r.seconds:.1f}s"
            + (" [green]best[/]" if r.best else ""), highlight=False)

    result = train(config, Callbacks(on_scan=on_scan, on_start=on_start, on_batch=on_batch,
                                     on_epoch=on_epoch))
    if SCAN_TITLE in tasks:
        progress.remove_task(tasks[SCAN_TITLE])
    return result


def _build(result: TrainResult, planned: BuildPlan, progress: Progress) -> dict:
    from effkit.training.build import build_trained

    with stage_progress(rich_progress=progress) as on_progress:
        return build_trained(result, planned, on_progress)


def _report(result, summary: dict) -> None:
    from rich.table import Table

    from effkit.cli._common import escape

    title = f"effkit train: {summary['variant']}, {summary['num_classes']} classes"
    table = Table(title=title, min_width=len(title))  # a narrow table wrapped its title
    for col in ("class", "train", "val"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for name, c in summary["class_counts"].items():
        table.add_row(escape(name), str(c["train"]), str(c["val"]))  # folder names: user text
    console.print(table)
    best = summary["best"]
    console.print(f"validation accuracy {summary['val_accuracy']:.4f} (best: "
                  f"{PHASE_TITLES[best['phase']]} epoch {best['epoch']})", highlight=False)
    if summary["skipped"]:
        console.print(f"{len(summary['skipped'])} unreadable images skipped (listed in train.json), "
                      f"first: {escape(summary['skipped'][0])}", highlight=False)
    console.print(f"wrote {escape(str(result.weights))}, {escape(str(result.labels))}, "
                  f"{escape(str(result.out_dir / 'train.json'))}",
                  highlight=False)
    build = summary.get("build")
    if build:
        console.print(f"built {escape(str(build['model']))}: {build['quant']} validation accuracy "
                      f"{build['val_accuracy']:.4f} (float {build['float_val_accuracy']:.4f})",
                      highlight=False)
    else:
        console.print(f"next: {escape(_build_command(result, summary))}", highlight=False)


def _build_command(result, summary: dict, target: str | None = None) -> str:
    """The ``effkit build`` command, quoted to paste, that builds the trained weights."""
    import shlex

    return shlex.join(["effkit", "build", "--variant", summary["variant"], "--weights",
                       str(result.weights), "--labels", str(result.labels), "--calibration",
                       str(summary["settings"]["data"])]
                      + (["--target", target] if target not in (None, "cpu") else []))
