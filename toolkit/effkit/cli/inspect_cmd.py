"""effkit inspect: tensors, operators and TFLite metadata of a .tflite file."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from effkit.cli._common import JsonOpt, ModelArg, console, err_console, escape, handle_errors, print_json
from effkit.errors import UsageError

SHOWN_LABELS = 5  # in the table; --json lists them all (label_names)

MetadataJsonOpt = Annotated[bool, typer.Option(
    "--metadata-json",
    help="Print only the TFLite metadata, as tflite-support's MetadataDisplayer prints it.",
)]


@handle_errors
def inspect(model: ModelArg, json_out: JsonOpt = False,
            metadata_json: MetadataJsonOpt = False) -> None:
    """Show a model's inputs, outputs, operators, runtime version and metadata."""
    from effkit.api import inspect as inspect_file

    if json_out and metadata_json:
        raise UsageError("--json and --metadata-json do not go together", "pick one")
    if metadata_json:
        from effkit.metadata import reader
        from effkit.metadata.model_file import load_model_file

        sys.stdout.write(reader.metadata_json(load_model_file(model)))
        sys.stdout.flush()
        return
    info = inspect_file(model).to_dict()
    if json_out:
        print_json(info)
        return
    _show(str(model), info)


def _show(path: str, info: dict[str, Any]) -> None:
    summary = Table(title=escape(path), show_header=False)
    summary.add_column("field", style="bold")
    summary.add_column("value", overflow="fold")
    summary.add_row("size", f"{info['size_bytes']:,} bytes")
    summary.add_row("subgraphs / tensors / operators",
                    f"{info['subgraphs']} / {info['tensors']} / {info['operators']}")
    summary.add_row("TFLite min runtime", info["tflite_min_runtime"] or "-")
    if info.get("edgetpu_min_runtime_version") is not None:
        summary.add_row("Edge TPU min runtime", str(info["edgetpu_min_runtime_version"]))
    summary.add_row("Edge TPU compiled", "yes" if info["edgetpu"] else "no")
    summary.add_row("TFLite metadata", "yes" if info["has_metadata"] else "no")
    weights = info.get("weights")
    summary.add_row("weights", escape(_weights_line(weights)) if weights
                    else "unknown (no build.json beside it lists a model with this sha256)")
    console.print(summary)

    tensors = Table(title="Inputs and outputs")
    for col in ("", "name", "shape", "dtype", "scale", "zero point"):
        tensors.add_column(col, overflow="fold")
    for kind in ("inputs", "outputs"):
        for t in info[kind]:
            q = t["quantization"]
            shape = t.get("shape_signature", t["shape"])  # -1: a size set at run time
            tensors.add_row(kind[:-1], escape(t["name"]), str(shape), t["dtype"],
                            _short(q["scale"]) if q else "-", _short(q["zero_point"]) if q else "-")
    console.print(tensors)

    ops = Table(title="Operators")
    ops.add_column("op")
    ops.add_column("count", justify="right")
    for name, count in info["ops"].items():
        ops.add_row(name, str(count))
    for name, count in info["custom_ops"].items():
        ops.add_row(f"{escape(name)} (custom)", str(count))
    console.print(ops)

    if info["metadata_error"]:
        console.print(f"[bold red]metadata:[/] {escape(info['metadata_error'])}", highlight=False)
    for warning in info["warnings"]:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    md = info["metadata"]
    if md is not None:
        meta = Table(title="TFLite metadata", show_header=False)
        meta.add_column("field", style="bold")
        meta.add_column("value")
        for key in ("name", "description", "version", "author", "license",
                    "min_parser_version"):
            meta.add_row(key, escape(str(md.get(key, "-"))))
        norm = info["normalization"]
        meta.add_row("normalization",
                     f"mean {norm['mean']} std {norm['std']}" if norm else "-")
        names = info["label_names"]
        meta.add_row("labels", "-" if names is None else f"{len(names)}: " + escape(
            ", ".join(names[:SHOWN_LABELS]) + (", ..." if len(names) > SHOWN_LABELS else "")))
        meta.add_row("associated files", escape(", ".join(info["associated_files"])) or "-")
        console.print(meta)


def _weights_line(weights: dict[str, Any]) -> str:
    line = str(weights.get("description") or weights.get("kind"))
    if weights.get("sha256"):
        line += f", sha256 {weights['sha256']}"
    return line


def _short(values: list[Any]) -> str:
    if len(values) <= 3:
        return ", ".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in values)
    return f"{len(values)} values (per channel)"
