"""The ``effkit`` root command: one function per command, registered here."""

from __future__ import annotations

import os

import typer

# TensorFlow's C++ INFO/WARNING lines are noise for users; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

app = typer.Typer(
    name="effkit",
    help="EfficientNet-Lite from weights to device: int8 TFLite with metadata, "
    "Edge TPU compile and sample apps for Raspberry Pi + Coral and Android.",
    no_args_is_help=True,
    # Click's plain help layout: option names on the left, descriptions in one column of
    # at least ~45 characters at 80 columns (rich's panel squeezes them to ~20).
    rich_markup_mode=None,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """EfficientNet-Lite from weights to device."""


def _register() -> None:
    from effkit.cli import build, variants_cmd

    app.command("build")(build.build)
    app.command("variants")(variants_cmd.variants)
    from effkit.cli import inspect_cmd, metadata_cmd

    app.command("inspect")(inspect_cmd.inspect)
    app.command("metadata")(metadata_cmd.metadata)
    from effkit.cli import check_edgetpu_cmd, compile_cmd, edgetpu_log_cmd

    app.command("check-edgetpu")(check_edgetpu_cmd.check_edgetpu)
    app.command("compile-edgetpu")(compile_cmd.compile_edgetpu)
    app.command("edgetpu-log")(edgetpu_log_cmd.edgetpu_log)
    from effkit.cli import train_cmd

    app.command("train")(train_cmd.train)
    from effkit.cli import bench_cmd, eval_cmd, report_cmd

    app.command("eval")(eval_cmd.eval_)
    app.command("bench")(bench_cmd.bench)
    app.command("report")(report_cmd.report)
    from effkit.cli import weights_cmd

    app.add_typer(weights_cmd.app, name="weights")
    from effkit.cli import quant_report_cmd

    app.command("quant-report")(quant_report_cmd.quant_report)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
