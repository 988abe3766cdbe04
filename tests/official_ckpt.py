"""An official-layout EfficientNet-Lite0 checkpoint written from the bundled ``.pth``.

Google's released checkpoints hold, under the scope ``efficientnet-lite0/``, every model
variable, an ``<name>/ExponentialMovingAverage`` shadow of each, and ``global_step``
(the key list is ``tests/data/official-vars/efficientnet-lite0.expected_ckpt_keys.tsv``).
The eval and export read the shadows. This one is written the same way, with TensorFlow's
own checkpoint writer (``SaveV2``): the shadows hold the pretrained lite0 values, the plain
variables the same values plus Gaussian noise (half of each tensor's spread), so a loader
that reads the plain variables instead of the shadows fails visibly. Variable names come
from ``effkit.weights.load.weight_slots``; the tests check them against the official tables.

Cached in ``~/.cache/effkit-test`` (``EFFKIT_TEST_CACHE``), keyed by the ``.pth``'s sha256.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

GLOBAL_STEP = 218949  # the step of the published lite0 checkpoint
NOISE_SEED = 0


def cache_root() -> Path:
    return Path(os.environ.get("EFFKIT_TEST_CACHE") or Path.home() / ".cache" / "effkit-test")


def write_lite0_checkpoint() -> Path:
    """The folder ``efficientnet-lite0/`` (``checkpoint``, ``model.ckpt.index``, ``.data-*``)."""
    import numpy as np

    from effkit.model.variants import get_variant
    from effkit.weights.assign import EMA_SUFFIX, pth_to_keras, weight_slots
    from effkit.weights.load import resolve_weights

    variant = get_variant("lite0")
    source = resolve_weights(variant, None)  # the bundled .pth, read without torch
    folder = cache_root() / f"official-ckpt-{source.sha256[:16]}" / variant.official_name
    if (folder / "checkpoint").is_file():
        return folder
    import tensorflow as tf

    rng = np.random.default_rng(NOISE_SEED)
    names, tensors = [], []
    for slot in weight_slots(variant):
        value = pth_to_keras(np.asarray(source.payload[slot.pth], np.float32), slot.layout)
        noisy = value + rng.normal(0, 0.5 * float(value.std()), value.shape).astype(np.float32)
        name = f"{variant.official_name}/{slot.official}"
        names += [name, name + EMA_SUFFIX]
        tensors += [tf.constant(noisy), tf.constant(value)]
    names.append("global_step")
    tensors.append(tf.constant(GLOBAL_STEP, tf.int64))
    part = folder.with_name(f"{folder.name}.{uuid.uuid4().hex}.part")  # xdist workers race
    part.mkdir(parents=True)
    tf.raw_ops.SaveV2(prefix=str(part / "model.ckpt"), tensor_names=names,
                      shape_and_slices=[""] * len(names), tensors=tensors)
    (part / "checkpoint").write_text('model_checkpoint_path: "model.ckpt"\n'
                                     'all_model_checkpoint_paths: "model.ckpt"\n')
    try:
        part.rename(folder)
    except OSError:  # another worker finished first: same bytes
        shutil.rmtree(part)
    return folder
