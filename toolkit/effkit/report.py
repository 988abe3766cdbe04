"""effkit report: build folders and their measured results -> one HTML page and PNG charts.

A build folder is what ``effkit build`` writes: ``build.json`` (variant, quantization,
calibration, stage timings, artifacts, Edge TPU check/compile) next to ``model.tflite``.
``effkit eval --save`` and ``effkit bench --save`` add ``eval.json`` and ``bench.json``
to it (see :func:`result_path`). The page is self-contained: the charts are embedded
as base64 PNG data URIs, the styles inline, and every string that came from a file
is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from effkit.errors import DataError, OutputError
from effkit.manifest import MANIFEST_NAME
from effkit.outputs import check_output_dir, staged_dir, write_file_atomic

EVAL_NAME = "eval.json"
BENCH_NAME = "bench.json"
MAIN_MODEL = "model.tflite"
KINDS = {"eval": EVAL_NAME, "bench": BENCH_NAME}
DOC_KEYS = {"eval": "effkit_eval", "bench": "effkit_bench"}

CHART_TITLES = {
    "accuracy_latency": "Accuracy vs latency",
    "latency": "Latency per variant",
    "quant_drop": "Float vs int8 accuracy",
    "build_time": "Build time per stage",
    "edgetpu": "Edge TPU op coverage",
}
QUANT_ORDER = ("float32", "float16", "dynamic", "int8")
STAGE_ORDER = ("model", "weights", "calibration", "convert", "metadata", "edgetpu-check",
               "edgetpu-compile", "edgetpu-metadata", "app")
QUANT_COLORS = {"int8": "#1f6fb4", "float32": "#d1495b", "float16": "#2e933c", "dynamic": "#8e5ccf"}


# ---------------------------------------------------------------------------
# Where results live


def result_path(model: Path, kind: str) -> Path:
    """Where ``effkit eval/bench --save`` writes the results for ``model``.

    The main model of a build folder (``model.tflite`` next to ``build.json``) gets
    ``eval.json``/``bench.json`` in that folder, where ``effkit report`` reads them;
    any other model gets ``<stem>.eval.json``/``<stem>.bench.json`` beside it.
    """
    model = Path(model)
    if model.name == MAIN_MODEL and (model.parent / MANIFEST_NAME).is_file():
        return model.parent / KINDS[kind]
    return model.with_name(f"{model.stem}.{kind}.json")


def save_result(model: Path, kind: str, doc: dict, force: bool) -> Path:
    """Write a result document atomically; an existing file is replaced only with ``force``."""
    path = result_path(model, kind)
    body = {DOC_KEYS[kind]: 1} | doc
    write_file_atomic(path, (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
                      force)
    return path


def check_can_save(models: Sequence[Path | None], kind: str, force: bool) -> None:
    """Refuse ``--save`` before any work when a result file exists and ``force`` is off."""
    for model in models:
        if model is None:
            continue
        path = result_path(model, kind)
        if path.is_dir():
            raise OutputError(f"{str(path)!r} is a folder", "move it away to save results there")
        if path.exists() and not force:
            raise OutputError(f"{str(path)!r} already exists", "pass --force to replace it")


def model_record(model: Path, data: bytes) -> dict:
    return {"path": str(model), "name": Path(model).name, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


# ---------------------------------------------------------------------------
# Reading build folders


@dataclass(frozen=True)
class BuildEntry:
    """One build folder as the report sees it."""

    folder: Path
    variant: str
    quant: str
    io: str
    target: str
    weights: str  # the weights' kind: pth, official-ckpt, keras, random
    model_bytes: int | None
    timings: dict = field(default_factory=dict)
    calibration: dict | None = None
    edgetpu: dict | None = None
    eval: dict | None = None
    bench: dict | None = None
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def real_weights(self) -> bool:
        return self.weights != "random"

    @property
    def label(self) -> str:
        return f"{self.variant} {self.quant}" + ("" if self.real_weights else " (random weights)")

    @property
    def top1(self) -> float | None:
        return self.eval["top1"] if self.eval and self.real_weights else None

    @property
    def top5(self) -> float | None:
        return self.eval["top5"] if self.eval and self.real_weights else None

    @property
    def p50(self) -> float | None:
        return self.bench["latency"]["p50"] if self.bench else None

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "variant": self.variant, "quantization": self.quant,
                "io": self.io, "target": self.target, "weights": self.weights,
                "model_bytes": self.model_bytes, "timings_s": self.timings,
                "calibration": self.calibration, "top1": self.top1, "top5": self.top5,
                "eval_images": self.eval.get("count") if self.eval else None,
                "latency_ms": self.bench["latency"] if self.bench else None,
                "peak_rss_mb": self.bench.get("peak_rss_mb") if self.bench else None,
                "edgetpu": _tpu_counts(self.edgetpu), "warnings": list(self.warnings)}


def _read_json(path: Path, what: str) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read {what} {str(path)!r} ({type(exc).__name__})",
                        "write it again with effkit") from None
    if not isinstance(doc, dict):
        raise DataError(f"{what} {str(path)!r} is not a JSON object", "write it again with effkit")
    return doc


def load_build(folder: Path) -> BuildEntry:
    """Read a build folder's build.json and, when present, its eval.json and bench.json.

    A result whose model digest differs from the build's ``model.tflite`` is left out,
    with a warning (the model was rebuilt after it was measured).
    """
    folder = Path(folder)
    manifest_path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise DataError(f"{str(folder)!r} is not a folder", "pass build folders written by 'effkit build'")
    if not manifest_path.is_file():
        raise DataError(f"{str(folder)!r} is not an effkit build folder (no {MANIFEST_NAME})",
                        "pass folders written by 'effkit build'")
    doc = _read_json(manifest_path, "build manifest")
    quant, variant = doc.get("quantization"), doc.get("variant")
    if not isinstance(quant, dict) or not isinstance(variant, str):
        raise DataError(f"{str(manifest_path)!r} lacks the variant or quantization",
                        "build the folder again with 'effkit build'")
    artifacts = doc.get("artifacts") if isinstance(doc.get("artifacts"), list) else []
    main = next((a for a in artifacts if isinstance(a, dict) and a.get("path") == MAIN_MODEL), None)
    warnings: list[str] = []
    results: dict[str, dict | None] = {}
    for kind, fname in KINDS.items():
        path = folder / fname
        res = _read_json(path, f"{kind} results") if path.is_file() else None
        if res is not None and (DOC_KEYS[kind] not in res or not _well_formed(kind, res)):
            raise DataError(f"{str(path)!r} is not an effkit {kind} result",
                            f"write it again with 'effkit {kind} MODEL --save --force'")
        if res is not None and main is not None:
            digest = res["model"].get("sha256")
            if digest != main.get("sha256"):
                warnings.append(f"{fname} was measured on another model file than this build's "
                                f"{MAIN_MODEL}; left out (run 'effkit {kind} ... --save --force' again)")
                res = None
        results[kind] = res
    weights = doc.get("weights").get("kind") if isinstance(doc.get("weights"), dict) else None
    weights = weights or "unknown"
    timings = doc.get("timings_s") if isinstance(doc.get("timings_s"), dict) else {}
    calibration = doc.get("calibration")
    if weights == "random":
        warnings.append("random weights: latency only, no accuracy")
    return BuildEntry(
        folder=folder, variant=variant, quant=str(quant.get("mode", "?")),
        io=str(quant.get("io", "?")), target=str(doc.get("target", "?")), weights=str(weights),
        model_bytes=main.get("bytes") if main else None,
        timings={str(k): float(v) for k, v in timings.items() if _number(v)},
        calibration=calibration if isinstance(calibration, dict) else None,
        edgetpu=doc.get("edgetpu") if isinstance(doc.get("edgetpu"), dict) else None,
        eval=results["eval"], bench=results["bench"], warnings=tuple(warnings))


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _well_formed(kind: str, res: dict) -> bool:
    """The fields the report reads are there and numeric."""
    if not isinstance(res.get("model"), dict):
        return False
    if kind == "eval":
        return all(_number(res.get(k)) for k in ("top1", "top5", "count"))
    lat = res.get("latency")
    return isinstance(lat, dict) and all(_number(lat.get(k)) for k in ("p50", "p90", "p99"))


def _tpu_counts(section: dict | None) -> dict | None:
    """Edge TPU op counts: the compiler's own when compiled, else effkit's prediction."""
    def sub(d: object, key: str) -> dict:
        v = d.get(key) if isinstance(d, dict) else None
        return v if isinstance(v, dict) else {}

    if not isinstance(section, dict):
        return None
    rep = sub(sub(section, "compile"), "report") if section.get("compiled") else {}
    if _number(rep.get("ops_tpu")) and _number(rep.get("ops_cpu")):
        return {"source": "edgetpu_compiler", "ops_tpu": rep["ops_tpu"], "ops_cpu": rep["ops_cpu"],
                "on_chip_bytes": rep.get("on_chip_used_bytes"),
                "off_chip_bytes": rep.get("off_chip_used_bytes")}
    check = sub(section, "check")
    if _number(check.get("ops_tpu")) and _number(check.get("ops_cpu")):
        return {"source": "predicted by effkit check-edgetpu", "ops_tpu": check["ops_tpu"],
                "ops_cpu": check["ops_cpu"], "on_chip_bytes": check.get("on_chip_bytes"),
                "off_chip_bytes": check.get("off_chip_bytes")}
    return None


def _sort_key(e: BuildEntry) -> tuple:
    q = QUANT_ORDER.index(e.quant) if e.quant in QUANT_ORDER else len(QUANT_ORDER)
    return (e.variant, q, e.name)


# ---------------------------------------------------------------------------
# Charts (matplotlib, Agg, no pyplot state)


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def chart_accuracy_latency(entries: Sequence[BuildEntry]) -> bytes | None:
    """Top-1 against CPU latency p50, one line per quantization through the variants."""
    pts = [e for e in entries if e.top1 is not None and e.p50 is not None]
    if not pts:
        return None
    fig, ax = _figure(7.5, 4.8)
    for quant in sorted({e.quant for e in pts}, key=_quant_rank):
        series = sorted((e for e in pts if e.quant == quant), key=lambda e: e.p50)
        xs = [e.p50 for e in series]
        ys = [100 * e.top1 for e in series]
        ax.plot(xs, ys, marker="o", linewidth=2, markersize=7, label=quant,
                color=QUANT_COLORS.get(quant))
        for e, x, y in zip(series, xs, ys, strict=True):
            ax.annotate(e.variant, (x, y), textcoords="offset points", xytext=(6, -12), fontsize=9)
    ax.set_title(CHART_TITLES["accuracy_latency"] + " (measured here)")
    ax.set_xlabel(f"CPU latency p50 (ms), {_threads_text(pts)}")
    ax.set_ylabel(f"top-1 (%) on {_data_text(pts)}")
    ax.grid(True, alpha=0.3)
    ax.legend(title="quantization")
    return _png(fig)


def chart_latency(entries: Sequence[BuildEntry]) -> bytes | None:
    """p50 bars with p90 whiskers per variant and quantization; random weights hatched."""
    pts = [e for e in entries if e.p50 is not None]
    if not pts:
        return None
    variants = sorted({e.variant for e in pts})
    quants = sorted({e.quant for e in pts}, key=_quant_rank)
    fig, ax = _figure(7.5, 4.2)
    width = 0.8 / len(quants)
    for j, quant in enumerate(quants):
        for i, v in enumerate(variants):
            for e in [e for e in pts if e.variant == v and e.quant == quant][:1]:
                x = i + (j - (len(quants) - 1) / 2) * width
                lat = e.bench["latency"]
                ax.bar(x, lat["p50"], width * 0.9, color=QUANT_COLORS.get(quant),
                       hatch=None if e.real_weights else "//", edgecolor="white", label=quant)
                ax.errorbar(x, lat["p50"], yerr=[[0], [max(lat["p90"] - lat["p50"], 0)]],
                            color="#333333", capsize=3, linewidth=1)
                ax.annotate(f"{lat['p50']:.1f}", (x, max(lat["p90"], lat["p50"])),
                            textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
    ax.set_xticks(range(len(variants)), variants)
    ax.set_ylabel("latency (ms): p50, whisker to p90")
    title = CHART_TITLES["latency"]
    if any(not e.real_weights for e in pts):
        title += " (hatched: random weights)"
    ax.set_title(title)
    ax.grid(True, axis="y", alpha=0.3)
    _legend(ax, title="quantization")
    return _png(fig)


def chart_quant_drop(entries: Sequence[BuildEntry]) -> bytes | None:
    """Top-1 of each quantization per variant, for variants measured in two or more."""
    evald = [e for e in entries if e.top1 is not None]
    variants = sorted(v for v in {e.variant for e in evald}
                      if len({e.quant for e in evald if e.variant == v}) >= 2)
    if not variants:
        return None
    quants = sorted({e.quant for e in evald if e.variant in variants}, key=_quant_rank)
    fig, ax = _figure(7.5, 4.2)
    width = 0.8 / len(quants)
    for j, quant in enumerate(quants):
        for i, v in enumerate(variants):
            found = [e for e in evald if e.variant == v and e.quant == quant][:1]
            if not found:
                continue
            x = i + (j - (len(quants) - 1) / 2) * width
            y = 100 * found[0].top1
            ax.bar(x, y, width * 0.9, color=QUANT_COLORS.get(quant), label=quant)
            ref = [e for e in evald if e.variant == v and e.quant == "float32"]
            text = f"{y:.1f}"
            if quant != "float32" and ref:
                text += f"\n({y - 100 * ref[0].top1:+.1f})"
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 3), ha="center",
                        fontsize=8)
    ax.set_xticks(range(len(variants)), variants)
    ax.set_ylabel(f"top-1 (%) on {_data_text(evald)}")
    ax.set_ylim(0, 110)
    ax.set_title(CHART_TITLES["quant_drop"] + " (points vs float32 in brackets)")
    ax.grid(True, axis="y", alpha=0.3)
    _legend(ax, title="quantization", loc="lower right")
    return _png(fig)


def chart_build_time(entries: Sequence[BuildEntry]) -> bytes | None:
    """Stacked seconds per pipeline stage, one bar per build."""
    rows = [e for e in entries if any(k != "total" for k in e.timings)]
    if not rows:
        return None
    stages = [k for k in STAGE_ORDER if any(k in e.timings for e in rows)]
    for e in rows:
        stages += [k for k in e.timings if k != "total" and k not in stages]
    fig, ax = _figure(7.5, max(2.6, 1.2 + 0.45 * len(rows), 0.9 + 0.22 * len(stages)))
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    names = [f"{_short(e.name)} ({e.variant} {e.quant})" for e in rows]
    left = [0.0] * len(rows)
    for k, stage in enumerate(stages):
        vals = [e.timings.get(stage, 0.0) for e in rows]
        ax.barh(names, vals, height=0.6, left=left, color=cmap(k % 10), label=stage)
        left = [a + b for a, b in zip(left, vals, strict=True)]
    for i, total in enumerate(left):
        ax.annotate(f"{total:.0f} s", (total, i), textcoords="offset points", xytext=(4, -3),
                    fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("seconds")
    ax.set_title(CHART_TITLES["build_time"])
    ax.set_xlim(0, max(left) * 1.15 or 1)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, title="stage")
    return _png(fig)


def chart_edgetpu(entries: Sequence[BuildEntry]) -> bytes | None:
    """Ops on the Edge TPU vs the CPU per build (compiler's log, else effkit's prediction)."""
    rows = [(e, _tpu_counts(e.edgetpu)) for e in entries]
    rows = [(e, c) for e, c in rows if c]
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
    return _png(fig)


CHARTS = {
    "accuracy_latency": chart_accuracy_latency,
    "latency": chart_latency,
    "quant_drop": chart_quant_drop,
    "build_time": chart_build_time,
    "edgetpu": chart_edgetpu,
}


def draw_charts(entries: Sequence[BuildEntry]) -> dict[str, bytes | None]:
    """Every chart's PNG (None when the builds lack its data). Folder names, variants and
    labels are user text: drawn as written, with matplotlib's math text ($...$) and TeX off."""
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        return {key: fn(entries) for key, fn in CHARTS.items()}


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
    """Chart labels: long folder names shortened so the plot keeps its width."""
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _quant_rank(q: str) -> int:
    return QUANT_ORDER.index(q) if q in QUANT_ORDER else len(QUANT_ORDER)


