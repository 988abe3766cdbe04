"""The build pipeline: plan once, then run on values.

``plan(BuildRequest) -> BuildPlan`` does every check and every cheap read once, without
TensorFlow (the variant, flags that must fit together, the output folder, the labels,
the weights source with its class count and sha256, the calibration folder, the Edge
TPU compiler and its version). ``run(BuildPlan)`` then runs the long stages on those
values: Keras model -> weights -> calibration -> TFLite bytes -> metadata -> Edge TPU
check and compile -> rendered app, each a call into its own module, timed, with the
outputs staged so that nothing is left half-written.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from effkit.core.manifest import (
    BUILD_OUTPUT,
    LABELS_FILE,
    MANIFEST_NAME,
    MODEL_FILE,
    QUANT_REPORT_FILE,
    Artifact,
    Manifest,
    sha256_hex,
)
from effkit.core.outputs import check_output_dir, is_empty, staged_dir
from effkit.core.progress import ProgressFn, StageClock
from effkit.edgetpu.locate import BUILD_COMPILE_TIMEOUT_S
from effkit.errors import (
    DataError,
    EdgeTPUCoverageError,
    TemplateError,
    UsageError,
    WeightsError,
    check_flag,
    check_seconds,
    check_whole,
    home_expanded,
    keyword_checked,
    wrong_type,
)
from effkit.model.labels import Labels
from effkit.model.variants import Variant, get_variant
from effkit.pipeline.convert import ConvertOptions
from effkit.weights.files import WeightsSource, weights_word
from effkit.weights.load import resolve_weights

if TYPE_CHECKING:
    from effkit.calibration.sets import CalibrationSet
    from effkit.edgetpu.check import CheckReport
    from effkit.edgetpu.locate import CompilerChoice

TARGETS = ("cpu", "coral", "android")


@keyword_checked("BuildRequest")
@dataclass(frozen=True)
class BuildRequest:
    """What the user asked for (paths, names, flags). A plan's ``request`` is this with the
    variant in its own spelling and "~" paths expanded; the rest as given."""

    variant: str
    target: str = "cpu"
    out: str | os.PathLike[str] | None = None
    weights: str | Path | None = None
    # a labels file, or the names themselves (train hands over its classes in memory)
    labels: Path | str | Sequence[str] | Labels | None = None
    # a folder of images, or a CalibrationSet already in memory (train's training split)
    calibration: Path | str | CalibrationSet | None = None
    calibration_size: int | None = None
    quant: str = "int8"
    io: str | None = None  # int8 models' input and output type; None: uint8
    # int8: correct the mean shift of int8 weights on the calibration inputs
    bias_correction: bool = True
    # int8: "nearest" (the converter's rounding) or "gptq" (fitted to the calibration inputs)
    weight_rounding: str = "nearest"
    force: bool = False
    # Edge TPU
    skip_compile: bool = False
    require_compile: bool = False  # no compiler (nor Docker engine): fail instead of finishing
    compiler: str | None = None
    min_tpu_ops: float = 1.0
    num_segments: int | None = None
    min_runtime_version: int | None = None
    compile_timeout: float = BUILD_COMPILE_TIMEOUT_S
    # quant_report.json beside the model: per-layer float vs int8 errors (int8 builds)
    quant_report: bool = False
    # Android
    app_id: str | None = None
    app_name: str | None = None
    # "compiled-model" (LiteRT 2.x CompiledModel, GPU with CPU fallback) or "interpreter"
    # (LiteRT 1.4 Interpreter with the GPU delegate); None: the default for --target android
    android_runtime: str | None = None
    # Metadata
    model_name: str | None = None
    description: str | None = None
    author: str = "effkit"
    license: str = "Apache-2.0"
    model_version: str = "1"

    def out_dir(self) -> Path:
        return Path(self.out) if self.out is not None else Path("build") / default_folder_name(
            self.variant, self.target)


def default_folder_name(variant: str, target: str) -> str:
    """A build's folder name when none is given: ``build/lite0-coral`` (and train's
    ``OUT/lite0-coral``)."""
    return f"{variant}-{target}"


@dataclass(frozen=True)
class BuildPlan:
    """A checked request: every value the long stages need, resolved once.

    ``run`` reads only these values: it never looks up the compiler, reads its version,
    resolves the weights or computes a default again.
    """

    request: BuildRequest
    variant: Variant
    options: ConvertOptions
    weights: WeightsSource  # with what was read (payload) and its sha256
    num_classes: int
    labels: Labels
    calibration: Path | CalibrationSet | None  # a checked folder, a set, or None: distil
    compiler: CompilerChoice | None  # with its version read; None: --skip-compile or not coral
    out_dir: Path
    model_name: str
    description: str
    app_id: str | None = None  # --target android: the application id and name
    app_name: str | None = None
    android_runtime: str | None = None  # --target android: the app's runtime (default filled in)
    warnings: tuple[str, ...] = ()  # found while planning; build.json keeps them

    @property
    def compiler_version(self) -> str | None:
        """The version of the compiler the build compiles with (None: it does not compile)."""
        return self.compiler.version if self.compiler is not None else None

    @property
    def target(self) -> str:
        return self.request.target

    def metadata_args(self) -> dict[str, Any]:
        req = self.request
        return dict(labels=self.labels, norm_mean=self.variant.norm_mean,
                    norm_std=self.variant.norm_std, name=self.model_name,
                    description=self.description, version=req.model_version, author=req.author,
                    license=req.license)


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote: the folder, its files and its manifest (build.json)."""

    out_dir: Path
    model_path: Path
    labels_path: Path
    edgetpu_model_path: Path | None
    app_dir: Path | None
    manifest: Manifest

    def to_dict(self) -> dict[str, Any]:
        """The document ``effkit build --json`` prints: build.json plus ``out_dir``."""
        return self.manifest.to_dict() | {"out_dir": str(self.out_dir)}


