"""Shared CLI pieces: option aliases, consoles, error mapping, JSON output."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from effkit.errors import EffkitError

console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one machine-readable JSON document on stdout.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing non-empty output.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
ModelArg = Annotated[Path, typer.Argument(help="A .tflite model file.", show_default=False)]

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Turn EffkitError, Ctrl-C and SIGTERM into one stderr line and a non-zero exit.

    Set EFFKIT_DEBUG=1 to see the traceback instead.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from effkit import outputs

        del outputs.WRITTEN[:], outputs.NOTES[:]
        try:
            with outputs.sigterm_as_interrupt():
                value = fn(*args, **kwargs)
        except EffkitError as exc:
            if os.environ.get("EFFKIT_DEBUG"):
                raise
            # The message quotes user text (paths, labels, names): never parse it as markup.
            err_console.print(f"[bold red]error:[/] {escape(exc.one_line())}", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(code=exc.exit_code) from None
        except KeyboardInterrupt as exc:
            if os.environ.get("EFFKIT_DEBUG"):
                raise
            done = ("nothing was written" if not outputs.WRITTEN else
                    "completed before it: " + ", ".join(map(str, outputs.WRITTEN)))
            err_console.print(f"[bold red]interrupted:[/] {escape(done)}.", highlight=False,
                              soft_wrap=True)
            raise typer.Exit(code=143 if isinstance(exc, outputs.Terminated) else 130) from None
        for note in outputs.NOTES:
            err_console.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
        return value

    return wrapper  # type: ignore[return-value]


def print_json(doc: Any) -> None:
    """Write a JSON document to stdout (no rich markup, no wrapping)."""
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def import_tensorflow_quietly() -> None:
    """Import TensorFlow now, with its C++ start-up lines (oneDNN notice, absl warning)
    kept off the terminal: they are printed before TF_CPP_MIN_LOG_LEVEL takes effect."""
    import sys

    if "tensorflow" in sys.modules:
        return
    from effkit.convert import native_log_captured

    with native_log_captured():
        import tensorflow  # noqa: F401
