"""Issue 22: which calibration keeps the float model's answers, chosen on one half of the
photos and reported on the other.

    nice -n 15 python benchmarks/calibration_fidelity.py lite0 shipped real100 \\
        distill:count=64,steps=100 --snapshots 50,100 --tag explore

The split (written into every result): ../shared/data/imagenet-dev sorted by file name,
even positions (0, 2, ...) = the *choosing* half, odd positions = the *held-out* half, 250
photos each. Settings are compared on the choosing half only; the held-out figures are
for the report.

Calibrations (one spec each):
  * ``shipped``: the set shipped in the wheel (effkit/data/distilled-<variant>.npz);
  * ``realN``: N photos of the choosing half, spread evenly (as ``effkit build
    --calibration`` picks them); ``realN@K`` rotates the half by K photos first (others);
  * ``distill:k=v,...``: a set distilled now with effkit.calibration.distill.DistillSettings(k=v...);
    with ``--snapshots 50,100`` (constant rate only) also every smaller set of whole
    batches at those steps (step k of a longer run is exactly a k-step run);
  * ``npz:PATH``: a pixel set written by effkit.calibration.pixel_sets;
  * ``default``: what the first build of weights without a shipped set calibrates on
    (distilled now with DistillSettings(), timed).

``--weights model.weights.h5`` (from ``effkit train``) measures a fine-tuned model: its
classes are not ImageNet's, so only agreement and KL (on the same photos).

Each calibration gets a full-integer build exactly as ``effkit build`` makes it (pinned
uint8 input, bias-corrected unless ``--bias-correction off``; ``both`` measures each
way) and is measured on all 500 photos with effkit.analysis.evaluate.fidelity: top-1
against the labels, top-1 agreement with the float Keras model, mean KL(float || int8)
of the probabilities (int8: the softmax of the int8 model's own logits, since its 8-bit
softmax output holds exact zeros) and the cosine of the two output vectors. The drop comes
with its paired counts (``broken``: float right, int8 wrong; ``fixed``: the reverse) and
its standard error, shown as ``+0.8 ± 1.0`` in the tables. Also the logits range the
converter chose and the float logits' range on the calibration set; the label-free
measures on the tests' 48 photo views (``fixtures``, tests/photos.py); and the same model
run by XNNPACK, LiteRT's default CPU kernels (``xnnpack``: top-1 and agreement; the
figures above come from the reference kernels, the only ones that expose the logits).

One JSON line per calibration goes to benchmarks/results/calibration_fidelity.jsonl;
``--markdown`` rewrites calibration_fidelity.md from it.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import itertools
import json
import os
import sys
import time
from dataclasses import replace
from importlib import metadata
from pathlib import Path

import numpy as np
from shared_data import SHARED  # benchmarks/ runs as scripts: their folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
JSONL = RESULTS / "calibration_fidelity.jsonl"
SPLIT = ("imagenet-dev sorted by file name; even positions (0, 2, ...) choose, odd positions "
         "(1, 3, ...) are held out; 250 photos each")


def split(items: list) -> tuple[list[int], list[int]]:
    """Positions of the choosing half and of the held-out half (items sorted by file name)."""
    order = sorted(range(len(items)), key=lambda i: items[i].path.name)
    return order[0::2], order[1::2]


def parse_settings(text: str):
    from dataclasses import fields

    from effkit.calibration.distill import DistillSettings

    types = {f.name: f.type for f in fields(DistillSettings)}
    kw = {}
    for pair in filter(None, text.split(",")):
        k, v = pair.split("=")
        kind = types[k]
        kw[k] = (v.lower() in ("1", "true", "yes") if kind in (bool, "bool")
                 else int(v) if kind in (int, "int") else float(v) if kind in (float, "float") else v)
    return DistillSettings(**kw)


class Bench:
    def __init__(self, variant_name: str, weights: Path | None = None):
        from effkit.analysis.evaluate import imagenet_style, wnid_index_from_tsv
        from effkit.model.network import build_model, logits_model
        from effkit.model.preprocess import iter_images, normalize
        from effkit.model.variants import get_variant
        from effkit.weights.load import load_weights

        self.variant = get_variant(variant_name)
        classes = 1000
        if weights is not None:  # effkit train's output: labels.txt next to the weights
            from effkit.model.labels import Labels

            classes = len(Labels.from_file(weights.parent / "labels.txt"))
        self.model = build_model(self.variant, num_classes=classes)
        load_weights(self.model, self.variant, weights)
        self.logits_model = logits_model(self.model)
        index = wnid_index_from_tsv(SHARED / "imagenet_classes.tsv")
        self.items = imagenet_style(SHARED / "imagenet-dev", index)
        loaded = dict(iter_images([it.path for it in self.items], self.variant.resolution))
        if len(loaded) != len(self.items):
            raise SystemExit("some imagenet-dev photos could not be read")
        self.pixels = np.stack([loaded[it.path] for it in self.items])
        # Other weights classify into other classes: label-free measures only.
        self.labels = np.array([it.label for it in self.items]) if weights is None else None
        self.choose, self.held = split(self.items)
        x = normalize(self.pixels, self.variant.norm_mean, self.variant.norm_std)
        self.float_logits = self.logits_model.predict(x, batch_size=25, verbose=0).astype(np.float64)
        from effkit.analysis.evaluate import softmax

        self.float_probs = softmax(self.float_logits)
        # The tests' own photos (48 views of 4 scikit-image photos), label-free: issue 22
        # asks for agreement and KL on every image the project can use.
        self.fixture_pixels = fixture_pixels(self.variant.resolution)
        self.fixture_float_probs = softmax(self.logits_model.predict(
            normalize(self.fixture_pixels, self.variant.norm_mean, self.variant.norm_std),
            batch_size=24, verbose=0).astype(np.float64))

    def real(self, n: int, shift: int = 0) -> np.ndarray:
        """``n`` photos of the choosing half spread evenly, as ``--calibration`` picks them;
        ``shift`` rotates the half first, so other photos are picked (the spread of
        real-photo calibrations)."""
        from effkit.calibration.sets import pick_evenly
        from effkit.model.preprocess import normalize

        half = list(self.choose)
        chosen = pick_evenly(half[shift:] + half[:shift], n)
        return normalize(self.pixels[chosen], self.variant.norm_mean, self.variant.norm_std)

    def measure(self, inputs: np.ndarray, bias_correction: bool = True,
                rounding: str = "nearest") -> dict:
        from effkit.analysis.evaluate import TFLiteClassifier, fidelity, softmax
        from effkit.pipeline.convert import ConvertOptions, convert, pin_input_range

        v = self.variant
        start = time.perf_counter()
        tflite = convert(self.model, ConvertOptions(bias_correction=bias_correction,
                                                    weight_rounding=rounding),
                         pin_input_range(inputs, v.norm_mean, v.norm_std))
        clf = TFLiteClassifier(tflite, threads=2, xnnpack=False, preserve_all_tensors=True)
        pairs = [clf.scores_and_logits(px) for px in self.pixels]
        scores = np.stack([p[0] for p in pairs])
        q_probs = softmax(np.stack([p[1] for p in pairs]))
        detail = clf.logits_detail()
        scale, zero = detail["quantization"]
        info = np.iinfo(detail["dtype"])
        calib_logits = self.logits_model.predict(inputs, batch_size=8, verbose=0)
        out = {"bias_correction": bias_correction, "weight_rounding": rounding,
               "seconds_convert_and_run": round(time.perf_counter() - start, 1),
               "int8_logits_range": [round((info.min - zero) * scale, 2),
                                     round((info.max - zero) * scale, 2)],
               "calibration_float_logits": [round(float(calib_logits.min()), 2),
                                            round(float(calib_logits.max()), 2)],
               "calibration_top_prob_median": round(float(np.median(softmax(calib_logits).max(1))), 3)}
        for name, idx in (("choose", self.choose), ("held_out", self.held),
                          ("all", list(range(len(self.items))))):
            labels = None if self.labels is None else self.labels[idx]
            out[name] = fidelity(self.float_probs[idx], scores[idx], quant_probs=q_probs[idx],
                                 labels=labels).to_dict()
        pairs = [clf.scores_and_logits(px) for px in self.fixture_pixels]
        out["fixtures"] = fidelity(self.fixture_float_probs, np.stack([p[0] for p in pairs]),
                                   quant_probs=softmax(np.stack([p[1] for p in pairs]))).to_dict()
        # The same model run by XNNPACK, LiteRT's default CPU kernels (what effkit eval, the
        # Pi scripts and a phone's CPU run): its int8 arithmetic rounds differently from the
        # reference kernels above, which alone can expose the logits. Top-1 and agreement only.
        fast = TFLiteClassifier(tflite, threads=2)
        if not fast.delegated:
            raise SystemExit("XNNPACK did not take the int8 model: no XNNPACK column to measure")
        xnn = np.stack([fast.scores(px) for px in self.pixels])
        xnn_fixtures = np.stack([fast.scores(px) for px in self.fixture_pixels])
        out["xnnpack"] = {"top1_differs_from_reference": int(np.sum(xnn.argmax(1) != scores.argmax(1)))}
        for name, idx in (("choose", self.choose), ("held_out", self.held)):
            labels = None if self.labels is None else self.labels[idx]
            out["xnnpack"][name] = _without_kl(fidelity(self.float_probs[idx], xnn[idx], labels=labels))
        out["xnnpack"]["fixtures"] = _without_kl(fidelity(self.fixture_float_probs, xnn_fixtures))
        return out


def _without_kl(f) -> dict:
    """A Fidelity's figures but its KL, taken on an 8-bit softmax (exact zeros) here."""
    return {k: v for k, v in f.to_dict().items() if k != "kl"}