# Options of one target: (flag, the target, the value that means "not given"). Given with
# another target they would be ignored without a word, so they are refused.
_TARGET_OPTIONS = {
    "app_id": ("--app-id", "android", None),
    "app_name": ("--app-name", "android", None),
    "android_runtime": ("--android-runtime", "android", None),
    "skip_compile": ("--skip-compile", "coral", False),
    "require_compile": ("--require-compile", "coral", False),
    "compiler": ("--compiler", "coral", None),
    "num_segments": ("--num-segments", "coral", None),
    "min_runtime_version": ("--min-runtime", "coral", None),
    "min_tpu_ops": ("--min-tpu-ops", "coral", 1.0),
    "compile_timeout": ("--compile-timeout", "coral", BUILD_COMPILE_TIMEOUT_S),
}


def plan(req: BuildRequest, *, check_weights: bool = True) -> BuildPlan:
    """Every check that needs no long work, done once, in the order a user fixes them.

    ``check_weights=False`` (train, before the weights exist) skips reading the weights.
    """
    check_request_types(req)
    variant = get_variant(req.variant)
    # one spelling downstream: "LITE0" or " lite0" made build/LITE0-cpu; and "~/x" is a
    # home folder here as in effkit.build (a shell leaves --out=~/x alone)
    req = dataclasses.replace(
        req, variant=variant.name, out=home_expanded(req.out, "out"),
        labels=home_expanded(req.labels, "labels"),
        calibration=home_expanded(req.calibration, "calibration"),
        weights=req.weights if weights_word(req.weights) else home_expanded(req.weights, "weights"))
    if req.target not in TARGETS:
        raise UsageError(f"unknown target {req.target!r}", f"use one of {', '.join(TARGETS)}")
    options = ConvertOptions(quant=req.quant, io=req.io or "uint8", bias_correction=req.bias_correction,
                             weight_rounding=req.weight_rounding)
    if req.target == "coral" and req.quant != "int8":
        raise UsageError("the Coral Edge TPU runs only full-integer models (--quant int8)",
                         "drop --quant for --target coral")
    if req.target == "coral" and req.io not in (None, "uint8"):  # a choice, not the chip's limit
        raise UsageError("effkit's Coral target builds uint8 input and output, the form Coral's "
                         "examples use (the Edge TPU compiler would take int8 too)",
                         "drop --io for --target coral")
    if req.quant_report and req.quant != "int8":
        raise UsageError("--quant-report compares an int8 model with its float reference",
                         "drop --quant-report, or build with --quant int8")
    if not req.bias_correction and req.quant != "int8":
        raise UsageError("--no-bias-correction only applies to --quant int8",
                         "drop --no-bias-correction, or use --quant int8")
    if req.weight_rounding != "nearest" and req.quant != "int8":
        raise UsageError("--weight-rounding only applies to --quant int8",
                         "drop --weight-rounding, or use --quant int8")
    if req.calibration is not None and req.quant != "int8":
        raise UsageError("--calibration only applies to --quant int8",
                         "drop --calibration, or use --quant int8")
    if req.calibration_size is not None:
        if req.quant != "int8":
            raise UsageError("--calibration-size only applies to --quant int8",
                             "drop --calibration-size, or use --quant int8")
        check_whole(req.calibration_size, "--calibration-size", high=MAX_CALIBRATION_SIZE,
                    example=100, why=" images")
    if req.io is not None and req.quant != "int8":
        raise UsageError("--io only applies to --quant int8 (other models take float input)",
                         "drop --io, or use --quant int8")
    for name, (flag, target, default) in _TARGET_OPTIONS.items():
        if req.target != target and getattr(req, name) != default:
            raise UsageError(f"{flag} only applies to --target {target}",
                             f"drop {flag}, or build with --target {target}")
    if req.skip_compile and req.require_compile:
        raise UsageError("--skip-compile and --require-compile contradict each other",
                         "pass one of them")
    if req.skip_compile and req.compiler is not None:  # --num-segments is kept for compile-edgetpu
        raise UsageError("--compiler has no effect with --skip-compile (nothing is compiled)",
                         "drop --compiler, or drop --skip-compile")
    if req.num_segments is not None:
        check_whole(req.num_segments, "--num-segments", high=64, example=2)
        from effkit.pipeline.edgetpu_stage import check_app_segments

        check_app_segments(req.num_segments)
    if req.min_runtime_version is not None:
        from effkit.edgetpu.check import check_min_runtime

        check_min_runtime(req.min_runtime_version)
    check_seconds(req.compile_timeout, "--compile-timeout", example=1200)  # the CLI's min=1; the API's any
    if not 0.0 <= req.min_tpu_ops <= 1.0:
        raise UsageError(f"--min-tpu-ops must be a fraction between 0 and 1 (got {req.min_tpu_ops})",
                         "pass e.g. --min-tpu-ops 0.9, or 0 to accept any coverage")
    # a bad labels file (a folder given as --labels among them) is named as such before
    # the output is checked against it, and before the weights are read
    given = _given_labels(req.labels)
    # None is the default; an empty name given on purpose is checked (and refused)
    name = f"EfficientNet-{variant.name.capitalize()}" if req.model_name is None else req.model_name
    app_id, app_name, android_runtime = _check_app_answers(req, variant, name)
    # a missing or empty --calibration folder is named before an output in the way
    calibration = req.calibration
    if isinstance(calibration, (str, os.PathLike)):
        from effkit.calibration.sets import check_folder

        calibration = Path(calibration)
        check_folder(calibration)
    out_dir = req.out_dir()
    check_output_dir(out_dir, req.force, inputs=_input_paths(req), owner=BUILD_OUTPUT)
    replaced = _edits_replaced(out_dir) if req.force else ()
    compiler = edgetpu_compiler(req)
    weights = (resolve_weights(variant, req.weights) if check_weights
               else WeightsSource(PENDING, None, None, None))
    if weights.kind in ("pth", "keras", "official-ckpt") and weights.num_classes is None:
        # a backbone saved without its classifier: the build would stop at loading it
        raise WeightsError(f"the weights {str(weights.path)!r} hold no classification head "
                           "(a backbone only), so there is nothing to classify with",
                           f"train a head on your images first: effkit train --variant {variant.name} "
                           f"--data DIR --out OUT --weights {shlex.quote(str(weights.path))}")
    labels = given or _default_labels(weights)
    num_classes = weights.num_classes or len(labels)
    labels.check_count(num_classes)
    description = req.description or _default_description(variant, num_classes, req.quant)
    return BuildPlan(request=req, variant=variant, options=options, weights=weights,
                     num_classes=num_classes, labels=labels, calibration=calibration,
                     compiler=compiler, out_dir=out_dir, model_name=name, description=description,
                     app_id=app_id, app_name=app_name, android_runtime=android_runtime,
                     warnings=(given.warnings() if given is not None else ()) + replaced
                     + _distill_size_warning(req))


