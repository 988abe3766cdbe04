"""Issue 22, the lever left after calibration, bias correction and GPTQ: fine-tuning the
weights against int8 (quantization-aware fine-tuning), label-free.

    nice -n 5 python benchmarks/int8_finetune.py lite1 --data shipped --lr 1e-6 --steps 100,300

A forward pass in TensorFlow mirrors the converter's int8 graph: every conv, depthwise
and dense kernel rounded per output channel (symmetric, 127 levels; the batch norm folds
into the kernel, and per-channel scaling commutes with it), every tensor the converter
quantizes (ReLU6 outputs, projection batch norms, residual adds, the pooled features,
the logits) fake-quantized per tensor with its range on the calibration set; the
gradient passes straight through the rounding. Starting from the bias-corrected copy of
the model (correcting after the fine-tuning would undo what it learned: the correction
aims the int8 model at the fine-tuned float model, not at the original), the weights,
biases and batch-norm scales are trained with Adam to minimise KL(float || fake int8) on
the calibration set (each batch flipped left-right half the time, its target then the
float model's on the flipped images). At each of ``--steps`` the model is converted as
``effkit build`` does (without a second correction) and measured with the same split
and measures as calibration_fidelity.py, always against the original float model.

``--data shipped`` trains and calibrates on the shipped distilled set (a default
build's data); ``--data real100`` on 100 photos of the choosing half (a ``--calibration``
build's). One JSON line per measurement goes to benchmarks/results/int8_finetune.jsonl.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import calibration_fidelity as cf  # noqa: E402  (the split, the photos, the measures)

JSONL = cf.RESULTS / "int8_finetune.jsonl"


def quantized_points(blocks) -> list[str]:
    """The layers whose output the converter stores as an int8 tensor (conv + batch norm +
    ReLU6 fuse into one op; a projection's batch norm output feeds the add)."""
    points = ["stem_relu"]
    for b in blocks:
        p = f"block{b.index}"
        points += [f"{p}_expand_relu"] if b.has_expand else []
        points += [f"{p}_dwconv_relu", f"{p}_project_bn"]
        points += [f"{p}_add"] if b.has_skip else []
    return points + ["head_relu", "avg_pool", "logits"]


def fake_int8(model, variant, calibration: np.ndarray):
    """``forward(x)``: the logits of ``model`` with int8 weights and activations, the
    activation ranges those of ``model`` on ``calibration`` (as the converter takes them)."""
    import keras
    import tensorflow as tf

    from effkit.model.network import batch_norm_after, block_layout
    from effkit.pipeline.bias_correction import WEIGHT_LEVELS

    blocks = block_layout(variant)
    points = quantized_points(blocks)
    taps = keras.Model(model.input, [model.get_layer(n).output for n in points])
    lo = {n: 0.0 for n in points}
    hi = {n: 0.0 for n in points}  # the converter's ranges always hold zero
    for start in range(0, len(calibration), 8):
        for n, out in zip(points, taps(calibration[start:start + 8], training=False), strict=True):
            values = out.numpy()
            lo[n], hi[n] = min(lo[n], float(values.min())), max(hi[n], float(values.max()))
    eps, layer = variant.batch_norm_epsilon, model.get_layer

    def weights(kernel, depthwise=False):
        shape = kernel.shape
        w = tf.reshape(kernel, (-1, shape[-2] * shape[-1] if depthwise else shape[-1]))
        scale = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(w), axis=0), 1e-12) / WEIGHT_LEVELS)
        q = tf.clip_by_value(tf.round(w / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS) * scale
        return tf.reshape(w + tf.stop_gradient(q - w), shape)

    def tensor(t, name):
        return tf.quantization.fake_quant_with_min_max_args(t, min=lo[name], max=hi[name], num_bits=8)

    def norm(y, name):
        bn = layer(name)
        return (y - bn.moving_mean) * (bn.gamma / tf.sqrt(bn.moving_variance + eps)) + bn.beta

    def conv(x, prefix, relu=True):
        c = layer(f"{prefix}_conv")
        y = norm(tf.nn.conv2d(x, weights(c.kernel), c.strides, "SAME"), batch_norm_after(f"{prefix}_conv"))
        return tensor(tf.nn.relu6(y), f"{prefix}_relu") if relu else tensor(y, f"{prefix}_bn")

    def forward(x):
        x = conv(x, "stem")
        for b in blocks:
            p, inputs = f"block{b.index}", x
            if b.has_expand:
                x = conv(x, f"{p}_expand")
            d = layer(f"{p}_dwconv")
            x = tf.nn.depthwise_conv2d(x, weights(d.kernel, True), [1, b.stride, b.stride, 1], "SAME")
            x = tensor(tf.nn.relu6(norm(x, f"{p}_dwconv_bn")), f"{p}_dwconv_relu")
            x = conv(x, f"{p}_project", relu=False)
            if b.has_skip:
                x = tensor(x + inputs, f"{p}_add")
        x = tensor(tf.reduce_mean(conv(x, "head"), axis=[1, 2]), "avg_pool")
        dense = layer("logits")
        return tensor(tf.matmul(x, weights(dense.kernel)) + dense.bias, "logits")

    return forward


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variant")
    ap.add_argument("--data", default="shipped", help="shipped, or realN (N photos of the choosing half)")
    ap.add_argument("--lr", type=float, default=1e-6)
    ap.add_argument("--steps", default="100,300", help="measure after these many steps")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--tag", default="")
    args = ap.parse_args()
    import keras
    import tensorflow as tf

    from effkit.calibration import pixel_sets
    from effkit.model.preprocess import normalize
    from effkit.pipeline.bias_correction import corrected

    bench = cf.Bench(args.variant)
    v, float_model = bench.variant, bench.model
    if args.data == "shipped":
        x = normalize(pixel_sets.read(pixel_sets.shipped_path(v.name))[0], v.norm_mean, v.norm_std)
    elif args.data.startswith("real"):
        x = bench.real(int(args.data[4:]))
    else:
        raise SystemExit(f"unknown --data {args.data!r}")
    x = np.asarray(x, np.float32)
    model = corrected(float_model, x)[0]
    forward = fake_int8(model, v, x)
    targets = tf.nn.softmax(bench.logits_model.predict(x, batch_size=8, verbose=0))
    variables = list(model.trainable_variables)
    optimizer = keras.optimizers.Adam(learning_rate=args.lr)

    def kl(logits, probs):
        return tf.reduce_mean(tf.reduce_sum(
            probs * (tf.math.log(probs + 1e-12) - tf.nn.log_softmax(logits)), axis=1))

    @tf.function(reduce_retracing=True)
    def step(xb, tb):
        with tf.GradientTape() as tape:
            loss = kl(forward(xb), tb)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    def set_kl() -> float:  # the fake int8 model's KL on its own training set
        return float(np.mean([kl(forward(x[s:s + 8]), targets[s:s + 8]).numpy()
                              for s in range(0, len(x), 8)]))

    common = {"variant": v.name, "tag": args.tag, "data": args.data, "lr": args.lr,
              "batch": args.batch, "split": cf.SPLIT, "versions": cf.versions(),
              "date": datetime.date.today().isoformat(), "cpus": os.cpu_count(),
              "command": "python benchmarks/int8_finetune.py " + " ".join(sys.argv[1:]),
              "set_kl_before": set_kl()}
    rng = np.random.default_rng(0)
    start, done = time.perf_counter(), 0
    for target in sorted(int(s) for s in args.steps.split(",")):
        while done < target:
            idx = rng.choice(len(x), args.batch, replace=False)
            if rng.random() < 0.5:
                xb = x[idx][:, :, ::-1, :]
                tb = tf.nn.softmax(bench.logits_model(xb, training=False))
            else:
                xb, tb = x[idx], tf.gather(targets, idx)
            step(tf.constant(xb), tb)
            done += 1
        trained_s = time.perf_counter() - start
        bench.model = model
        row = common | {"steps": done, "train_seconds": round(trained_s, 1), "set_kl": set_kl()}
        row |= bench.measure(x, bias_correction=False)
        print(json.dumps({k: row[k] for k in ("steps", "set_kl", "choose", "held_out")}), flush=True)
        cf.RESULTS.mkdir(parents=True, exist_ok=True)
        with open(JSONL, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        start = time.perf_counter() - trained_s  # measuring is not training time


if __name__ == "__main__":
    main()