def _threads_text(entries: Sequence[BuildEntry]) -> str:
    threads = {e.bench.get("threads") for e in entries if e.bench}
    if len(threads) == 1:
        t = threads.pop()
        return "LiteRT default threads" if t is None else f"{t} thread{'s' if t != 1 else ''}"
    return "mixed thread counts"


def _data_text(entries: Sequence[BuildEntry]) -> str:
    names = {Path(str(e.eval.get("data", "?"))).name for e in entries if e.eval}
    return names.pop() if len(names) == 1 else "the evaluation images"


# ---------------------------------------------------------------------------
# HTML


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem}.sub{color:#666;margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:1rem 0}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f6f8}section{margin:2rem 0}img{max-width:100%;border:1px solid #eee}
.warn{color:#9a5b00}.note{color:#666;font-style:italic}code{background:#f4f6f8;padding:0 .2rem}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: object, spec: str, scale: float = 1.0) -> str:
    return format(value * scale, spec) if _number(value) else "&ndash;"


def render_html(entries: Sequence[BuildEntry], charts: dict[str, bytes | None],
                generated: str | None = None) -> str:
    """The report page: summary table, charts as data URIs, warnings. Self-contained."""
    generated = generated or _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    machine = next((e.bench["machine"] for e in entries
                    if e.bench and isinstance(e.bench.get("machine"), dict)), None)
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>effkit report</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>effkit report</h1>",
           f'<p class="sub">{len(entries)} build{"s" if len(entries) != 1 else ""}, generated '
           f"{_e(generated)}"
           + (f" &middot; measured on {_e(machine.get('cpu'))} ({_e(machine.get('cores'))} cores)"
              if machine else "") + "</p>",
           "<h2>Builds</h2>", "<table><thead><tr>"]
    cols = ("build", "variant", "quantization", "weights", "calibration", "size (MB)", "top-1 (%)",
            "top-5 (%)", "images", "p50 (ms)", "p90 (ms)", "p99 (ms)", "peak RSS (MB)",
            "build (s)", "Edge TPU ops", "TPU params on/off chip (MiB)")
    text_cols = 5  # build, variant, quantization, weights, calibration; numbers after
    attr = ["" if i < text_cols else ' class="n"' for i in range(len(cols))]
    out.append("".join(f"<th{a}>{_e(c)}</th>" for a, c in zip(attr, cols, strict=True))
               + "</tr></thead><tbody>")
    for e in entries:
        lat = e.bench["latency"] if e.bench else {}
        tpu = _tpu_counts(e.edgetpu)
        calib = e.calibration or {}
        cells = [
            _e(e.name), _e(e.variant), _e(f"{e.quant} ({e.io} I/O)"), _e(e.weights),
            _e(f"{calib.get('source')} x{calib.get('count')}") if calib else "&ndash;",
            _fmt(e.model_bytes, ".2f", 1e-6), _fmt(e.top1, ".1f", 100), _fmt(e.top5, ".1f", 100),
            _e(e.eval.get("count")) if e.eval else "&ndash;",
            _fmt(lat.get("p50"), ".2f"), _fmt(lat.get("p90"), ".2f"), _fmt(lat.get("p99"), ".2f"),
            _fmt(e.bench.get("peak_rss_mb") if e.bench else None, ".0f"),
            _fmt(e.timings.get("total"), ".0f"),
            _e(f"{tpu['ops_tpu']}/{tpu['ops_tpu'] + tpu['ops_cpu']}") if tpu else "&ndash;",
            f"{_fmt(tpu['on_chip_bytes'], '.2f', 2**-20)}/"
            f"{_fmt(tpu['off_chip_bytes'], '.2f', 2**-20)}"  # numbers or &ndash; only
            if tpu and _number(tpu.get("on_chip_bytes")) else "&ndash;",
        ]
        out.append("<tr>" + "".join(f"<td{a}>{c}</td>" for a, c in zip(attr, cells, strict=True))
                   + "</tr>")
    out.append("</tbody></table>")
    notes = [(e.name, w) for e in entries for w in e.warnings]
    if notes:
        out.append('<ul class="warn">' + "".join(f"<li><b>{_e(n)}</b>: {_e(w)}</li>"
                                                 for n, w in notes) + "</ul>")
    for key, title in CHART_TITLES.items():
        out.append(f'<section id="{key}"><h2>{_e(title)}</h2>')
        png = charts.get(key)
        if png:
            data = base64.b64encode(png).decode("ascii")
            out.append(f'<img alt="{_e(title)}" src="data:image/png;base64,{data}">')
        else:
            out.append(f'<p class="note">No chart: {_e(MISSING[key])}.</p>')
        out.append("</section>")
    out.append('<p class="note">Latency: LiteRT (ai-edge-litert) on the CPU, median of timed runs '
               "after warm-up, each model in a fresh process. Accuracy: top-1/top-5 with the "
               "model's own preprocessing (input size, metadata normalization, input "
               "quantization).</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class ReportResult:
    out_dir: Path
    files: tuple[str, ...]
    doc: dict


def build_report(folders: Sequence[Path], out: Path, force: bool = False) -> ReportResult:
    """Read the build folders, draw the charts, write ``index.html``, the PNGs and
    ``report.json`` into ``out`` (staged, then renamed into place)."""
    if not folders:
        raise DataError("no build folders given", "pass one or more folders written by 'effkit build'")
    check_output_dir(out, force)
    seen: set[Path] = set()
    entries = []
    for f in folders:
        key = Path(f).resolve()
        if key not in seen:
            seen.add(key)
            entries.append(load_build(Path(f)))
    entries.sort(key=_sort_key)
    charts = draw_charts(entries)
    page = render_html(entries, charts)
    doc = {"builds": [e.to_dict() for e in entries],
           "charts": {k: f"{k}.png" for k, v in charts.items() if v},
           "missing_charts": {k: MISSING[k] for k, v in charts.items() if not v}}
    files = ["index.html", "report.json"] + [f"{k}.png" for k, v in charts.items() if v]
    with staged_dir(out, force) as tmp:
        (tmp / "index.html").write_text(page, encoding="utf-8")
        for key, png in charts.items():
            if png:
                (tmp / f"{key}.png").write_bytes(png)
        (tmp / "report.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return ReportResult(Path(out), tuple(files), doc)
