"""What to write: frozen descriptions of the metadata, each able to make its flatbuffer object.

Modelled on tflite-support's ``metadata_writers/metadata_info.py``: a description checks and
derives its own values (an input image's value range comes from its tensor type and the
normalization), and ``create_metadata()`` returns a fresh flatbuffers object-API value
(a ``...T`` object) every call, so nothing is shared between models. How the objects are
packed into a model lives in ``writer.py``.
"""

from __future__ import annotations

import math
import posixpath
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from effkit.errors import UsageError
from effkit.metadata import metadata_schema_py_generated as fb
from effkit.model.labels import check_text

TENSOR_TYPES = ("float32", "uint8", "int8")
MAX_MODEL_NAME_LENGTH = 1000  # what a name in metadata may hold; the apps allow fewer
# Value range of the quantized types (what a tensor of that type can hold).
_TYPE_RANGE = {"uint8": (0.0, 255.0), "int8": (-128.0, 127.0)}
_PIXEL_MIN, _PIXEL_MAX = 0.0, 255.0

INPUT_NAME = "image"
INPUT_DESCRIPTION = "Input image to be classified."
OUTPUT_NAME = "probability"
OUTPUT_DESCRIPTION = "Probabilities of the labels respectively."
LABELS_DESCRIPTION = "Labels for categories that the model can recognize."
MODEL_DESCRIPTION = ("Identify the most prominent object in the image from a known set of "
                     "categories.")


def _members(enum: type) -> dict[str, int]:
    return {k: v for k, v in vars(enum).items() if not k.startswith("_") and isinstance(v, int)}


def _check_tensor_type(tensor_type: str) -> None:
    if tensor_type not in TENSOR_TYPES:
        raise UsageError(f"tensor type {tensor_type!r} is not supported",
                         f"use one of {', '.join(TENSOR_TYPES)}")


def check_metadata_name(name: object) -> str:
    """The rule for a model name effkit writes into metadata (``build --name`` for every
    target, ``effkit metadata --name``): visible text, no tab, control or bidirectional
    override character. :class:`MetadataInfo` itself takes any text, as other tools write."""
    return check_text(name, "model name", MAX_MODEL_NAME_LENGTH, error=UsageError)


def check_metadata_fields(*, description: str | None = None, version: str | None = None,
                          author: str | None = None, license: str | None = None) -> None:
    """The same rule as the name for the other fields effkit writes (``build`` and
    ``effkit metadata`` ``--description``, ``--model-version``/``--version``, ``--author``,
    ``--license``); None is not written and not checked."""
    for what, text in (("description", description), ("model version", version),
                       ("author", author), ("license", license)):
        if text is not None:
            check_text(text, what, MAX_MODEL_NAME_LENGTH, error=UsageError)


@dataclass(frozen=True)
class MetadataInfo:
    """Model-level fields: name, description, version, author, license (None = not written)."""

    name: str
    description: str | None = None
    version: str | None = None
    author: str | None = None
    license: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise UsageError("the model name is empty", "give the model a name")
        for field in ("description", "version", "author", "license"):
            value = getattr(self, field)
            if value is not None and not isinstance(value, str):
                raise UsageError(f"model {field} must be text, not {type(value).__name__}")

    def create_metadata(self) -> fb.ModelMetadataT:
        md = fb.ModelMetadataT()
        md.name = self.name
        md.description = self.description
        md.version = self.version
        md.author = self.author
        md.license = self.license
        return md


@dataclass(frozen=True)
class AssociatedFile:
    """A file recorded in the metadata; its bytes are packed into the model under ``name``."""

    name: str
    description: str | None = None
    file_type: str = "UNKNOWN"
    locale: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        name = self.name
        if (not isinstance(name, str) or not name or name != posixpath.basename(name)
                or name in (".", "..") or "\\" in name):
            raise UsageError(f"associated file name {self.name!r} is not a plain file name",
                             "use a name such as 'labels.txt' with no folder")
        if self.file_type not in _members(fb.AssociatedFileType):
            raise UsageError(f"associated file type {self.file_type!r} is unknown",
                             f"use one of {', '.join(_members(fb.AssociatedFileType))}")

    def create_metadata(self) -> fb.AssociatedFileT:
        md = fb.AssociatedFileT()
        md.name = self.name
        md.description = self.description
        md.type = _members(fb.AssociatedFileType)[self.file_type]
        md.locale = self.locale
        md.version = self.version
        return md


