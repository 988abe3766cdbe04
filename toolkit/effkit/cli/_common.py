"""Shared CLI pieces: option aliases, consoles, error mapping, JSON output."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape as _markup_escape

from effkit.core.progress import IN_COMMAND, SHOW_DOWNLOADS, ProgressEvent, ProgressFn
from effkit.errors import EffkitError, OutputError, ToolFailedError


def escape(text: object) -> str:
    """User text (paths, names, labels, messages quoting them) for the terminal: rich markup
    shown as given, and control and format characters (escape sequences, bell, bidi
    overrides) shown as ``\\x1b``-style escapes instead of acting on the terminal.

    Backslashes at the end are doubled and closed by an empty style: rich reads a run of
    them before a tag as escapes, so text ending in one (a path ``mod\\``) showed two where
    nothing followed, and one (of two) where a tag did."""
    from effkit.errors import visible

    shown = visible(str(text))
    kept = shown.rstrip("\\")
    if kept == shown:
        return _markup_escape(shown)
    return _markup_escape(kept) + "\\" * (2 * (len(shown) - len(kept))) + "[not bold][/not bold]"


class _Console(Console):
    """A rich Console that does not wrap lines in a log or a pipe: it has no width to fit,
    and an 80-column default breaks messages, paths and table cells mid-word there. At a
    terminal, and wherever COLUMNS is set, the width is rich's."""

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)  # type: ignore[attr-defined]
        if self._width is None and not self.is_terminal:
            return ConsoleDimensions(LOG_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]

    def print(self, *objects: Any, **kwargs: Any) -> None:  # noqa: A003 - rich's own name
        super().print(*(_fitted(self, o) for o in objects), **kwargs)

    def on_broken_pipe(self) -> None:
        """The reader left (``| head``): stop quietly with 141 (128 + SIGPIPE), as other Unix
        tools do, rather than rich's silent 1, which reads as a failure of effkit's."""
        try:
            super().on_broken_pipe()
        except SystemExit:
            raise SystemExit(128 + 13) from None

    def _check_buffer(self) -> None:
        """Text output to a stdout that fails (``> /dev/full``, closed) is the one-line
        OutputError --json already gives, not a traceback (rich handles a broken pipe)."""
        try:
            super()._check_buffer()
        except (OSError, ValueError) as exc:
            if self.stderr or isinstance(exc, BrokenPipeError):
                raise
            del self._buffer[:]
            raise stdout_failed("the output", exc) from None


def count_text(n: int | None) -> str:
    """A count for a table or summary line: '?' when unknown (a compiler log effkit could
    not read gives none), never 'None'."""
    return "?" if n is None else str(n)


def _fitted(console: Console, renderable: Any) -> Any:
    """A table as it is, or, where rich would cut cells short to fit the terminal ("75.…"
    for 75.1% on 60 columns, "li…" for lite0 on 40, a path column squeezed to nothing on
    20), one block per row: its first cell, then a "header: value" line per other cell (a
    table without headers: "first: the others"). Nothing is lost at any width."""
    import re

    from rich.table import Table

    if not isinstance(renderable, Table) or not _cut_short(console, renderable):
        return renderable
    from rich.console import Group

    def text(cell: object) -> str:  # a cell is markup (escaped by the command) or Text
        markup = getattr(cell, "markup", None)
        return re.sub(r"[ \t]*\n[ \t]*", " ", markup if isinstance(markup, str) else str(cell))

    lines = [f"[bold]{text(renderable.title)}[/]"] if renderable.title else []
    headers = [text(column.header) for column in renderable.columns]
    for number, row in enumerate(zip(*(list(column.cells) for column in renderable.columns),
                                     strict=True), 1):
        cells = [text(cell) for cell in row]
        if not renderable.show_header:
            lines.append(f"{cells[0]}: {' '.join(c for c in cells[1:] if c)}" if cells[0] else
                         " ".join(c for c in cells[1:] if c))
            continue
        lines.append(cells[0] or headers[0] or f"row {number}")
        lines.extend(f"  {header}: {cell}" if header else f"  {cell}"
                     for header, cell in zip(headers[1:], cells[1:], strict=True) if cell)
    return Group(*lines)


def _cut_short(console: Console, table: Any) -> bool:
    """Whether rich, fitting ``table`` to the console, would give a column less than its
    longest word (it cuts it to "…", or to nothing), save a column made to fold (paths),
    which may break a word longer than 12 characters (a path, a digest) into lines of 12 or
    more, but not a shorter one (a number, a name). Read from rich's own column
    widths; where its internals are not the ones known, the table is shown as rich does."""
    from rich.measure import Measurement

    unbounded = console.options.update_width(LOG_WIDTH)
    if Measurement.get(console, unbounded, table).maximum <= console.width:
        return False  # the whole table fits: the common case, measured once
    try:
        width = (table.width or console.width) - table._extra_width  # noqa: SLF001 - see above
        widths = table._calculate_column_widths(console, console.options.update_width(width))  # noqa: SLF001
        for column, given in zip(table.columns, widths, strict=True):
            need = table._measure_column(console, unbounded, column).minimum  # noqa: SLF001
            if column.overflow == "fold":
                need = min(need, table._get_padding_width(column._index) + 12)  # noqa: SLF001
            if given < need:
                return True
    except (AttributeError, TypeError, ValueError):
        return False
    return False


