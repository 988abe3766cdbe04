"""The page and chart of a per-layer quantization report (``effkit.analysis.quant_report.measure``):
a matplotlib chart of SNR per layer and a self-contained HTML page from a Jinja template."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from effkit.core.outputs import marked_file

if TYPE_CHECKING:
    from effkit.analysis.quant_report.measure import QuantReport

# What 'quant-report --html --force' may replace: a page this template made (its meta tag).
PAGE_FILE = marked_file("an effkit quant-report page",
                        '<meta name="generator" content="effkit quant-report">',
                        suffixes=(".html", ".htm"))
BAR_COLOR = "#4c78a8"
CAUSE_COLOR = "#d62728"  # layers with a likely cause (the screenshot test looks for it)


def chart_png(doc: dict) -> bytes:
    """SNR per layer in graph order, layers with a likely cause in red, from a report
    document (``QuantReport.to_dict()``, or a saved ``quant_report.json``). matplotlib,
    Agg; math text off: layer names come from the user's model."""
    import io

    from effkit.core.native_log import import_matplotlib

    matplotlib = import_matplotlib()
    from matplotlib.figure import Figure

    layers = doc["layers"]
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        fig = Figure(figsize=(11, 4.6), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        xs = np.arange(len(layers))
        ax.bar(xs, [s["snr_db"] for s in layers], width=0.8,
               color=[CAUSE_COLOR if s["causes"] else BAR_COLOR for s in layers])
        step = max(1, len(layers) // 40)
        ax.set_xticks(xs[::step], [str(s["name"]) for s in layers][::step], rotation=90, fontsize=7)
        ax.set_ylabel("SNR, int8 vs float (dB)")
        ax.set_xlabel("layer (graph order)")
        ax.set_xlim(-0.6, len(layers) - 0.4)
        ax.grid(axis="y", alpha=0.3)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def render_html(report: QuantReport, *, int8_name: str, float_name: str, data_source: str,
                generated: str | None = None, worst: int | None = None) -> str:
    """A self-contained page (chart as a data URI), listing the ``worst`` layers (None:
    the report's default count); every string is HTML-escaped."""
    import base64

    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from effkit.core.resources import data_file

    env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    template = env.from_string(data_file("quant_report.html.jinja").read_text(encoding="utf-8"))
    from effkit.analysis.quant_report.measure import WORST_COUNT

    count = WORST_COUNT if worst is None else worst
    doc = report.to_dict(count)
    return template.render(doc=doc, worst=report.worst(count), layers=report.layers,
                           unmatched=report.unmatched, int8_name=int8_name, float_name=float_name,
                           data_source=data_source, generated=generated,
                           chart=base64.b64encode(chart_png(doc)).decode("ascii"))