_CHANNELS = {"RGB": 3, "GRAYSCALE": 1}


@dataclass(frozen=True)
class InputImageInfo:
    """An image input: normalization ``(x - mean) / std`` per channel, color space, value range.

    ``min_values``/``max_values`` are derived from ``tensor_type``: the type's range for uint8
    and int8, the normalized pixel range ``(0 - mean) / std .. (255 - mean) / std`` for float32.
    ``tensor_name`` (optional) ties the description to a model tensor by name.
    """

    norm_mean: tuple[float, ...]
    norm_std: tuple[float, ...]
    color_space: str = "RGB"
    tensor_type: str = "float32"
    name: str = INPUT_NAME
    description: str | None = INPUT_DESCRIPTION
    tensor_name: str | None = None

    def __post_init__(self) -> None:
        mean = _floats(self.norm_mean, "mean")
        std = _floats(self.norm_std, "std")
        if len(mean) != len(std):
            raise UsageError(
                f"normalization has {len(mean)} mean value(s) but {len(std)} std value(s)",
                "give as many --mean values as --std values (one, or one per channel)",
            )
        if self.color_space not in _CHANNELS:
            raise UsageError(f"color space {self.color_space!r} is not supported",
                             "use RGB or GRAYSCALE")
        channels = _CHANNELS[self.color_space]
        if len(mean) not in (1, channels):  # every reader broadcasts over the pixel's channels
            takes = f"1 (for every channel) or {channels} (one per channel)" if channels > 1 else "1"
            raise UsageError(f"normalization has {len(mean)} mean and std values; {self.color_space} "
                             f"images take {takes}", "give --mean and --std once"
                             + (f", or {channels} times" if channels > 1 else ""))
        if any(s <= 0 for s in std):  # (x - mean) / std: 0 divides by zero, < 0 flips the image
            raise UsageError(f"normalization std is 0 or negative ({', '.join(map(str, std))}); "
                             "it must be positive", "use the std the model was trained with, "
                             "e.g. --std 128")
        # the file holds float32: a std that rounds to 0 there (1e-46) divides by zero in
        # every reader, and one so small that the pixel range overflows gives infinite bounds
        spans = [max(abs(_PIXEL_MIN - m), abs(_PIXEL_MAX - m)) / s for m, s in zip(mean, std, strict=True)]
        if any(_float32(s) == 0.0 for s in std) or not all(math.isfinite(_float32(v)) for v in spans):
            raise UsageError(f"normalization std ({', '.join(map(str, std))}) is too small for the "
                             "float32 the metadata holds", "use the std the model was trained with, "
                             "e.g. --std 128")
        _check_tensor_type(self.tensor_type)
        object.__setattr__(self, "norm_mean", mean)
        object.__setattr__(self, "norm_std", std)

    @property
    def min_values(self) -> tuple[float, ...]:
        if self.tensor_type in _TYPE_RANGE:
            return (_TYPE_RANGE[self.tensor_type][0],)
        pairs = zip(self.norm_mean, self.norm_std, strict=True)
        return tuple((_PIXEL_MIN - m) / s for m, s in pairs)

    @property
    def max_values(self) -> tuple[float, ...]:
        if self.tensor_type in _TYPE_RANGE:
            return (_TYPE_RANGE[self.tensor_type][1],)
        pairs = zip(self.norm_mean, self.norm_std, strict=True)
        return tuple((_PIXEL_MAX - m) / s for m, s in pairs)

    def create_metadata(self) -> fb.TensorMetadataT:
        md = fb.TensorMetadataT()
        md.name = self.name
        md.description = self.description
        props = fb.ImagePropertiesT()
        props.colorSpace = _members(fb.ColorSpaceType)[self.color_space]
        md.content = fb.ContentT()
        md.content.contentPropertiesType = fb.ContentProperties.ImageProperties
        md.content.contentProperties = props
        norm = fb.NormalizationOptionsT()
        norm.mean = list(self.norm_mean)
        norm.std = list(self.norm_std)
        unit = fb.ProcessUnitT()
        unit.optionsType = fb.ProcessUnitOptions.NormalizationOptions
        unit.options = norm
        md.processUnits = [unit]
        md.stats = _stats(self.min_values, self.max_values)
        return md