def fixture_pixels(resolution: int) -> np.ndarray:
    """The tests' photos (tests/photos.py), preprocessed as every figure is."""
    import tempfile

    from effkit.model.preprocess import list_images, load_image

    sys.path.insert(0, str(ROOT / "tests"))
    from photos import write_photos

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_photos(Path(tmp) / "photos")
        return np.stack([load_image(p, resolution) for p in list_images(folder)])


def versions() -> dict:
    import tensorflow as tf

    return {"python": sys.version.split()[0], "tensorflow": tf.__version__,
            "ai-edge-litert": metadata.version("ai-edge-litert"),
            "effkit": metadata.version("effkit")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variant")
    ap.add_argument("specs", nargs="+")
    ap.add_argument("--snapshots", default="", help="steps at which to also measure (constant rate)")
    ap.add_argument("--tag", default="", help="a name for this run in the results")
    ap.add_argument("--weights", type=Path, help="other weights (effkit train's model.weights.h5, "
                    "labels.txt next to it): agreement and KL only")
    ap.add_argument("--keep", type=Path, help="save each distilled set (uint8 .npy) in this folder")
    ap.add_argument("--bias-correction", choices=("on", "off", "both"), default="on",
                    help="int8 builds with effkit's bias correction, without, or both (one row each)")
    ap.add_argument("--rounding", choices=("nearest", "gptq", "both"), default="nearest",
                    help="int8 weights rounded to nearest (the converter's), by GPTQ, or both")
    args = ap.parse_args()
    from effkit.calibration import pixel_sets
    from effkit.calibration.distill import distill
    from effkit.model.preprocess import normalize

    bench = Bench(args.variant, args.weights)
    v = bench.variant
    common = {"variant": v.name, "tag": args.tag, "weights": str(args.weights or "bundled"),
              "split": SPLIT, "versions": versions(),
              "date": datetime.date.today().isoformat(), "cpus": os.cpu_count(),
              "command": "python benchmarks/calibration_fidelity.py " + " ".join(sys.argv[1:])}
    RESULTS.mkdir(parents=True, exist_ok=True)

    def report(spec: str, inputs: np.ndarray, made_s: float, **extra) -> None:
        roundings = ("nearest", "gptq") if args.rounding == "both" else (args.rounding,)
        for corrected, rounding in itertools.product(
                {"on": (True,), "off": (False,), "both": (True, False)}[args.bias_correction], roundings):
            row = common | {"spec": spec, "images": len(inputs), "data_seconds": round(made_s, 1)} | extra
            row |= bench.measure(inputs, corrected, rounding)
            print(json.dumps({k: row[k] for k in ("spec", "bias_correction", "weight_rounding", "images",
                                                  "choose", "held_out",
                                                  "int8_logits_range")}), flush=True)
            with open(JSONL, "a") as fh:
                fh.write(json.dumps(row) + "\n")

    all_snaps = [int(s) for s in args.snapshots.split(",") if s]
    for spec in args.specs:
        start = time.perf_counter()
        if spec == "shipped" or spec.startswith("npz:"):
            found = pixel_sets.read(pixel_sets.shipped_path(v.name) if spec == "shipped" else Path(spec[4:]))
            report(spec, normalize(found[0], v.norm_mean, v.norm_std), 0.0,
                   settings=found[1]["key"]["settings"])
        elif spec.startswith("real"):  # realN, or realN@K: rotated by K first
            n, _, shift = spec[4:].partition("@")
            report(spec, bench.real(int(n), int(shift or 0)), 0.0)
        elif spec == "default":  # what a first build of weights without a shipped set does
            from effkit.calibration.sets import distilled

            found = distilled(bench.model, v, None, use_cache=False)
            report(spec, found.inputs, time.perf_counter() - start, settings=found.detail)
        elif spec.startswith("distill:"):
            s = parse_settings(spec[8:])
            snaps = [k for k in all_snaps if k < s.steps] if s.schedule == "constant" else []
            kept: dict[int, dict[int, np.ndarray]] = {}

            def keep(first: int, step: int, x, kept=kept, snaps=snaps) -> None:
                if step in snaps:
                    kept.setdefault(step, {})[first] = x.numpy()

            final = distill(bench.model, v, s, on_step=keep if snaps else None)
            made = time.perf_counter() - start
            as_pixels = pixel_sets.to_pixels(final, v.norm_mean, v.norm_std)
            rounded = normalize(as_pixels, v.norm_mean, v.norm_std)
            if args.keep:  # pictures: kept outside the project
                args.keep.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256(s.key().encode()).hexdigest()[:12]
                np.save(args.keep / f"{v.name}-{digest}.npy", as_pixels)
            sizes = [n for n in range(s.batch, s.count + 1, s.batch)] if snaps else [s.count]
            for step in [*snaps, s.steps]:
                for n in sizes:
                    if step == s.steps:
                        arr = rounded[:n]
                    else:
                        parts = [kept[step][f] for f in sorted(kept[step]) if f < n]
                        arr = normalize(pixel_sets.to_pixels(np.concatenate(parts), v.norm_mean, v.norm_std),
                                        v.norm_mean, v.norm_std)
                    sub = replace(s, count=n, steps=step)
                    report(f"distill:{sub.key()}", arr, made, settings=sub.key(),
                           from_run=spec)
        else:
            raise SystemExit(f"unknown spec {spec!r}")


def _setting(r: dict) -> str:
    """A short name for a row's calibration: ``real100``, or the distillation settings
    that differ from DistillSettings() (``shipped`` rows name their stored settings)."""
    from effkit.calibration.distill import DistillSettings

    text = r.get("settings") if r["spec"] in ("shipped", "default") or r["spec"].startswith("npz:") \
        else (r["spec"][8:] if r["spec"].startswith("distill:") else None)
    if not text:
        return r["spec"]
    base = json.loads(DistillSettings().key())
    doc = json.loads(text)
    diff = [f"{k}={v}" for k, v in doc.items() if base.get(k) != v and k not in ("count", "steps")]
    name = f"distilled {doc['count']} x {doc['steps']}" + (f" ({', '.join(diff)})" if diff else "")
    return f"{r['spec']}: {name}" if r["spec"] in ("shipped", "default") else name


def markdown() -> str:
    rows = [json.loads(line) for line in JSONL.read_text().splitlines() if line.strip()]
    out = ["## Exploration (lite0): the choosing half only\n",
           "| calibration | images | agreement | KL | cosine | top-1 drop (points) | int8 logits range | "
           "median top prob of the set | data s |", "|" + "---|" * 9]
    for r in (r for r in rows if r["tag"] == "explore"):
        c = r["choose"]
        out.append(f"| {_setting(r)} | {r['images']} | {100 * c['agreement']:.1f}% | {c['kl']:.4f} | "
                   f"{c['cosine']:.4f} | {_drop(c)} | {r['int8_logits_range']} | "
                   f"{r['calibration_top_prob_median']} | {r['data_seconds']} |")
    for tags, title in ((("final", "before"), "Held-out half: the shipped sets against 100 real photos"),
                        (("finetuned",), "Weights without a shipped set (effkit train), held-out half")):
        chosen = [r for r in rows if r["tag"] in tags]
        for variant in dict.fromkeys(r["variant"] for r in chosen):
            out += [f"\n## {title}: {variant}\n",
                    "| calibration | images | float top-1 | int8 top-1 | drop (points) | agreement | KL | "
                    "cosine | data s |", "|" + "---|" * 9]
            mine = [r for r in chosen if r["variant"] == variant]
            for r in mine:
                h = r["held_out"]
                tops = (f"{100 * h['float_top1']:.1f}% | {100 * h['quant_top1']:.1f}% | "
                        f"{_drop(h)}" if "drop_points" in h else "- | - | -")
                name = ("earlier set: " if r["tag"] == "before" else "") + _setting(r)
                out.append(f"| {name} | {r['images']} | {tops} | {100 * h['agreement']:.1f}% | "
                           f"{h['kl']:.4f} | {h['cosine']:.4f} | {r['data_seconds']} |")
            out.append(_footer(mine))
    out += _lite1_section(rows)
    out += _bias_section(rows)
    out += _noise_section(rows)
    out += _fixtures_section(rows)
    out += _kernels_section(rows)
    return "\n".join(out) + "\n"


def _drop(half: dict) -> str:
    """A half's top-1 drop in points, with its standard error where the row recorded the
    paired counts (rows from before they were recorded have none)."""
    if "drop_points" not in half:
        return "-"
    se = half.get("drop_se_points")
    return f"{half['drop_points']:+.1f}" + (f" ± {se:.1f}" if se is not None else "")


def _footer(rows: list[dict]) -> str:
    """The commands that made ``rows``, with the date and versions of the first."""
    commands = "; ".join(f"`{c}`" for c in dict.fromkeys(r["command"] for r in rows))
    versions = ", ".join(f"{k} {v}" for k, v in rows[0]["versions"].items())
    return f"\n{commands} ({rows[0]['date']}; {versions})"


def _bias_section(rows: list[dict]) -> list[str]:
    """Bias correction on and off, the same sets measured in one run: chosen on the choosing
    half (the KL), reported on the held-out half."""
    out = []
    for tag, title in (("bias-correction", "Bias correction: the shipped sets and 100 real photos"),
                       ("finetuned-bc", "Bias correction, weights without a shipped set (effkit train)"),
                       ("real-spread", "Other picks of 100 photos (how much the baseline varies)"),
                       ("gptq", "Weight rounding, nearest against GPTQ (bias correction on)")):
        mine = [r for r in rows if r["tag"] == tag]
        for variant in dict.fromkeys(r["variant"] for r in mine):
            out += [f"\n## {title}: {variant} (both halves)\n",
                    "| calibration | bias correction | rounding | choosing: agreement | KL | drop | "
                    "held-out: agreement | KL | drop |", "|" + "---|" * 9]
            these = [r for r in mine if r["variant"] == variant]
            for r in these:
                c, h = r["choose"], r["held_out"]
                drops = [_drop(x) for x in (c, h)]
                out.append(f"| {_setting(r)} | {'on' if r.get('bias_correction', False) else 'off'} | "
                           f"{r.get('weight_rounding', 'nearest')} | "
                           f"{100 * c['agreement']:.1f}% | {c['kl']:.4f} | {drops[0]} | "
                           f"{100 * h['agreement']:.1f}% | {h['kl']:.4f} | {drops[1]} |")
            out.append(_footer(these))
    return out


def _tag_table(rows: list[dict], tag: str, title: str, header: list[str], row, notes=()) -> list[str]:
    """One markdown table of the rows with ``tag``: a line per row from ``row(r)`` (its
    cells), then ``notes`` and the commands that made the rows; nothing without such rows."""
    mine = [r for r in rows if r["tag"] == tag]
    if not mine:
        return []
    out = [f"\n## {title}\n", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row(r)) + " |" for r in mine]
    return out + [*notes, _footer(mine)]


