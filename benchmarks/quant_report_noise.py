"""Issue 17's measurement: the per-layer report of lite0 calibrated on noise against the default.

Builds lite0 three ways with effkit's own pipeline and converter settings: float32, int8
with the default calibration (distilled from the weights, no data), and int8 calibrated
on 100 images of uniform noise in [-1, 1] (the worst row of the settings table in
docs/calibration.md). Then ``effkit.analysis.quant_report.measure.compare`` runs each int8
model against the float one on 32 imagenet-dev photos (every 15th), and top-1 is measured on all 500.

    python benchmarks/quant_report_noise.py [--images 32]

Writes benchmarks/results/quant_report_noise.json and .md (the table in docs/quant-report.md).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from shared_data import SHARED  # benchmarks/ runs as scripts: their folder is on sys.path

from effkit.analysis.evaluate import TFLiteClassifier, evaluate, imagenet_style, wnid_index_from_tsv
from effkit.analysis.quant_report import measure as qr
from effkit.metadata import attach_classifier_metadata
from effkit.model.network import build_model
from effkit.model.preprocess import list_images
from effkit.model.variants import get_variant
from effkit.pipeline.build import BuildRequest, run_build
from effkit.pipeline.convert import ConvertOptions, convert, pin_input_range
from effkit.weights.load import load_weights

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def noise_model(variant) -> bytes:
    """lite0 int8 calibrated on uniform noise, with the metadata a build attaches."""
    from effkit.model.labels import imagenet_labels

    model = build_model(variant)
    load_weights(model, variant)
    rng = np.random.default_rng(0)
    noise = rng.uniform(-1, 1, (100, *variant.input_shape)).astype(np.float32)
    tflite = convert(model, ConvertOptions(), pin_input_range(noise, variant.norm_mean, variant.norm_std))
    return attach_classifier_metadata(tflite, labels=imagenet_labels(), norm_mean=variant.norm_mean,
                                      norm_std=variant.norm_std, name="lite0 noise-calibrated",
                                      description="benchmark", version="1", author="effkit",
                                      license="Apache-2.0")


def main(images: int) -> None:
    variant = get_variant("lite0")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for quant in ("float32", "int8"):
            run_build(BuildRequest(variant="lite0", target="cpu", out=root / quant, quant=quant))
        models = {"float32": (root / "float32" / "model.tflite").read_bytes(),
                  "default": (root / "int8" / "model.tflite").read_bytes(),
                  "noise": noise_model(variant)}
        calib = json.loads((root / "int8" / "build.json").read_text())["calibration"]
    photos = list_images(SHARED / "imagenet-dev")[::15][:images]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for p in photos:
            (folder / p.name).symlink_to(p)
        inputs, source = qr.inputs_for_folder(models["float32"], folder, images)
    reports = {k: qr.compare(models[k], models["float32"], inputs) for k in ("default", "noise")}

    items = imagenet_style(SHARED / "imagenet-dev", wnid_index_from_tsv(SHARED / "imagenet_classes.tsv"))
    top1 = {}
    for k, data in models.items():
        clf = TFLiteClassifier(data)
        top1[k] = round(evaluate(clf.scores, clf.resolution, items).top1, 4)

    noise, default = reports["noise"], reports["default"]
    by_index = {s.index: s for s in default.layers}
    rows = []
    for s in noise.worst(10):
        d = by_index[s.index]
        rows.append({"index": s.index, "layer": s.name, "op": s.op,
                     "noise_snr_db": round(s.snr_db, 1), "default_snr_db": round(d.snr_db, 1),
                     "noise_drop_db": None if s.snr_drop_db is None else round(s.snr_drop_db, 1),
                     "noise_clipped": round(s.clipped, 4), "default_clipped": round(d.clipped, 4),
                     "noise_clip_error_share": round(s.clip_error_share, 2),
                     "noise_range_use": None if s.range_use is None else round(s.range_use, 3),
                     "default_range_use": None if d.range_use is None else round(d.range_use, 3),
                     "noise_causes": list(s.causes)})
    doc = {"variant": "lite0", "compare_images": len(inputs), "compare_source": source,
           "default_calibration": calib, "top1_500": top1,
           "summary": {k: r.to_dict()["summary"] for k, r in reports.items()},
           "noise_worst": rows,
           "default_worst": [{"index": s.index, "layer": s.name, "op": s.op, "snr_db": round(s.snr_db, 1),
                              "causes": list(s.causes)} for s in default.worst(5)]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "quant_report_noise.json").write_text(json.dumps(doc, indent=2) + "\n")
    md = ["| # | layer | op | SNR noise (dB) | SNR default (dB) | noise: SNR lost here (dB) | "
          "clipped noise / default | noise: error from clipped values | range use noise / default |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        md.append(f"| {r['index']} | {r['layer']} | {r['op']} | {r['noise_snr_db']} | "
                  f"{r['default_snr_db']} | "
                  f"{r['noise_drop_db']} | {r['noise_clipped']:.2%} / {r['default_clipped']:.2%} | "
                  f"{r['noise_clip_error_share']:.0%} | "
                  f"{r['noise_range_use']} / {r['default_range_use']} |")
    (RESULTS / "quant_report_noise.md").write_text("\n".join(md) + "\n")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=32)
    main(ap.parse_args().images)
