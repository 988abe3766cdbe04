"""Sample apps rendered from effkit's template trees (``coral/``, ``android_template/``).

One module per app: it checks the answers, builds the template context and calls
``effkit.apps.render.render_tree``.
"""

from __future__ import annotations

from collections.abc import Sequence

from effkit.model.labels import check_text
from effkit.model.preprocess import CROP_PADDING
from effkit.model.variants import Variant

__all__ = ["check_text", "model_answers"]


def model_answers(*, model_name: str, variant: Variant, labels: Sequence[str]) -> dict:
    """The answers every app template shares: the model, its input and its classes."""
    return {
        "model_name": model_name,
        "variant_name": variant.name,
        "resolution": variant.resolution,
        "norm_mean": float(variant.norm_mean),
        "norm_std": float(variant.norm_std),
        "crop_padding": CROP_PADDING,  # the central crop effkit evaluates with: the apps match it
        "num_classes": len(labels),
    }
