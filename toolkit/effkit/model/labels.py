"""Class labels: one type, one rule set, used by the build, the metadata writer and the apps.

A label is visible text on one line (no line breaks, NUL or other control characters
but tab, no bidirectional overrides, at most 200 characters): it travels as a line of
``labels.txt`` inside the model and reaches the Pi scripts, the Android project and the
READMEs, which escape it for their own language. The apps keep only that escaping;
whether a label is acceptable is decided here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from effkit.core.resources import data_file
from effkit.errors import EffkitError, LabelsError, TemplateError, read_user_file

MAX_LABEL_LENGTH = 200
# Embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069): they make the text
# after them display in another order, so "exe.txt" can show as "txt.exe"; never in a label
# or a name. Right-to-left text needs none of them (the Unicode bidi algorithm orders it).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_LABELS_BYTES = 16 << 20  # 80,000 labels of 200 characters
# Where str.splitlines() breaks a line (a Python reader of labels.txt, the app's list views)
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# Letters by category that show as blank space: the Hangul fillers and the blank Braille cell
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def lookalikes(names: Sequence[str]) -> list[list[str]]:
    """Groups of different names that differ only in Unicode form or case ("café" written
    with a combining accent and without, "Cat" and "cat"): shown, they cannot be told apart."""
    groups: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        groups.setdefault(unicodedata.normalize("NFKC", name).casefold(), []).append(name)
    return [group for group in groups.values() if len(group) > 1]


def folded(name: str) -> str:
    """A name as a folder may spell a label: case, underscores, spacing and Unicode form
    (a folder from a Mac is NFD) aside. How eval's class folders and train's --val folders
    find their class, when no name matches exactly."""
    return " ".join(unicodedata.normalize("NFC", name).replace("_", " ").split()).casefold()


def shown_apart(group: Sequence[str]) -> list[str]:
    """The names of a look-alike group quoted so a reader can tell them apart: with escapes
    (``'caf\\xe9'``, ``'cafe\\u0301'``) when two differ only in Unicode form, which quotes
    alone print identically; else as written."""
    if len({unicodedata.normalize("NFC", n) for n in group}) < len(group):
        return [ascii(n) for n in group]
    return [repr(n) for n in group]


@dataclass(frozen=True)
class Labels(Sequence[str]):
    """The class names in output order; ``source`` names where they came from (for errors).

    A sequence of str, so it goes wherever a list of names does."""

    names: tuple[str, ...]
    source: str = "labels"

    def __post_init__(self) -> None:
        _check_names(self.names)

    @classmethod
    def of(cls, labels: Iterable[str], source: str = "labels") -> Labels:
        """Labels from a Python sequence (checked), or the same Labels unchanged."""
        if isinstance(labels, Labels):
            return labels
        if isinstance(labels, (str, bytes)) or not isinstance(labels, Iterable):
            raise LabelsError(f"labels must be a list of names, not {type(labels).__name__}",
                              "pass one name per class")
        return cls(tuple(labels), source)

    @classmethod
    def imagenet(cls) -> Labels:
        """The 1000 ImageNet-1k class names in standard index order (sorted wnids)."""
        text = data_file("imagenet_labels.txt").read_text(encoding="utf-8")
        return cls(tuple(text.splitlines()), "ImageNet labels")

    @classmethod
    def from_file(cls, path: Path, expected: int | None = None) -> Labels:
        """A labels file: UTF-8, one label per line; count checked when ``expected`` is given."""
        path = Path(path)
        raw = read_user_file(path, what="labels file", error=LabelsError, limit=MAX_LABELS_BYTES,
                             hint="pass a text file with one label per line")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LabelsError(
                f"labels file {str(path)!r} is not UTF-8 (byte {exc.start})",
                "save it as UTF-8, one label per line",
            ) from None
        names = re.split(r"\r\n|\r|\n", text)  # Unix, Windows and classic Mac line ends
        while names and names[-1].strip() == "":
            names.pop()
        if not names:
            raise LabelsError(f"labels file {str(path)!r} is empty", "write one label per line")
        blank = [i + 1 for i, name in enumerate(names) if not name.strip()]
        if blank:
            raise LabelsError(
                f"labels file {str(path)!r} has an empty label on line {blank[0]}",
                "give every class a name",
            )
        labels = cls(tuple(names), str(path))
        labels.check_count(expected)
        return labels

    def check_count(self, expected: int | None) -> Labels:
        if expected is not None and len(self.names) != expected:
            raise LabelsError(
                f"{self.source!r} has {len(self.names)} labels but the model has {expected} outputs",
                "give exactly one label per output class",
            )
        return self

    def warnings(self) -> tuple[str, ...]:
        """What is legal but likely a mistake: a name given to two or more classes (apps
        and eval cannot tell those classes apart). ImageNet's own labels, two cranes and two
        maillots, are the dataset's and give none, whether bundled or read from a file (the
        labels.txt effkit writes beside a build)."""
        seen: dict[str, list[int]] = {}
        for i, name in enumerate(self.names):
            seen.setdefault(name, []).append(i + 1)
        twice = [(name, lines) for name, lines in seen.items() if len(lines) > 1]
        alike = lookalikes(list(seen))
        if not (twice or alike) or (len(self.names) == 1000 and self.names == Labels.imagenet().names):
            return ()
        def where(lines: list[int]) -> str:  # a label on every line of 1000 shows a few
            return ", ".join(map(str, lines[:5])) + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")

        found = []
        if twice:
            shown = "; ".join(f"{name!r} on lines {where(lines)}" for name, lines in twice[:3])
            more = f" and {len(twice) - 3} more" if len(twice) > 3 else ""
            found.append(f"{len(twice)} label(s) name more than one class in {self.source!r}: "
                         f"{shown}{more}")
        if alike:
            shown = "; ".join(" and ".join(f"{quoted} (line {seen[name][0]})"
                                           for name, quoted in zip(names, shown_apart(names), strict=True))
                              for names in alike[:3])
            more = f" and {len(alike) - 3} more" if len(alike) > 3 else ""
            found.append(f"{len(alike)} group(s) of labels in {self.source!r} differ only in "
                         f"Unicode form or case, easy to take for one class: {shown}{more}")
        return tuple(found)

    def to_bytes(self) -> bytes:
        """``labels.txt``: one label per line, UTF-8, a final newline."""
        return ("\n".join(self.names) + "\n").encode("utf-8")

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self.names[index]


def _check_names(names: tuple[str, ...]) -> None:
    if not names:
        raise LabelsError("the label list is empty: a classifier needs at least one label",
                          "give one label per class")
    for i, name in enumerate(names):
        if not isinstance(name, str):
            raise LabelsError(f"label {i + 1} is {type(name).__name__}, not text",
                              "give every class a name")
        problem = label_problem(name)
        if problem is not None:
            raise LabelsError(f"label {i + 1} {problem[0]}", problem[1])


def label_problem(name: str) -> tuple[str, str] | None:
    """Why ``name`` cannot be a label, as (the rest of a sentence about it, the fix), or
    None. The one rule for labels, also applied to class folder names before training."""
    if not name.strip():
        return "is empty", "give every class a name"
    if not shows_something(name):
        return f"{name[:40]!r} shows nothing (only invisible characters)", "give every class a name"
    if len(name) > MAX_LABEL_LENGTH:
        return (f"{name[:40]!r}... is {len(name)} characters long (at most {MAX_LABEL_LENGTH})",
                "shorten the label")
    for ch in name:
        if ch in LINE_BREAKS:
            return f"{name[:40]!r} contains a line break", "keep each label on one line"
        if ch == "\ufeff":
            return (f"{name[:40]!r} contains U+FEFF (a byte-order mark: the file was saved with "
                    "two, or a BOM was pasted)",
                    "save the file as UTF-8 with at most one BOM at the start")
        if ch in BIDI_CONTROLS:
            return (f"{name[:40]!r} contains U+{ord(ch):04X} ({unicodedata.name(ch)}), which "
                    "reorders the text around it on screen",
                    "remove bidirectional override characters (right-to-left text needs none)")
        if undecodable(ch):
            return (f"{name[:40]!r} is not valid UTF-8 (byte 0x{ord(ch) - 0xDC00:02X})",
                    "rename it in UTF-8 (convmv -f latin1 -t utf8 --notest does it for files)")
        if ch != "\t" and unicodedata.category(ch) in ("Cc", "Cs"):
            return (f"{name[:40]!r} contains U+{ord(ch):04X} (a control character)",
                    "use visible text for every label")
    return None


def undecodable(ch: str) -> bool:
    """A byte that is not UTF-8, as Python holds it in a file name or a command-line
    argument (PEP 383: byte 0xFF is the lone surrogate U+DCFF)."""
    return "\udc80" <= ch <= "\udcff"


def check_text(value: object, what: str, max_length: int, *, allowed: Iterable[str] = (),
               format_chars: bool = False, error: type[EffkitError] = TemplateError) -> str:
    """Visible, bounded text for a name (an app answer, a model name in metadata), or
    ``error`` (TemplateError) naming the problem.

    Non-printable characters are rejected with their code point and position, except
    those in ``allowed`` (e.g. LF and tab where the target language escapes them) and,
    with ``format_chars``, Unicode format characters (category Cf: joiners, bidi marks)
    where every place the text lands escapes them.
    """
    if not isinstance(value, str):
        raise error(f"the {what} must be text, not {type(value).__name__}")
    if not value.strip():
        raise error(f"the {what} is empty", f"give the {what} some visible text")
    if not shows_something(value):
        raise error(f"the {what} {value[:40]!r} shows nothing (only invisible characters)",
                    f"give the {what} some visible text")
    if len(value) > max_length:
        raise error(f"the {what} is {len(value)} characters long (at most {max_length})",
                    f"shorten the {what}")
    permitted = set(allowed)
    for pos, ch in enumerate(value):
        if ch in BIDI_CONTROLS:
            raise error(f"the {what} {value[:40]!r} contains U+{ord(ch):04X} "
                        f"({unicodedata.name(ch)}) at position {pos}, which reorders "
                        "the text around it (a spoofed name)",
                        f"use {_a(what)} without bidirectional override characters")
        if ch.isprintable() or ch in permitted or (format_chars and unicodedata.category(ch) == "Cf"):
            continue
        if undecodable(ch):
            raise error(f"the {what} {value[:40]!r} is not valid UTF-8 (byte "
                        f"0x{ord(ch) - 0xDC00:02X} at position {pos})",
                        f"give the {what} in UTF-8 (the terminal's or the file name's encoding "
                        "is another)")
        name = unicodedata.name(ch, "control character")
        kind = "invisible format" if unicodedata.category(ch) == "Cf" else "control"
        raise error(f"the {what} {value[:40]!r} contains U+{ord(ch):04X} ({name}) at position {pos}",
                    f"use {_a(what)} without {kind} characters")
    return value


def label_difference(found: Sequence[str], expected: Sequence[str]) -> str | None:
    """Where two label lists first differ, for an error ("label 3 is 'x', not 'y'", or
    "5 labels, not 4"); None when they are the same."""
    for i, (a, b) in enumerate(zip(found, expected, strict=False)):
        if a != b:
            return f"label {i + 1} is {a!r}, not {b!r}"
    if len(found) != len(expected):
        return f"{len(found)} labels, not {len(expected)}"
    return None


def shows_something(text: str) -> bool:
    """Whether ``text`` has a character that shows by itself: not only spaces, format
    characters (zero-width space, joiners), combining marks and blank letters."""
    return any(not ch.isspace() and ch not in BLANK_LETTERS
               and unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me")
               for ch in text)


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k class names as a list (see ``Labels.imagenet``)."""
    return list(Labels.imagenet())