def _noise_section(rows: list[dict]) -> list[str]:
    """The default builds and 100 real photos on the held-out half, with the images behind
    each drop: ``broken`` (float right, int8 wrong), ``fixed`` (the reverse) and the drop's
    standard error, one run per variant."""
    def row(r: dict) -> list[str]:
        h = r["held_out"]
        return [r["variant"], _setting(r), f"{100 * h['float_top1']:.1f}%", f"{100 * h['quant_top1']:.1f}%",
                _drop(h), str(h["broken"]), str(h["fixed"]), f"{100 * h['agreement']:.1f}%", f"{h['kl']:.5f}"]

    return _tag_table(rows, "noise", "The drop and its noise: held-out half, default builds (nearest "
                      "rounding, bias correction)",
                      ["variant", "calibration", "float top-1", "int8 top-1", "drop ± standard error",
                       "broken", "fixed", "agreement", "KL"], row)


def _fixtures_section(rows: list[dict]) -> list[str]:
    """The default builds and 100 real photos, label-free on the tests' own photos beside
    the held-out half, one run per variant."""
    def row(r: dict) -> list[str]:
        h, f = r["held_out"], r["fixtures"]
        differ = round(f["images"] * (1 - f["agreement"]))
        return [r["variant"], _setting(r), _drop(h), f"{100 * h['agreement']:.1f}%", f"{h['kl']:.5f}",
                f"{100 * f['agreement']:.1f}%", f"{differ} of {f['images']}", f"{f['kl']:.5f}"]

    return _tag_table(rows, "fixtures", "Label-free on the tests' photos too (default builds and 100 "
                      "real photos)",
                      ["variant", "calibration", "held-out: drop ± SE", "agreement", "KL",
                       "tests' photos: agreement", "views that disagree", "KL"], row)


