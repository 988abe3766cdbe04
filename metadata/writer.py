"""How to write: put a ModelMetadata flatbuffer and its associated files into a .tflite model.

The one place that packs metadata, in the layout of tflite-support's MetadataPopulator:

* the ModelMetadata flatbuffer (file identifier "M001", ``min_parser_version`` filled in)
  becomes a model buffer referenced by the model's ``metadata`` entry "TFLITE_METADATA";
* associated files are zipped (ZIP_STORED) after the flatbuffer.

Populating replaces what is there: an existing "TFLITE_METADATA" buffer is overwritten in place
and files packed earlier are dropped, so a model that already has metadata, one whose metadata
was stripped (the Edge TPU compiler's output) and a bare converter output all work.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import flatbuffers
import numpy as np

from effkit.errors import ModelFileError, UsageError
from effkit.metadata import metadata_schema_py_generated as fb
from effkit.metadata.info import MetadataInfo, TensorInfo
from effkit.metadata.model_file import (
    METADATA_NAME,
    TensorSpec,
    append_files,
    io_tensors,
    pack_model,
    read_model,
    schema,
)

METADATA_IDENTIFIER = b"M001"

# Schema members added after 1.0.0 and the parser version that understands them
# (metadata_schema.fbs "History"; the same rules as tflite-support's metadata_version.cc).
_V_VOCABULARY = (1, 0, 1)
_V_SUBGRAPH_PROCESS_UNITS = (1, 1, 0)
_V_TOKENIZERS = (1, 1, 0)
_V_TENSOR_GROUPS = (1, 2, 0)
_V_REGEX_TOKENIZER = (1, 2, 1)
_V_AUDIO = (1, 3, 0)
_V_SCANN_INDEX = (1, 4, 0)
_V_FILE_VERSION = (1, 4, 1)
_V_CUSTOM_METADATA = (1, 5, 0)


def min_parser_version(metadata: fb.ModelMetadataT) -> str:
    """The oldest metadata parser that understands every field set in ``metadata``.

    Walks the object the way MetadataPopulator's C++ helper walks the buffer: a field counts
    when it is set (not None), even an empty list.
    """
    found = [(1, 0, 0)]

    def files(items: Sequence[fb.AssociatedFileT] | None) -> None:
        for f in items or ():
            if f.type == fb.AssociatedFileType.VOCABULARY:
                found.append(_V_VOCABULARY)
            if f.type == fb.AssociatedFileType.SCANN_INDEX_FILE:
                found.append(_V_SCANN_INDEX)
            if f.version is not None:
                found.append(_V_FILE_VERSION)

    def units(items: Sequence[fb.ProcessUnitT] | None) -> None:
        for unit in items or ():
            if unit.optionsType in (fb.ProcessUnitOptions.BertTokenizerOptions,
                                    fb.ProcessUnitOptions.SentencePieceTokenizerOptions):
                found.append(_V_TOKENIZERS)
            if unit.optionsType == fb.ProcessUnitOptions.RegexTokenizerOptions:
                found.append(_V_REGEX_TOKENIZER)

    def tensors(items: Sequence[fb.TensorMetadataT] | None) -> None:
        for t in items or ():
            files(t.associatedFiles)
            units(t.processUnits)
            if t.content is not None and (
                    t.content.contentPropertiesType == fb.ContentProperties.AudioProperties):
                found.append(_V_AUDIO)

    for graph in metadata.subgraphMetadata or ():
        tensors(graph.inputTensorMetadata)
        tensors(graph.outputTensorMetadata)
        files(graph.associatedFiles)
        for process_units in (graph.inputProcessUnits, graph.outputProcessUnits):
            if process_units is not None:
                found.append(_V_SUBGRAPH_PROCESS_UNITS)
                units(process_units)
        if graph.inputTensorGroups is not None or graph.outputTensorGroups is not None:
            found.append(_V_TENSOR_GROUPS)
        if graph.customMetadata is not None:
            found.append(_V_CUSTOM_METADATA)
    files(metadata.associatedFiles)
    return ".".join(str(n) for n in max(found))


def recorded_files(metadata: fb.ModelMetadataT) -> list[str]:
    """Names of every associated file the metadata mentions, first mention first."""
    names: list[str] = []
    for f in _all_files(metadata):
        if f.name is not None:
            name = f.name.decode() if isinstance(f.name, bytes) else f.name
            if name not in names:
                names.append(name)
    return names


def _all_files(metadata: fb.ModelMetadataT) -> Iterator[fb.AssociatedFileT]:
    def from_units(items: Sequence[fb.ProcessUnitT] | None) -> Iterator[fb.AssociatedFileT]:
        for unit in items or ():
            options = unit.options
            for attr in ("vocabFile", "sentencePieceModel"):
                yield from getattr(options, attr, None) or ()

    yield from metadata.associatedFiles or ()
    for graph in metadata.subgraphMetadata or ():
        yield from graph.associatedFiles or ()
        for t in (graph.inputTensorMetadata or []) + (graph.outputTensorMetadata or []):
            yield from t.associatedFiles or ()
            yield from from_units(t.processUnits)
        yield from from_units(graph.inputProcessUnits)
        yield from from_units(graph.outputProcessUnits)


def pack_metadata(metadata: fb.ModelMetadataT) -> bytes:
    """Serialize ModelMetadata with file identifier "M001"."""
    builder = flatbuffers.Builder(1024)
    builder.Finish(metadata.Pack(builder), METADATA_IDENTIFIER)
    return bytes(builder.Output())


def build_metadata(model_bytes: bytes, *, model_info: MetadataInfo, inputs: Sequence[TensorInfo],
                   outputs: Sequence[TensorInfo]) -> fb.ModelMetadataT:
    """ModelMetadata for the model's main subgraph, tensor metadata in the model's tensor order.

    Descriptions that name a ``tensor_name`` are matched to the model's tensors by name
    (all of them must then name one); otherwise they are taken in order. Each description's
    ``tensor_type`` must be the type of the tensor it describes.
    """
    model_inputs, model_outputs = io_tensors(model_bytes)
    ordered_in = _order(inputs, model_inputs, "input")
    ordered_out = _order(outputs, model_outputs, "output")
    metadata = model_info.create_metadata()
    sub = fb.SubGraphMetadataT()
    sub.inputTensorMetadata = [info.create_metadata() for info in ordered_in]
    sub.outputTensorMetadata = [info.create_metadata() for info in ordered_out]
    metadata.subgraphMetadata = [sub]
    metadata.minParserVersion = min_parser_version(metadata)
    return metadata


def _order(infos: Sequence[TensorInfo], tensors: list[TensorSpec], kind: str) -> list[TensorInfo]:
    names = [t.name for t in tensors]
    if len(infos) != len(tensors):
        raise UsageError(
            f"the model has {len(tensors)} {kind} tensor(s) but {len(infos)} {kind} "
            "description(s) were given",
            f"describe every {kind} tensor once",
        )
    given = [i.tensor_name for i in infos if i.tensor_name is not None]
    if given:
        if Counter(given) != Counter(names):
            raise UsageError(f"{kind} tensor names {given} do not match the model's {names}",
                             "name each model tensor exactly once, or name none")
        by_name = {i.tensor_name: i for i in infos}
        infos = [by_name[n] for n in names]
    for info, tensor, name in zip(infos, tensors, names, strict=True):
        actual = tensor.dtype
        if info.tensor_type != actual:
            raise ModelFileError(
                f"{kind} tensor {name!r} is {actual} but its metadata describes {info.tensor_type}",
                "describe the tensor with the model's own type",
            )
    return list(infos)


def populate(model_bytes: bytes, *, model_info: MetadataInfo, inputs: Sequence[TensorInfo],
             outputs: Sequence[TensorInfo], files: Mapping[str, bytes]) -> bytes:
    """A copy of the model with this metadata and these associated files (and no others).

    ``files`` maps each associated file name recorded in the descriptions to its bytes;
    a recorded file without bytes, or bytes for a file nothing records, is an error.
    """
    metadata = build_metadata(model_bytes, model_info=model_info, inputs=inputs, outputs=outputs)
    return populate_metadata(model_bytes, metadata, files)


def populate_metadata(model_bytes: bytes, metadata: fb.ModelMetadataT,
                      files: Mapping[str, bytes]) -> bytes:
    """Lower level: write a ready ModelMetadataT (min_parser_version is recomputed)."""
    recorded = recorded_files(metadata)
    missing = [n for n in recorded if n not in files]
    if missing:
        raise UsageError(f"associated file {missing[0]!r} is recorded in the metadata but no "
                         "content was given", "pass the file's bytes")
    extra = [n for n in files if n not in recorded]
    if extra:
        raise UsageError(f"file {extra[0]!r} is not recorded in the metadata",
                         "record it in a description or leave it out")
    if len(metadata.subgraphMetadata or []) != 1:
        raise UsageError("metadata must describe exactly one subgraph")
    model = read_model(model_bytes)
    graph = model.subgraphs[0]
    sub = metadata.subgraphMetadata[0]
    for kind, tensors, described in (("input", graph.inputs, sub.inputTensorMetadata),
                                     ("output", graph.outputs, sub.outputTensorMetadata)):
        if len(described or []) != len(tensors if tensors is not None else []):
            raise UsageError(f"metadata describes {len(described or [])} {kind} tensor(s), "
                             f"the model has {len(tensors if tensors is not None else [])}")
    metadata.minParserVersion = min_parser_version(metadata)
    _set_metadata_buffer(model, pack_metadata(metadata))
    return append_files(pack_model(model, size_hint=len(model_bytes)), files)


def _set_metadata_buffer(model: Any, metadata_bytes: bytes) -> None:
    s = schema()
    buffer = s.BufferT()
    buffer.data = np.frombuffer(metadata_bytes, dtype=np.uint8)
    model.buffers = model.buffers if model.buffers is not None else []
    model.metadata = model.metadata if model.metadata is not None else []
    used = _tensor_buffers(model)
    replaced = False
    for entry in model.metadata:
        if _text(entry.name) != METADATA_NAME:
            continue
        if 0 < entry.buffer < len(model.buffers) and entry.buffer not in used:
            model.buffers[entry.buffer] = buffer
        else:  # a shared or dangling index: give the metadata a buffer of its own
            model.buffers.append(buffer)
            entry.buffer = len(model.buffers) - 1
        replaced = True
    if not replaced:
        if not model.buffers:
            model.buffers.append(s.BufferT())  # buffer 0 is the empty sentinel
        model.buffers.append(buffer)
        entry = s.MetadataT()
        entry.name = METADATA_NAME
        entry.buffer = len(model.buffers) - 1
        model.metadata.append(entry)


def _tensor_buffers(model: Any) -> set[int]:
    used = set()
    for graph in model.subgraphs or []:
        for tensor in graph.tensors or []:
            used.add(int(tensor.buffer))
    for entry in model.metadata or []:
        if _text(entry.name) != METADATA_NAME:
            used.add(int(entry.buffer))
    return used


def remove_metadata(model_bytes: bytes) -> bytes:
    """A copy without TFLite metadata or packed files (what a stripping tool leaves)."""
    model = read_model(model_bytes)
    entries = [e for e in model.metadata or [] if _text(e.name) == METADATA_NAME]
    if not entries:
        return pack_model(model, size_hint=len(model_bytes))
    model.metadata = [e for e in model.metadata if _text(e.name) != METADATA_NAME]
    used = _tensor_buffers(model)
    for index in sorted({e.buffer for e in entries}, reverse=True):
        if index in used or not 0 < index < len(model.buffers):
            continue
        if index == len(model.buffers) - 1:
            model.buffers.pop()
        else:
            model.buffers[index].data = None
    return pack_model(model, size_hint=len(model_bytes))


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
