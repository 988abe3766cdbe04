"""Class labels: the bundled ImageNet names or a user's file (one label per line, UTF-8)."""

from __future__ import annotations

from pathlib import Path

from effkit.errors import LabelsError, read_user_file
from effkit.resources import data_file


def imagenet_labels() -> list[str]:
    """The 1000 ImageNet-1k class names in standard index order (sorted wnids)."""
    return data_file("imagenet_labels.txt").read_text(encoding="utf-8").splitlines()


def read_labels(path: Path, expected: int | None = None) -> list[str]:
    """Read a labels file; check encoding, emptiness and (optionally) the count."""
    path = Path(path)
    raw = read_user_file(path, what="labels file", error=LabelsError,
                         hint="pass a text file with one label per line")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LabelsError(
            f"labels file {str(path)!r} is not UTF-8 (byte {exc.start})",
            "save it as UTF-8, one label per line",
        ) from None
    labels = [line.rstrip("\r") for line in text.split("\n")]
    while labels and labels[-1].strip() == "":
        labels.pop()
    if not labels:
        raise LabelsError(f"labels file {str(path)!r} is empty", "write one label per line")
    blank = [i + 1 for i, label in enumerate(labels) if not label.strip()]
    if blank:
        raise LabelsError(
            f"labels file {str(path)!r} has an empty label on line {blank[0]}",
            "give every class a name",
        )
    check_count(labels, expected, source=str(path))
    return labels


def check_count(labels: list[str], expected: int | None, *, source: str) -> None:
    if expected is not None and len(labels) != expected:
        raise LabelsError(
            f"{source!r} has {len(labels)} labels but the model has {expected} outputs",
            "give exactly one label per output class",
        )


def write_labels(labels: list[str]) -> bytes:
    return ("\n".join(labels) + "\n").encode("utf-8")
