"""What a .tflite file holds: tensors, operators, runtime version, TFLite metadata, packed files."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from effkit.edgetpu.graph import EDGETPU_CUSTOM_OP
from effkit.errors import ModelFileError
from effkit.metadata import reader
from effkit.metadata.image_classifier import num_classes, reader_warnings
from effkit.metadata.model_file import (
    DAMAGED,
    METADATA_NAME,
    MIN_RUNTIME_NAME,
    builtin_op_name,
    io_tensors,
    named_metadata,
    packed_files,
    root_table,
    schema,
)


def inspect_model(model_bytes: bytes, *, source: str = "model") -> dict[str, Any]:
    """A JSON-ready summary of a .tflite model.

    Keys: size_bytes, schema_version, description, subgraphs, tensors, operators, buffers,
    inputs/outputs (name, shape, dtype, quantization {scale, zero_point} or None), ops
    (builtin op name -> count), custom_ops (custom code -> count), edgetpu (has the Edge TPU
    custom op), tflite_min_runtime (the oldest TFLite runtime that reads the model, from
    the converter's "min_runtime_version" metadata entry, e.g. "1.14.0"; not the Edge TPU
    runtime version of build.json's edgetpu_min_runtime_version), metadata_entries,
    has_metadata, metadata (the parsed metadata JSON, or None), metadata_error,
    associated_files (names), normalization ({mean, std} or None), labels (count or None),
    label_names (the list, in output order, or None), warnings (what a reader of it would
    get wrong: labels that do not match the outputs, a labels file with a byte-order mark).
    """
    model = root_table(model_bytes, source=source)
    try:
        summary = _structure(model)
    except ModelFileError:
        raise
    except Exception:  # corrupt offsets surface as struct/index errors
        raise ModelFileError(f"{source} is a corrupt TFLite flatbuffer ({DAMAGED})",
                             "convert or copy it again") from None
    inputs, outputs = io_tensors(model_bytes)
    runtime = named_metadata(model_bytes, MIN_RUNTIME_NAME)
    summary.update(
        size_bytes=len(model_bytes),
        inputs=[_tensor(t) for t in inputs],
        outputs=[_tensor(t) for t in outputs],
        tflite_min_runtime=(runtime.rstrip(b"\0").decode("utf-8", "replace") or None)
        if runtime is not None else None,
        has_metadata=named_metadata(model_bytes, METADATA_NAME) is not None,
        metadata=None,
        metadata_error=None,
        associated_files=list(packed_files(model_bytes)),
        normalization=None,
        labels=None,
        label_names=None,
    )
    packed = None  # the labels file (name, bytes) the metadata names
    if summary["has_metadata"]:
        try:
            text = reader.metadata_json(model_bytes)
            try:
                summary["metadata"] = json.loads(text)
            except ValueError:  # FlatBuffers prints nan/inf floats bare, which JSON lacks
                summary["metadata_error"] = "the metadata holds nan/inf, which JSON lacks"
            norm = reader.normalization(model_bytes)
            if norm is not None:
                summary["normalization"] = {"mean": list(norm[0]), "std": list(norm[1])}
            packed = reader.label_file(model_bytes)
            labels = reader.decode_labels(*packed) if packed is not None else None
            summary["labels"] = len(labels) if labels is not None else None
            summary["label_names"] = labels
        except ModelFileError as exc:
            summary["metadata_error"] = exc.one_line()
    summary["warnings"] = []
    if summary["labels"] is not None and len(outputs) == 1 and summary["labels"] != num_classes(outputs[0]):
        # another writer's metadata (effkit's own refuses it): readers pair labels wrongly
        summary["warnings"].append(
            f"{summary['labels']} labels for {num_classes(outputs[0])} outputs: readers pair them "
            "with the wrong outputs; attach them again: effkit metadata MODEL --labels FILE --force")
    if summary["has_metadata"]:
        # what MediaPipe and the Task Library read otherwise or refuse (one list with build's
        # and metadata's): a labels file's mark, CR LF or blank lines, score calibration, ...
        try:
            summary["warnings"] += reader_warnings(model_bytes)
        except ModelFileError:
            pass  # metadata it cannot read: metadata_error says so
    order = ["size_bytes", "schema_version", "description", "subgraphs", "tensors", "operators",
             "buffers", "inputs", "outputs", "ops", "custom_ops", "edgetpu",
             "tflite_min_runtime", "metadata_entries", "has_metadata", "metadata",
             "metadata_error", "associated_files", "normalization", "labels", "label_names",
             "warnings"]
    return {key: summary[key] for key in order}


def _structure(model: Any) -> dict[str, Any]:
    custom_code = schema().BuiltinOperator.CUSTOM
    codes: list[tuple[bool, str]] = []
    for i in range(model.OperatorCodesLength()):
        op = model.OperatorCodes(i)
        code = max(int(op.BuiltinCode()), int(op.DeprecatedBuiltinCode()))
        if code == custom_code:
            codes.append((True, (op.CustomCode() or b"").decode("utf-8", "replace")))
        else:
            codes.append((False, builtin_op_name(code)))
    ops: Counter[str] = Counter()
    custom: Counter[str] = Counter()
    tensors = operators = 0
    for g in range(model.SubgraphsLength()):
        graph = model.Subgraphs(g)
        tensors += graph.TensorsLength()
        operators += graph.OperatorsLength()
        for o in range(graph.OperatorsLength()):
            index = graph.Operators(o).OpcodeIndex()
            if index >= len(codes):
                raise ModelFileError(f"operator {o} uses a missing operator code {index}",
                                     "the model file is corrupt; convert it again")
            is_custom, name = codes[index]
            (custom if is_custom else ops)[name] += 1
    entries = []
    for i in range(model.MetadataLength()):
        entries.append((model.Metadata(i).Name() or b"").decode("utf-8", "replace"))
    description = model.Description()
    return {
        "schema_version": int(model.Version()),
        "description": description.decode("utf-8", "replace") if description else None,
        "subgraphs": int(model.SubgraphsLength()),
        "tensors": tensors,
        "operators": operators,
        "buffers": int(model.BuffersLength()),
        "ops": dict(ops.most_common()),
        "custom_ops": dict(custom.most_common()),
        "edgetpu": EDGETPU_CUSTOM_OP in custom,
        "metadata_entries": entries,
    }


def _tensor(t: Any) -> dict[str, Any]:
    quant = {"scale": list(t.scale), "zero_point": list(t.zero_point)} if t.scale else None
    dynamic = t.shape_signature and list(t.shape_signature) != list(t.shape)
    return {"name": t.name, "shape": list(t.shape), "dtype": t.dtype, "quantization": quant} | (
        # -1 where a size is set at run time (the shape holds 1 there): a model to convert again
        {"shape_signature": list(t.shape_signature)} if dynamic else {})
