"""The ``effkit report`` page: build folders (``collect``) and charts (``charts``) -> one
self-contained HTML page (charts embedded as base64 PNGs, every string from a file
HTML-escaped) and the PNG files."""


from __future__ import annotations

import base64
import datetime as _dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from effkit.analysis.report.charts import CHART_TITLES, MISSING, draw_charts
from effkit.analysis.report.collect import (
    BuildEntry,
    is_number,
    load_build,
    named_apart,
    read_json,
    sort_key,
)
from effkit.core.manifest import MANIFEST_NAME, QUANT_REPORT_FILE
from effkit.core.outputs import Ownership, check_output_dir, staged_dir
from effkit.core.resources import data_file
from effkit.errors import DataError

# ---------------------------------------------------------------------------
# HTML (data/report.html.jinja, autoescaped: every string from a file is HTML-escaped)

COLUMNS = ("build", "variant", "target", "quantization", "weights", "calibration", "size (MB)", "top-1 (%)",
           "top-5 (%)", "images", "p50 (ms)", "p90 (ms)", "p99 (ms)", "peak RSS (MiB)",
           "build (s)", "Edge TPU ops", "TPU params on/off chip (MiB)")
TEXT_COLUMNS = 6  # build, variant, target, quantization, weights, calibration; numbers after


def _base64(png: bytes | None) -> str | None:
    return base64.b64encode(png).decode("ascii") if png else None


def _fmt(value: object, spec: str, scale: float = 1.0) -> str | None:
    return format(value * scale, spec) if is_number(value) else None


def _row(e: BuildEntry) -> list[object]:
    lat = e.bench["latency"] if e.bench else {}
    tpu = e.tpu_counts
    calib = e.calibration or {}
    return [
        e.name, e.variant, e.target, f"{e.quant} ({e.io} I/O)", e.weights,
        f"{calib.get('source')} x{calib.get('count')}" if calib else None,
        _fmt(e.model_bytes, ".2f", 1e-6), _fmt(e.top1, ".1f", 100), _fmt(e.top5, ".1f", 100),
        e.eval.get("count") if e.eval else None,
        _fmt(lat.get("p50"), ".2f"), _fmt(lat.get("p90"), ".2f"), _fmt(lat.get("p99"), ".2f"),
        _fmt(e.bench.get("peak_rss_mb") if e.bench else None, ".0f"),
        _fmt(e.timings.get("total"), ".0f"),
        f"{tpu['ops_tpu']}/{tpu['ops_tpu'] + tpu['ops_cpu']}"
        + ("" if tpu.get("source") == "edgetpu_compiler" else " (predicted)") if tpu else None,
        f"{_fmt(tpu['on_chip_bytes'], '.2f', 2**-20)}/{_fmt(tpu['off_chip_bytes'], '.2f', 2**-20)}"
        if tpu and is_number(tpu.get("on_chip_bytes")) else None,
    ]


def render_html(entries: Sequence[BuildEntry], charts: dict[str, bytes | None],
                generated: str | None = None) -> str:
    """The report page: summary table, charts as data URIs, warnings. Self-contained."""
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    template = env.from_string(data_file("report.html.jinja").read_text(encoding="utf-8"))
    machines = {_machine_text(e) for e in entries if e.bench}
    machine = next((m for e in entries if e.bench and _machine_ok(m := e.bench.get("machine"))),
                   None) if len(machines) == 1 else None  # several: the notes name them
    return template.render(
        generated=generated or _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        machine=machine, columns=COLUMNS, text_columns=TEXT_COLUMNS,
        rows=[_row(e) for e in entries],
        notes=[("all builds", w) for w in comparison_warnings(entries)]
        + [(e.name, w) for e in entries for w in e.warnings],
        charts=[{"key": key, "title": title, "missing": MISSING.get(key, ""),
                 "png": _base64(charts.get(key))}
                for key, title in (CHART_TITLES | _quant_titles(entries)).items()])


def _machine_text(e: BuildEntry) -> str:
    machine = e.bench.get("machine") if e.bench else None
    if not _machine_ok(machine):
        return "a machine bench.json does not name"
    assert isinstance(machine, dict)  # what _machine_ok checked
    return f"{machine['cpu']} ({machine['cores']} cores)"


