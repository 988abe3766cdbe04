"""Issue 11: what distilling a calibration set costs, in memory and time, per variant.

Each measurement is a fresh process that builds the model (``--weights random``: the
shipped sets cover only the bundled weights, so these are the weights that distil),
distils with the default settings (32 images, batch 32) and reports its peak RSS
(``ru_maxrss``) and the seconds per optimization step (the median step, each batch's
first step, which traces the graph, left out). ``--steps`` shortens the run: memory does
not grow with the steps (each step frees its activations), and the time scales with them.

    python benchmarks/distill_memory.py [--variants lite0,lite2,lite4] [--steps 50]
        [--baseline REV [--baseline-variants lite0,lite2]]
                           # also the full-batch implementation of an older commit

Writes benchmarks/results/distill_memory.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def one(variant_name: str, steps: int, baseline: str | None) -> None:
    """Child process: build, distil, print JSON."""
    from dataclasses import replace

    from effkit.calibration.distill import DistillSettings, distill, micro_batch_for
    from effkit.model.network import build_model
    from effkit.model.variants import get_variant
    from effkit.weights.load import load_weights

    variant = get_variant(variant_name)
    model = build_model(variant)
    load_weights(model, variant, "random")
    settings = replace(DistillSettings(), steps=steps)
    stamps: list[float] = []
    firsts: list[bool] = []

    def tick(done: int, total: int) -> None:
        stamps.append(time.perf_counter())
        firsts.append((done - 1) % steps == 0)

    start = time.perf_counter()
    if baseline:  # the implementation of an older commit, read from git (full batch on one tape)
        source = baseline_source(baseline)
        old = types.ModuleType("effkit_baseline_calibration")
        sys.modules[old.__name__] = old  # dataclasses look their module up
        exec(compile(source, f"{baseline}:calibration.py", "exec"), old.__dict__)  # noqa: S102
        old_settings = old.DistillSettings(steps=steps)
        old._distill(model, variant, old_settings, tick)
        micro, count = settings.batch, old_settings.count
    else:
        distill(model, variant, settings, tick)
        micro, count = micro_batch_for(variant), settings.count
    seconds = time.perf_counter() - start
    # Steady state: the median step, leaving out each batch's first (tracing, warm-up).
    gaps = [b - a for a, b, first in zip(stamps, stamps[1:], firsts[1:], strict=False) if not first]
    print(json.dumps({"seconds": seconds, "per_step_s": statistics.median(gaps) if gaps else seconds,
                      "micro_batch": micro, "default_images": count,
                      "default_steps": (count + settings.batch - 1) // settings.batch * 50}))


# Where the calibration module lived: full-batch distillation predates the package's
# layout of 2026-12-05, whose modules moved (effkit/calibration.py -> calibration/sets.py).
_BASELINE_PATHS = ("toolkit/effkit/calibration/sets.py", "toolkit/effkit/calibration.py")
# the earlier layout's modules that file imports, and where the same names live now
_MOVED = {"effkit.preprocess": "effkit.model.preprocess", "effkit.variants": "effkit.model.variants"}


def baseline_source(rev: str) -> str:
    """The calibration module of revision ``rev``, its earlier imports mapped to today's."""
    import importlib

    for path in _BASELINE_PATHS:
        shown = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True,
                               text=True)
        if shown.returncode == 0:
            for old_name, new_name in _MOVED.items():
                sys.modules.setdefault(old_name, importlib.import_module(new_name))
            return shown.stdout
    raise SystemExit(f"{rev}: none of {', '.join(_BASELINE_PATHS)} in git (a revision of this repository?)")


def measure(variant: str, steps: int, baseline: str | None) -> dict:
    argv = [sys.executable, __file__, "--one", variant, "--steps", str(steps)]
    if baseline:
        argv += ["--baseline", baseline]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            last = (err.read().strip().splitlines() or ["(nothing on stderr)"])[-1]
            raise SystemExit(f"{variant}: measurement failed: {last}")
        out.seek(0)
        doc = json.loads(out.read().strip().splitlines()[-1])
    return {"variant": variant, "implementation": f"full batch ({baseline})" if baseline else "micro-batched",
            "steps": steps, "peak_rss_mb": round(usage.ru_maxrss / 1024), **doc,
            "default_set_s": round(doc["per_step_s"] * doc["default_steps"], 1),
            "load_average": os.getloadavg()[0]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="lite0,lite2,lite4")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--baseline", default=None)
    ap.add_argument("--baseline-variants", default=None,
                    help="measure the baseline only for these (default: every variant)")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        one(args.one, args.steps, args.baseline)
        return
    rows = []
    for name in args.variants.split(","):
        wanted = args.baseline and (args.baseline_variants is None
                                    or name in args.baseline_variants.split(","))
        for baseline in ([None, args.baseline] if wanted else [None]):
            rows.append(measure(name, args.steps, baseline))
            print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    doc = {"machine": machine, "rows": rows}
    (RESULTS / "distill_memory.json").write_text(json.dumps(doc, indent=2) + "\n")
    print(markdown(rows))


def markdown(rows: list[dict]) -> str:
    lines = ["| variant | implementation | micro-batch | peak RSS MiB | s per step (batch 32) "
             "| default set: images, steps, s (steps x s per step) |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['variant']} | {r['implementation']} | {r['micro_batch']} | {r['peak_rss_mb']} | "
                     f"{r['per_step_s']:.2f} | {r['default_images']}, {r['default_steps']}, "
                     f"{r['default_set_s']:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
