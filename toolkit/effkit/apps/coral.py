"""The Raspberry Pi + Coral app: answers checked, context built, ``coral/`` rendered.

The rendered folder is standalone: scripts that never import effkit, the models,
``labels.txt`` and ``install.sh``. Labels and normalization are read by the app from
the model's metadata at run time; what reaches the templates (model name, a few
sample labels for the README) is checked here and escaped by the templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from effkit.apps import check_text, model_answers
from effkit.apps.render import render_tree
from effkit.core.manifest import EDGETPU_MODEL_FILE, LABELS_FILE, MODEL_FILE
from effkit.core.resources import template_dir
from effkit.core.version import __version__
from effkit.edgetpu.graph import EDGETPU_CUSTOM_OP, compiled_for_edgetpu
from effkit.errors import ModelFileError
from effkit.metadata.model_file import load_model_file
from effkit.model.labels import Labels
from effkit.model.variants import Variant

MAX_NAME_LENGTH = 100
SAMPLE_LABELS = 3


def _check_model(path: Path) -> Path:
    load_model_file(path)  # one-line ModelFileError for a missing or non-TFLite file
    return Path(path)


def check_model_name(model_name: object) -> str:
    """The model name the Pi scripts print and the README titles: visible text, no tab or
    control character (the build checks it before any work)."""
    return check_text(model_name, "model name", MAX_NAME_LENGTH)


def coral_context(*, model_name: str, variant: Variant, labels: Sequence[str],
                  has_edgetpu: bool) -> dict:
    """The answers the ``coral/`` templates use (plain JSON-able values)."""
    return {
        **model_answers(model_name=model_name, variant=variant, labels=labels),
        "sample_labels": list(labels[:SAMPLE_LABELS]),
        "has_edgetpu": has_edgetpu,
        "cpu_model_file": MODEL_FILE,
        "edgetpu_model_file": EDGETPU_MODEL_FILE,
        "edgetpu_op": EDGETPU_CUSTOM_OP,  # the app runs a model on the Edge TPU when it holds this op
        "labels_file": LABELS_FILE,
        "effkit_version": __version__,
    }


def render_coral_app(
    out_dir: Path,
    *,
    model_name: str,
    variant: Variant,
    labels: Sequence[str],
    cpu_model: Path,
    edgetpu_model: Path | None,
    force: bool = False,
) -> Path:
    """Render the Raspberry Pi + Coral app into ``out_dir``; returns ``out_dir``.

    ``cpu_model`` is copied as ``model.tflite``, ``edgetpu_model`` (when compiled) as
    ``model_edgetpu.tflite``; ``labels`` are written to ``labels.txt``. Raises
    TemplateError for a model name or label that cannot be rendered safely,
    ModelFileError for a missing or non-TFLite model, OutputError for an existing
    non-empty ``out_dir`` without ``force``.
    """
    model_name = check_model_name(model_name)
    names = Labels.of(labels)
    extra: dict[str, Path | bytes] = {
        MODEL_FILE: _check_model(cpu_model),
        LABELS_FILE: names.to_bytes(),
    }
    if edgetpu_model is not None:
        extra[EDGETPU_MODEL_FILE] = Path(edgetpu_model)
        # read once: a missing or non-TFLite file is a one-line ModelFileError there too
        if not compiled_for_edgetpu(load_model_file(edgetpu_model)):  # the app would run it on the CPU
            raise ModelFileError(f"the Edge TPU model {str(edgetpu_model)!r} is not compiled for the Edge "
                                 f"TPU (it has no {EDGETPU_CUSTOM_OP}, so no op would run there)",
                                 "pass the model edgetpu_compiler wrote, or no Edge TPU model")
    context = coral_context(model_name=model_name, variant=variant, labels=names,
                            has_edgetpu=edgetpu_model is not None)
    result = render_tree(template_dir("coral"), Path(out_dir), context, force=force,
                         extra_files=extra)
    return result.out_dir
