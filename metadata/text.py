"""FlatBuffers' JSON text for a metadata buffer, written from the schema.

tflite-support's ``MetadataDisplayer.get_metadata_json()`` hands the metadata buffer and
metadata_schema.fbs to the FlatBuffers C++ text generator (strict JSON). This module
produces the same text in pure Python: fields in schema order, only those present in the
buffer, two-space indentation, enums by name (a number when the value has no name), union
types as ``<field>_type``, floats in fixed notation with six decimals and trailing zeros
trimmed, non-ASCII and control characters as ``\\uXXXX`` escapes.
"""

from __future__ import annotations

import math
import struct

from flatbuffers import number_types as nt
from flatbuffers.table import Table as _FbTable

from effkit.metadata.fbs import SCALARS, Field, Schema, metadata_schema

_FLAGS = {
    "bool": nt.BoolFlags, "byte": nt.Int8Flags, "ubyte": nt.Uint8Flags,
    "short": nt.Int16Flags, "ushort": nt.Uint16Flags, "int": nt.Int32Flags,
    "uint": nt.Uint32Flags, "long": nt.Int64Flags, "ulong": nt.Uint64Flags,
    "float": nt.Float32Flags, "double": nt.Float64Flags,
}
_INDENT = 2


class TextError(ValueError):
    """The buffer cannot be printed (what the C++ generator reports as failure)."""


def buffer_to_json(buf: bytes, schema: Schema | None = None) -> str:
    """Print a finished buffer whose root is the schema's root_type, as FlatBuffers does."""
    schema = schema or metadata_schema()
    data = bytearray(buf)
    try:
        root = struct.unpack_from("<I", data, 0)[0]
        out: list[str] = []
        _table(out, schema, schema.root_type, _FbTable(data, root), 0)
    except TextError:
        raise
    except (struct.error, IndexError, OverflowError, RecursionError, TypeError, ValueError) as exc:
        # flatbuffers reports offsets outside the buffer as struct/type/value errors
        raise TextError(f"buffer is truncated or corrupt ({type(exc).__name__})") from None
    return "".join(out) + "\n"


def _table(out: list[str], schema: Schema, name: str, tab: _FbTable, indent: int) -> None:
    out.append("{")
    written = 0
    union_types: dict[str, int] = {}
    for field in schema.tables[name].fields:
        offset = tab.Offset(field.vtable_offset)
        if field.kind == "union_type" and offset:
            union_types[field.name[: -len("_type")]] = tab.Get(nt.Uint8Flags, tab.Pos + offset)
        if not offset:
            continue
        if field.kind == "union":
            if union_types.get(field.name, 0) == 0:
                continue  # a value without a type: nothing the C++ printer can show
        if written:
            out.append(",")
        written += 1
        out.append("\n" + " " * (indent + _INDENT) + _string(field.name.encode()) + ": ")
        _field(out, schema, field, tab, offset, indent + _INDENT, union_types)
    out.append("\n" + " " * indent + "}")


def _field(out: list[str], schema: Schema, field: Field, tab: _FbTable, offset: int,
           indent: int, union_types: dict[str, int]) -> None:
    if field.kind == "union":
        utype = union_types[field.name]
        member = schema.enums[field.type_name].name_of(utype)
        if member is None or member not in schema.tables:
            raise TextError(f"{field.name} has unknown union type {utype}")
        sub = _FbTable(tab.Bytes, 0)
        tab.Union(sub, offset)
        _table(out, schema, member, sub, indent)
        return
    if field.is_vector:
        start = tab.Vector(offset)
        count = tab.VectorLen(offset)
        size = 4 if field.kind in ("string", "table") else _size(schema, field)
        if start + count * size > len(tab.Bytes):
            raise TextError(f"vector {field.name} runs past the end of the buffer")
        out.append("[\n")
        for i in range(count):
            if i:
                out.append(",\n")
            out.append(" " * (indent + _INDENT))
            _value(out, schema, field, tab, start + i * size, indent + _INDENT)
        out.append("\n" + " " * indent + "]")
        return
    _value(out, schema, field, tab, tab.Pos + offset, indent)


def _size(schema: Schema, field: Field) -> int:
    if field.kind == "enum":
        return SCALARS[schema.enums[field.type_name].underlying][1]
    return SCALARS[field.type_name][1]


def _value(out: list[str], schema: Schema, field: Field, tab: _FbTable, pos: int,
           indent: int) -> None:
    if field.kind == "string":
        out.append(_string(bytes(tab.String(pos))))
    elif field.kind == "table":
        _table(out, schema, field.type_name, _FbTable(tab.Bytes, tab.Indirect(pos)), indent)
    elif field.kind in ("enum", "union_type"):
        enum = schema.enums[field.type_name]
        value = tab.Get(_FLAGS[enum.underlying], pos)
        name = enum.name_of(value)
        out.append(f'"{name}"' if name is not None else str(value))
    else:
        out.append(_scalar(field.type_name, tab.Get(_FLAGS[field.type_name], pos)))


def _scalar(type_name: str, value: float | int | bool) -> str:
    if type_name == "bool":
        return "true" if value else "false"
    if type_name in ("float", "double"):
        return float_text(float(value), 6 if type_name == "float" else 12)
    return str(int(value))


def float_text(value: float, precision: int = 6) -> str:
    """C++ ``std::fixed << setprecision(p)``, then trailing zeros trimmed (one kept after '.')."""
    if math.isnan(value):
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = f"{value:.{precision}f}"
    stripped = text.rstrip("0")
    return stripped + "0" if stripped.endswith(".") else stripped


def _string(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TextError("a string in the metadata is not valid UTF-8") from None
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif 0x20 <= code <= 0x7E:
            out.append(ch)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04X}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04X}\\u{0xDC00 + (code & 0x3FF):04X}")
    out.append('"')
    return "".join(out)
