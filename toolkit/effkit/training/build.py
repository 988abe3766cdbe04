"""effkit train --build: the trained model through the build pipeline, calibrated on the
training split in memory, and measured on the validation split."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from effkit.model.variants import Variant, get_variant

if TYPE_CHECKING:
    from effkit.core.progress import ProgressFn
    from effkit.pipeline.build import BuildPlan, BuildRequest
    from effkit.training.data import Example
    from effkit.training.trainer import TrainConfig, TrainResult


# --------------------------------------------------------------------------- build


def build_request(config: TrainConfig, target: str, **options: object) -> BuildRequest:
    """The ``BuildRequest`` for the trained model: OUT/<variant>-<target> (the shape of
    ``effkit build``'s default build/<variant>-<target>), int8 calibrated on images of the
    training split (so validation images stay out of calibration).

    ``options`` go to ``BuildRequest`` (skip_compile, compiler, ...). ``build_trained``
    hands the plan the trained classes and the calibration pixels in memory.
    """
    from effkit.pipeline.build import BuildRequest, default_folder_name
    from effkit.training.trainer import WEIGHTS_NAME

    out = Path(config.out)
    variant = get_variant(config.variant).name
    # --resume replaces the build there too: it is of the weights the resumed run replaces
    # (an interrupted --force --build run could not be resumed: its build was "not empty")
    return BuildRequest(variant=variant, target=target,
                        out=out / default_folder_name(variant, target),
                        weights=str(out / WEIGHTS_NAME), force=config.force or config.resume,
                        **options)  # type: ignore[arg-type]


def plan_trained(request: BuildRequest) -> BuildPlan:
    """The build of a model not trained yet, planned (and checked: target, output, app
    answers, the Edge TPU compiler and its version) before training; ``build_trained``
    completes this plan with the weights, classes and calibration set training made."""
    from effkit.pipeline.build import plan

    return plan(request, check_weights=False)


def training_calibration(examples: Sequence[Example], variant: Variant, size: int):
    """A CalibrationSet of ``size`` training images spread evenly over the classes."""
    from effkit.calibration.sets import CalibrationSet, pick_evenly
    from effkit.model.preprocess import LoadReport, iter_images, none_readable, normalize

    start = time.perf_counter()
    ordered = [Path(e.path) for e in sorted(examples, key=lambda e: (e.label, e.path))]
    report = LoadReport()
    picked = pick_evenly(ordered, size)
    pixels = [px for _, px in iter_images(picked, variant.resolution, report)]
    if not pixels:
        raise none_readable(len(picked), " of the training split (for calibration)",
                            report.skipped)
    batch = normalize(np.stack(pixels), variant.norm_mean, variant.norm_std)
    return CalibrationSet(batch, "training split", json.dumps({"images": len(examples)}),
                          skipped=len(report.skipped), seconds=time.perf_counter() - start)


def build_trained(result: TrainResult, planned: BuildPlan | BuildRequest,
                  on_progress: ProgressFn | None = None) -> dict:
    """Run the build pipeline on a trained model and measure its accuracy on the validation
    split (the model as built: int8 unless the request says otherwise).

    ``planned``: the plan :func:`plan_trained` made before training (a ``BuildRequest``
    is planned here, for library callers that did not plan first).

    The returned section is also added to ``OUT/train.json`` under ``build``.
    """
    from effkit.analysis.evaluate import LabelledImage, TFLiteClassifier, evaluate
    from effkit.calibration.sets import DEFAULT_FOLDER_SIZE
    from effkit.core.progress import StageClock
    from effkit.pipeline.build import BuildPlan, run, with_trained

    if not isinstance(planned, BuildPlan):
        planned = plan_trained(planned)
    request = planned.request
    calibration = None
    if request.quant == "int8":
        calibration = training_calibration(result.data.train, planned.variant,
                                           request.calibration_size or DEFAULT_FOLDER_SIZE)
    built = run(with_trained(planned, weights=result.weights, labels=result.data.classes,
                             calibration=calibration), on_progress)
    classifier = TFLiteClassifier(built.model_path)
    items = [LabelledImage(Path(e.path), e.label) for e in result.data.val]
    with StageClock(on_progress).stage("validate") as tick:
        measured = evaluate(classifier.scores, classifier.resolution, items, tick)
    float_acc = float(result.summary["val_accuracy"])
    section = {
        "out_dir": str(built.out_dir),
        "target": request.target,
        "quant": request.quant,
        "model": str(built.model_path),
        "val_accuracy": round(measured.top1, 6),
        "float_val_accuracy": round(float_acc, 6),
        "accuracy_drop": round(float_acc - measured.top1, 6) + 0.0,
        "val_images": measured.count,
        "calibration": built.manifest.calibration,
        "edgetpu": (built.manifest.edgetpu or {}).get("status"),
        "warnings": list(built.manifest.warnings),  # as the build's build.json keeps them
    }
    from effkit.training.trainer import write_summary

    summary = dict(result.summary, build=section)
    write_summary(result.out_dir, summary)
    return section
