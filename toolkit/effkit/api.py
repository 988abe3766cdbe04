"""effkit's Python API: the calls the CLI is a thin layer over (see docs/api.md).

Every call checks its input first and raises an :class:`~effkit.errors.EffkitError`
subclass (with ``.message`` and ``.hint``) before any TensorFlow import; results are
frozen dataclasses with ``to_dict()``. Long calls take ``progress``: a callable that
receives :class:`~effkit.core.progress.ProgressEvent` values (None, the default, is quiet).
This module imports nothing heavy; each call imports what it needs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from effkit.core.progress import ProgressEvent, ProgressFn, StageClock

if TYPE_CHECKING:
    from collections.abc import Sequence

    from effkit.analysis.bench import BenchResult, VsResult
    from effkit.edgetpu.check import CheckReport
    from effkit.edgetpu.compiler import CompileResult
    from effkit.pipeline.build import BuildResult
    from effkit.training.trainer import TrainResult

PathLike = str | os.PathLike[str]


def build(variant: str = "lite0", *, target: str = "cpu", out: PathLike | None = None,
          weights: PathLike | None = None, labels: PathLike | Sequence[str] | None = None,
          calibration: PathLike | None = None, calibration_size: int | None = None,
          quant: str = "int8", io: str = "uint8", force: bool = False,
          progress: ProgressFn | None = None, **options: Any) -> BuildResult:
    """Build ``variant`` for ``target`` ("cpu", "coral", "android") into ``out``.

    ``labels``: a labels file or the class names themselves. ``options``: the other
    ``effkit build`` settings by their BuildRequest names (bias_correction, weight_rounding,
    skip_compile, compiler, min_tpu_ops, num_segments, min_runtime_version, app_id, app_name,
    android_runtime, model_name, description, author, license). Everything cheap is checked
    before TensorFlow loads.
    """
    from effkit.errors import UsageError
    from effkit.pipeline.build import BuildRequest, plan, run

    try:
        req = BuildRequest(variant=variant, target=target, out=_path(out, "out"),
                           weights=weights if weights is None or isinstance(weights, str)
                           else _path(weights, "weights"),
                           labels=_path(labels) if isinstance(labels, (str, os.PathLike)) else labels,
                           calibration=_path(calibration) if isinstance(calibration, (str, os.PathLike))
                           else calibration, calibration_size=calibration_size,
                           quant=quant, io=io, force=force, **options)
    except TypeError as exc:  # an option BuildRequest does not have
        raise UsageError(f"effkit.build() {str(exc).split('() ', 1)[-1]}",
                         "see help(effkit.build) for the options") from None
    return run(plan(req), progress)


def train(data: PathLike, *, out: PathLike, variant: str = "lite0", build_target: str | None = None,
          progress: ProgressFn | None = None, **settings: Any) -> TrainResult:
    """Transfer learning on the class folders in ``data``; writes weights, labels and
    train.json into ``out``. ``settings``: TrainConfig fields (epochs, fine_tune_epochs,
    batch_size, learning_rate, val, val_split, patience, augment, weights, seed, resume,
    force). With ``build_target`` ("cpu", "coral", "android") the trained model is built
    straight away (int8, calibrated on the training split) and measured on the validation
    split: the result's ``summary["build"]``.
    """
    from effkit.errors import UsageError
    from effkit.training.build import build_request, build_trained, plan_trained
    from effkit.training.trainer import Callbacks, TrainConfig
    from effkit.training.trainer import train as run_training

    try:
        config = TrainConfig(data=_required(data, "data"), out=_required(out, "out"), variant=variant,
                             **settings)
    except TypeError as exc:  # a setting TrainConfig does not have
        raise UsageError(f"effkit.train() {str(exc).split('() ', 1)[-1]}",
                         "see help(effkit.train) for the settings") from None
    # planned (and checked) now, not after training; the same plan is run after it
    planned = plan_trained(build_request(config, build_target)) if build_target is not None else None
    callbacks = Callbacks()
    if progress is not None:
        callbacks = Callbacks(
            on_scan=lambda d, t: progress(_event("scan", d, t)),
            on_batch=lambda phase, epoch, d, t: progress(_event(f"{phase} epoch {epoch}", d, t)))
    result = run_training(config, callbacks)
    if planned is not None:
        from dataclasses import replace

        section = build_trained(result, planned, progress)
        result = replace(result, summary=dict(result.summary, build=section))
    return result


@dataclass(frozen=True)
class EvalResult:
    """Accuracy of ``model`` on ``data``: ``top1``/``top5`` are fractions in [0, 1].

    With ``compare``, ``other`` holds the second model's result and ``agreement`` the
    fraction of images where both give the same top-1.
    """

    model: Path
    data: Path
    top1: float
    top5: float
    count: int
    other: EvalResult | None = None
    agreement: float | None = None
    document: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return self.document


def evaluate(model: PathLike, data: PathLike, *, labels: PathLike | None = None,
             compare: PathLike | None = None, limit: int | None = None,
             threads: int | None = None, xnnpack: bool = True,
             progress: ProgressFn | None = None) -> EvalResult:
    """Top-1/top-5 of a .tflite classifier with its own preprocessing (size, metadata
    normalization, input quantization) on a labelled folder; ``xnnpack=False`` runs
    LiteRT's reference kernels instead of its default XNNPACK ones."""
    from effkit.analysis.evaluate import evaluate_files

    with StageClock(progress).stage("evaluate", checks_first=True) as tick:
        doc = evaluate_files(_required(model, "model"), _required(data, "data"),
                             labels_file=_path(labels, "labels"), compare=_path(compare, "compare"),
                             limit=limit, threads=threads, xnnpack=xnnpack, progress=tick)
    other = None
    if doc.get("compare"):
        c = doc["compare"]
        other = EvalResult(Path(c["model"]["path"]), Path(data), c["top1"], c["top5"], c["count"],
                           document=c)
    return EvalResult(Path(doc["model"]["path"]), Path(data), doc["top1"], doc["top5"],
                      doc["count"], other=other,
                      agreement=doc["compare"]["agreement"] if other else None, document=doc)


