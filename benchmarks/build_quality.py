"""Issue 2's benchmark: what quantization costs and what a build takes, per variant.

For lite0, lite1 and lite2 (bundled weights), on ../shared/data/imagenet-dev (500 images):
  * float top-1 of the Keras model;
  * int8 top-1 with the default calibration (distilled, no data) and with 100 real
    images (spread evenly over the 500; top-1 also reported on the 400 held out);
  * wall time per stage, peak memory (max RSS of the build process) and model size.

Each build runs as its own `effkit build --json` process (cold: a fresh Python, nothing
imported). `--cold` points EFFKIT_CACHE_DIR at an empty folder, as on a new machine or a
CI job with a fresh cache: the default build then uses the distilled set shipped in the
wheel for the bundled weights (or distills, for other weights).

    python benchmarks/build_quality.py [--variants lite0,lite1,lite2] [--cold]

Writes benchmarks/results/build_quality.json and .md (the table in docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shared_data import SHARED  # benchmarks/ runs as scripts: their folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def effkit_build(args: list[str], env: dict) -> tuple[dict, float, int]:
    """Run one build in a fresh process: (manifest, wall seconds, peak RSS bytes of that process)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", "from effkit.cli.main import main; main()",
                                 "build", *args, "--json"], stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"build failed: {err.read().strip()}")
        return json.loads(out.read()), wall, usage.ru_maxrss * 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="lite0,lite1,lite2")
    ap.add_argument("--cold", action="store_true", help="an empty EFFKIT_CACHE_DIR for every build")
    args = ap.parse_args()

    from effkit.analysis.evaluate import (
        TFLiteClassifier,
        evaluate,
        imagenet_style,
        keras_predictor,
        wnid_index_from_tsv,
    )
    from effkit.calibration.sets import pick_evenly
    from effkit.model.network import build_model
    from effkit.model.variants import get_variant
    from effkit.weights.load import load_weights

    index = wnid_index_from_tsv(SHARED / "imagenet_classes.tsv")
    items = imagenet_style(SHARED / "imagenet-dev", index)
    calib_items = pick_evenly(items, 100)
    held_out = [it for it in items if it not in calib_items]
    work = Path(tempfile.mkdtemp(prefix="effkit-bench-"))
    calib_dir = work / "calib100"
    calib_dir.mkdir()
    for it in calib_items:
        (calib_dir / it.path.name).symlink_to(it.path)
    env = dict(os.environ)
    if args.cold:
        env["EFFKIT_CACHE_DIR"] = str(work / "empty-cache")
    rows = []
    for name in args.variants.split(","):
        variant = get_variant(name)
        model = build_model(variant)
        load_weights(model, variant)
        float_res = evaluate(keras_predictor(model), variant.resolution, items)
        row = {"variant": name, "float_top1": float_res.top1}
        if args.cold:
            shutil.rmtree(env["EFFKIT_CACHE_DIR"], ignore_errors=True)
        for tag, extra in (("distilled", []), ("real100", ["--calibration", str(calib_dir)])):
            out = work / f"{name}-{tag}"
            manifest, wall, peak = effkit_build(["--variant", name, "--out", str(out), *extra], env)
            clf = TFLiteClassifier(out / "model.tflite")
            res = evaluate(clf.scores, clf.resolution, items)
            row[tag] = {
                "int8_top1": res.top1, "drop_points": round(100 * (float_res.top1 - res.top1), 2),
                "wall_s": round(wall, 1), "stages_s": manifest["timings_s"],
                "peak_rss_mb": round(peak / 2**20), "model_mb": round(
                    (out / "model.tflite").stat().st_size / 1e6, 2),
                "calibration": manifest["calibration"],
            }
            if tag == "real100":
                held = evaluate(clf.scores, clf.resolution, held_out)
                float_held = evaluate(keras_predictor(model), variant.resolution, held_out)
                row[tag]["held_out_int8_top1"] = held.top1
                row[tag]["held_out_float_top1"] = float_held.top1
            print(json.dumps({name: {tag: row[tag]}}), flush=True)
        rows.append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                       "load_average": os.getloadavg()}, "cold": args.cold, "rows": rows}
    (RESULTS / "build_quality.json").write_text(json.dumps(doc, indent=2) + "\n")
    (RESULTS / "build_quality.md").write_text(markdown(rows))
    print(markdown(rows))
    shutil.rmtree(work, ignore_errors=True)


def markdown(rows: list[dict]) -> str:
    lines = [
        "| variant | float top-1 | int8, default (distilled) | drop | int8, 100 real images | drop "
        "| drop on the 400 held out | build wall s (default / real100) | ratio | peak RSS MiB "
        "(default / real100) | default calibration from | model MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        d, q = r["distilled"], r["real100"]
        held = 100 * (q["held_out_float_top1"] - q["held_out_int8_top1"])
        lines.append(
            f"| {r['variant']} | {100 * r['float_top1']:.1f}% | {100 * d['int8_top1']:.1f}% | "
            f"{d['drop_points']:+.1f} | {100 * q['int8_top1']:.1f}% | {q['drop_points']:+.1f} | "
            f"{held:+.2f} | {d['wall_s']:.0f} / {q['wall_s']:.0f} | {d['wall_s'] / q['wall_s']:.2f}x | "
            f"{d['peak_rss_mb']} / {q['peak_rss_mb']} | {d['calibration'].get('origin', '?')} | "
            f"{q['model_mb']:.2f} |")
    return "\n".join(lines) + "\n"


def rewrite_markdown() -> None:
    """Regenerate the .md from the .json without measuring again."""
    doc = json.loads((RESULTS / "build_quality.json").read_text())
    (RESULTS / "build_quality.md").write_text(markdown(doc["rows"]))


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown-only"]:
        rewrite_markdown()
    else:
        main()
