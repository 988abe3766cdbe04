"""The ``effkit`` root command: one function per command, registered here."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection, Iterator
from typing import Any

import typer
from typer.core import TyperGroup

# TensorFlow's C++ INFO/WARNING lines are noise for users; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Click's UsageError, whether Typer uses the click package or its own copy of it (0.2x).
_ClickUsageError: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


class _Group(TyperGroup):
    """effkit's root command: a mistake in a command line (an unknown option, a missing
    one, a value of the wrong type, an unknown command) is reported as every other error
    is, one ``error:`` line naming the fix and, with ``--json``, a JSON document on stdout,
    instead of Click's three lines of usage."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        args = _json_after_command(self, ctx, args)
        with _usage_errors(args):  # `effkit --bogus`
            return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        # a command's words (Click 8.2+ keeps the first in _protected_args, 8.1 in protected_args)
        first = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", None) or []
        words = [*first, *ctx.args]
        _refuse_empty_words(self, ctx, words)
        with _usage_errors(words, commands=set(getattr(self, "commands", {}))):
            return super().invoke(ctx)


def _json_after_command(group: Any, ctx: Any, args: list[str]) -> list[str]:
    """``effkit --json [weights --json] COMMAND ...`` read as ``effkit COMMAND --json ...``:
    every command takes --json, and scripts often write such a flag before the command, as
    other tools allow. It goes right after the command's name, so an option of the command
    left without its value cannot take it. Without a command the words stay as they are (the
    error then comes as a JSON document), except beside --help or --version, which print
    text: there --json is dropped."""
    kept: list[str] = []
    moved, command, i = False, group, 0
    while i < len(args) and hasattr(command, "get_command"):  # at a group: effkit, weights
        word = args[i]
        if word == "--":
            break
        i += 1
        if word == "--json":
            moved = True
            continue
        kept.append(word)
        if not word.startswith("-"):
            command = command.get_command(ctx, word)
            if command is None:  # an unknown command: Click names it, with --json's document
                break
    if not moved:
        return args
    if hasattr(command, "get_command"):  # no command reached
        return kept + args[i:] if {"--help", "--version"} & set(kept) else args
    return [*kept, "--json", *args[i:]]


def _takes_path(param: Any) -> bool:
    """Whether a Click parameter takes a path (Typer 0.2x describes its type; earlier Typer
    versions give Click's own Path type)."""
    described = getattr(param, "type_descriptor", None)
    if described is not None:
        return bool(getattr(described, "is_path", False)) or "Path" in str(described.annotation)
    return type(getattr(param, "type", None)).__name__ == "Path"


def _refuse_empty_words(group: Any, ctx: Any, words: list[str]) -> None:
    """An empty word (``-d "$DATA"`` with DATA unset) names no file, folder or name, and as a
    path Python reads it as the current folder: ``eval --data ""`` would score whatever
    images sit there. Refused for every option and argument, naming which."""
    flags: set[str] = set()
    command, rest = group, words
    while rest and hasattr(command, "get_command"):  # effkit [weights] COMMAND ...
        command = command.get_command(ctx, rest[0])
        rest = rest[1:]
        if command is None:
            return  # an unknown command: Click says so
        for param in getattr(command, "params", ()):
            if getattr(param, "is_flag", False) or getattr(param, "count", False):
                flags.update(param.opts, param.secondary_opts)
    params = list(getattr(command, "params", ()))
    param_of = {name: p for p in params for name in (*p.opts, *getattr(p, "secondary_opts", ()))
                if getattr(p, "param_type_name", "") == "option"}
    long_names = {name: next((o for o in p.opts if o.startswith("--")), name)  # -o: --out
                  for name, p in param_of.items()}
    arguments = [p for p in params if getattr(p, "param_type_name", "") == "argument"]
    empty, which_param, dashes, positional, i = None, None, False, 0, 0
    while i < len(rest) and empty is None:
        word = rest[i]
        if dashes or not word.startswith("-") or word == "-":
            if word == "":
                which = arguments[min(positional, len(arguments) - 1)] if arguments else None
                if which is not None and (positional < len(arguments) or getattr(which, "nargs", 1) == -1):
                    empty, which_param = f"the {which.name} argument", which
                else:  # one more than the command takes: Click would say so
                    empty = "an argument"
            positional += 1
        elif word == "--":
            dashes = True
        elif word.startswith("--") and "=" in word:  # --data=
            name, _, value = word.partition("=")
            if value == "" and name in long_names:
                empty, which_param = long_names[name], param_of[name]
        elif not word.startswith("--") and len(word) > 2:
            pass  # -vlite0, or short flags together: never empty
        elif word not in long_names:
            return  # an unknown option: Click names it
        elif word not in flags:  # an option and its value
            if i + 1 < len(rest) and rest[i + 1] == "":
                empty, which_param = long_names[word], param_of[word]
            i += 1
        i += 1
    if empty is not None:
        from effkit.cli._common import report_error
        from effkit.errors import UsageError

        error = UsageError(f'{empty} is empty ("")', "pass a path ('.' for the current folder)"
                           if which_param is None or _takes_path(which_param) else "give it a value")
        report_error(error, json_out="--json" in (rest[:rest.index("--")] if "--" in rest else rest))
        raise typer.Exit(code=error.exit_code)


