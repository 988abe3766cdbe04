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
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from effkit.errors import DataError
from effkit.manifest import MANIFEST_NAME, MODEL_FILE, QUANT_REPORT_FILE, Manifest, read_document
from effkit.outputs import check_output_dir, staged_dir
from effkit.report_charts import CHART_TITLES, MISSING, QUANT_ORDER, draw_charts
from effkit.resources import data_file
from effkit.saved_results import DOC_KEYS, KINDS

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
                "edgetpu": self.tpu_counts, "warnings": list(self.warnings)}

    @property
    def tpu_counts(self) -> dict | None:
        return _tpu_counts(self.edgetpu)


def _read_json(path: Path, what: str) -> dict:
    return read_document(path, what, "write it again with effkit")


def load_build(folder: Path) -> BuildEntry:
    """Read a build folder's build.json and, when present, its eval.json and bench.json.

    A result whose model digest differs from the build's ``model.tflite`` is left out,
    with a warning (the model was rebuilt after it was measured).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{str(folder)!r} is not a folder", "pass build folders written by 'effkit build'")
    if not os.path.lexists(folder / MANIFEST_NAME):  # anything else: the reader says what it is
        raise DataError(f"{str(folder)!r} is not an effkit build folder (no {MANIFEST_NAME})",
                        "pass folders written by 'effkit build'")
    manifest = Manifest.read(folder)
    main = manifest.artifact(MODEL_FILE)
    warnings: list[str] = []
    results: dict[str, dict | None] = {}
    for kind, fname in KINDS.items():
        path = folder / fname
        res = _read_json(path, f"{kind} results") if os.path.lexists(path) else None
        if res is not None and (DOC_KEYS[kind] not in res or not _well_formed(kind, res)):
            raise DataError(f"{str(path)!r} is not an effkit {kind} result",
                            f"write it again with 'effkit {kind} MODEL --save --force'")
        if res is not None and main is not None and res["model"].get("sha256") != main.sha256:
            warnings.append(f"{fname} was measured on another model file than this build's "
                            f"{MODEL_FILE}; left out (run 'effkit {kind} ... --save --force' again)")
            res = None
        results[kind] = res
    weights = str(manifest.weights.get("kind") or "unknown")
    if weights == "random":
        warnings.append("random weights: latency only, no accuracy")
    quant = manifest.quantization
    return BuildEntry(
        folder=folder, variant=manifest.variant, quant=str(quant.get("mode", "?")),
        io=str(quant.get("io", "?")), target=str(manifest.target), weights=weights,
        model_bytes=main.bytes if main else None,
        timings={str(k): float(v) for k, v in manifest.timings_s.items() if _number(v)},
        calibration=manifest.calibration, edgetpu=manifest.edgetpu,
        eval=results["eval"], bench=results["bench"], warnings=tuple(warnings))


def _number(v: object) -> bool:
    """A measurement: an int or a finite float of sane size (never a bool)."""
    import math

    return (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            and abs(v) < 1e15)


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
# HTML (data/report.html.jinja, autoescaped: every string from a file is HTML-escaped)

COLUMNS = ("build", "variant", "quantization", "weights", "calibration", "size (MB)", "top-1 (%)",
           "top-5 (%)", "images", "p50 (ms)", "p90 (ms)", "p99 (ms)", "peak RSS (MB)",
           "build (s)", "Edge TPU ops", "TPU params on/off chip (MiB)")
TEXT_COLUMNS = 5  # build, variant, quantization, weights, calibration; numbers after


def _fmt(value: object, spec: str, scale: float = 1.0) -> str | None:
    return format(value * scale, spec) if _number(value) else None


def _row(e: BuildEntry) -> list[object]:
    lat = e.bench["latency"] if e.bench else {}
    tpu = e.tpu_counts
    calib = e.calibration or {}
    return [
        e.name, e.variant, f"{e.quant} ({e.io} I/O)", e.weights,
        f"{calib.get('source')} x{calib.get('count')}" if calib else None,
        _fmt(e.model_bytes, ".2f", 1e-6), _fmt(e.top1, ".1f", 100), _fmt(e.top5, ".1f", 100),
        e.eval.get("count") if e.eval else None,
        _fmt(lat.get("p50"), ".2f"), _fmt(lat.get("p90"), ".2f"), _fmt(lat.get("p99"), ".2f"),
        _fmt(e.bench.get("peak_rss_mb") if e.bench else None, ".0f"),
        _fmt(e.timings.get("total"), ".0f"),
        f"{tpu['ops_tpu']}/{tpu['ops_tpu'] + tpu['ops_cpu']}" if tpu else None,
        f"{_fmt(tpu['on_chip_bytes'], '.2f', 2**-20)}/{_fmt(tpu['off_chip_bytes'], '.2f', 2**-20)}"
        if tpu and _number(tpu.get("on_chip_bytes")) else None,
    ]


def render_html(entries: Sequence[BuildEntry], charts: dict[str, bytes | None],
                generated: str | None = None) -> str:
    """The report page: summary table, charts as data URIs, warnings. Self-contained."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    template = env.from_string(data_file("report.html.jinja").read_text(encoding="utf-8"))
    machine = next((m for e in entries if e.bench and _machine_ok(m := e.bench.get("machine"))),
                   None)
    return template.render(
        generated=generated or _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        machine=machine, columns=COLUMNS, text_columns=TEXT_COLUMNS,
        rows=[_row(e) for e in entries],
        notes=[(e.name, w) for e in entries for w in e.warnings],
        charts=[{"key": key, "title": title, "missing": MISSING.get(key, ""),
                 "png": base64.b64encode(charts[key]).decode("ascii") if charts.get(key) else None}
                for key, title in (CHART_TITLES | _quant_titles(entries)).items()])


