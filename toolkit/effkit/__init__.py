"""effkit: EfficientNet-Lite from weights to device.

The Python API (docs/api.md)::

    import effkit
    result = effkit.build("lite0", target="coral", skip_compile=True)
    effkit.evaluate(result.model_path, "photos/").top1

``import effkit`` is cheap: the calls below are loaded on first use, and none of them
imports TensorFlow before its input has been checked. Errors are ``effkit.EffkitError``
subclasses with ``.message`` and ``.hint``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from effkit.core.version import __version__
from effkit.errors import (
    DataError,
    EdgeTPUCoverageError,
    EffkitError,
    LabelsError,
    ModelFileError,
    OutputError,
    TemplateError,
    ToolFailedError,
    ToolNotFoundError,
    UsageError,
    VariantError,
    WeightsError,
)

# name -> (module, attribute): imported on first access (PEP 562).
_LAZY = {
    "build": ("effkit.api", "build"),
    "train": ("effkit.api", "train"),
    "evaluate": ("effkit.api", "evaluate"),
    "benchmark": ("effkit.api", "benchmark"),
    "check_edgetpu": ("effkit.api", "check_edgetpu"),
    "compile_edgetpu": ("effkit.api", "compile_edgetpu"),
    "compile_build": ("effkit.api", "compile_build"),
    "inspect": ("effkit.api", "inspect"),
    "EvalResult": ("effkit.api", "EvalResult"),
    "ModelInfo": ("effkit.api", "ModelInfo"),
    "BuildResult": ("effkit.pipeline.build", "BuildResult"),
    "BuildRequest": ("effkit.pipeline.build", "BuildRequest"),
    "BuildPlan": ("effkit.pipeline.build", "BuildPlan"),
    "plan": ("effkit.api", "plan"),
    "run": ("effkit.api", "run"),
    "Manifest": ("effkit.core.manifest", "Manifest"),
    "Artifact": ("effkit.core.manifest", "Artifact"),
    "Labels": ("effkit.model.labels", "Labels"),
    "ProgressEvent": ("effkit.core.progress", "ProgressEvent"),
    "TrainResult": ("effkit.training.trainer", "TrainResult"),
    "BenchResult": ("effkit.analysis.bench", "BenchResult"),
    "VsResult": ("effkit.analysis.bench", "VsResult"),
    "EdgeTPUReport": ("effkit.edgetpu.check", "CheckReport"),
    "CompileResult": ("effkit.edgetpu.compiler", "CompileResult"),
}

# written out, not built from _LAZY: type checkers read only a literal list
__all__ = [
    "DataError", "EdgeTPUCoverageError", "EffkitError", "LabelsError", "ModelFileError",
    "OutputError", "TemplateError", "ToolFailedError", "ToolNotFoundError", "UsageError",
    "VariantError", "WeightsError", "__version__",
    "build",
    "train",
    "evaluate",
    "benchmark",
    "check_edgetpu",
    "compile_edgetpu",
    "compile_build",
    "inspect",
    "EvalResult",
    "ModelInfo",
    "BuildResult",
    "BuildRequest",
    "BuildPlan",
    "plan",
    "run",
    "Manifest",
    "Artifact",
    "Labels",
    "ProgressEvent",
    "TrainResult",
    "BenchResult",
    "VsResult",
    "EdgeTPUReport",
    "CompileResult",
]
assert set(__all__) >= set(_LAZY)  # one list, checked against the other on import


# subpackages api.md uses as effkit.NAME after a plain `import effkit`
_SUBPACKAGES = ("metadata",)


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"effkit.{name}")  # binds effkit.metadata itself
    raise AttributeError(f"module 'effkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # exported for type checkers (mypy --strict, pyright) by the literal __all__
    from effkit.analysis.bench import BenchResult, VsResult
    from effkit.api import (
        EvalResult,
        ModelInfo,
        benchmark,
        build,
        check_edgetpu,
        compile_build,
        compile_edgetpu,
        evaluate,
        inspect,
        plan,
        run,
        train,
    )
    from effkit.core.manifest import Artifact, Manifest
    from effkit.core.progress import ProgressEvent
    from effkit.edgetpu.check import CheckReport as EdgeTPUReport
    from effkit.edgetpu.compiler import CompileResult
    from effkit.model.labels import Labels
    from effkit.pipeline.build import BuildPlan, BuildRequest, BuildResult
    from effkit.training.trainer import TrainResult
