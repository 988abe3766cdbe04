"""effkit variants: the EfficientNet-Lite table."""

from __future__ import annotations

from dataclasses import asdict

from rich.table import Table

from effkit.cli._common import JsonOpt, console, handle_errors, print_json
from effkit.variants import VARIANTS


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
    table = Table(title="EfficientNet-Lite variants (published figures: tensorflow/tpu, Pixel 4)")
    for col in (
        "variant",
        "width",
        "depth",
        "input",
        "dropout",
        "params",
        "MAdds",
        "top-1 FP32",
        "top-1 INT8",
        "weights",
    ):
        table.add_column(col)
    for v in VARIANTS.values():
        table.add_row(
            v.name,
            f"{v.width_coefficient}",
            f"{v.depth_coefficient}",
            f"{v.resolution}",
            f"{v.dropout_rate}",
            f"{v.trainable_params:,}",
            v.published.madds,
            f"{v.published.top1_fp32}%",
            f"{v.published.top1_int8}%",
            "bundled port" if v.pth_package else "official (downloaded)",
        )
    console.print(table)