def comparison_warnings(entries: Sequence[BuildEntry]) -> list[str]:
    """What makes the builds' latencies not comparable side by side: measured on different
    machines, or with different thread counts (the page named the first build's machine for
    all, and only the chart's axis said "mixed thread counts": an outside walk)."""
    from effkit.analysis.report.charts import threads_text

    benched = [e for e in entries if e.bench]
    out = []
    for what, key in (("machines", _machine_text), ("thread counts", lambda e: threads_text([e]))):
        groups: dict[str, list[str]] = {}
        for e in benched:
            groups.setdefault(key(e), []).append(e.name)
        if len(groups) > 1:
            out.append(f"the latencies were measured on different {what} ("
                       + "; ".join(f"{k}: {', '.join(v)}" for k, v in groups.items())
                       + "): compare them with care")
    return out


def _machine_ok(machine: object) -> bool:
    """A bench record's machine with the fields the page shows (a hand-edited one may lack them)."""
    return (isinstance(machine, dict) and isinstance(machine.get("cpu"), str)
            and is_number(machine.get("cores")))


def _quant_key(index: int) -> str:
    return f"quant_layers_{index}"


def _quant_titles(entries: Sequence[BuildEntry]) -> dict[str, str]:
    return {_quant_key(i): f"Per-layer SNR, int8 vs float: {e.name}" for i, e in enumerate(entries)
            if e.quant_report is not None}


def _quant_charts(entries: Sequence[BuildEntry]) -> dict[str, bytes | None]:
    """The per-layer chart of every build whose quant_report.json (effkit build
    --quant-report) is of its own model (``load_build`` leaves another model's out)."""
    from effkit.analysis.quant_report.page import chart_png

    out: dict[str, bytes | None] = {}
    for i, e in enumerate(entries):
        if e.quant_report is not None:
            try:
                out[_quant_key(i)] = chart_png(e.quant_report)
            except (KeyError, TypeError, ValueError):
                raise DataError(f"{str(e.folder / QUANT_REPORT_FILE)!r} is not an effkit quant report",
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


REPORT_NAME = "report.json"


def report_written(folder: Path) -> frozenset[str] | None:
    """The files effkit wrote into a report folder, from its report.json (None: not one)."""
    try:
        doc = read_json(Path(folder) / REPORT_NAME, "report")
    except DataError:
        return None
    charts = doc.get("charts")
    if not isinstance(doc.get("builds"), list) or not isinstance(charts, dict) \
            or not all(isinstance(v, str) for v in charts.values()):
        return None
    return frozenset({"index.html", REPORT_NAME, *charts.values()})


# 'effkit report --force' replaces a report folder holding nothing else
REPORT_OUTPUT = Ownership("report", REPORT_NAME, report_written)


def build_report(folders: Sequence[Path], out: Path, force: bool = False) -> ReportResult:
    """Read the build folders, draw the charts, write ``index.html``, the PNGs and
    ``report.json`` into ``out`` (staged, then renamed into place)."""
    if not folders:
        raise DataError("no build folders given", "pass one or more folders written by 'effkit build'")
    seen: set[Path] = set()
    entries = []
    skipped = not_build_folders(folders) if len(folders) > 1 else []
    for f in folders:
        resolved = Path(f).resolve()
        if resolved not in seen and Path(f) not in skipped:
            seen.add(resolved)
            entries.append(load_build(Path(f)))
    if not entries:
        raise DataError(f"none of the {len(folders)} folders is an effkit build folder "
                        f"(no {MANIFEST_NAME})", "pass folders written by 'effkit build'")
    # never in, around or as a folder it reads
    check_output_dir(out, force, inputs=folders, owner=REPORT_OUTPUT)
    entries = named_apart(sorted(entries, key=sort_key))
    charts = draw_charts(entries) | _quant_charts(entries)
    page = render_html(entries, charts)
    doc = {"builds": [e.to_dict() for e in entries], "skipped": [str(p) for p in skipped],
           "warnings": comparison_warnings(entries),
           "charts": {k: f"{k}.png" for k, v in charts.items() if v},
           "missing_charts": {k: MISSING[k] for k, v in charts.items() if not v and k in MISSING}}
    files = ["index.html", REPORT_NAME] + [f"{k}.png" for k, v in charts.items() if v]
    with staged_dir(out, force, REPORT_OUTPUT) as tmp:
        (tmp / "index.html").write_text(page, encoding="utf-8")
        for key, png in charts.items():
            if png:
                (tmp / f"{key}.png").write_bytes(png)
        (tmp / REPORT_NAME).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return ReportResult(Path(out), tuple(files), doc)
