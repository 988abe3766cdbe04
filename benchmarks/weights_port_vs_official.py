"""The bundled PyTorch port against an official-layout checkpoint, on imagenet-dev.

Run by hand (not in tests), about a minute on 2 cores:

    .venv/bin/python benchmarks/weights_port_vs_official.py [--ckpt DIR] [--variant lite0]

``--ckpt`` defaults to ../shared/data/official-ckpt/efficientnet-lite0, whose EMA shadows
hold the ported values and whose plain variables carry noise (see ../shared/README.md):
on that checkpoint the figures show that effkit reads the EMA shadows and converts the
layouts without loss, not how Google's own values differ from the port. Pass the folder of
a real released tarball (``effkit weights fetch lite0``, then ``effkit weights path lite0``)
on a connected machine to measure that.

Writes ``benchmarks/results/weights_port_vs_official.json``: per-tensor differences of the
values (Keras layout) and, on the images, top-1 of each source, their top-1 agreement and
the largest logit difference.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from shared_data import SHARED  # benchmarks/ runs as scripts: their folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent

def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", default="lite0")
    ap.add_argument("--ckpt", type=Path, default=SHARED / "official-ckpt" / "efficientnet-lite0")
    ap.add_argument("--data", type=Path, default=SHARED / "imagenet-dev")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args(argv)

    from effkit.analysis.evaluate import wnid_index_from_tsv
    from effkit.model.network import build_model, logits_model
    from effkit.model.preprocess import list_images, load_image, normalize
    from effkit.model.variants import get_variant
    from effkit.weights.load import load_weights

    variant = get_variant(args.variant)
    paths = list_images(args.data)
    index = wnid_index_from_tsv(SHARED / "imagenet_classes.tsv")
    x = np.stack([normalize(load_image(p, variant.resolution), variant.norm_mean, variant.norm_std)
                  for p in paths])
    y = np.array([index[p.name.split("_")[0]] for p in paths])

    models, infos = {}, {}
    for name, source, ema in (("port", None, True), ("ckpt_ema", args.ckpt, True),
                              ("ckpt_plain", args.ckpt, False)):
        model = build_model(variant)
        infos[name] = load_weights(model, variant, source, use_ema=ema)
        models[name] = model
    logits = {k: logits_model(m).predict(x, batch_size=50, verbose=0) for k, m in models.items()}

    def tensor_diffs(a, b) -> dict:
        diffs = [float(np.abs(u.numpy() - v.numpy()).max()) for u, v in
                 zip(a.weights, b.weights, strict=True)]
        return {"tensors": len(diffs), "identical": sum(d == 0.0 for d in diffs),
                "max_abs_diff": max(diffs)}

    doc = {
        "variant": variant.name,
        "images": len(paths),
        "data": str(args.data),
        "sources": {k: {"description": v.description, "sha256": v.sha256, "ema": v.ema}
                    for k, v in infos.items()},
        "top1": {k: float((v.argmax(1) == y).mean()) for k, v in logits.items()},
        "values_port_vs_ckpt_ema": tensor_diffs(models["port"], models["ckpt_ema"]),
        "top1_agreement_port_vs_ckpt_ema": float(
            (logits["port"].argmax(1) == logits["ckpt_ema"].argmax(1)).mean()),
        "max_abs_logit_diff_port_vs_ckpt_ema": float(
            np.abs(logits["port"] - logits["ckpt_ema"]).max()),
        "top1_agreement_port_vs_ckpt_plain": float(
            (logits["port"].argmax(1) == logits["ckpt_plain"].argmax(1)).mean()),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "weights_port_vs_official.json"
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=2))
    return doc


if __name__ == "__main__":
    main()
