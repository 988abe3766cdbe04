"""Which calibration loses the least top-1: noise, distilled (several settings), real images.

    python benchmarks/calibration_methods.py lite0 noise,real32,real100,distill:64:50:32:0.1

A distill spec is distill:COUNT:STEPS:BATCH:CE_WEIGHT (see effkit.calibration.sets.DistillSettings).
A file:PATH spec takes a float32 .npy of normalized inputs (e.g. an older effkit's cache
entry) and measures it twice: as stored, and rounded to uint8 pixels as effkit now stores
distilled sets (`file-rounded`), to show what the rounding costs.
Each line printed is one JSON result: int8 top-1 on ../shared/data/imagenet-dev (500
images) and the drop against the float Keras model. Distillation is not cached here.
Bias correction is on, as in effkit's builds; --no-bias-correction converts as effkit did
before it existed (the 2026-12-01 table in docs/calibration.md).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from shared_data import SHARED  # benchmarks/ runs as scripts: their folder is on sys.path

from effkit.analysis.evaluate import TFLiteClassifier, imagenet_style, wnid_index_from_tsv
from effkit.calibration import pixel_sets
from effkit.calibration import sets as calib
from effkit.model.network import build_model
from effkit.model.preprocess import iter_images, normalize
from effkit.model.variants import get_variant
from effkit.pipeline.convert import ConvertOptions, convert, pin_input_range
from effkit.weights.load import load_weights


def main(variant_name: str, specs: list[str], bias_correction: bool = True) -> None:
    variant = get_variant(variant_name)
    model = build_model(variant)
    load_weights(model, variant)
    items = imagenet_style(SHARED / "imagenet-dev", wnid_index_from_tsv(SHARED / "imagenet_classes.tsv"))
    pixels = dict(iter_images([it.path for it in items], variant.resolution))
    labels = np.array([it.label for it in items if it.path in pixels])
    stack = np.stack([pixels[it.path] for it in items if it.path in pixels])
    x = normalize(stack, variant.norm_mean, variant.norm_std)
    float_top1 = float(np.mean(np.argmax(model.predict(x, batch_size=50, verbose=0), 1) == labels))
    print(json.dumps({"variant": variant.name, "float_top1": float_top1}), flush=True)
    expanded = []
    for spec in specs:
        expanded += [spec, "rounded:" + spec[5:]] if spec.startswith("file:") else [spec]
    for spec in expanded:
        start = time.perf_counter()
        if spec == "noise":
            rng = np.random.default_rng(0)
            inputs = rng.uniform(-1, 1, (100, *variant.input_shape)).astype(np.float32)
        elif spec.startswith("real"):
            chosen = calib.pick_evenly(list(range(len(x))), int(spec[4:]))
            inputs = x[chosen]
        elif spec.startswith("distill:"):
            count, steps, batch, ce = spec.split(":")[1:]
            settings = calib.DistillSettings(count=int(count), steps=int(steps), batch=int(batch),
                                             ce_weight=float(ce))
            inputs = calib.distilled(model, variant, settings, use_cache=False).inputs
        elif spec.startswith("file:"):
            inputs = np.load(spec[5:]).astype(np.float32)
        elif spec.startswith("rounded:"):
            stored = np.load(spec[8:]).astype(np.float32)
            inputs = normalize(pixel_sets.to_pixels(stored, 127, 128), 127, 128)
            print(json.dumps({"rounding_max_abs": float(np.abs(inputs - stored).max())}), flush=True)
        else:
            raise SystemExit(f"unknown spec {spec!r}")
        made = time.perf_counter() - start
        options = ConvertOptions(bias_correction=bias_correction)
        clf = TFLiteClassifier(convert(model, options, pin_input_range(inputs, 127, 128)))
        preds = np.array([np.argmax(clf.raw(px)) for px in stack])
        top1 = float(np.mean(preds == labels))
        print(json.dumps({"spec": spec, "images": len(inputs), "int8_top1": top1,
                          "drop_points": round(100 * (float_top1 - top1), 1),
                          "data_seconds": round(made, 1)}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variant", help="lite0 .. lite4")
    parser.add_argument("specs", help="comma-separated: noise, realN, distill:COUNT:STEPS:BATCH:CE, "
                        "file:PATH.npy")
    parser.add_argument("--no-bias-correction", dest="bias_correction", action="store_false",
                        help="convert without bias correction (effkit before 2026-12-05)")
    args = parser.parse_args()
    main(args.variant, args.specs.split(","), args.bias_correction)
