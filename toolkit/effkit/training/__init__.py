"""Fine-tuning on the user's classes (``effkit train``), then building the result.

    from effkit.training import TrainConfig, train, plan_trained, build_trained

``train`` (``effkit.training.trainer``): data scan, the two phases, checkpoints, train.json;
``build_request``/``plan_trained``/``build_trained`` (``effkit.training.build``): the trained model through
the build pipeline, measured on the validation split. Loaded on first use: importing
this package imports no TensorFlow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

_LAZY = {
    "TrainConfig": "effkit.training.trainer", "TrainResult": "effkit.training.trainer",
    "Callbacks": "effkit.training.trainer", "train": "effkit.training.trainer",
    "validate": "effkit.training.trainer",
    "scan": "effkit.training.data", "make_dataset": "effkit.training.data",
    "build_request": "effkit.training.build", "build_trained": "effkit.training.build",
    "plan_trained": "effkit.training.build",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'effkit.training' has no attribute {name!r}")


if TYPE_CHECKING:
    from effkit.training.build import build_request, build_trained, plan_trained  # noqa: F401
    from effkit.training.data import make_dataset, scan  # noqa: F401
    from effkit.training.trainer import (  # noqa: F401
        Callbacks,
        TrainConfig,
        TrainResult,
        train,
        validate,
    )
