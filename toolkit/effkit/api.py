"""effkit's Python API: the calls the CLI is a thin layer over (see docs/api.md).

Every call checks its input first and raises an :class:`~effkit.errors.EffkitError`
subclass (with ``.message`` and ``.hint``) before any TensorFlow import; results are
frozen dataclasses with ``to_dict()``. Long calls take ``progress``: a callable that
receives :class:`~effkit.core.progress.ProgressEvent` values (None, the default, is quiet).
This module imports nothing heavy; each call imports what it needs.
"""

from __future__ import annotations

import functools
import inspect as _inspect  # effkit.inspect is a call of this module
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, overload

from effkit.core.native_log import PROCESS_LOCK
from effkit.core.progress import IN_COMMAND, ProgressFn, StageClock, check_progress
from effkit.errors import EffkitError, UsageError, call_mistake

if TYPE_CHECKING:
    from collections.abc import Sequence

    from effkit.analysis.bench import BenchResult, VsResult
    from effkit.core.manifest import Manifest
    from effkit.edgetpu.check import CheckReport
    from effkit.edgetpu.compiler import CompileResult
    from effkit.pipeline.build import BuildPlan, BuildRequest, BuildResult
    from effkit.training.trainer import TrainResult

PathLike = str | os.PathLike[str]
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _one_at_a_time(call: Callable[_P, _R]) -> Callable[_P, _R]:
    """``call`` holding effkit's process lock: calls from several threads run one after
    another (TensorFlow's import, its state and the captured fds are process-wide). Its
    errors name Python keywords, not the command-line flags a library user never typed."""
    signature = _inspect.signature(call)

    @functools.wraps(call)
    def locked(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            signature.bind(*args, **kwargs)  # a keyword it does not take: UsageError, not TypeError
        except TypeError as exc:
            raise call_mistake(call.__name__, exc, list(signature.parameters)) from None
        try:
            with PROCESS_LOCK:
                return call(*args, **kwargs)
        except EffkitError as exc:
            if not IN_COMMAND.get():
                exc.message = _python_words(exc.message)
                exc.hint = _python_words(exc.hint) if exc.hint else exc.hint
                exc.args = (exc.message,)
            raise
    return locked


# Flags whose keyword differs from the flag's words, and the on/off flags (keyword=True).
_KEYWORDS = {"name": "model_name", "min-runtime": "min_runtime_version", "timeout": "timeout_s",
             "dropout": "dropout_rate"}
_SWITCHES = frozenset({"force", "skip-compile", "require-compile", "quant-report", "resume",
                       "augment", "xnnpack", "bias-correction"})


def _python_words(text: str) -> str:
    """An error's text with each ``--flag`` as the keyword it is in Python: ``--force`` is
    ``force=True``, ``--no-xnnpack`` ``xnnpack=False``, ``--calibration-size``
    ``calibration_size``, ``--name`` ``model_name``."""
    import re

    def keyword(match: re.Match[str]) -> str:
        negated, flag = bool(match.group(1)), match.group(2)
        word = _KEYWORDS.get(flag, flag).replace("-", "_")
        if match.string.startswith((" must", " is", " was", " as"), match.end()):
            return word  # the setting itself is the subject: "augment must be True or False"
        if negated:
            return f"{word}=False"
        return f"{word}=True" if flag in _SWITCHES else word

    # quoted text is left as it is: a path, a label, a shell command to copy ('gpg --dearmor')
    parts = re.split(r"((?<![A-Za-z])'[^']*')", text)  # an apostrophe (Coral's) opens nothing
    return "".join(part if i % 2 else re.sub(r"(?<![\w-])--(no-)?([a-z][a-z0-9-]*)", keyword, part)
                   for i, part in enumerate(parts))


@_one_at_a_time
def plan(request: BuildRequest) -> BuildPlan:
    """Every check of ``request`` that needs no long work (effkit.build's first half): the
    BuildPlan that :func:`run` runs."""
    from effkit.pipeline.build import plan as plan_build

    return plan_build(request)


@_one_at_a_time
def run(plan: BuildPlan, progress: ProgressFn | None = None) -> BuildResult:
    """Run a plan's long stages; the output folder appears complete or not at all."""
    from effkit.pipeline.build import run as run_plan

    return run_plan(plan, progress)


@_one_at_a_time
def build(variant: str = "lite0", *, target: str = "cpu", out: PathLike | None = None,
          weights: PathLike | None = None, labels: PathLike | Sequence[str] | None = None,
          calibration: PathLike | None = None, calibration_size: int | None = None,
          quant: str = "int8", io: str | None = None, force: bool = False,
          progress: ProgressFn | None = None, **options: Any) -> BuildResult:
    """Build ``variant`` for ``target`` ("cpu", "coral", "android") into ``out``.

    ``labels``: a labels file or the class names themselves. ``io``: an int8 model's input
    and output type, "uint8" (None: the default) or "int8". ``options``: the other
    ``effkit build`` settings by their BuildRequest names (bias_correction, weight_rounding,
    skip_compile, compiler, min_tpu_ops, num_segments, min_runtime_version, app_id, app_name,
    android_runtime, model_name, description, author, license). Everything cheap is checked
    before TensorFlow loads.
    """
    from effkit.pipeline.build import BuildRequest, plan, run

    check_progress(progress)
    if isinstance(variant, BuildRequest):  # "variant must be text, not BuildRequest" said less
        raise UsageError("build() takes a request's settings as arguments, not a BuildRequest",
                         "run a BuildRequest with effkit.run(effkit.plan(request)), or call "
                         "effkit.build('lite0', target=..., out=...)")
    try:
        given_labels = _path(labels, "labels") if isinstance(labels, (str, os.PathLike)) else labels
        folder = (_path(calibration, "calibration") if isinstance(calibration, (str, os.PathLike))
                  else calibration)
        if isinstance(weights, str):  # a path, or a name such as "random"
            _path(weights, "weights")
        settings = dict(variant=variant, target=target, out=_path(out, "out"),
                        weights=weights if weights is None or isinstance(weights, str)
                        else _path(weights, "weights"), labels=given_labels,
                        calibration=folder, calibration_size=calibration_size,
                        quant=quant, io=io, force=force, **options)
        _inspect.signature(BuildRequest).bind(**settings)
    except TypeError as exc:  # an option BuildRequest does not have: named as build's
        raise _unknown_setting("build", exc, BuildRequest) from None
    return run(plan(BuildRequest(**settings)), progress)


@_one_at_a_time
def train(data: PathLike, *, out: PathLike, variant: str = "lite0", build_target: str | None = None,
          progress: ProgressFn | None = None, **settings: Any) -> TrainResult:
    """Transfer learning on the class folders in ``data``; writes weights, labels and
    train.json into ``out``. ``settings``: TrainConfig fields (epochs, fine_tune_epochs,
    batch_size, learning_rate, val, val_split, patience, augment, weights, seed, resume,
    force). With ``build_target`` ("cpu", "coral", "android") the trained model is built
    straight away (int8, calibrated on the training split) and measured on the validation
    split: the result's ``summary["build"]``.
    """
    from effkit.training.build import build_request, build_trained, plan_trained
    from effkit.training.trainer import TrainConfig
    from effkit.training.trainer import train as run_training

    check_progress(progress)
    given = dict(data=_required(data, "data"), out=_required(out, "out"), variant=variant, **settings)
    try:
        _inspect.signature(TrainConfig).bind(**given)
    except TypeError as exc:  # a setting TrainConfig does not have: named as train's
        raise _unknown_setting("train", exc, TrainConfig) from None
    config = TrainConfig(**given)
    # planned (and checked) now, not after training; the same plan is run after it
    planned = plan_trained(build_request(config, build_target)) if build_target is not None else None
    with _TrainEvents(progress) as callbacks:
        result = run_training(config, callbacks)
    if planned is not None:
        from dataclasses import replace

        section = build_trained(result, planned, progress)
        result = replace(result, summary=dict(result.summary, build=section))
    return result


class _TrainEvents:
    """Training's callbacks as the API's progress events: each stage ("scan", "head epoch
    1", ...) starts, updates and ends like a build's stages (StageClock)."""

    def __init__(self, progress: ProgressFn | None):
        import contextlib

        from effkit.training.trainer import Callbacks

        self.clock = StageClock(progress)
        self.stack = contextlib.ExitStack()
        self.current: tuple[str, Any] | None = None
        self.callbacks = Callbacks() if progress is None else Callbacks(
            on_scan=lambda d, t: self.tick("scan", d, t),
            on_batch=lambda phase, epoch, d, t: self.tick(f"{phase} epoch {epoch}", d, t),
            on_epoch=lambda record: self.close())

    def tick(self, stage: str, done: int, total: int) -> None:
        if self.current is None or self.current[0] != stage:
            self.close()
            self.current = (stage, self.stack.enter_context(self.clock.stage(stage)))
        self.current[1](done, total)

    def close(self) -> None:
        self.current = None
        self.stack.close()

    def __enter__(self) -> Any:
        return self.callbacks

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        import copy

        return copy.deepcopy(self.document)  # the caller's to change; this result stays as it is


@_one_at_a_time
def evaluate(model: PathLike, data: PathLike, *, labels: PathLike | None = None,
             compare: PathLike | None = None, limit: int | None = None,
             threads: int | None = None, xnnpack: bool = True,
             progress: ProgressFn | None = None) -> EvalResult:
    """Top-1/top-5 of a .tflite classifier with its own preprocessing (size, metadata
    normalization, input quantization) on a labelled folder; ``xnnpack=False`` runs
    LiteRT's reference kernels instead of its default XNNPACK ones."""
    from effkit.analysis.evaluate import evaluate_files
    from effkit.errors import check_flag

    check_flag(xnnpack, "xnnpack")
    with StageClock(progress).stage("evaluate", checks_first=True) as tick:
        folder = _required(data, "data")  # "~/photos" expanded, as the document has it
        doc = evaluate_files(_required(model, "model"), folder,
                             labels_file=_path(labels, "labels"), compare=_path(compare, "compare"),
                             limit=limit, threads=threads, xnnpack=xnnpack, progress=tick)
    other = None
    if doc.get("compare"):
        c = doc["compare"]
        other = EvalResult(Path(c["model"]["path"]), folder, c["top1"], c["top5"], c["count"],
                           document=c)
    return EvalResult(Path(doc["model"]["path"]), folder, doc["top1"], doc["top5"],
                      doc["count"], other=other,
                      agreement=doc["compare"]["agreement"] if other else None, document=doc)


@overload
def benchmark(model: PathLike, *, runs: int = ..., warmup: int = ..., threads: int | None = ...,
              xnnpack: bool = ..., vs: None = ..., progress: ProgressFn | None = ...) -> BenchResult: ...
@overload
def benchmark(model: PathLike, *, runs: int = ..., warmup: int = ..., threads: int | None = ...,
              xnnpack: bool = ..., vs: PathLike, progress: ProgressFn | None = ...) -> VsResult: ...
@_one_at_a_time
def benchmark(model: PathLike, *, runs: int = 100, warmup: int = 10, threads: int | None = 1,
              xnnpack: bool = True, vs: PathLike | None = None,
              progress: ProgressFn | None = None) -> BenchResult | VsResult:
    """CPU latency p50/p90/p99, size and peak memory (each model in a fresh process).
    With ``vs``, both models timed interleaved run by run: a VsResult with the ratios."""
    from effkit.analysis.bench import bench_model, bench_vs
    from effkit.errors import check_flag

    check_flag(xnnpack, "xnnpack")
    with StageClock(progress).stage("benchmark", checks_first=True) as tick:
        if vs is None:
            return bench_model(_required(model, "model"), runs=runs, warmup=warmup,
                               threads=threads, xnnpack=xnnpack, progress=tick)
        return bench_vs(_required(model, "model"), _required(vs, "vs"), runs=runs, warmup=warmup,
                        threads=threads, xnnpack=xnnpack, progress=tick)


@_one_at_a_time
def check_edgetpu(model: PathLike, *, min_runtime_version: int | None = None,
                  compiler_version: str | None = None) -> CheckReport:
    """Edge TPU compatibility without the compiler: per op, mapped or why not, with the
    op-version limits of ``compiler_version`` (default: the newest compiler, 16)."""
    from effkit.edgetpu.check import check_model_file
    from effkit.edgetpu.logmodel import check_compiler_version

    if compiler_version is not None:
        check_compiler_version(compiler_version, "compiler_version")
    return check_model_file(_required(model, "model"), min_runtime_version=min_runtime_version,
                            compiler_version=compiler_version)


_COMPILE_OPTIONS = ("min_runtime_version", "timeout_s", "num_segments", "search_delegate",
                    "multiple_subgraphs")


def _compile_settings(num_segments: int | None, min_runtime_version: int | None,
                      timeout_s: float | None, *, build_folder: bool = False) -> None:
    """The compiler settings both compile calls take, checked before the compiler is looked for."""
    from effkit.edgetpu.check import check_min_runtime
    from effkit.errors import check_seconds, check_whole

    check_min_runtime(min_runtime_version)
    if num_segments is not None:
        check_whole(num_segments, "num_segments", high=1000, example=2)
    if timeout_s is not None or not build_folder:  # compile_build: None is the build's own
        check_seconds(timeout_s, "--timeout", example=600)


@_one_at_a_time
def compile_edgetpu(model: PathLike, *, out_dir: PathLike | None = None,
                    compiler: PathLike | None = None, force: bool = False,
                    **options: Any) -> CompileResult:
    """Run ``edgetpu_compiler`` (a path, on PATH, or ``compiler="docker"``) on ``model``
    and parse its log. ``options``: min_runtime_version, timeout_s, num_segments,
    search_delegate, multiple_subgraphs. A build folder is finished with
    :func:`compile_build`."""
    from effkit.edgetpu.compiler import compile_model
    from effkit.edgetpu.locate import COMPILE_TIMEOUT_S, compiler_version, find_compiler
    from effkit.errors import UsageError, check_flag
    from effkit.metadata.model_file import load_model_file

    model = _required(model, "model")
    if model.is_dir():
        raise UsageError(f"{str(model)!r} is a folder, not a model file",
                         "finish a coral build folder with effkit.compile_build(folder)")
    out = _path(out_dir, "out_dir")
    check_flag(force, "force")
    unknown = sorted(set(options) - set(_COMPILE_OPTIONS))
    if unknown:
        raise UsageError(f"effkit.compile_edgetpu() got an unexpected option {unknown[0]!r}",
                         f"use {', '.join(_COMPILE_OPTIONS)}")
    for name in ("search_delegate", "multiple_subgraphs"):
        check_flag(options.get(name, False), name)
    _compile_settings(options.get("num_segments"), options.get("min_runtime_version"),
                      options.get("timeout_s", COMPILE_TIMEOUT_S))
    load_model_file(model)  # a missing or non-TFLite file is named before the compiler is asked for
    found = find_compiler(None if compiler is None else str(compiler))
    compiler_version(found)
    return compile_model(model, out if out is not None else model.parent,
                         compiler=found, overwrite=force, **options)


@_one_at_a_time
def compile_build(folder: PathLike, *, compiler: PathLike | None = None, force: bool = False,
                  num_segments: int | None = None, min_runtime_version: int | None = None,
                  timeout_s: float | None = None) -> Manifest:
    """Finish a coral build made without the compiler (``skip_compile=True``), in place,
    as ``effkit compile-edgetpu OUT/`` does: model_edgetpu.tflite with the metadata
    re-attached, coral/ rendered again, build.json updated (returned). The build's own
    num_segments, min_runtime_version and compile_timeout are used unless given here."""
    from effkit.core.manifest import Manifest
    from effkit.errors import check_flag
    from effkit.pipeline.edgetpu_stage import compile_build_folder

    folder = _required(folder, "folder")
    check_flag(force, "force")
    _compile_settings(num_segments, min_runtime_version, timeout_s, build_folder=True)
    doc = compile_build_folder(folder, compiler=None if compiler is None else str(compiler),
                               force=force, timeout_s=timeout_s, num_segments=num_segments,
                               min_runtime_version=min_runtime_version)
    return Manifest.from_dict(doc, str(folder))


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
        import copy

        return copy.deepcopy(self.document)  # the caller's to change; this result stays as it is


@_one_at_a_time
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


def _unknown_setting(call: str, exc: TypeError, fields_of: type) -> Exception:
    """The UsageError for a keyword ``effkit.<call>()`` does not take, naming the setting it
    most likely meant (``dropout`` -> ``dropout_rate``, the CLI's ``--dropout``)."""
    import dataclasses

    return call_mistake(call, exc, [f.name for f in dataclasses.fields(fields_of)], after="() ",
                         cutoff=0.6, partial=True)


def _path(value: object, name: str = "path") -> Path | None:
    """``value`` as a Path (None stays None); effkit.UsageError for anything that is not a
    path (the API takes any object: ``effkit.inspect(5)``)."""
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        from effkit.errors import wrong_type

        raise wrong_type(name, value, "a path")
    if value == "":  # Path("") is the current folder
        from effkit.errors import UsageError

        raise UsageError(f'{name} is empty ("")', "pass a path ('.' for the current folder)")
    from effkit.errors import home_expanded

    return Path(home_expanded(value, name))  # "~/builds": as a shell would


def _required(value: object, name: str) -> Path:
    """A path the call cannot do without: :func:`_path`, and None is a UsageError too."""
    path = _path(value, name)
    if path is None:
        from effkit.errors import UsageError

        raise UsageError(f"{name} is required", f"pass {name} as a str or pathlib.Path")
    return path
