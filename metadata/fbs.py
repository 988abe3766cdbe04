"""A reader for the subset of the FlatBuffers schema language that metadata_schema.fbs uses.

It turns the shipped schema into plain frozen data (enums, unions, tables and their fields
with vtable slots), which drives the JSON printer (``text.py``) and the test that checks the
generated bindings against the schema. Structs, includes, explicit ``id:`` attributes and
RPC services are not needed by the metadata schema and are rejected.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parent / "schema" / "metadata_schema.fbs"

# Scalar type name -> (canonical name, size in bytes).
SCALARS: dict[str, tuple[str, int]] = {
    "bool": ("bool", 1),
    "byte": ("byte", 1), "int8": ("byte", 1),
    "ubyte": ("ubyte", 1), "uint8": ("ubyte", 1),
    "short": ("short", 2), "int16": ("short", 2),
    "ushort": ("ushort", 2), "uint16": ("ushort", 2),
    "int": ("int", 4), "int32": ("int", 4),
    "uint": ("uint", 4), "uint32": ("uint", 4),
    "float": ("float", 4), "float32": ("float", 4),
    "long": ("long", 8), "int64": ("long", 8),
    "ulong": ("ulong", 8), "uint64": ("ulong", 8),
    "double": ("double", 8), "float64": ("double", 8),
}


class SchemaSyntaxError(ValueError):
    """The .fbs text is outside the supported subset or malformed."""


@dataclass(frozen=True)
class Enum:
    """An enum, or a union (``is_union``; value 0 is the implicit NONE)."""

    name: str
    underlying: str
    values: tuple[tuple[str, int], ...]
    is_union: bool = False

    def name_of(self, value: int) -> str | None:
        for name, number in self.values:
            if number == value:
                return name
        return None


@dataclass(frozen=True)
class Field:
    """A table field. ``kind`` is 'scalar', 'enum', 'string', 'table', 'union_type' or 'union'.

    ``slot`` is the field's index in the vtable (unions take two: ``<name>_type`` then the value).
    """

    name: str
    kind: str
    type_name: str
    is_vector: bool
    slot: int
    attributes: tuple[tuple[str, str | None], ...] = ()

    @property
    def vtable_offset(self) -> int:
        return 4 + 2 * self.slot


@dataclass(frozen=True)
class Table:
    name: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Schema:
    namespace: str
    file_identifier: str | None
    file_extension: str | None
    root_type: str
    enums: dict[str, Enum]
    tables: dict[str, Table]


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<comment>//[^\n]*|/\*.*?\*/)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?))
      | (?P<ident>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<punct>[{}()\[\]:;,=])
    )""",
    re.VERBOSE | re.DOTALL,
)


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    end = len(text.rstrip())
    while pos < end:
        match = _TOKEN.match(text, pos)
        if not match:
            line = text.count("\n", 0, pos) + 1
            char = text[pos:].lstrip()[:1]
            raise SchemaSyntaxError(f"unexpected character {char!r} on line {line}")
        pos = match.end()
        if match.lastgroup is not None and match.lastgroup != "comment":
            out.append(match.group(match.lastgroup))
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> str:
        if self.i >= len(self.toks):
            raise SchemaSyntaxError("unexpected end of schema")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, tok: str) -> None:
        got = self.next()
        if got != tok:
            raise SchemaSyntaxError(f"expected {tok!r}, got {got!r}")

    def attributes(self) -> tuple[tuple[str, str | None], ...]:
        if self.peek() != "(":
            return ()
        self.next()
        attrs: list[tuple[str, str | None]] = []
        while self.peek() != ")":
            key = self.next()
            value = None
            if self.peek() == ":":
                self.next()
                value = self.next().strip('"')
            attrs.append((key, value))
            if self.peek() == ",":
                self.next()
        self.next()
        return tuple(attrs)