@dataclass(frozen=True)
class ClassificationOutputInfo:
    """A classification output: one score per class, labels in an associated file.

    Value range from ``tensor_type``: 0..1 for float32 probabilities, the type's range for
    uint8/int8. The labels file is recorded as TENSOR_AXIS_LABELS.
    """

    labels_filename: str = "labels.txt"
    tensor_type: str = "float32"
    name: str = OUTPUT_NAME
    description: str | None = OUTPUT_DESCRIPTION
    labels_locale: str | None = None
    tensor_name: str | None = None

    def __post_init__(self) -> None:
        _check_tensor_type(self.tensor_type)
        self.label_file  # validates the file name  # noqa: B018

    @property
    def label_file(self) -> AssociatedFile:
        return AssociatedFile(self.labels_filename, LABELS_DESCRIPTION, "TENSOR_AXIS_LABELS",
                              self.labels_locale)

    @property
    def min_values(self) -> tuple[float, ...]:
        return (_TYPE_RANGE.get(self.tensor_type, (0.0, 1.0))[0],)

    @property
    def max_values(self) -> tuple[float, ...]:
        return (_TYPE_RANGE.get(self.tensor_type, (0.0, 1.0))[1],)

    def create_metadata(self) -> fb.TensorMetadataT:
        md = fb.TensorMetadataT()
        md.name = self.name
        md.description = self.description
        md.content = fb.ContentT()
        md.content.contentPropertiesType = fb.ContentProperties.FeatureProperties
        md.content.contentProperties = fb.FeaturePropertiesT()
        md.stats = _stats(self.min_values, self.max_values)
        md.associatedFiles = [self.label_file.create_metadata()]
        return md


TensorInfo = InputImageInfo | ClassificationOutputInfo


def _floats(values: float | Sequence[float], what: str) -> tuple[float, ...]:
    if isinstance(values, int | float):
        values = (values,)
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise UsageError(f"normalization {what} {values!r} is not a list of numbers") from None
    if not out:
        raise UsageError(f"normalization {what} is empty", f"give at least one {what} value")
    if not all(math.isfinite(_float32(v)) for v in out):  # 1e39 is float32's infinity
        where = " in float32" if all(math.isfinite(v) for v in out) else ""
        raise UsageError(f"normalization {what} {out!r} is not finite{where}",
                         f"give finite numbers, e.g. --{what} {127 if what == 'mean' else 128}")
    return out


def _float32(value: float) -> float:
    """``value`` as the metadata's float32 holds it (infinity past float32's range)."""
    try:
        return float(struct.unpack("<f", struct.pack("<f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def normalization_warnings(norm_std: Sequence[float]) -> list[str]:
    """What is likely a mistake in a valid normalization: every std below 1 is the 0..1
    pixel scale (ImageNet's 0.229), while metadata normalizes 0..255 pixels."""
    if norm_std and all(0 < s < 1 for s in norm_std):
        return [f"normalization std {', '.join(map(str, norm_std))} is below 1: metadata "
                "normalizes 0..255 pixels, so values for 0..1 pixels (ImageNet's std 0.229) "
                "must be multiplied by 255 (--std 58.4)"]
    return []


def _stats(min_values: tuple[float, ...], max_values: tuple[float, ...]) -> fb.StatsT:
    stats = fb.StatsT()
    stats.max = list(max_values)
    stats.min = list(min_values)
    return stats