def _distill_size_warning(req: BuildRequest) -> tuple[str, ...]:
    """A calibration size without calibration images distils that many images from the
    model, where the default uses the shipped 32-image set: minutes of quiet work through
    the API. The time said is lite0's on 2 cores, about 8 s plus 5.4 s an image: outside
    checks measured 541 s for 100 images and 35 s for 5 (it said "about 0 min" for 5)."""
    from effkit.calibration.distill import DistillSettings

    size = req.calibration_size
    if req.quant != "int8" or req.calibration is not None or size in (None, DistillSettings().count):
        return ()
    default = DistillSettings().count
    seconds = 8 + 5.4 * size
    took = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
    return (f"a calibration size of {size} without calibration images distils {size} images "
            f"from the model, where the default {default} uses a shipped or cached set: about "
            f"{took} for lite0 on 2 cores unless an earlier build cached it; "
            "give calibration images to calibrate on real ones",)


def _edits_replaced(out_dir: Path) -> tuple[str, ...]:
    """The warning for a --force build over files the user edited since effkit wrote them
    (--force replaces them: said, so the edits are not lost silently)."""
    if not (out_dir / MANIFEST_NAME).is_file():
        return ()
    try:
        edited = Manifest.read(out_dir).changed_files(out_dir)
    except DataError:
        return ()
    if not edited:
        return ()
    more = f" and {len(edited) - 3} more" if len(edited) > 3 else ""
    names = ", ".join(repr(f"{out_dir}/{e}") for e in edited[:3]) + more
    return (f"--force replaced files edited since the previous build wrote them: {names}",)


