"""effkit report's charts: matplotlib figures (Agg, no pyplot state) as PNG bytes.

Each chart takes the report's build entries (``effkit.analysis.report.collect.BuildEntry``) and returns
a matplotlib Figure, or None when the entries hold nothing to draw (``MISSING`` says what is
needed); ``draw_charts`` makes them PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from effkit.analysis.report.collect import QUANT_ORDER
from effkit.core.progress import STAGES

if TYPE_CHECKING:
    from effkit.analysis.report.collect import BuildEntry

CHART_TITLES = {
    "accuracy_latency": "Accuracy vs latency",
    "latency": "Latency per build",
    "quant_drop": "Float vs int8 accuracy",
    "build_time": "Build time per stage",
    "edgetpu": "Edge TPU op coverage",
}
STAGE_ORDER = tuple(STAGES)
QUANT_COLORS = {"int8": "#1f6fb4", "float32": "#d1495b", "float16": "#2e933c", "dynamic": "#8e5ccf"}


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def accuracy_latency_figure(entries: Sequence[BuildEntry]):
    """Top-1 against CPU latency p50, one line per quantization through the variants. Two
    builds of one variant and quantization are points named by their folders, with no line
    through them (a line read as a trend across variants)."""
    pts = [(e, p50, top1) for e in entries
           if (p50 := e.p50) is not None and (top1 := e.top1) is not None]
    if not pts:
        return None
    fig, ax = _figure(7.5, 4.8)
    for quant in sorted({e.quant for e, _, _ in pts}, key=_quant_rank):
        series = sorted((p for p in pts if p[0].quant == quant), key=lambda p: p[1])
        xs = [p50 for _, p50, _ in series]
        ys = [100 * top1 for _, _, top1 in series]
        one_each = len({e.variant for e, _, _ in series}) == len(series)
        ax.plot(xs, ys, marker="o", linewidth=2, markersize=7, label=quant,
                color=QUANT_COLORS.get(quant), linestyle="-" if one_each else "none")
        for (e, _, _), x, y in zip(series, xs, ys, strict=True):
            ax.annotate(e.variant if one_each else _short(e.name), (x, y), textcoords="offset points",
                        xytext=(6, -12), fontsize=9)
    measured = [e for e, _, _ in pts]
    ax.set_title(CHART_TITLES["accuracy_latency"] + " (measured here)")
    ax.set_xlabel(f"CPU latency p50 (ms), {threads_text(measured)}")
    ax.set_ylabel(f"top-1 (%) on {_data_text(measured)}")
    ax.grid(True, alpha=0.3)
    ax.legend(title="quantization")
    return fig


def latency_figure(entries: Sequence[BuildEntry]):
    """p50 bars with p90 whiskers, one per build (two builds of one variant and quantization
    are two bars: the chart kept only the first), coloured by quantization, named by folder;
    random weights hatched."""
    pts = [(e, e.bench["latency"]) for e in entries if e.bench and e.p50 is not None]
    if not pts:
        return None
    fig, ax = _figure(7.5, max(2.6, 1.3 + 0.45 * len(pts)))
    names = [_build_name(e) for e, _ in pts]
    for i, (e, lat) in enumerate(pts):
        ax.barh(i, lat["p50"], height=0.6, color=QUANT_COLORS.get(e.quant), label=e.quant,
                hatch=None if e.real_weights else "//", edgecolor="white")
        ax.errorbar(lat["p50"], i, xerr=[[0], [max(lat["p90"] - lat["p50"], 0)]],
                    color="#333333", capsize=3, linewidth=1)
        ax.annotate(f"{lat['p50']:.1f}", (max(lat["p90"], lat["p50"]), i), textcoords="offset points",
                    xytext=(4, -3), fontsize=8)
    ax.set_yticks(range(len(pts)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, max(max(lat["p90"], lat["p50"]) for _, lat in pts) * 1.2 or 1)
    ax.set_xlabel(f"latency (ms): p50, whisker to p90; {threads_text([e for e, _ in pts])}")
    title = CHART_TITLES["latency"]
    if any(not e.real_weights for e, _ in pts):
        title += " (hatched: random weights)"
    ax.set_title(title)
    ax.grid(True, axis="x", alpha=0.3)
    _legend(ax, title="quantization", loc="lower right")
    return fig


def quant_drop_figure(entries: Sequence[BuildEntry]):
    """Top-1 of every build of the variants evaluated in two or more quantizations, one bar
    per build (a second int8 build was left out), each quantized one beside its difference
    from a float32 build of that variant evaluated on the same photos."""
    evald = [(e, top1) for e in entries if (top1 := e.top1) is not None]
    variants = sorted(v for v in {e.variant for e, _ in evald}
                      if len({e.quant for e, _ in evald if e.variant == v}) >= 2)
    if not variants:
        return None
    rows = sorted(((e, t) for e, t in evald if e.variant in variants),
                  key=lambda row: (variants.index(row[0].variant), _quant_rank(row[0].quant)))
    fig, ax = _figure(7.5, max(2.6, 1.3 + 0.45 * len(rows)))
    for i, (e, top1) in enumerate(rows):
        y = 100 * top1
        ax.barh(i, y, height=0.6, color=QUANT_COLORS.get(e.quant), label=e.quant)
        text = f"{y:.1f}"
        if e.quant != "float32":
            floats = [(f, t) for f, t in rows if f.variant == e.variant and f.quant == "float32"]
            ref = next(((f, t) for f, t in floats if same_images(e, f)), None)
            if ref is not None:  # a difference only over the same photos
                text += f" ({y - 100 * ref[1]:+.1f} vs {_short(ref[0].name)})"
            elif floats:
                text += " (float32 on other photos)"
        ax.annotate(text, (y, i), textcoords="offset points", xytext=(4, -3), fontsize=8)
    ax.set_yticks(range(len(rows)), [_build_name(e) for e, _ in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 135)
    ax.set_xlabel(f"top-1 (%) on {_data_text([e for e, _ in rows])}")
    ax.set_title(CHART_TITLES["quant_drop"] + " (points vs float32 in brackets)")
    ax.grid(True, axis="x", alpha=0.3)
    _legend(ax, title="quantization", loc="lower right")
    return fig


def _build_name(e: BuildEntry) -> str:
    """A build as the bar charts name it: its folder, its variant and quantization."""
    return f"{_short(e.name)} ({e.variant} {e.quant})"


def build_time_figure(entries: Sequence[BuildEntry]):
    """Stacked seconds per pipeline stage, one bar per build, each in the order its stages
    ran (build.json keeps them so: a calibration folder is read before the model, the
    distilled set made after the weights)."""
    rows = [e for e in entries if any(k != "total" for k in e.timings)]
    if not rows:
        return None
    stages = [k for k in STAGE_ORDER if any(k in e.timings for e in rows)]
    for e in rows:
        stages += [k for k in e.timings if k != "total" and k not in stages]
    fig, ax = _figure(7.5, max(2.6, 1.2 + 0.45 * len(rows), 0.9 + 0.22 * len(stages)))
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    cmap = colormaps["tab10"]
    colour = {stage: cmap(k % 10) for k, stage in enumerate(stages)}
    names = [_build_name(e) for e in rows]
    left = [0.0] * len(rows)
    for i, e in enumerate(rows):
        for stage, seconds in e.timings.items():
            if stage != "total":
                ax.barh(names[i], seconds, height=0.6, left=left[i], color=colour[stage])
                left[i] += seconds
    for i, total in enumerate(left):
        ax.annotate(f"{total:.0f} s", (total, i), textcoords="offset points", xytext=(4, -3),
                    fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.set_title(CHART_TITLES["build_time"])
    ax.set_xlim(0, max(left) * 1.15 or 1)
    ax.legend(handles=[Patch(color=colour[s], label=s) for s in stages],
              loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, title="stage")
    return fig


def edgetpu_figure(entries: Sequence[BuildEntry]):
    """Ops on the Edge TPU vs the CPU per build (compiler's log, else effkit's prediction)."""
    rows = [(e, c) for e in entries if (c := e.tpu_counts)]
    if not rows:
        return None
    fig, ax = _figure(7.5, 2.4 + 0.5 * len(rows))
    names = [f"{_short(e.name)} ({'compiled' if c['source'] == 'edgetpu_compiler' else 'predicted'})"
             for e, c in rows]
    tpu = [c["ops_tpu"] for _, c in rows]
    cpu = [c["ops_cpu"] for _, c in rows]
    ax.barh(names, tpu, height=0.5, color="#2e933c", label="Edge TPU")
    ax.barh(names, cpu, height=0.5, left=tpu, color="#e07a1f", label="CPU")
    for i, (t, c) in enumerate(zip(tpu, cpu, strict=True)):
        ax.annotate(f"{t}/{t + c} ops on the TPU", (t + c, i), textcoords="offset points",
                    xytext=(4, -3), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("operators")
    ax.set_xlim(0, max(t + c for t, c in zip(tpu, cpu, strict=True)) * 1.35 or 1)
    ax.set_title(CHART_TITLES["edgetpu"])
    ax.legend(loc="lower right")
    return fig


CHARTS = {  # each a Figure, or None when the builds hold nothing to draw
    "accuracy_latency": accuracy_latency_figure,
    "latency": latency_figure,
    "quant_drop": quant_drop_figure,
    "build_time": build_time_figure,
    "edgetpu": edgetpu_figure,
}


def draw_charts(entries: Sequence[BuildEntry]) -> dict[str, bytes | None]:
    """Every chart's PNG (None when the builds lack its data). Folder names, variants and
    labels are user text: drawn as written, with matplotlib's math text ($...$) and TeX off."""
    from effkit.core.native_log import import_matplotlib

    matplotlib = import_matplotlib()
    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        return {key: None if (fig := fn(entries)) is None else _png(fig)
                for key, fn in CHARTS.items()}