def _kernels_section(rows: list[dict]) -> list[str]:
    """The same int8 models run by the reference kernels and by XNNPACK, both halves."""
    def both(r: dict, half: str, fmt) -> str:
        return f"{fmt(r[half])} / {fmt(r['xnnpack'][half])}"

    def agreement(h: dict) -> str:
        return f"{100 * h['agreement']:.1f}%"

    def row(r: dict) -> list[str]:
        return [r["variant"], _setting(r), str(r["xnnpack"]["top1_differs_from_reference"]),
                both(r, "choose", agreement), both(r, "choose", _drop),
                both(r, "held_out", agreement), both(r, "held_out", _drop),
                both(r, "fixtures", agreement)]

    return _tag_table(rows, "kernels", "The same int8 model, two CPU kernels (reference against XNNPACK)",
                      ["variant", "calibration", "top-1 differs (of 500)", "choosing: agreement", "drop",
                       "held-out: agreement", "drop", "tests' photos: agreement"], row,
                      notes=["\nEach cell: reference kernels / XNNPACK."])


MIXES = {"mix-old32-new32": "earlier set (ce_weight 0.1, 32 x 50) + 32 of the 128 x 100 set",
         "mix-old32-new96": "earlier set (ce_weight 0.1, 32 x 50) + 96 of the 128 x 100 set",
         "mix-rerun": "the same mix, both parts distilled again (scripts/make_calibration_sets.py)"}


def _lite1_section(rows: list[dict]) -> list[str]:
    """lite1 missed the goal with the shipped set: what more steps, more images and mixes
    of the two cross-entropy weights do, both halves side by side. The held-out columns
    explain the miss; they chose nothing (the choosing half ranks these sets differently)."""
    mine = [r for r in rows if r["tag"] in ("lite1-explore", "lite1-mix", "lite1-rerun")]
    if not mine:
        return []
    out = ["\n## lite1: more steps, more images, mixed sets (both halves)\n",
           "| calibration | images | choosing: agreement | KL | held-out: agreement | KL | drop (points) |",
           "|" + "---|" * 7]
    for r in mine:
        name = next((v for k, v in MIXES.items() if k in r["spec"]), None) or _setting(r)
        c, h = r["choose"], r["held_out"]
        out.append(f"| {name} | {r['images']} | {100 * c['agreement']:.1f}% | {c['kl']:.4f} | "
                   f"{100 * h['agreement']:.1f}% | {h['kl']:.4f} | {_drop(h)} |")
    out.append(_footer(mine))
    return out


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown"]:
        (RESULTS / "calibration_fidelity.md").write_text(markdown())
        print(markdown())
    else:
        main()