def _default_description(variant: Variant, num_classes: int, quant: str) -> str:
    how = "float32, not quantized" if quant == "float32" else f"{quant} quantized"
    return f"EfficientNet-{variant.name} image classifier ({num_classes} classes), {how} by effkit"


PENDING = "pending"  # the weights kind of a plan made before training wrote the weights


TRAINED_LABELS = "the training classes"  # Labels.source of a model effkit train made


def with_trained(planned: BuildPlan, *, weights: Path, labels: Sequence[str],
                 calibration: CalibrationSet | None) -> BuildPlan:
    """A plan made before training (``plan(req, check_weights=False)``) completed with
    what training produced: the weights file (resolved here, once), the classes and the
    calibration set in memory. Everything else the plan checked stays as it was."""
    if planned.weights.kind != PENDING:
        raise UsageError("this build plan already has its weights",
                         "pass a plan made with check_weights=False")
    source = resolve_weights(planned.variant, weights)
    names = Labels.of(labels, TRAINED_LABELS)
    num_classes = source.num_classes or len(names)
    names.check_count(num_classes)
    req = dataclasses.replace(planned.request, weights=weights, labels=list(names.names),
                              calibration=calibration)
    description = req.description or _default_description(planned.variant, num_classes,
                                                           req.quant)
    return dataclasses.replace(planned, request=req, weights=source, num_classes=num_classes,
                               labels=names, calibration=calibration, description=description)


# A calibration set larger than this only costs time (distilling is minutes per hundred).
MAX_CALIBRATION_SIZE = 10_000
_TEXT_FIELDS = ("variant", "target", "quant", "weight_rounding", "author", "license", "model_version")
_OPTIONAL_TEXT = ("io", "compiler", "app_id", "app_name", "model_name", "description")
_FLAGS = ("force", "skip_compile", "require_compile", "quant_report", "bias_correction")
_NUMBERS = ("min_tpu_ops", "compile_timeout")


