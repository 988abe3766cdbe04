"""effkit train's model and placement: the classifier on a pretrained backbone, the
training steps, and the tf.distribute strategy (one device, several GPUs, a cluster)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np

from effkit.errors import UsageError
from effkit.model.variants import Variant

# --------------------------------------------------------------------------- distribution


@dataclass(frozen=True)
class Placement:
    """Where training runs: the strategy's kind, replicas, precision, and this worker's role."""

    kind: str  # "default", "mirrored" or "multi-worker"
    replicas: int
    mixed_precision: bool
    chief: bool = True


def choose_strategy(mixed_precision: bool | None = None):
    """(strategy, Placement): multi-worker when TF_CONFIG is set, mirrored over >1 GPU.

    Create it before any other TensorFlow work in the process (multi-worker needs that).
    """
    import tensorflow as tf

    if os.environ.get("TF_CONFIG"):
        try:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
        except (ValueError, RuntimeError, KeyError, json.JSONDecodeError) as exc:
            raise UsageError(f"TF_CONFIG cannot be used: {str(exc).splitlines()[0]}",
                             "see docs/training.md for its format, or unset TF_CONFIG") from None
        kind = "multi-worker"
    elif len(tf.config.list_logical_devices("GPU")) > 1:
        strategy, kind = tf.distribute.MirroredStrategy(), "mirrored"
    else:
        strategy, kind = tf.distribute.get_strategy(), "default"
    gpu = bool(tf.config.list_physical_devices("GPU"))
    mixed = gpu if mixed_precision is None else mixed_precision
    return strategy, Placement(kind, int(strategy.num_replicas_in_sync), mixed, is_chief_worker())


def is_chief_worker() -> bool:
    """Whether this process writes the outputs: no TF_CONFIG, or its task is the chief
    (``chief`` 0, or ``worker`` 0 when the cluster has no chief)."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    try:
        doc = json.loads(raw)
        task = doc.get("task") or {}
        kind, index = task.get("type"), int(task.get("index", 0))
        cluster = doc.get("cluster") or {}
    except (ValueError, TypeError, AttributeError):
        raise UsageError("TF_CONFIG is not valid JSON with 'cluster' and 'task'",
                         "see docs/training.md for its format, or unset TF_CONFIG") from None
    if "chief" in cluster:
        return kind == "chief"
    return kind == "worker" and index == 0


# --------------------------------------------------------------------------- model


def build_classifier(variant: Variant, num_classes: int, *, weights: str | None = None,
                     dropout_rate: float = 0.2, mixed_precision: bool = False):
    """(model, backbone, WeightsInfo): pretrained backbone plus a new, float32 head.

    ``model`` has the layout of ``build_model(variant, num_classes=num_classes)``;
    with ``mixed_precision`` the backbone computes in float16 (variables stay float32).
    """
    import keras

    from effkit.model.network import LOGITS_LAYER, add_head, build_model
    from effkit.weights.load import load_weights

    previous = keras.config.dtype_policy()
    try:
        if mixed_precision:
            keras.config.set_dtype_policy("mixed_float16")
        backbone = build_model(variant, include_top=False)
    finally:
        keras.config.set_dtype_policy(previous)
    info = load_weights(backbone, variant, weights)
    model = add_head(backbone, num_classes, dropout_rate=dropout_rate)
    # The official dense initializer is uniform(+-1/sqrt(num_classes)): made for 1000
    # classes, it starts a head of a few classes with logits in the tens. Start the new
    # head at zero instead (uniform predictions, loss ln(N)); its problem is convex.
    logits = model.get_layer(LOGITS_LAYER)
    for var in logits.weights:
        var.assign(np.zeros(tuple(var.shape), dtype=np.float32))
    return model, backbone, info


def _training_model(model, backbone):
    """Same layers as ``model``, with the backbone always called in inference mode."""
    import keras

    from effkit.model.network import TOP_LAYERS

    inputs = keras.Input(shape=tuple(backbone.input.shape[1:]), name="train_image")
    x = backbone(inputs, training=False)
    for name in TOP_LAYERS:
        x = model.get_layer(name)(x)
    return keras.Model(inputs, x, name=f"{model.name}_train")


def _optimizer(train_model, backbone, phase: str, learning_rate: float, mixed: bool):
    """Freeze or unfreeze the backbone for ``phase`` and build a fresh optimizer for it
    (call inside the strategy's scope)."""
    import keras

    backbone.trainable = phase == "fine_tune"
    optimizer = keras.optimizers.Adam(learning_rate)
    if mixed:
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    optimizer.build(train_model.trainable_variables)
    return optimizer


class _Steps:
    """One training and one evaluation step, run on every replica.

    A plain ``strategy.run`` loop rather than ``Model.fit``: Keras 3's ``fit`` fails under
    ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585). Each replica's loss is its
    sum over the global batch size; the optimizer all-reduces (sums) the gradients.
    Returns the (loss sum, correct, count) of the step, summed over replicas.
    """

    def __init__(self, strategy, train_model, optimizer, global_batch: int):
        import tensorflow as tf

        self.strategy = strategy
        self.model = train_model
        self.optimizer = optimizer
        self.global_batch = float(global_batch)
        self.train_step = tf.function(self._train, reduce_retracing=True)
        self.eval_step = tf.function(self._eval, reduce_retracing=True)

    @staticmethod
    def _stats(labels, probs):
        import keras
        import tensorflow as tf

        probs = tf.cast(probs, tf.float32)
        per_example = keras.losses.sparse_categorical_crossentropy(labels, probs)
        predicted = tf.argmax(probs, axis=-1, output_type=tf.int32)
        correct = tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.float32))
        return per_example, correct

    def _replica_train(self, images, labels):
        import tensorflow as tf

        variables = self.model.trainable_variables
        with tf.GradientTape() as tape:
            probs = self.model(images, training=True)
            per_example, correct = self._stats(labels, probs)
            loss = tf.reduce_sum(per_example) / self.global_batch
            scaled = self.optimizer.scale_loss(loss)
        grads = tape.gradient(scaled, variables)
        self.optimizer.apply_gradients(zip(grads, variables, strict=True))
        return tf.reduce_sum(per_example), correct, tf.cast(tf.size(labels), tf.float32)

    def _replica_eval(self, images, labels):
        import tensorflow as tf

        per_example, correct = self._stats(labels, self.model(images, training=False))
        return tf.reduce_sum(per_example), correct, tf.cast(tf.size(labels), tf.float32)

    def _reduced(self, fn, batch):
        import tensorflow as tf

        out = self.strategy.run(fn, args=batch)
        return [self.strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None) for v in out]

    def _train(self, batch):
        return self._reduced(self._replica_train, batch)

    def _eval(self, batch):
        return self._reduced(self._replica_eval, batch)

    def run(self, dataset, *, training: bool, on_batch=None) -> tuple[float, float]:
        """(mean loss, accuracy) over one pass of ``dataset``."""
        step = self.train_step if training else self.eval_step
        totals = np.zeros(3, dtype=np.float64)
        from effkit.core.outputs import raise_if_stopped

        for i, batch in enumerate(self.strategy.experimental_distribute_dataset(dataset)):
            totals += np.array([float(v) for v in step(batch)])
            raise_if_stopped()  # a Ctrl-C a finalizer swallowed: the epochs do not go on
            if on_batch:
                on_batch(i + 1)
        count = max(totals[2], 1.0)
        return float(totals[0] / count), float(totals[1] / count)