LOG_WIDTH = 1000  # "no limit" for the lines effkit prints; tables keep their natural width
console = _Console()
err_console = _Console(stderr=True)


_live: tuple[object, Console] | None = None


def live_console() -> Console:
    """The console for what moves while work runs (bars, spinners): stderr, on a copy of its
    fd that the converter's capture leaves alone (on err_console they froze through every
    conversion). Made at a command's start, before any capture; one per stderr."""
    global _live
    from effkit.core.native_log import beside_captures

    if _live is None or _live[0] is not sys.stderr:
        stream = beside_captures(sys.stderr)
        _live = (sys.stderr, err_console if stream is sys.stderr else _Console(file=stream))
    return _live[1]

JsonOpt = Annotated[bool, typer.Option(
    "--json", help="Print one machine-readable JSON document on stdout (on failure: the error).")]
ForceOpt = Annotated[bool, typer.Option(
    "--force", help="Replace an existing non-empty output that effkit wrote.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
ModelArg = Annotated[Path, typer.Argument(help="A .tflite model file.", show_default=False)]
# XNNPACK is what LiteRT runs by default (phones' and the Pi's CPUs, outside checks); its
# int8 arithmetic rounds otherwise than the reference kernels, which can flip close calls.
XnnpackOpt = Annotated[bool, typer.Option(
    "--xnnpack/--no-xnnpack", help="Run on LiteRT's default XNNPACK CPU kernels, or on its "
    "reference kernels (an int8 model's scores differ a little between the two).")]


def _save_option(kind: str) -> Any:
    """``--save`` for eval/bench: where ``effkit report`` finds the results."""
    return typer.Option(
        "--save", help=f"Write the results for 'effkit report': {kind}.json in the model's build "
        f"folder, else MODEL_STEM.{kind}.json beside the model; for the "
        f"{'--compare' if kind == 'eval' else '--vs'} model too.")


SaveEvalOpt = Annotated[bool, _save_option("eval")]
SaveBenchOpt = Annotated[bool, _save_option("bench")]

P = ParamSpec("P")
R = TypeVar("R")


def report_error(exc: EffkitError, *, json_out: bool) -> None:
    """The one way an error reaches the user: one ``error:`` line on stderr and, with
    ``--json``, the error as a document on stdout (``error``, ``hint``, ``kind``,
    ``exit_code``; ``tool_output`` when an external program failed)."""
    # An external program's own words are kept for the user, outside their folders.
    saved = exc.save_output() if isinstance(exc, ToolFailedError) else None
    line = exc.one_line() + (f" Its output is in {saved}." if saved else "")
    # The message quotes user text (paths, labels, names): never parse it as markup.
    err_console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    if json_out:  # --json promises a document on stdout: the error's
        with contextlib.suppress(OutputError):  # stdout itself failed: the line above says so
            print_json({"error": exc.message, "hint": exc.hint, "kind": type(exc).__name__,
                        "exit_code": exc.exit_code} | ({"tool_output": saved} if saved else {}))


def report_interrupt(what: str, code: int, *, json_out: bool) -> None:
    """Ctrl-C or a stop signal: one ``interrupted:`` line saying what was kept and, with
    ``--json``, a document on stdout as for an error (kind "Interrupted")."""
    err_console.print(f"[bold red]interrupted:[/] {escape(what)}.", highlight=False, soft_wrap=True)
    if json_out:
        print_json({"error": f"interrupted: {what}", "hint": None, "kind": "Interrupted",
                    "exit_code": code})


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn EffkitError, Ctrl-C and SIGTERM/SIGHUP/SIGQUIT into one stderr line and a non-zero exit.

    Set EFFKIT_DEBUG=1 to see the traceback instead.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from effkit.core import outputs

        del outputs.WRITTEN[:], outputs.NOTES[:], outputs.STOPPED[:]
        outputs.READ_RESTORED.clear()
        shown = SHOW_DOWNLOADS.set(True)  # a command shows a weights download; the library does not
        command = IN_COMMAND.set(True)  # and its errors name flags, the library's keywords
        unraisable = sys.unraisablehook
        sys.unraisablehook = _interrupts_kept_quiet(unraisable)
        try:
            with outputs.sigterm_as_interrupt():
                for path in _paths(kwargs.values()):
                    outputs.restore_interrupted(path)
                value = fn(*args, **kwargs)
                if outputs.STOPPED:  # swallowed by a finalizer, and no stage came to stop at
                    outputs.NOTES.append("an interrupt came while Python ran a finalizer, where "
                                         "it cannot stop anything; the command went on and "
                                         "completed")
        except typer.Exit:  # a command that reported its own ending (train's interrupt line)
            print_notes()
            raise
        except EffkitError as exc:
            print_notes()
            if os.environ.get("EFFKIT_DEBUG"):
                if kwargs.get("json_out"):  # the document --json promises, then the traceback
                    report_error(exc, json_out=True)
                raise
            report_error(exc, json_out=bool(kwargs.get("json_out")))
            raise typer.Exit(code=exc.exit_code) from None
        except (KeyboardInterrupt, Exception) as exc:
            code = outputs.stop_exit_code(exc)
            if code is None or os.environ.get("EFFKIT_DEBUG"):
                raise  # a bug, not an interrupt: its traceback
            done = ("nothing was written" if not outputs.WRITTEN else
                    "completed before it: " + ", ".join(map(str, outputs.WRITTEN)))
            print_notes()
            report_interrupt(done, code, json_out=bool(kwargs.get("json_out")))
            raise typer.Exit(code=code) from None
        finally:
            SHOW_DOWNLOADS.reset(shown)
            IN_COMMAND.reset(command)
            sys.unraisablehook = unraisable
            del outputs.STOPPED[:]  # handled: a later call in this process starts afresh
        print_notes()
        return value

    return wrapper


def _interrupts_kept_quiet(hook: Callable[[Any], object]) -> Callable[[Any], object]:
    """An unraisable-exception hook that prints nothing for a Ctrl-C or stop signal raised
    inside a finalizer (Python printed a traceback and went on): raise_if_stopped raises it
    again where the work moves on. Anything else goes to ``hook``."""
    from effkit.core.outputs import STOPPED

    def quiet(unraisable: Any) -> object:
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and STOPPED:
            return None
        return hook(unraisable)

    return quiet


def _paths(values: Iterable[Any]) -> Iterator[Path]:
    """The paths among a command's arguments (a list for a repeated option)."""
    for value in values:
        if isinstance(value, Path):
            yield value
        elif isinstance(value, list | tuple):
            yield from (v for v in value if isinstance(v, Path))


def print_notes() -> None:
    """What effkit did on the way that the user should know (a folder put back), once:
    the list is emptied (a command that reports its own ending, train, prints them first)."""
    from effkit.core.outputs import NOTES

    for note in NOTES:
        err_console.print(f"note: {escape(note)}", highlight=False, soft_wrap=True)
    del NOTES[:]


def print_json(doc: Any) -> None:
    """Write a JSON document to stdout (no rich markup, no wrapping), always valid UTF-8: a
    path holding bytes that are not UTF-8 (``-o $'out\\xff'``, kept by Python as lone
    surrogates) shows U+FFFD there instead of a raw byte."""
    from effkit.core.outputs import json_bytes

    data = json_bytes(doc, default=str)
    try:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:  # UTF-8 whatever the locale says (JSON is UTF-8: RFC 8259)
            sys.stdout.flush()
            buffer.write(data)
            buffer.flush()
        else:  # a text stream without bytes under it (a test runner's)
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()
    except (AttributeError, OSError, ValueError) as exc:  # closed (>&-), full (/dev/full)
        raise stdout_failed("the JSON document", exc) from None


def stdout_failed(what: str, exc: BaseException) -> OutputError:
    """The one error for standard output that cannot be written (closed, /dev/full)."""
    return OutputError(f"cannot write {what} to standard output "
                       f"({getattr(exc, 'strerror', None) or 'it is closed'})",
                       "run it with standard output open and writable")


@contextlib.contextmanager
def stage_progress(transient: bool = False, rich_progress=None) -> Iterator[ProgressFn]:
    """A progress callback for the pipeline's stages: rich bars at a terminal, plain lines
    (start, end, and about every 10 s on long stages) when stderr is a log or a pipe.

    ``rich_progress``: an already running rich Progress to add the stage bars to (train).
    """
    from effkit.core.progress import LineProgress

    if not err_console.is_terminal:
        yield LineProgress(sys.stderr)
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = rich_progress or Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                         BarColumn(), TimeElapsedColumn(),
                                         console=live_console(), transient=transient)
    tasks: dict[str, Any] = {}
    started = rich_progress is not None

    def on_progress(event: ProgressEvent) -> None:
        nonlocal started
        if not started:  # the display starts with the first stage: early errors print alone
            progress.start()
            started = True
        if event.stage not in tasks:
            tasks[event.stage] = progress.add_task(event.title, total=None)
        if event.kind == "end":
            progress.update(tasks[event.stage], completed=1, total=1)
        elif event.total:
            progress.update(tasks[event.stage], completed=event.done, total=event.total,
                            description=f"{event.title} {event.done}/{event.total}")

    if rich_progress is not None:
        yield on_progress
        return
    try:
        yield on_progress
    finally:
        if started:
            progress.stop()
