"""Sample apps rendered from effkit's template trees (``coral/``, ``android_template/``).

One module per app: it checks the answers, builds the template context and calls
``effkit.apps.render.render_tree``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

from effkit.errors import TemplateError
from effkit.model.labels import BIDI_CONTROLS
from effkit.model.variants import Variant


def check_text(value: object, what: str, max_length: int, *, allowed: Iterable[str] = (),
               format_chars: bool = False) -> str:
    """Visible, bounded text for a template answer, or TemplateError naming the problem.

    Non-printable characters are rejected with their code point and position, except
    those in ``allowed`` (e.g. LF and tab where the target language escapes them) and,
    with ``format_chars``, Unicode format characters (category Cf: joiners, bidi marks)
    where every place the text lands escapes them.
    """
    if not isinstance(value, str):
        raise TemplateError(f"the {what} must be text, not {type(value).__name__}")
    if not value.strip():
        raise TemplateError(f"the {what} is empty", f"give the {what} some visible text")
    if len(value) > max_length:
        raise TemplateError(f"the {what} is {len(value)} characters long (at most {max_length})",
                            f"shorten the {what}")
    permitted = set(allowed)
    for pos, ch in enumerate(value):
        if ch in BIDI_CONTROLS:
            raise TemplateError(f"the {what} {value[:40]!r} contains U+{ord(ch):04X} "
                                f"({unicodedata.name(ch)}) at position {pos}, which reorders "
                                "the text around it (a spoofed name)",
                                f"use {_a(what)} without bidirectional override characters")
        if ch.isprintable() or ch in permitted or (format_chars and unicodedata.category(ch) == "Cf"):
            continue
        name = unicodedata.name(ch, "control character")
        raise TemplateError(f"the {what} {value[:40]!r} contains U+{ord(ch):04X} ({name}) at position {pos}",
                            f"use {_a(what)} without control characters")
    return value


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def model_answers(*, model_name: str, variant: Variant, labels: Sequence[str]) -> dict:
    """The answers every app template shares: the model, its input and its classes."""
    return {
        "model_name": model_name,
        "variant_name": variant.name,
        "resolution": variant.resolution,
        "norm_mean": float(variant.norm_mean),
        "norm_std": float(variant.norm_std),
        "num_classes": len(labels),
    }