def parse_schema(text: str) -> Schema:
    p = _Parser(text)
    namespace = ""
    file_identifier = file_extension = root_type = None
    enums: dict[str, Enum] = {}
    raw_tables: list[tuple[str, list[tuple[str, bool, str, tuple]]]] = []
    while p.peek() is not None:
        word = p.next()
        if word == "namespace":
            namespace = p.next()
            p.expect(";")
        elif word in ("file_identifier", "file_extension", "attribute"):
            value = p.next()
            if not value.startswith('"'):
                raise SchemaSyntaxError(f"{word} needs a string")
            p.expect(";")
            if word == "file_identifier":
                file_identifier = value.strip('"')
            elif word == "file_extension":
                file_extension = value.strip('"')
        elif word == "root_type":
            root_type = p.next()
            p.expect(";")
        elif word in ("enum", "union"):
            name = p.next()
            underlying = "ubyte"
            if word == "enum":
                p.expect(":")
                scalar = SCALARS.get(p.next())
                if scalar is None:
                    raise SchemaSyntaxError(f"enum {name} needs an integer type")
                underlying = scalar[0]
            p.attributes()
            p.expect("{")
            values: list[tuple[str, int]] = [("NONE", 0)] if word == "union" else []
            nxt = 1 if word == "union" else 0
            while p.peek() != "}":
                member = p.next()
                if p.peek() == "=":
                    p.next()
                    nxt = int(p.next(), 0)
                values.append((member, nxt))
                nxt += 1
                if p.peek() == ",":
                    p.next()
            p.next()
            enums[name] = Enum(name, underlying, tuple(values), is_union=word == "union")
        elif word == "table":
            name = p.next()
            p.attributes()
            p.expect("{")
            fields: list[tuple[str, bool, str, tuple]] = []
            while p.peek() != "}":
                fname = p.next()
                p.expect(":")
                is_vector = p.peek() == "["
                if is_vector:
                    p.next()
                type_name = p.next()
                if is_vector:
                    p.expect("]")
                if p.peek() == "=":
                    p.next()
                    p.next()  # defaults are not needed: the printer only shows present fields
                attrs = p.attributes()
                if any(key == "id" for key, _ in attrs):
                    raise SchemaSyntaxError(f"{name}.{fname}: explicit field ids are not supported")
                p.expect(";")
                fields.append((fname, is_vector, type_name, attrs))
            p.next()
            raw_tables.append((name, fields))
        else:
            raise SchemaSyntaxError(f"unsupported schema declaration {word!r}")
    if root_type is None:
        raise SchemaSyntaxError("schema has no root_type")

    table_names = {name for name, _ in raw_tables}
    tables: dict[str, Table] = {}
    for name, raw_fields in raw_tables:
        out: list[Field] = []
        slot = 0
        for fname, is_vector, type_name, attrs in raw_fields:
            if type_name in SCALARS:
                out.append(Field(fname, "scalar", SCALARS[type_name][0], is_vector, slot, attrs))
            elif type_name == "string":
                out.append(Field(fname, "string", "string", is_vector, slot, attrs))
            elif type_name in table_names:
                out.append(Field(fname, "table", type_name, is_vector, slot, attrs))
            elif type_name in enums and enums[type_name].is_union:
                if is_vector:
                    raise SchemaSyntaxError(f"{name}.{fname}: vectors of unions are not supported")
                out.append(Field(f"{fname}_type", "union_type", type_name, False, slot, ()))
                slot += 1
                out.append(Field(fname, "union", type_name, False, slot, attrs))
            elif type_name in enums:
                out.append(Field(fname, "enum", type_name, is_vector, slot, attrs))
            else:
                raise SchemaSyntaxError(f"{name}.{fname}: unknown type {type_name!r}")
            slot += 1
        tables[name] = Table(name, tuple(out))
    if root_type not in tables:
        raise SchemaSyntaxError(f"root_type {root_type!r} is not a table")
    return Schema(namespace, file_identifier, file_extension, root_type, enums, tables)


@functools.cache
def metadata_schema() -> Schema:
    """The shipped TFLite metadata schema (schema/metadata_schema.fbs), parsed once."""
    return parse_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
