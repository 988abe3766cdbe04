"""effkit metadata: attach TFLite metadata (labels, normalization, model info) to a classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from effkit.cli._common import (
    ForceOpt,
    JsonOpt,
    ModelArg,
    console,
    err_console,
    escape,
    handle_errors,
    print_json,
)
from effkit.core.outputs import check_output_file, write_file_atomic
from effkit.errors import ModelFileError, OutputError, UsageError
from effkit.model.variants import NORM_MEAN, NORM_STD

LabelsOpt = Annotated[Path, typer.Option("--labels", help="Labels file: one class name per line, "
                                         "UTF-8, as many lines as the model has outputs.",
                                         show_default=False)]
NameOpt = Annotated[str | None, typer.Option("--name", help="Model name [default: file stem].")]
DescriptionOpt = Annotated[str | None, typer.Option(
    "--description", help="Model description [default: tflite-support's image classifier text].")]
VersionOpt = Annotated[str | None, typer.Option(
    "--model-version", "--version", help="Model version (build's --model-version).")]
AuthorOpt = Annotated[str | None, typer.Option("--author", help="Model author.")]
LicenseOpt = Annotated[str | None, typer.Option("--license", help="Model license.")]
MeanOpt = Annotated[list[float] | None, typer.Option(
    "--mean", help="Input normalization mean, (pixel - mean) / std; repeat once per channel "
    "for per-channel values [default: 127, EfficientNet-Lite].")]
StdOpt = Annotated[list[float] | None, typer.Option(
    "--std", help="Input normalization std; repeat per channel like --mean [default: 128].")]
OutFileOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", help="Output .tflite [default: <model stem>_metadata.tflite next to MODEL].")]


@handle_errors
def metadata(
    model: ModelArg,
    labels: LabelsOpt,
    name: NameOpt = None,
    description: DescriptionOpt = None,
    version: VersionOpt = None,
    author: AuthorOpt = None,
    license: LicenseOpt = None,
    mean: MeanOpt = None,
    std: StdOpt = None,
    out: OutFileOpt = None,
    force: ForceOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Attach image classifier metadata (labels.txt, normalization, model info) to MODEL.

    Works on any classifier .tflite, including an Edge TPU compiled model whose metadata
    the compiler stripped; existing metadata is replaced. Writes a new file unless --out
    names MODEL itself and --force is given.
    """
    from effkit.metadata import verify
    from effkit.metadata.image_classifier import (
        classifier_tensors,
        create_for_inference,
        num_classes,
        reader_warnings,
    )
    from effkit.metadata.info import (
        MODEL_DESCRIPTION,
        MetadataInfo,
        check_metadata_fields,
        check_metadata_name,
        normalization_warnings,
    )
    from effkit.metadata.model_file import TFLITE_FILE, load_model_file
    from effkit.metadata.reader import has_metadata, score_calibration
    from effkit.model.labels import Labels

    target = out if out is not None else model.with_name(f"{model.stem}_metadata.tflite")
    check_metadata_fields(description=description, version=version, author=author, license=license)
    data = load_model_file(model)
    # never the labels file it reads; --force replaces only a TFLite model (in place: the model)
    check_output_file(target, force, inputs=(labels,), kind=TFLITE_FILE)
    if not _folder(target).is_dir():
        raise OutputError(f"output folder {str(_folder(target))!r} does not exist",
                          "create it first")
    _, scores = classifier_tensors(data)
    label_list = Labels.from_file(labels, expected=num_classes(scores))
    norm_mean = tuple(mean) if mean else (NORM_MEAN,)
    norm_std = tuple(std) if std else (NORM_STD,)
    if len(norm_mean) != len(norm_std):
        raise UsageError(f"{len(norm_mean)} --mean value(s) but {len(norm_std)} --std value(s)",
                         "give --mean and --std the same number of times")
    if name is not None:
        name = check_metadata_name(name)
    else:  # the file's name, under the same rule as --name
        try:
            name = check_metadata_name(model.stem)
        except UsageError as exc:
            raise UsageError(exc.message, "pass --name NAME: without it the model is named after its "
                             "file") from None
    info = MetadataInfo(name=name,
                     description=description if description is not None else MODEL_DESCRIPTION,
                     version=version, author=author, license=license)
    replaced = has_metadata(data)
    try:  # read before anything is written; metadata it cannot read (what this mends) has none
        calibration = score_calibration(data) if replaced else None
    except ModelFileError:
        calibration = None
    result = create_for_inference(data, model_info=info, norm_mean=norm_mean, norm_std=norm_std,
                                  labels=label_list)
    verify(result, label_list)
    write_file_atomic(target, result, force=force)  # without --force, never a file made meanwhile
    # what effkit build warns of, as it does, and a likely 0..1-scale --std; what the metadata
    # replaced held and this does not (another writer's score calibration, which clients apply)
    dropped = [f"the model's score calibration ({calibration}) is dropped with its old metadata: "
               "MediaPipe and the Task Library will no longer apply it, so their scores change "
               "(effkit's eval never applied it)"] if calibration else []
    warnings = [*label_list.warnings(), *normalization_warnings(norm_std), *reader_warnings(result),
                *dropped]
    report = {
        "model": str(model),
        "output": str(target),
        "size_bytes": len(result),
        "labels": len(label_list),
        "norm_mean": list(norm_mean),
        "norm_std": list(norm_std),
        "replaced_metadata": replaced,
        "warnings": list(warnings),
    }
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    if json_out:
        print_json(report)
        return
    action = "replaced the metadata" if report["replaced_metadata"] else "attached metadata"
    console.print(f"{action}: {len(label_list)} labels, mean {list(norm_mean)} std "
                  f"{list(norm_std)} -> {escape(str(target))} ({len(result):,} bytes)",
                  highlight=False)


def _folder(target: Path) -> Path:
    return target.parent if str(target.parent) else Path(".")