def _machine_ok(machine: object) -> bool:
    """A bench record's machine with the fields the page shows (a hand-edited one may lack them)."""
    return (isinstance(machine, dict) and isinstance(machine.get("cpu"), str)
            and _number(machine.get("cores")))


def _quant_key(index: int) -> str:
    return f"quant_layers_{index}"


def _quant_titles(entries: Sequence[BuildEntry]) -> dict[str, str]:
    return {_quant_key(i): f"Per-layer SNR, int8 vs float: {e.name}" for i, e in enumerate(entries)
            if (e.folder / QUANT_REPORT_FILE).is_file()}


def _quant_charts(entries: Sequence[BuildEntry]) -> dict[str, bytes | None]:
    """The per-layer chart of every build that has a quant_report.json (effkit quant-report)."""
    from effkit.quant_report import chart_png

    out: dict[str, bytes | None] = {}
    for i, e in enumerate(entries):
        path = e.folder / QUANT_REPORT_FILE
        if path.is_file():
            doc = _read_json(path, "quant report")
            try:
                out[_quant_key(i)] = chart_png(doc)
            except (KeyError, TypeError, ValueError):
                raise DataError(f"{str(path)!r} is not an effkit quant report",
                                "build again with 'effkit build --quant-report --force'") from None
    return out


@dataclass(frozen=True)
class ReportResult:
    out_dir: Path
    files: tuple[str, ...]
    doc: dict


def not_build_folders(paths: Sequence[Path]) -> list[Path]:
    """The paths among several that exist but are no effkit build folder (no build.json):
    ``effkit report build/*`` also matches what ``pip install .`` leaves in build/ (lib/,
    bdist.*/). A path that does not exist is not skipped: its error names it."""
    return [Path(p) for p in paths
            if os.path.lexists(p) and not os.path.lexists(Path(p) / MANIFEST_NAME)]


def build_report(folders: Sequence[Path], out: Path, force: bool = False) -> ReportResult:
    """Read the build folders, draw the charts, write ``index.html``, the PNGs and
    ``report.json`` into ``out`` (staged, then renamed into place)."""
    if not folders:
        raise DataError("no build folders given", "pass one or more folders written by 'effkit build'")
    seen: set[Path] = set()
    entries = []
    skipped = not_build_folders(folders) if len(folders) > 1 else []
    for f in folders:
        key = Path(f).resolve()
        if key not in seen and Path(f) not in skipped:
            seen.add(key)
            entries.append(load_build(Path(f)))
    if not entries:
        raise DataError(f"none of the {len(folders)} folders is an effkit build folder "
                        f"(no {MANIFEST_NAME})", "pass folders written by 'effkit build'")
    check_output_dir(out, force, inputs=folders)  # never in, around or as a folder it reads
    entries.sort(key=_sort_key)
    charts = draw_charts(entries) | _quant_charts(entries)
    page = render_html(entries, charts)
    doc = {"builds": [e.to_dict() for e in entries], "skipped": [str(p) for p in skipped],
           "charts": {k: f"{k}.png" for k, v in charts.items() if v},
           "missing_charts": {k: MISSING[k] for k, v in charts.items() if not v and k in MISSING}}
    files = ["index.html", "report.json"] + [f"{k}.png" for k, v in charts.items() if v]
    with staged_dir(out, force) as tmp:
        (tmp / "index.html").write_text(page, encoding="utf-8")
        for key, png in charts.items():
            if png:
                (tmp / f"{key}.png").write_bytes(png)
        (tmp / "report.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return ReportResult(Path(out), tuple(files), doc)
