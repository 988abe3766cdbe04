"""effkit weights list|fetch|path: Google's official checkpoints in effkit's cache."""

from __future__ import annotations

from dataclasses import asdict as as_dict
from typing import Annotated

import typer
from rich.table import Table

from effkit.cli._common import JsonOpt, console, escape, handle_errors, print_json
from effkit.errors import UsageError

app = typer.Typer(
    name="weights",
    help="Google's official EfficientNet-Lite checkpoints: see, pre-fetch and locate what is "
    "cached (for CI images and offline machines). Mirror: $EFFKIT_WEIGHTS_URL; cache: "
    "$EFFKIT_CACHE_DIR/weights; EFFKIT_OFFLINE=1 forbids downloads.",
    no_args_is_help=True,
)

VariantsArg = Annotated[
    list[str] | None,
    typer.Argument(help="Variants (lite0 .. lite4); none with --all.", show_default=False),
]
AllOpt = Annotated[bool, typer.Option("--all", help="Every variant, lite0 .. lite4.")]


def _variants(names: list[str] | None, every: bool):
    from effkit.model.variants import VARIANTS, get_variant

    if every and names:
        raise UsageError("name variants or pass --all, not both")
    if every:
        return list(VARIANTS.values())
    if not names:
        raise UsageError("no variant given", "name one (e.g. lite3) or pass --all")
    return [get_variant(n) for n in names]


@app.command("list", short_help="Each variant's default weights and what is cached.")
@handle_errors
def list_(json_out: JsonOpt = False) -> None:
    """Each variant's default weights and whether its official checkpoint is cached."""
    from effkit.core.resources import weights_cache
    from effkit.model.variants import VARIANTS
    from effkit.weights.fetch import cached

    rows = []
    for v in VARIANTS.values():
        state = cached(v)
        default = f"bundled port ({v.pth_package.replace('_', '-')})" if v.pth_package \
            else "official checkpoint"
        rows.append(as_dict(state) | {"default": default})
    if json_out:
        print_json({"cache": str(weights_cache()), "variants": rows})
        return
    table = Table(title=f"Official checkpoints in {escape(str(weights_cache()))}")
    for col in ("variant", "default weights", "cached", "sha256", "source"):
        table.add_column(col, overflow="fold")
    for row in rows:
        shown = "yes" if row["present"] else "damaged" if row["damaged"] else "no"
        table.add_row(row["variant"], row["default"], shown,
                      (row["sha256"] or "-")[:16], escape(row["url"]))
    console.print(table)
    for row in rows:
        if row["damaged"]:
            console.print(f"{row['variant']}: damaged ({escape(row['damaged'])}): run 'effkit "
                          f"weights fetch {row['variant']} --force'", highlight=False, soft_wrap=True)


@app.command("fetch", short_help="Download, check and cache official checkpoints.")
@handle_errors
def fetch(variants: VariantsArg = None, every: AllOpt = False,
          force: Annotated[bool, typer.Option("--force", help="Download again even if cached.")]
          = False,
          json_out: JsonOpt = False) -> None:
    """Download, check and cache official checkpoints (a no-op for cached ones)."""
    from effkit.core.native_log import import_tensorflow_quietly
    from effkit.weights.fetch import fetch as fetch_one

    chosen = _variants(variants, every)
    import_tensorflow_quietly()  # the content check loads each checkpoint into a model
    done = [as_dict(fetch_one(v, force=force)) for v in chosen]
    if json_out:
        print_json(done)
        return
    for row in done:
        console.print(f"{row['variant']}: {escape(row['folder'])} (sha256 {row['sha256']})",
                      highlight=False, soft_wrap=True)


@app.command("path", short_help="Print each variant's cached checkpoint folder.")
@handle_errors
def path(variants: VariantsArg = None, every: AllOpt = False, json_out: JsonOpt = False) -> None:
    """Print the cached checkpoint folder of each variant (an error when one is not cached)."""
    from effkit.errors import WeightsError
    from effkit.weights.fetch import cached

    chosen = _variants(variants, every)
    states = [cached(v) for v in chosen]
    for state in states:
        if state.damaged:
            raise WeightsError(f"the cached official {state.variant} checkpoint is damaged "
                               f"({state.damaged})",
                               f"run 'effkit weights fetch {state.variant} --force'")
        if not state.present:
            raise WeightsError(f"the official {state.variant} checkpoint is not cached",
                               f"run 'effkit weights fetch {state.variant}'")
    if json_out:
        print_json({s.variant: s.folder for s in states})
        return
    for s in states:
        typer.echo(s.folder)
