"""Build, evaluate and benchmark EfficientNet-Lite0..4 on this machine: docs/benchmarks.md's table and chart.

Run by hand (not in tests); it takes tens of minutes on 2 cores:

    .venv/bin/python benchmarks/variants.py                  # all five variants
    .venv/bin/python benchmarks/variants.py --variants lite0,lite1 --runs 50

For each variant it runs ``effkit build --target cpu`` (one process per build) for
int8 and, where real weights exist, float32 too, then ``effkit eval --save`` on the
labelled images and ``effkit bench --save`` (each model in a fresh process). lite3
and lite4 have no bundled weights: unless ``--ckpt lite3=DIR`` names an official
checkpoint they are built with ``--weights random`` and calibrated on a few of the
images, which gives their latency only (labelled so; no accuracy).

Writes ``benchmarks/results/variants.json`` (every figure), ``variants.md`` (the
table in docs/benchmarks.md), ``accuracy_latency.png`` and ``latency.png`` (effkit report's charts). Build
folders go to ``--work`` (default ``build/benchmarks``, ignored by git); finished builds
are reused unless ``--rebuild``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from shared_data import SHARED  # benchmarks/ runs as scripts: their folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = SHARED / "imagenet-dev"
RANDOM_CALIBRATION = 32


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", default="lite0,lite1,lite2,lite3,lite4")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="labelled images for eval")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "benchmarks")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ckpt", action="append", default=[], metavar="VARIANT=DIR",
                    help="official checkpoint folder for a variant without bundled weights")
    ap.add_argument("--no-float", action="store_true", help="skip the float32 builds")
    ap.add_argument("--rebuild", action="store_true", help="rebuild finished builds")
    return ap.parse_args(argv)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def build(variant: str, quant: str, weights: str | None, calibration: Path | None,
          folder: Path, rebuild: bool) -> dict:
    if (folder / "build.json").is_file() and not rebuild:
        log(f"reusing {folder}")
        return json.loads((folder / "build.json").read_text())
    argv = [sys.executable, "-m", "effkit.cli.main", "build", "--variant", variant, "--target", "cpu",
            "--quant", quant, "--out", str(folder), "--force", "--json"]
    if weights:
        argv += ["--weights", weights]
    if calibration is not None:
        argv += ["--calibration", str(calibration), "--calibration-size", str(RANDOM_CALIBRATION)]
    log(f"building {variant} {quant} -> {folder}")
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = [ln for ln in proc.stderr.splitlines() if ln.strip()][-3:]
        raise SystemExit(f"build of {variant} {quant} failed:\n" + "\n".join(tail))
    return json.loads(proc.stdout)


def main(argv: list[str] | None = None) -> int:
    a = _args(argv)
    from effkit.analysis.bench import bench_model, machine_info
    from effkit.analysis.evaluate import evaluate_files
    from effkit.analysis.report.page import build_report
    from effkit.analysis.saved_results import save_result
    from effkit.core.outputs import write_file_atomic
    from effkit.model.variants import get_variant

    ckpts = dict(item.split("=", 1) for item in a.ckpt)
    variants = [get_variant(v.strip()) for v in a.variants.split(",") if v.strip()]
    a.work.mkdir(parents=True, exist_ok=True)
    rows, folders = [], []
    for var in variants:
        weights = ckpts.get(var.name)
        real = bool(var.pth_package or weights)
        if not real:
            weights = "random"
        quants = ["int8"] + (["float32"] if real and not a.no_float else [])
        row: dict = {"variant": var.name, "resolution": var.resolution, "weights": weights or "bundled",
                     "real_weights": real, "published": {
                         "top1_fp32": var.published.top1_fp32, "top1_int8": var.published.top1_int8,
                         "pixel4_ms_fp32": var.published.cpu_ms_fp32,
                         "pixel4_ms_int8": var.published.cpu_ms_int8}}
        for quant in quants:
            folder = a.work / f"{var.name}-{quant}"
            manifest = build(var.name, quant, weights if weights != "bundled" else None,
                             a.data if not real and quant == "int8" else None, folder, a.rebuild)
            model = folder / "model.tflite"
            fig: dict = {"size_mb": round(model.stat().st_size / 1e6, 2),
                         "build_s": manifest.get("timings_s", {}).get("total"),
                         "calibration": (manifest.get("calibration") or {}).get("source")}
            if real:
                log(f"evaluating {var.name} {quant} on {a.data}")
                doc = evaluate_files(model, a.data, threads=a.threads)
                save_result(model, "eval", doc, force=True)
                fig.update(top1=doc["top1"], top5=doc["top5"], images=doc["count"])
            log(f"benchmarking {var.name} {quant}: {a.runs} runs, {a.threads} thread(s)")
            r = bench_model(model, runs=a.runs, warmup=a.warmup, threads=a.threads)
            bench_doc = r.to_dict()  # what `effkit bench --save` writes
            save_result(model, "bench", bench_doc, force=True)
            fig.update(latency_ms=bench_doc["latency"], peak_rss_mb=r.peak_rss_mb,
                       load_avg_1m=bench_doc["machine"]["load_avg_1m"])
            row[quant] = fig
            folders.append(folder)
        rows.append(row)
        log(f"{var.name}: " + json.dumps({q: {k: row[q].get(k) for k in ("top1", "size_mb")}
                                         for q in quants}))

    machine = machine_info()
    doc = {"machine": machine, "data": os.path.relpath(a.data.resolve(), ROOT), "runs": a.runs,
           "warmup": a.warmup,
           "threads": a.threads, "variants": rows}
    a.out.mkdir(parents=True, exist_ok=True)
    write_file_atomic(a.out / "variants.json", (json.dumps(doc, indent=2) + "\n").encode(), force=True)
    write_file_atomic(a.out / "variants.md", markdown(doc).encode(), force=True)
    report = build_report(folders, a.work / "report", force=True)
    for name in ("accuracy_latency.png", "latency.png"):
        if name in report.files:
            shutil.copyfile(report.out_dir / name, a.out / name)
    log(f"wrote {a.out}/variants.md, variants.json and charts; full report {report.out_dir}/index.html")
    print(markdown(doc))
    return 0


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def markdown(doc: dict) -> str:
    m = doc["machine"]
    lines = [
        "| variant | input | weights | top-1 float32 | top-1 int8 | int8 − float (pt) | top-5 int8 "
        "| int8 p50 (ms) | int8 p90 (ms) | float32 p50 (ms) | int8 speed-up | int8 size (MB) "
        "| int8 peak RSS (MiB) | published top-1 int8 / Pixel 4 int8 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["variants"]:
        i8, f32 = r.get("int8") or {}, r.get("float32") or {}
        t8, tf = i8.get("top1"), f32.get("top1")
        drop = f"{100 * (t8 - tf):+.1f}" if t8 is not None and tf is not None else "–"
        p8 = (i8.get("latency_ms") or {}).get("p50")
        pf = (f32.get("latency_ms") or {}).get("p50")
        weights = "bundled (ImageNet)" if r["weights"] == "bundled" else (
            "random: latency only" if r["weights"] == "random" else "official checkpoint")
        pub = r["published"]
        lines.append(
            f"| {r['variant']} | {r['resolution']} | {weights} | {_pct(tf)} | {_pct(t8)} | {drop} "
            f"| {_pct(i8.get('top5'))} | {p8:.1f} | {(i8.get('latency_ms') or {}).get('p90', 0):.1f} "
            f"| {'–' if pf is None else f'{pf:.1f}'} | {'–' if pf is None else f'{pf / p8:.2f}x'} "
            f"| {i8.get('size_mb', 0):.1f} | {i8.get('peak_rss_mb', 0):.0f} "
            f"| {pub['top1_int8']} / {pub['pixel4_ms_int8']} |")
    images = next((r["int8"].get("images") for r in doc["variants"] if r["int8"].get("images")), "?")
    loads = [f.get("load_avg_1m") for r in doc["variants"] for q in ("int8", "float32")
             for f in [r.get(q) or {}] if f.get("load_avg_1m") is not None]
    lines += [
        "",
        f"Measured by `benchmarks/variants.py` on {m['cpu']} ({m['cores']} cores), "
        f"ai-edge-litert {m['ai_edge_litert']} with XNNPACK, {doc['threads']} thread(s), "
        f"median of {doc['runs']} runs after {doc['warmup']} warm-up runs, each model in a fresh "
        f"process. Accuracy on {images} imagenet-dev photos (one per even class; easier than "
        "ImageNet val, so use it for relative figures). Published figures: tensorflow/tpu "
        "(ImageNet val, Pixel 4 CPU)."
        + (f" Load average while timing: {min(loads):.1f}-{max(loads):.1f}." if loads else ""),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
