"""Keep chosen layers of an int8 model in float (CPU builds only).

TensorFlow's converter has no public option to leave single ops unquantized; its
quantization debugger does: ``tf.lite.experimental.QuantizationDebugOptions(
denylisted_nodes=[...])`` names ops by their output tensor, and
``QuantizationDebugger(converter=...).get_nondebug_quantized_model()`` quantizes
everything else with the same calibration (TensorFlow's guide "Inspecting
Quantization Errors with Quantization Debugger",
https://www.tensorflow.org/lite/performance/quantization_debugger, "Selective
quantization"). The debugger leaves the model's input and output in float32, so a
mixed model takes the normalized float input a float build takes.

On the Coral Edge TPU a float op cannot run on the TPU: the compiler maps the graph
up to the first such op and leaves the rest on the CPU, so mixed precision is refused
there (``effkit check-edgetpu`` shows where a graph splits).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from effkit.errors import UsageError

EDGETPU_REFUSAL = ("float layers cannot run on the Edge TPU: the compiler would map the graph up to "
                   "the first float layer and run everything after it on the CPU")


def check_target(target: str | None) -> None:
    """Mixed precision is for CPU builds; say why not elsewhere."""
    if target == "coral":
        raise UsageError(f"--keep-float does not apply to Coral builds ({EDGETPU_REFUSAL})",
                         "use it on a --target cpu build, or improve the calibration instead")
    if target not in (None, "cpu"):
        raise UsageError(f"--keep-float applies to --target cpu builds, not {target!r}",
                         "build with --target cpu for a mixed-precision model")


def keep_float(model, calibration: np.ndarray, nodes: Sequence[str]) -> bytes:
    """Convert the Keras ``model`` to int8 with ``nodes`` (output tensor names of the
    int8 graph, as :mod:`effkit.analysis.quant_report.measure` lists them) left in float32."""
    import tensorflow as tf

    from effkit.core.native_log import native_log_captured
    from effkit.pipeline.convert import batch_of_one, representative_dataset

    if not nodes:
        raise UsageError("no layers to keep in float", "pass --keep-float N with N >= 1")
    representative = representative_dataset(calibration)
    converter = tf.lite.TFLiteConverter.from_keras_model(batch_of_one(model))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=list(nodes))
    with native_log_captured():
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=representative, debug_options=options)
        return bytes(debugger.get_nondebug_quantized_model())


def layers_of(model, nodes: Sequence[str]) -> set[str]:
    """The Keras layers whose ops the int8 graph's ``nodes`` hold: a node's tensor name
    lists the ops fused into it, each as ``.../<layer>/<op>`` (or ``<layer>_1``)."""
    import re

    return {layer.name for layer in model.layers
            if any(re.search(rf"/{re.escape(layer.name)}(_\d+)?/", node) for node in nodes)}


def mixed_from_build(int8_model: bytes, build, nodes: Sequence[str],
                     inputs: np.ndarray | None = None) -> bytes:
    """The build's network converted again with its own calibration set and ``nodes``
    kept in float, with the int8 model's labels and the build's metadata attached.
    ``build`` is an :class:`effkit.analysis.quant_report.measure.BuildInfo`; ``inputs``
    (normalized images) calibrate instead of the build's own set (given when that cannot
    be read back: ``effkit train --build``'s training split)."""
    from effkit.metadata import attach_classifier_metadata
    from effkit.metadata.reader import labels_from_model
    from effkit.pipeline.convert import ConvertOptions, int8_weights_chosen, pin_input_range

    check_target(build.target)
    labels = labels_from_model(int8_model)
    if not labels:
        raise UsageError("the int8 model has no labels in its metadata", "use a model 'effkit build' wrote")
    variant = build.variant
    if inputs is None:
        inputs, _ = build.calibration()
    pinned = pin_input_range(inputs, variant.norm_mean, variant.norm_std)
    model = build.keras_model()
    # the int8 layers' weights as the build chose them; the layers kept in float untouched
    done = build.manifest.get("quantization") or {}
    options = ConvertOptions(bias_correction=bool(done.get("bias_correction")),
                             weight_rounding=done.get("weight_rounding", "nearest"))
    model = int8_weights_chosen(model, pinned, options, keep=layers_of(model, nodes))
    tflite = keep_float(model, pinned, nodes)
    name = build.manifest.get("model_name") or f"EfficientNet-{variant.name.capitalize()}"
    return attach_classifier_metadata(
        tflite, labels=labels, norm_mean=variant.norm_mean, norm_std=variant.norm_std, name=name,
        description=f"{name} int8 with {len(nodes)} layer(s) kept in float by effkit quant-report",
        version="1", author="effkit", license="Apache-2.0")