def check_request_types(req: BuildRequest) -> None:
    """UsageError naming the first setting of the wrong type (the Python API takes anything:
    ``effkit.build(5)``, ``calibration_size=2.5``, ``target=["coral"]``, a set of labels,
    whose order changes from run to run)."""
    if not isinstance(req, BuildRequest):
        raise UsageError(f"plan() takes a BuildRequest, not {type(req).__name__}",
                         "call effkit.plan(effkit.BuildRequest('lite0', target=..., out=...))")
    for name in _TEXT_FIELDS + _OPTIONAL_TEXT:
        value = getattr(req, name)
        if not isinstance(value, str) and not (value is None and name in _OPTIONAL_TEXT):
            raise wrong_type(name, value, "text")
    for name in _FLAGS:
        check_flag(getattr(req, name), name)
    for name in _NUMBERS:
        value = getattr(req, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong_type(name, value, "a number")
    for name in ("calibration_size", "num_segments", "min_runtime_version"):
        value = getattr(req, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise wrong_type(name, value, "a whole number")
    for name in ("out", "weights"):
        value = getattr(req, name)
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise wrong_type(name, value, "a path")
    labels = req.labels
    if labels is not None and not isinstance(labels, (str, os.PathLike, Labels)) and (
            isinstance(labels, (bytes, dict, set, frozenset)) or not isinstance(labels, Iterable)):
        raise wrong_type("labels", labels, "a labels file (a path) or a list of names")
    from effkit.calibration.sets import CalibrationSet

    if req.calibration is not None and not isinstance(req.calibration, (str, os.PathLike, CalibrationSet)):
        raise wrong_type("calibration", req.calibration, "a folder of images (a path)")


def _given_labels(labels: str | os.PathLike[str] | Sequence[str] | None) -> Labels | None:
    if isinstance(labels, (str, os.PathLike)):
        return Labels.from_file(Path(labels))
    return None if labels is None else Labels.of(labels)


def _labels_origin(plan: BuildPlan) -> str:
    """Where a build's labels came from, for build.json: their source (the file as given,
    "ImageNet labels", "the training classes"), or "a list of names" given in memory."""
    return "a list of names" if plan.labels.source == "labels" else plan.labels.source


def _default_labels(weights: WeightsSource) -> Labels:
    if weights.num_classes not in (None, 1000):
        raise UsageError(f"the weights have {weights.num_classes} classes, not ImageNet's 1000",
                         "pass --labels FILE with one label per class")
    return Labels.imagenet()


def _input_paths(req: BuildRequest) -> list[Path]:
    """What the build reads: an --out holding any of it would be replaced with it inside."""
    paths = [req.labels, req.calibration]  # either may be a value in memory (train)
    if req.weights is not None and weights_word(req.weights) is None:
        paths.append(req.weights)
    return [Path(p) for p in paths if isinstance(p, (str, os.PathLike))]


def _check_app_answers(req: BuildRequest, variant: Variant,
                       name: str) -> tuple[str | None, str | None, str | None]:
    """The app answers (--app-id, --app-name, --name, --android-runtime), checked before
    any work; the Android app id, name and runtime (defaults filled in), else Nones."""
    from effkit.metadata.info import check_metadata_fields, check_metadata_name

    answers: tuple[str | None, str | None, str | None] = (None, None, None)
    try:  # the apps' own rules, named as what they are here: options given (exit 2)
        if req.target == "coral":
            from effkit.apps.coral import check_model_name

            check_model_name(name)
        elif req.target == "android":
            from effkit.apps.android import check_android_runtime, check_app_names

            runtime = check_android_runtime(req.android_runtime)
            app_id = f"com.example.{variant.name}" if req.app_id is None else req.app_id
            app_name = name if req.app_name is None else req.app_name
            check_app_names(app_id=app_id, app_name=app_name, model_name=name)
            answers = (app_id, app_name, runtime)
    except TemplateError as exc:
        raise UsageError(exc.message, exc.hint) from None
    check_metadata_name(name)  # what the model's metadata takes, for every target
    check_metadata_fields(description=req.description, version=req.model_version,
                          author=req.author, license=req.license)
    return answers


def edgetpu_compiler(req: BuildRequest) -> CompilerChoice | None:
    """The compiler a coral build will use, as an ``effkit.edgetpu.locate.CompilerChoice``
    with its version (None with --skip-compile or another target; ``.compiler`` None when
    neither a local compiler nor a Docker engine is found: the build then finishes without it).

    Looked up, and its version read, once, while planning: a broken binary (or the docker
    image build) fails the build in seconds; so does a missing one with --require-compile.
    """
    if req.target != "coral" or req.skip_compile:
        return None
    from effkit.edgetpu.locate import EdgeTPUCompilerNotFound, choose_compiler

    try:
        choice = choose_compiler(req.compiler, require=req.require_compile)
    except EdgeTPUCompilerNotFound as exc:
        raise EdgeTPUCompilerNotFound(
            exc.message, f"{exc.hint}; or pass --skip-compile to build everything else") from None
    return choice.with_version()


def run(plan: BuildPlan, progress: ProgressFn | None = None) -> BuildResult:
    """Run the long stages of a plan; the output folder appears complete or not at all.
    Calls from several threads run one after another (effkit's process lock)."""
    from effkit.core.native_log import PROCESS_LOCK

    if not isinstance(plan, BuildPlan):
        raise UsageError(f"run() takes a BuildPlan, not {type(plan).__name__}",
                         "call effkit.run(effkit.plan(request)), or effkit.build('lite0', ...)")
    if plan.weights.kind == PENDING:
        raise UsageError("this build plan has no weights yet (planned before training)",
                         "complete it with effkit.pipeline.build.with_trained")
    # again, in seconds: a plan run twice (a notebook cell run again) met the folder its
    # first run wrote only after the whole build
    check_output_dir(plan.out_dir, plan.request.force, inputs=_input_paths(plan.request),
                     owner=BUILD_OUTPUT)
    started_empty = is_empty(plan.out_dir)
    with PROCESS_LOCK:
        return _run(plan, progress, started_empty)


def _run(plan: BuildPlan, progress: ProgressFn | None, started_empty: bool) -> BuildResult:
    from effkit.core.native_log import import_tensorflow_quietly
    from effkit.pipeline.convert import convert, pin_input_range

    import_tensorflow_quietly()
    from effkit.calibration import sets as calib
    from effkit.core.manifest import versions
    from effkit.metadata import attach_classifier_metadata, verify
    from effkit.metadata.image_classifier import reader_warnings
    from effkit.model.network import build_model
    from effkit.weights.load import load_weights

    clock = StageClock(progress)
    variant, options, req = plan.variant, plan.options, plan.request
    calib_set = plan.calibration if not isinstance(plan.calibration, Path) else None
    if options.quant == "int8" and isinstance(plan.calibration, Path):
        # Before the model: an unusable folder fails in seconds, not after minutes.
        with clock.stage("calibration") as tick:
            calib_set = calib.from_folder(plan.calibration, variant,
                                          req.calibration_size or calib.DEFAULT_FOLDER_SIZE, tick)
    with clock.stage("model"):
        model = build_model(variant, num_classes=plan.num_classes)
    with clock.stage("weights"):
        weights = load_weights(model, variant, plan.weights)
    if options.quant == "int8" and calib_set is None:
        with clock.stage("calibration") as tick:
            settings = None  # the shipped set for the bundled weights, else DistillSettings()
            # the default count given explicitly is the default: the shipped set still applies
            if req.calibration_size and req.calibration_size != calib.DistillSettings().count:
                settings = calib.DistillSettings(count=req.calibration_size)
            calib_set = calib.distilled(model, variant, settings, tick)
    with clock.stage("convert"):
        inputs = None
        if calib_set is not None:
            inputs = pin_input_range(calib_set.inputs, variant.norm_mean, variant.norm_std)
        tflite = convert(model, options, inputs)
    quant_doc = None
    if req.quant_report and calib_set is not None:
        with clock.stage("quant-report"):
            from effkit.analysis.quant_report.measure import compare_on_calibration

            float_ref = convert(model, ConvertOptions(quant="float32"))
            quant_doc = compare_on_calibration(tflite, float_ref, calib_set.inputs).to_dict()
    with clock.stage("metadata"):
        tflite = attach_classifier_metadata(tflite, **plan.metadata_args())
        verify(tflite, plan.labels)
    if quant_doc is not None:  # of model.tflite as written (metadata changes no tensor): the
        quant_doc["int8_sha256"] = sha256_hex(tflite)  # digest effkit report checks it against

    fields: dict[str, Any] = dict(
        variant=variant.name, target=req.target, model_name=plan.model_name,
        num_classes=plan.num_classes,
        input={"resolution": variant.resolution, "norm_mean": variant.norm_mean,
               "norm_std": variant.norm_std},
        metadata={"description": plan.description, "version": req.model_version,
                  "author": req.author, "license": req.license, "labels": _labels_origin(plan)},
        weights=dataclasses.asdict(weights),
        quantization={"mode": options.quant,
                      "io": options.io if options.quant == "int8" else "float32"}
        | ({"bias_correction": options.bias_correction, "weight_rounding": options.weight_rounding}
           if options.quant == "int8" else {}),
        calibration=calibration_section(calib_set), versions=versions(),
        # what other metadata readers refuse in the model as built (an --io int8 input: the
        # metadata command warned of it, build did not)
        warnings=plan.warnings + _calibration_warnings(calib_set) + tuple(reader_warnings(tflite)))
    from effkit.pipeline.model_check import check_built_model

    check_built_model(tflite, options.quant)  # a broken model never reaches --out
    with staged_dir(plan.out_dir, req.force, BUILD_OUTPUT, started_empty=started_empty) as tmp:
        model_path = tmp / MODEL_FILE
        model_path.write_bytes(tflite)
        (tmp / LABELS_FILE).write_bytes(plan.labels.to_bytes())
        artifacts = [model_path, tmp / LABELS_FILE]
        if quant_doc is not None:
            import json

            (tmp / QUANT_REPORT_FILE).write_text(json.dumps(quant_doc, indent=2) + "\n",
                                                 encoding="utf-8")
            artifacts.append(tmp / QUANT_REPORT_FILE)
        edgetpu_path = None
        if req.target == "coral":
            from effkit.pipeline.edgetpu_stage import EDGETPU_PREFIX

            fields["edgetpu"], edgetpu_path = _edgetpu_stages(plan, clock, tflite, model_path, tmp)
            fields["warnings"] += (_unread_counts_warnings(fields["edgetpu"], plan.out_dir)
                                   + _streaming_warnings(fields["edgetpu"], plan.out_dir / MODEL_FILE))
            if edgetpu_path:
                artifacts += sorted(p for p in tmp.iterdir() if p.name.startswith(EDGETPU_PREFIX))
        if req.target in ("coral", "android"):
            with clock.stage("app"):
                app_dir = _render_app(plan, model_path, edgetpu_path, tmp)
            fields["app"] = app_dir.relative_to(tmp).as_posix()
            if plan.android_runtime is not None:
                fields |= {"android_runtime": plan.android_runtime, "app_id": plan.app_id,
                           "app_name": plan.app_name}
            fields["app_files"] = tuple(Artifact.of(p, tmp) for p in sorted(app_dir.rglob("*"))
                                        if p.is_file())
        manifest = Manifest(**fields, timings_s=clock.timings(),
                            artifacts=tuple(Artifact.of(p, tmp) for p in artifacts))
        manifest.write(tmp)
    out = plan.out_dir
    return BuildResult(out_dir=out, model_path=out / MODEL_FILE, labels_path=out / LABELS_FILE,
                       edgetpu_model_path=out / edgetpu_path.name if edgetpu_path else None,
                       app_dir=out / manifest.app if manifest.app else None, manifest=manifest)


def run_build(req: BuildRequest, progress: ProgressFn | None = None) -> BuildResult:
    """``run(plan(req))``."""
    return run(plan(req), progress)


FEW_CALIBRATION_IMAGES = 32  # the shipped distilled sets' size; 100 photos by default


def _calibration_warnings(calib_set: CalibrationSet | None) -> tuple[str, ...]:
    from effkit.calibration.sets import DEFAULT_FOLDER_SIZE

    if calib_set is not None and calib_set.not_cached:  # a read-only cache, said (walk: silent)
        return (f"the distilled calibration set could not be cached in {calib_set.not_cached}, "
                f"so every build of these weights distils it again ({calib_set.seconds:.0f} s "
                "this time); set EFFKIT_CACHE_DIR to a writable folder",)

    # real images only: a folder, or `effkit train --build`'s training split
    if (calib_set is None or calib_set.source not in ("folder", "training split")
            or calib_set.count >= FEW_CALIBRATION_IMAGES):
        return ()
    where = (repr(calib_set.detail) if calib_set.source == "folder" else
             "the training split (add training images, or build the trained weights with "
             "'effkit build --weights ... --calibration DIR')")
    return (f"int8 calibrated on only {calib_set.count} images from {where}: its "
            f"ranges may not cover your data (effkit picks {DEFAULT_FOLDER_SIZE} when a folder "
            "has them; docs/calibration.md)",)


def calibration_section(calib_set: CalibrationSet | None) -> dict[str, Any] | None:
    """The calibration set as build.json records it; ``detail`` is an object, never JSON
    text inside a string (a folder: its path; distilled: the settings)."""
    import json

    if calib_set is None:
        return None
    doc: dict[str, Any] = calib_set.describe()
    detail = doc.get("detail")
    if isinstance(detail, str):
        try:
            parsed = json.loads(detail)
        except ValueError:
            parsed = None
        doc["detail"] = parsed if isinstance(parsed, dict) else {"path": detail}
    return doc


def _edgetpu_stages(plan: BuildPlan, clock: StageClock, tflite: bytes, model_path: Path,
                    tmp: Path) -> tuple[dict[str, Any], Path | None]:
    """check -> compile -> attach the metadata again (the compiler strips it) -> verify.

    ``plan.compiler`` is :func:`edgetpu_compiler`'s choice; the stages live in
    effkit.pipeline.edgetpu_stage (shared with ``effkit compile-edgetpu OUT/``), which re-attaches
    model.tflite's metadata.
    """
    from effkit.edgetpu.check import check_model
    from effkit.pipeline import edgetpu_stage as stage

    req, choice = plan.request, plan.compiler
    found = choice.compiler if choice is not None else None
    with clock.stage("edgetpu-check"):
        report = check_model(tflite, min_runtime_version=req.min_runtime_version,
                             compiler_version=plan.compiler_version)
    # the compiler options the user chose: compile-edgetpu OUT/ finishes with the same ones
    options = stage.compiler_options(req.num_segments, req.min_runtime_version, req.compile_timeout)
    if found is None:
        _require_tpu_fraction(report.tpu_fraction, req.min_tpu_ops, "are predicted to map",
                              _first_refusal(report))
        reason = "--skip-compile" if choice is None else choice.note
        section = stage.not_compiled(report.to_dict(), reason,
                                     finish=plan.out_dir if choice is not None else None)
        return stage.tables_last(section | options), None
    assert choice is not None  # found is its compiler
    with clock.stage("edgetpu-compile"):
        section, result = stage.compile_section(
            report.to_dict(), choice, model_path, tmp, timeout_s=req.compile_timeout,
            num_segments=req.num_segments, min_runtime_version=req.min_runtime_version)
    section["compiler_note"] = choice.note
    _require_tpu_fraction(result.report.tpu_fraction, req.min_tpu_ops, "map", _first_refusal(report))
    return stage.tables_last(section | options), result.compiled_paths[0]


def _first_refusal(report: CheckReport) -> str | None:
    """The first reason the check gives for an op kept off the Edge TPU (a runtime too old
    for QUANTIZE, an op the TPU lacks), for the coverage error to name."""
    for op in report.ops:
        if not op.on_tpu and op.reasons:
            return op.reasons[0]
    return None


def _unread_counts_warnings(section: dict[str, Any], out_dir: Path) -> tuple[str, ...]:
    """A compiled build whose compiler log gave no op counts effkit reads: --min-tpu-ops
    could not be held to them, which the build had passed without a word."""
    compiled = section.get("compile", {}) if section.get("compiled") else {}
    report = compiled.get("report", {})
    if not compiled or (report.get("ops_tpu") is not None and report.get("ops_total")):
        return ()  # a total of 0 gives no fraction either: --min-tpu-ops went unchecked too
    log = out_dir / str(compiled.get("console_log") or "model_edgetpu.console.txt")
    return (f"edgetpu_compiler's log gives no op counts effkit can read, so how much of the model "
            f"runs on the Edge TPU is not confirmed (--min-tpu-ops was not checked): read {log}",)


def _streaming_warnings(section: dict[str, Any], model: Path | None = None) -> tuple[str, ...]:
    """The build's warning when parameters stream from host memory: the compiler's own
    figure when it ran, else the check's estimate; ``model``: the build's model.tflite."""
    from effkit.edgetpu.memory import streaming_warning

    named = str(model) if model is not None else None
    if section.get("compiled"):
        off_chip = section.get("compile", {}).get("report", {}).get("off_chip_used_bytes") or 0
        return (streaming_warning(off_chip, estimated=False, model=named),) if off_chip > 0 else ()
    memory = section.get("check", {}).get("parameter_memory") or {}
    if memory.get("streams"):
        return (streaming_warning(memory["off_chip_bytes"], memory["capacity_bytes"], model=named),)
    return ()


def _require_tpu_fraction(fraction: float | None, minimum: float, verb: str,
                          refusal: str | None = None) -> None:
    if fraction is not None and fraction + 1e-9 < minimum:
        why = f" (first: {refusal})" if refusal else ""
        raise EdgeTPUCoverageError(
            f"only {fraction:.0%} of the ops {verb} to the Edge TPU (--min-tpu-ops {minimum:g}){why}",
            "lower --min-tpu-ops to build it anyway (or drop --min-runtime if an older runtime is "
            "the reason), then 'effkit check-edgetpu' on its model.tflite shows every op",
        )


def _render_app(plan: BuildPlan, model_path: Path, edgetpu_path: Path | None, tmp: Path) -> Path:
    req, variant = plan.request, plan.variant
    if req.target == "coral":
        from effkit.apps.coral import render_coral_app

        return render_coral_app(tmp / "coral", model_name=plan.model_name, variant=variant,
                                labels=plan.labels, cpu_model=model_path,
                                edgetpu_model=edgetpu_path)
    from effkit.apps.android import render_android_app

    assert plan.app_id is not None and plan.app_name is not None  # set by plan for android
    return render_android_app(tmp / "android", app_id=plan.app_id,
                              app_name=plan.app_name, model_name=plan.model_name,
                              variant=variant, labels=plan.labels, model_path=model_path,
                              runtime=plan.android_runtime, build_options=_model_options(req),
                              trained=_trained_files(plan))


def _trained_files(plan: BuildPlan) -> tuple[str, str] | None:
    """(weights, labels) file names of the 'effkit train' run a plan builds, else None."""
    if plan.labels.source != TRAINED_LABELS or plan.request.weights is None:
        return None
    return Path(str(plan.request.weights)).name, LABELS_FILE  # train writes the build's name


# The options that shape the model and its metadata, as 'effkit build' spells them. The paths
# (--weights, --labels, --calibration) name files on this machine only: they go in as the
# placeholders the app's README explains (apps.android.PATH_PLACEHOLDERS); --weights random
# and official are words, and go in as they are.
_MODEL_OPTIONS = (("quant", "--quant"), ("io", "--io"), ("weight_rounding", "--weight-rounding"),
                  ("calibration_size", "--calibration-size"), ("model_name", "--name"),
                  ("description", "--description"), ("author", "--author"),
                  ("license", "--license"), ("model_version", "--model-version"))


def _model_options(req: BuildRequest) -> list[str]:
    """The options of ``req`` that differ from the defaults and change the model or its
    metadata, as command-line words (for an app's command that builds it again)."""
    from effkit.apps.android import PATH_PLACEHOLDERS

    defaults = BuildRequest(variant=req.variant)
    words = [] if req.bias_correction or req.quant != "int8" else ["--no-bias-correction"]
    word = weights_word(req.weights)
    if word is not None:
        words += ["--weights", word]  # a word, not a path of this machine
    paths = {"--weights": None if word else req.weights, "--labels": req.labels,
             "--calibration": req.calibration}
    words += [w for flag, value in paths.items() if value is not None
              for w in (flag, PATH_PLACEHOLDERS[flag][0])]
    for field_name, flag in _MODEL_OPTIONS:
        value = getattr(req, field_name)
        if value is not None and value != getattr(defaults, field_name):
            words += [flag, str(value)]
    return words