@contextlib.contextmanager
def _usage_errors(words: list[str], commands: Collection[str] = ()) -> Iterator[None]:
    try:
        yield
    except _ClickUsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" or os.environ.get("EFFKIT_DEBUG"):
            raise  # `effkit` or `effkit weights` alone shows its help
        from effkit.cli._common import report_error
        from effkit.errors import UsageError

        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "effkit"
        if where == "effkit" and words and words[0] in commands:  # failed before the command's context
            where = f"effkit {words[0]}"
        error = UsageError(exc.format_message(), f"run '{where} --help'")  # type: ignore[attr-defined]
        before_dashes = words[:words.index("--")] if "--" in words else words
        report_error(error, json_out="--json" in before_dashes)
        raise typer.Exit(code=error.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="effkit",
    help="EfficientNet-Lite from weights to device: int8 TFLite with metadata, "
    "Edge TPU compile and sample apps for Raspberry Pi + Coral and Android.\n\n"
    "Every command takes --help, and --json for one JSON document on stdout (results, or "
    "the error); --json may also come before the command: effkit --json variants.",
    no_args_is_help=True,
    # Click's plain help layout: option names on the left, descriptions in one column of
    # at least ~45 characters at 80 columns (rich's panel squeezes them to ~20).
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _show_version(value: bool) -> None:
    if value:
        from effkit.core.version import __version__

        typer.echo(f"effkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(  # noqa: B008 - typer's way to declare an option
        False, "--version", callback=_show_version, is_eager=True,
        help="Print effkit's version and exit.")) -> None:
    """EfficientNet-Lite from weights to device."""


# One line each in 'effkit --help' (at 80 columns click would cut the docstrings short).
SHORT_HELP = {
    "build": "Variant to int8 TFLite with metadata, Edge TPU model, app.",
    "variants": "List lite0..lite4: resolution, parameters, published accuracy.",
    "inspect": "Show a model's tensors, operators and metadata.",
    "metadata": "Attach classifier metadata (labels, normalization).",
    "check-edgetpu": "Predict which ops map to the Coral Edge TPU.",
    "compile-edgetpu": "Compile a model or a build folder for the Edge TPU.",
    "edgetpu-log": "Parse an edgetpu_compiler log from any machine.",
    "train": "Train a classifier on your own image folders.",
    "eval": "Top-1/top-5 accuracy on a labelled image folder.",
    "bench": "Latency percentiles, size and peak memory of a model.",
    "report": "HTML report of build folders (after eval/bench --save).",
    "quant-report": "Per-layer float vs int8 errors and their likely causes.",
    "weights": "Google's official checkpoints: list, fetch, path.",
}


def _register() -> None:
    from effkit.cli import (
        bench_cmd,
        build,
        check_edgetpu_cmd,
        compile_cmd,
        edgetpu_log_cmd,
        eval_cmd,
        inspect_cmd,
        metadata_cmd,
        quant_report_cmd,
        report_cmd,
        train_cmd,
        variants_cmd,
        weights_cmd,
    )

    commands: dict[str, Callable[..., Any]] = {"build": build.build, "variants": variants_cmd.variants,
                "inspect": inspect_cmd.inspect, "metadata": metadata_cmd.metadata,
                "check-edgetpu": check_edgetpu_cmd.check_edgetpu,
                "compile-edgetpu": compile_cmd.compile_edgetpu,
                "edgetpu-log": edgetpu_log_cmd.edgetpu_log, "train": train_cmd.train,
                "eval": eval_cmd.eval_, "bench": bench_cmd.bench, "report": report_cmd.report}
    for name, function in commands.items():
        app.command(name, short_help=SHORT_HELP[name])(function)
    app.add_typer(weights_cmd.app, name="weights", short_help=SHORT_HELP["weights"])
    app.command("quant-report", short_help=SHORT_HELP["quant-report"])(quant_report_cmd.quant_report)


_register()


def main() -> None:
    import sys

    for stream in (sys.stdout, sys.stderr):  # a label an ASCII terminal cannot show: \u escapes
        reconfigure = getattr(stream, "reconfigure", None)  # a TextIOWrapper's, not any TextIO's
        if reconfigure is not None:
            with contextlib.suppress(ValueError):
                reconfigure(errors="backslashreplace")
    app()


if __name__ == "__main__":
    main()
