"""Read TFLite metadata back: JSON as tflite-support prints it, files, labels, normalization."""

from __future__ import annotations

from effkit.errors import ModelFileError
from effkit.metadata import metadata_schema_py_generated as fb
from effkit.metadata.model_file import (
    METADATA_NAME,
    local_header_offset,
    named_metadata,
    packed_files,
)
from effkit.metadata.text import TextError, buffer_to_json
from effkit.metadata.writer import METADATA_IDENTIFIER

_NO_METADATA_HINT = "attach it with `effkit metadata MODEL --labels labels.txt`"
_REATTACH_HINT = "attach new metadata with `effkit metadata MODEL --labels labels.txt`"


def metadata_buffer(model_bytes: bytes) -> bytes | None:
    """The raw ModelMetadata flatbuffer ("TFLITE_METADATA"), or None when the model has none."""
    buf = named_metadata(model_bytes, METADATA_NAME)
    if buf is None:
        return None
    if len(buf) < 8 or buf[4:8] != METADATA_IDENTIFIER:
        raise ModelFileError(
            "the model's TFLITE_METADATA buffer is not TFLite metadata (no 'M001' identifier)",
            _REATTACH_HINT)
    return buf


def has_metadata(model_bytes: bytes) -> bool:
    return named_metadata(model_bytes, METADATA_NAME) is not None


def read_metadata(model_bytes: bytes) -> fb.ModelMetadataT | None:
    """The metadata as a flatbuffers object (ModelMetadataT), or None."""
    buf = metadata_buffer(model_bytes)
    if buf is None:
        return None
    try:
        return fb.ModelMetadataT.InitFromObj(fb.ModelMetadata.GetRootAs(bytearray(buf), 0))
    except Exception as exc:  # corrupt offsets surface as struct/index errors
        raise ModelFileError(f"the model's metadata is corrupt ({type(exc).__name__})",
                             _REATTACH_HINT) from None


def metadata_json(model_bytes: bytes) -> str:
    """The metadata as JSON text, exactly as tflite-support's
    ``MetadataDisplayer.get_metadata_json()`` prints it."""
    buf = metadata_buffer(model_bytes)
    if buf is None:
        raise ModelFileError("the model has no TFLite metadata", _NO_METADATA_HINT)
    try:
        return buffer_to_json(buf)
    except TextError as exc:
        raise ModelFileError(f"the model's metadata cannot be shown: {exc}",
                             _REATTACH_HINT) from None


def associated_files(model_bytes: bytes) -> dict[str, bytes]:
    """Files packed in the model (name -> bytes); {} when none are packed."""
    named_metadata(model_bytes, METADATA_NAME)  # validates the model bytes
    return packed_files(model_bytes)


def label_file(model_bytes: bytes) -> tuple[str, bytes] | None:
    """(name, bytes) of the first output's TENSOR_AXIS_LABELS file, or None when absent."""
    metadata = read_metadata(model_bytes)
    if metadata is None or not metadata.subgraphMetadata:
        return None
    outputs = metadata.subgraphMetadata[0].outputTensorMetadata or []
    for tensor in outputs:
        for f in tensor.associatedFiles or []:
            if f.type == fb.AssociatedFileType.TENSOR_AXIS_LABELS and f.name is not None:
                name = f.name.decode("utf-8", "replace")
                files = packed_files(model_bytes)
                cut = local_header_offset(model_bytes, name) if name not in files else None
                if cut is not None:
                    raise ModelFileError(f"the model file is cut off: labels file {name!r} is "
                                         f"packed at byte {cut:,}, but the archive's end is "
                                         "missing (an interrupted copy or download)",
                                         "copy the model again, or build it again")
                if name not in files:
                    raise ModelFileError(f"labels file {name!r} is recorded in the metadata but "
                                         "not packed in the model", _NO_METADATA_HINT)
                return name, files[name]
    return None


def labels_from_model(model_bytes: bytes) -> list[str] | None:
    """Class labels from the first output's TENSOR_AXIS_LABELS file, or None when absent."""
    found = label_file(model_bytes)
    return None if found is None else decode_labels(*found)


def decode_labels(name: str, data: bytes) -> list[str]:
    """The labels of a packed labels file ``name`` (as :func:`label_file` gives it): UTF-8,
    a byte-order mark skipped, one per line, CR LF taken, trailing empty lines dropped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ModelFileError(f"labels file {name!r} in the model is not UTF-8",
                             _NO_METADATA_HINT) from None
    labels = [line.rstrip("\r") for line in text.split("\n")]
    while labels and not labels[-1].strip():
        labels.pop()
    return labels


def score_calibration(model_bytes: bytes) -> str | None:
    """The output's ScoreCalibrationOptions (another writer's: effkit writes none), as
    "<transformation>, <file>", or None. MediaPipe and the Task Library apply it to the
    scores; effkit's eval and apps do not."""
    metadata = read_metadata(model_bytes)
    if metadata is None or not metadata.subgraphMetadata:
        return None
    names = {v: k for k, v in vars(fb.ScoreTransformationType).items() if not k.startswith("_")}
    for tensor in metadata.subgraphMetadata[0].outputTensorMetadata or []:
        for unit in tensor.processUnits or []:
            if unit.optionsType == fb.ProcessUnitOptions.ScoreCalibrationOptions and unit.options:
                kind = names.get(unit.options.scoreTransformation, "unknown")
                files = [f.name.decode("utf-8", "replace") if isinstance(f.name, bytes) else str(f.name)
                         for f in tensor.associatedFiles or []
                         if f.type == fb.AssociatedFileType.TENSOR_AXIS_SCORE_CALIBRATION]
                return f"{kind} transformation" + (f", file {files[0]!r}" if files else "")
    return None


def normalization(model_bytes: bytes) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """(mean, std) of the first input's NormalizationOptions, or None when absent."""
    metadata = read_metadata(model_bytes)
    if metadata is None or not metadata.subgraphMetadata:
        return None
    for tensor in metadata.subgraphMetadata[0].inputTensorMetadata or []:
        for unit in tensor.processUnits or []:
            if unit.optionsType == fb.ProcessUnitOptions.NormalizationOptions and unit.options:
                mean, std = unit.options.mean, unit.options.std
                return (tuple(float(x) for x in (mean if mean is not None else ())),
                        tuple(float(x) for x in (std if std is not None else ())))
        break
    return None
