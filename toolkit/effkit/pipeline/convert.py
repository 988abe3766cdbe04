"""Keras model -> TFLite bytes, with the requested quantization.

``int8`` is full-integer (TFLITE_BUILTINS_INT8 only) with uint8 input and output by
default, the form Coral's examples use; ``io="int8"`` keeps int8 at the edges. Its
weights are bias-corrected on the calibration inputs first (``bias_correction``), and
may be rounded to fit those inputs (``weight_rounding="gptq"``) instead of to nearest.
The uint8 input is pinned to the raw pixel scale (scale 1/std, zero point mean), so
devices feed camera pixels straight in: see ``pin_input_range``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from effkit.core.native_log import native_log_captured
from effkit.errors import UsageError

QUANT_MODES = ("int8", "float16", "dynamic", "float32")
IO_TYPES = ("uint8", "int8")
WEIGHT_ROUNDINGS = ("nearest", "gptq")


@dataclass(frozen=True)
class ConvertOptions:
    quant: str = "int8"
    io: str = "uint8"
    # int8: remove the mean shift int8 weights add to each channel, measured on the
    # calibration inputs (effkit.pipeline.bias_correction)
    bias_correction: bool = True
    # int8: how weights meet their int8 levels: "nearest" (the converter's own rounding)
    # or "gptq", rounded to fit the calibration inputs (effkit.pipeline.weight_rounding)
    weight_rounding: str = "nearest"

    def __post_init__(self) -> None:
        if self.quant not in QUANT_MODES:
            raise UsageError(f"unknown quantization {self.quant!r}", f"use one of {', '.join(QUANT_MODES)}")
        if self.io not in IO_TYPES:
            raise UsageError(f"unknown I/O type {self.io!r}", f"use one of {', '.join(IO_TYPES)}")
        if self.weight_rounding not in WEIGHT_ROUNDINGS:
            raise UsageError(f"unknown weight rounding {self.weight_rounding!r}",
                             f"use one of {', '.join(WEIGHT_ROUNDINGS)}")


def pin_input_range(batch: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Make every calibration sample reach the normalized values of pixels 0 and 255.

    The converter takes the input tensor's range from the calibration data; with the
    range exactly [(0-mean)/std, (255-mean)/std] the uint8 input's quantization is
    scale 1/std, zero point mean: the identity on raw pixels. Two pixels of each
    sample are set, which leaves the statistics of every other tensor unchanged in
    practice.
    """
    out = np.array(batch, dtype=np.float32, copy=True)
    out[:, 0, 0, :] = (0.0 - mean) / std
    out[:, 0, 1, :] = (255.0 - mean) / std
    return out




def batch_of_one(model):
    """The model behind an input of static batch 1: devices run one image at a time, and a
    dynamic batch (-1 in the shape signature) is something the Edge TPU compiler must guess."""
    import keras

    image = keras.Input(batch_shape=(1, *model.input_shape[1:]), name="image")
    return keras.Model(image, model(image), name=model.name)


def representative_dataset(calibration: np.ndarray):
    """The converter's representative dataset: one float32 sample of batch 1 at a time."""
    samples = np.asarray(calibration, dtype=np.float32)

    def representative():
        for i in range(len(samples)):
            yield [samples[i : i + 1]]

    return representative


def int8_weights_chosen(model, inputs: np.ndarray, options: ConvertOptions, keep: Collection[str] = ()):
    """The model the int8 conversion sees: its kernels rounded as ``options.weight_rounding``
    says (GPTQ: on the converter's grid already) and its biases corrected for that rounding
    on ``inputs``, as ``options.bias_correction`` says; a copy when anything changes.
    ``keep``: layers that stay in float (mixed precision), left as they are."""
    kernels = None
    if options.weight_rounding == "gptq":
        from effkit.pipeline.weight_rounding import gptq_kernels

        kernels = gptq_kernels(model, inputs, skip=keep)
    if options.bias_correction:
        from effkit.pipeline.bias_correction import corrected

        return corrected(model, inputs, keep=keep, int8_kernels=kernels)[0]
    if kernels is not None:
        from effkit.pipeline.bias_correction import copy_with_kernels

        return copy_with_kernels(model, kernels)
    return model


def convert(model, options: ConvertOptions, calibration: np.ndarray | None = None) -> bytes:
    """Convert a Keras model; ``calibration`` (N, R, R, 3) float32 is needed for int8."""
    import tensorflow as tf

    samples = None  # int8: the calibration inputs
    if options.quant == "int8":
        if calibration is None or len(calibration) == 0:
            raise UsageError("int8 quantization needs calibration data")
        samples = calibration
        model = int8_weights_chosen(model, samples, options)
    converter = tf.lite.TFLiteConverter.from_keras_model(batch_of_one(model))
    if samples is not None:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative_dataset(samples)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        io_type = tf.uint8 if options.io == "uint8" else tf.int8
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
    elif options.quant == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif options.quant == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    need = 2 * 4 * model.count_params()  # the SavedModel TensorFlow writes there, and more
    _check_temp_space(need)
    try:
        with native_log_captured():
            return bytes(converter.convert())
    except Exception:
        _check_temp_space(need // 2)  # what a full TMPDIR looks like from inside TensorFlow
        raise


def _check_temp_space(need: int) -> None:
    """OutputError when the temporary folder has fewer than ``need`` bytes free: the
    converter saves the model there first, and a full one surfaces from TensorFlow as a
    TypeError about None (outside walk, a 5 MB TMPDIR)."""
    import shutil
    import tempfile

    from effkit.errors import OutputError

    folder = tempfile.gettempdir()
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    if free < need:
        raise OutputError(f"the temporary folder {folder!r} has {free / 1e6:.0f} MB free, and "
                          f"converting this model writes about {need / 1e6:.0f} MB there",
                          "free space there, or set TMPDIR to a folder with room")
