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

import sys
import types
from typing import TYPE_CHECKING, Any

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

__version__ = "0.1.0"

# name -> (module, attribute): imported on first access (PEP 562).
_LAZY = {
    "build": ("effkit.api", "build"),
    "train": ("effkit.api", "train"),
    "evaluate": ("effkit.api", "evaluate"),
    "benchmark": ("effkit.api", "benchmark"),
    "check_edgetpu": ("effkit.api", "check_edgetpu"),
    "compile_edgetpu": ("effkit.api", "compile_edgetpu"),
    "inspect": ("effkit.api", "inspect"),
    "EvalResult": ("effkit.api", "EvalResult"),
    "ModelInfo": ("effkit.api", "ModelInfo"),
    "BuildResult": ("effkit.pipeline", "BuildResult"),
    "BuildRequest": ("effkit.pipeline", "BuildRequest"),
    "BuildPlan": ("effkit.pipeline", "BuildPlan"),
    "plan": ("effkit.pipeline", "plan"),
    "run": ("effkit.pipeline", "run"),
    "Manifest": ("effkit.manifest", "Manifest"),
    "Artifact": ("effkit.manifest", "Artifact"),
    "Labels": ("effkit.labels", "Labels"),
    "ProgressEvent": ("effkit.progress", "ProgressEvent"),
    "TrainResult": ("effkit.train", "TrainResult"),
    "BenchResult": ("effkit.bench", "BenchResult"),
    "VsResult": ("effkit.bench", "VsResult"),
    "EdgeTPUReport": ("effkit.edgetpu.check", "CheckReport"),
    "CompileResult": ("effkit.edgetpu.compiler", "CompileResult"),
}

__all__ = [
    "DataError", "EdgeTPUCoverageError", "EffkitError", "LabelsError", "ModelFileError",
    "OutputError", "TemplateError", "ToolFailedError", "ToolNotFoundError", "UsageError",
    "VariantError", "WeightsError", "__version__", *_LAZY,
]


class _Package(types.ModuleType):
    """``effkit.train`` and ``effkit.evaluate`` are API calls and also module names. Python
    sets a package attribute to the submodule when that is imported; keep the call."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'effkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from effkit.api import (  # noqa: F401
        EvalResult,
        ModelInfo,
        benchmark,
        build,
        check_edgetpu,
        compile_edgetpu,
        evaluate,
        inspect,
        train,
    )
    from effkit.bench import BenchResult, VsResult  # noqa: F401
    from effkit.edgetpu.check import CheckReport as EdgeTPUReport  # noqa: F401
    from effkit.edgetpu.compiler import CompileResult  # noqa: F401
    from effkit.labels import Labels  # noqa: F401
    from effkit.manifest import Artifact, Manifest  # noqa: F401
    from effkit.pipeline import BuildPlan, BuildRequest, BuildResult, plan, run  # noqa: F401
    from effkit.progress import ProgressEvent  # noqa: F401
    from effkit.train import TrainResult  # noqa: F401