MISSING = {
    "accuracy_latency": "needs builds with real weights measured by both "
                        "'effkit eval MODEL --data DIR --save' and 'effkit bench MODEL --save'",
    "latency": "needs 'effkit bench MODEL --save' results",
    "quant_drop": "needs one variant built in two quantizations (e.g. --quant float32 and int8), "
                  "each evaluated with --save",
    "build_time": "the build manifests hold no stage timings",
    "edgetpu": "no build targets the Edge TPU (effkit build --target coral)",
}


def _legend(ax, **kwargs) -> None:
    """A legend with each label once (bars are labelled one by one)."""
    handles, names = ax.get_legend_handles_labels()
    uniq: dict = {}
    for name, handle in zip(names, handles, strict=True):
        uniq.setdefault(name, handle)  # the first bar: plain, not a hatched random-weights one
    ax.legend(list(uniq.values()), list(uniq.keys()), **kwargs)


def _short(text: str, width: int = 24) -> str:
    """Chart labels: long folder names shortened in the middle so the plot keeps its width
    and both ends, where names differ ('...-bias-correction-on' and '-off'), stay."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "\u2026" + text[len(text) - (width - 1 - head):]


def _quant_rank(q: str) -> int:
    return QUANT_ORDER.index(q) if q in QUANT_ORDER else len(QUANT_ORDER)


def threads_text(entries: Sequence[BuildEntry]) -> str:
    threads = {e.bench.get("threads") for e in entries if e.bench}
    if len(threads) == 1:
        t = threads.pop()
        return "LiteRT default threads" if t is None else f"{t} thread{'s' if t != 1 else ''}"
    return "mixed thread counts"


def same_images(a: BuildEntry, b: BuildEntry) -> bool:
    """Whether two builds' saved evaluations used the same photos (the digest eval saves;
    for results saved before it, the folder as given and the number of images)."""
    ea, eb = a.eval or {}, b.eval or {}
    if ea.get("images_sha256") and eb.get("images_sha256"):
        return bool(ea["images_sha256"] == eb["images_sha256"])
    return (ea.get("data"), ea.get("images")) == (eb.get("data"), eb.get("images"))


def _data_text(entries: Sequence[BuildEntry]) -> str:
    names = {Path(str(e.eval.get("data", "?"))).name for e in entries if e.eval}
    return names.pop() if len(names) == 1 else "the evaluation images"
