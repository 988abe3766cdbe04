"""The build pipeline, stage by stage.

variant table -> Keras model -> weights -> calibration -> TFLite bytes -> metadata
-> Edge TPU check and compile -> rendered app. Each stage is a call into its own
module; this file only orders them, times them and stages the outputs so that
nothing is left half-written.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from effkit import labels as labels_mod
from effkit.convert import ConvertOptions
from effkit.errors import EdgeTPUCoverageError, UsageError
from effkit.outputs import check_output_dir, staged_dir
from effkit.variants import Variant, get_variant

TARGETS = ("cpu", "coral", "android")


# on_progress(stage, done, total): total 0 means "no known length".
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildRequest:
    variant: str
    target: str = "cpu"
    out: Path | None = None
    weights: str | None = None
    labels: Path | None = None
    calibration: Path | None = None
    calibration_size: int | None = None
    quant: str = "int8"
    io: str = "uint8"
    force: bool = False
    # Edge TPU
    skip_compile: bool = False
    require_compile: bool = False  # no compiler (nor Docker engine): fail instead of finishing
    compiler: str | None = None
    min_tpu_ops: float = 1.0
    num_segments: int | None = None
    min_runtime_version: int | None = None
    compile_timeout: float = 600.0
    # Android
    app_id: str | None = None
    app_name: str | None = None
    # Metadata
    model_name: str | None = None
    description: str | None = None
    author: str = "effkit"
    license: str = "Apache-2.0"
    model_version: str = "1"

    def out_dir(self) -> Path:
        return self.out or Path("build") / f"{self.variant}-{self.target}"


@dataclass
class StageClock:
    """Times each stage; reports to an optional progress callback."""

    on_progress: ProgressFn | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[Callable[[int, int], None]]:
        start = time.perf_counter()

        def tick(done: int, total: int) -> None:
            if self.on_progress:
                self.on_progress(name, done, total)

        tick(0, 0)
        yield tick
        self.seconds[name] = round(time.perf_counter() - start, 3)
        tick(1, 1)


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    manifest: dict


def validate(req: BuildRequest) -> tuple[Variant, ConvertOptions]:
    """Every check that needs no heavy work, done before any long stage."""
    variant = get_variant(req.variant)
    if req.target not in TARGETS:
        raise UsageError(f"unknown target {req.target!r}", f"use one of {', '.join(TARGETS)}")
    options = ConvertOptions(quant=req.quant, io=req.io)
    if req.target == "coral" and (req.quant != "int8" or req.io != "uint8"):
        raise UsageError("the Coral Edge TPU needs --quant int8 with uint8 I/O",
                         "drop --quant/--io for --target coral")
    if req.calibration is not None and req.quant != "int8":
        raise UsageError("--calibration only applies to --quant int8",
                         "drop --calibration, or use --quant int8")
    if req.calibration_size is not None and req.calibration_size < 1:
        raise UsageError(f"--calibration-size must be at least 1 (got {req.calibration_size})",
                         "pass a positive count, e.g. --calibration-size 100")
    if not 0.0 <= req.min_tpu_ops <= 1.0:
        raise UsageError(f"--min-tpu-ops must be a fraction between 0 and 1 (got {req.min_tpu_ops})",
                         "pass e.g. --min-tpu-ops 0.9, or 0 to accept any coverage")
    check_output_dir(req.out_dir(), req.force, inputs=_input_paths(req))
    _check_app_answers(req, variant)
    edgetpu_compiler(req)
    from effkit.weights import resolve_source

    resolve_source(variant, req.weights)  # lite3/4 without --weights, missing files: fail now
    if req.calibration is not None:
        from effkit.calibration import check_folder

        check_folder(req.calibration)
    return variant, options


def _input_paths(req: BuildRequest) -> list[Path]:
    """What the build reads: an --out holding any of it would be replaced with it inside."""
    paths = [req.labels, req.calibration]
    if req.weights and req.weights != "random":
        paths.append(Path(req.weights))
    return [p for p in paths if p is not None]


def _check_app_answers(req: BuildRequest, variant: Variant) -> None:
    """The Android answers (--app-id, --app-name, --name), checked before any work."""
    if req.target != "android":
        return
    from effkit.apps.android import check_app_names

    name = req.model_name or f"EfficientNet-{variant.name.capitalize()}"
    check_app_names(app_id=req.app_id or f"com.example.{variant.name}",
                    app_name=req.app_name or name, model_name=name)


def edgetpu_compiler(req: BuildRequest):
    """The compiler a coral build will use, as an ``effkit.edgetpu.locate.CompilerChoice``
    (None with --skip-compile or another target; ``.compiler`` None when neither a local
    compiler nor a Docker engine is found: the build then finishes without it).

    Looked up, and its version read, before any long stage: a broken binary (or the docker
    image build) fails the build in seconds; so does a missing one with --require-compile.
    """
    if req.target != "coral" or req.skip_compile:
        return None
    from effkit.edgetpu.locate import EdgeTPUCompilerNotFound, choose_compiler, compiler_version

    try:
        choice = choose_compiler(req.compiler, require=req.require_compile)
    except EdgeTPUCompilerNotFound as exc:
        raise EdgeTPUCompilerNotFound(
            exc.message, f"{exc.hint}; or pass --skip-compile to build everything else") from None
    if choice.compiler is not None:
        compiler_version(choice.compiler)
    return choice


def run_build(req: BuildRequest, on_progress: ProgressFn | None = None) -> BuildResult:
    from effkit import calibration as calib
    from effkit.convert import convert
    from effkit.manifest import versions, write_manifest
    from effkit.metadata import attach_classifier_metadata, verify
    from effkit.model import build_model
    from effkit.weights import load_weights, num_classes_of

    variant, options = validate(req)
    clock = StageClock(on_progress)

    # Labels first: a bad labels file must fail before minutes of work.
    if req.labels is not None:
        label_list = labels_mod.read_labels(req.labels)
    else:
        label_list = None
    file_classes = num_classes_of(req.weights) if req.weights else None
    num_classes = file_classes or (len(label_list) if label_list and req.weights else 1000)
    if label_list is None:
        if num_classes != 1000:
            raise UsageError(f"the weights have {num_classes} classes, not ImageNet's 1000",
                             "pass --labels FILE with one label per class")
        label_list = labels_mod.imagenet_labels()
    labels_mod.check_count(label_list, num_classes, source=str(req.labels or "ImageNet labels"))

    compiler = edgetpu_compiler(req)

    calib_set = None
    if options.quant == "int8" and req.calibration is not None:
        # Before the model: an unusable folder fails in seconds, not after minutes.
        with clock.stage("calibration") as tick:
            calib_set = calib.from_folder(req.calibration, variant,
                                          req.calibration_size or calib.DEFAULT_FOLDER_SIZE, tick)

    with clock.stage("model"):
        model = build_model(variant, num_classes=num_classes)
    with clock.stage("weights"):
        weights = load_weights(model, variant, req.weights)

    if options.quant == "int8" and calib_set is None:
        with clock.stage("calibration") as tick:
            settings = calib.DistillSettings()
            if req.calibration_size:
                settings = calib.DistillSettings(count=req.calibration_size)
            calib_set = calib.distilled(model, variant, settings, tick)

    with clock.stage("convert"):
        from effkit.convert import pin_input_range

        inputs = None
        if calib_set is not None:
            inputs = pin_input_range(calib_set.inputs, variant.norm_mean, variant.norm_std)
        tflite = convert(model, options, inputs)

    name = req.model_name or f"EfficientNet-{variant.name.capitalize()}"
    meta_args = dict(
        labels=label_list, norm_mean=variant.norm_mean, norm_std=variant.norm_std, name=name,
        description=req.description or (
            f"EfficientNet-{variant.name} image classifier ({num_classes} classes), "
            f"{req.quant} quantized by effkit"),
        version=req.model_version, author=req.author, license=req.license,
    )
    with clock.stage("metadata"):
        tflite = attach_classifier_metadata(tflite, **meta_args)
        verify(tflite, label_list)

    doc: dict = {
        "effkit_manifest": 1,
        "versions": versions(),
        "variant": variant.name,
        "target": req.target,
        "model_name": name,
        "num_classes": num_classes,
        "input": {"resolution": variant.resolution, "norm_mean": variant.norm_mean,
                  "norm_std": variant.norm_std},
        "weights": dataclasses.asdict(weights),
        "quantization": {"mode": options.quant, "io": options.io if options.quant == "int8" else "float32"},
        "calibration": calib_set.describe() if calib_set else None,
    }

    from effkit.model_check import check_built_model

    check_built_model(tflite, options.quant)  # a broken model never reaches --out
    out_dir = req.out_dir()
    with staged_dir(out_dir, req.force) as tmp:
        model_path = tmp / "model.tflite"
        model_path.write_bytes(tflite)
        (tmp / "labels.txt").write_bytes(labels_mod.write_labels(label_list))
        artifacts = [model_path, tmp / "labels.txt"]
        edgetpu_path = None
        if req.target == "coral":
            doc["edgetpu"], edgetpu_path = _edgetpu_stages(req, clock, tflite, model_path, tmp,
                                                           compiler, meta_args, label_list)
            if edgetpu_path:
                artifacts += sorted(p for p in tmp.iterdir() if p.name.startswith("model_edgetpu"))
        if req.target in ("coral", "android"):
            with clock.stage("app"):
                app_dir = _render_app(req, variant, name, label_list, model_path, edgetpu_path, tmp)
            doc["app"] = str(app_dir.relative_to(tmp))
        doc["timings_s"] = dict(clock.seconds)
        doc["timings_s"]["total"] = round(sum(clock.seconds.values()), 3)
        manifest = write_manifest(tmp, doc, artifacts)
    return BuildResult(out_dir=out_dir, manifest=manifest)


def _edgetpu_stages(req, clock, tflite, model_path, tmp, compiler, meta_args, label_list):
    """check -> compile -> attach the metadata again (the compiler strips it) -> verify.

    ``compiler`` is :func:`edgetpu_compiler`'s choice; the stages live in effkit.edgetpu.stage
    (shared with ``effkit compile-edgetpu OUT/``), which re-attaches model.tflite's metadata.
    """
    from effkit.edgetpu import stage
    from effkit.edgetpu.check import check_model

    found = compiler.compiler if compiler is not None else None
    with clock.stage("edgetpu-check"):
        from effkit.edgetpu.locate import compiler_version

        report = check_model(tflite, min_runtime_version=req.min_runtime_version,
                             compiler_version=compiler_version(found) if found else None)
    if found is None:
        _require_tpu_fraction(report.tpu_fraction, req.min_tpu_ops, "are predicted to map")
        reason = "--skip-compile" if compiler is None else compiler.note
        return stage.not_compiled(report.to_dict(), reason, finish=compiler is not None), None
    with clock.stage("edgetpu-compile"):
        section, result = stage.compile_section(
            report.to_dict(), compiler, model_path, tmp, timeout_s=req.compile_timeout,
            num_segments=req.num_segments, min_runtime_version=req.min_runtime_version)
    section["compiler_note"] = compiler.note
    _require_tpu_fraction(result.report.tpu_fraction, req.min_tpu_ops, "map")
    return section, result.compiled_paths[0]


def _require_tpu_fraction(fraction: float | None, minimum: float, verb: str) -> None:
    if fraction is not None and fraction + 1e-9 < minimum:
        raise EdgeTPUCoverageError(
            f"only {fraction:.0%} of the ops {verb} to the Edge TPU (--min-tpu-ops {minimum:g})",
            "see the operator table with 'effkit check-edgetpu model.tflite', or lower --min-tpu-ops",
        )


def _render_app(req, variant, name, label_list, model_path, edgetpu_path, tmp) -> Path:
    if req.target == "coral":
        from effkit.apps.coral import render_coral_app

        return render_coral_app(tmp / "coral", model_name=name, variant=variant, labels=label_list,
                                cpu_model=model_path, edgetpu_model=edgetpu_path)
    from effkit.apps.android import render_android_app

    return render_android_app(tmp / "android", app_id=req.app_id or f"com.example.{variant.name}",
                              app_name=req.app_name or name, model_name=name, variant=variant,
                              labels=label_list, model_path=model_path)
