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

from effkit.errors import EffkitError

console = Console()
err_console = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one machine-readable JSON document on stdout.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing non-empty output.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
ModelArg = Annotated[Path, typer.Argument(help="A .tflite model file.", show_default=False)]

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Turn EffkitError and Ctrl-C into one stderr line and a non-zero exit.

    Set EFFKIT_DEBUG=1 to see the traceback instead.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EffkitError as exc:
            if os.environ.get("EFFKIT_DEBUG"):
                raise
            err_console.print(f"[bold red]error:[/] {exc.one_line()}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=exc.exit_code) from None
        except KeyboardInterrupt:
            if os.environ.get("EFFKIT_DEBUG"):
                raise
            err_console.print("[bold red]interrupted:[/] nothing was written.", highlight=False)
            raise typer.Exit(code=130) from None

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