def benchmark(model: PathLike, *, runs: int = 100, warmup: int = 10, threads: int | None = 1,
              xnnpack: bool = True, vs: PathLike | None = None,
              progress: ProgressFn | None = None) -> BenchResult | VsResult:
    """CPU latency p50/p90/p99, size and peak memory (each model in a fresh process).
    With ``vs``, both models timed interleaved run by run: a VsResult with the ratios."""
    from effkit.analysis.bench import bench_model, bench_vs

    with StageClock(progress).stage("benchmark", checks_first=True) as tick:
        if vs is None:
            return bench_model(_required(model, "model"), runs=runs, warmup=warmup,
                               threads=threads, xnnpack=xnnpack, progress=tick)
        return bench_vs(_required(model, "model"), _required(vs, "vs"), runs=runs, warmup=warmup,
                        threads=threads, xnnpack=xnnpack, progress=tick)


def check_edgetpu(model: PathLike, *, min_runtime_version: int | None = None,
                  compiler_version: str | None = None) -> CheckReport:
    """Edge TPU compatibility without the compiler: per op, mapped or why not, with the
    op-version limits of ``compiler_version`` (default: the newest compiler, 16)."""
    from effkit.edgetpu.check import check_model_file

    return check_model_file(_required(model, "model"), min_runtime_version=min_runtime_version,
                            compiler_version=compiler_version)


def compile_edgetpu(model: PathLike, *, out_dir: PathLike | None = None,
                    compiler: PathLike | None = None, force: bool = False,
                    **options: Any) -> CompileResult:
    """Run ``edgetpu_compiler`` (a path, on PATH, or ``compiler="docker"``) on ``model``
    and parse its log. ``options``: min_runtime_version, timeout_s, num_segments,
    search_delegate, multiple_subgraphs."""
    from effkit.edgetpu.compiler import compile_model
    from effkit.edgetpu.locate import compiler_version, find_compiler

    model = _required(model, "model")
    found = find_compiler(compiler)
    compiler_version(found)
    return compile_model(model, Path(out_dir) if out_dir is not None else Path(model).parent,
                         compiler=found, overwrite=force, **options)


@dataclass(frozen=True)
class ModelInfo:
    """What ``effkit inspect`` shows: tensors, ops, metadata (``document`` holds it all)."""

    path: Path
    size_bytes: int
    inputs: tuple[dict[str, Any], ...]
    outputs: tuple[dict[str, Any], ...]
    ops: dict[str, Any]
    has_metadata: bool
    labels: int | None
    document: dict[str, Any] = field(default_factory=dict, repr=False)
    weights: dict[str, Any] | None = None  # from the build.json of the build that made the model

    def to_dict(self) -> dict[str, Any]:
        return self.document


def inspect(model: PathLike) -> ModelInfo:
    """Read a .tflite model: tensors, quantization, op histogram, metadata, and which
    weights went into it (from the build.json of the build that made it, when found)."""
    from effkit.analysis.inspect import inspect_model
    from effkit.core.manifest import manifest_for
    from effkit.metadata.model_file import load_model_file

    model = _required(model, "model")
    data = load_model_file(model)
    doc = {"model": str(model)} | inspect_model(data, source=repr(str(model)))  # as `inspect --json`
    build = manifest_for(Path(model), data)
    doc["weights"] = build.weights if build else None
    # the Edge TPU runtime version a coral build checked (and compiled) for, as build.json
    # names it; the TFLite runtime version is doc["tflite_min_runtime"]
    check = (build.edgetpu or {}).get("check") if build else None
    doc["edgetpu_min_runtime_version"] = (check.get("edgetpu_min_runtime_version")
                                          if isinstance(check, dict) else None)
    return ModelInfo(Path(model), doc["size_bytes"], tuple(doc["inputs"]), tuple(doc["outputs"]),
                     doc["ops"], doc["has_metadata"], doc["labels"], document=doc,
                     weights=doc["weights"])


def _path(value: object, name: str = "path") -> Path | None:
    """``value`` as a Path (None stays None); effkit.UsageError for anything that is not a
    path (the API takes any object: ``effkit.inspect(5)``)."""
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        from effkit.errors import wrong_type

        raise wrong_type(name, value, "a path")
    return Path(value)


def _required(value: object, name: str) -> Path:
    """A path the call cannot do without: :func:`_path`, and None is a UsageError too."""
    path = _path(value, name)
    if path is None:
        from effkit.errors import UsageError

        raise UsageError(f"{name} is required", f"pass {name} as a str or pathlib.Path")
    return path


def _event(stage: str, done: int, total: int) -> ProgressEvent:
    return ProgressEvent(stage, "update", done, total)
