"""TFLite metadata: descriptions of what to write (info) kept apart from the writer.

Writes and reads the TFLite Metadata format (metadata_schema.fbs, file identifier "M001")
with the plain ``flatbuffers`` runtime; tflite-support is not needed at run time.

Pipeline entry points:

* ``attach_classifier_metadata(model_bytes, labels=..., norm_mean=..., ...) -> bytes``
* ``verify(model_bytes, labels)`` raises ModelFileError unless the metadata reads back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from effkit.errors import ModelFileError
from effkit.metadata.image_classifier import classifier_tensors, create_for_inference, num_classes
from effkit.metadata.info import (
    AssociatedFile,
    ClassificationOutputInfo,
    InputImageInfo,
    MetadataInfo,
)
from effkit.metadata.reader import (
    associated_files,
    label_file,
    labels_from_model,
    metadata_json,
    normalization,
)
from effkit.metadata.writer import populate, remove_metadata
from effkit.model.labels import label_difference

__all__ = [
    "AssociatedFile",
    "ClassificationOutputInfo",
    "InputImageInfo",
    "MetadataInfo",
    "associated_files",
    "attach_classifier_metadata",
    "create_for_inference",
    "label_file",
    "labels_from_model",
    "metadata_json",
    "normalization",
    "populate",
    "remove_metadata",
    "verify",
]


def attach_classifier_metadata(model_bytes: bytes, *, labels: Sequence[str], norm_mean: float,
                               norm_std: float, name: str, description: str, version: str,
                               author: str, license: str) -> bytes:
    """The classifier with TFLite metadata (RGB input, normalization, labels.txt) attached.

    Works on any classifier .tflite: a converter output, one that already has metadata
    (replaced) or an Edge TPU compiled model whose metadata was stripped.
    """
    info = MetadataInfo(name=name, description=description, version=version, author=author,
                     license=license)
    return create_for_inference(model_bytes, model_info=info, norm_mean=norm_mean,
                                norm_std=norm_std, labels=labels)


def verify(model_bytes: bytes, labels: Sequence[str]) -> None:
    """Raise ModelFileError unless the model's metadata reads back with exactly these labels."""
    text = metadata_json(model_bytes)
    try:
        json.loads(text)
    except ValueError as exc:
        raise ModelFileError(f"the model's metadata JSON does not parse ({exc})") from None
    found = labels_from_model(model_bytes)
    if found is None:
        raise ModelFileError("the model's metadata has no labels file",
                             "attach metadata with labels")
    difference = label_difference(found, labels)
    if difference is not None:
        raise ModelFileError(f"the model's packed labels differ from the expected ones ({difference})",
                             "attach the metadata again with the right labels")
    if normalization(model_bytes) is None:
        raise ModelFileError("the model's metadata has no input normalization",
                             "attach metadata with --mean/--std")
    _, scores = classifier_tensors(model_bytes)
    if num_classes(scores) != len(found):
        raise ModelFileError(f"the model has {num_classes(scores)} outputs but its metadata "
                             f"has {len(found)} labels", "attach metadata with matching labels")
