"""Image classifier metadata, as tflite-support's ``image_classifier.MetadataWriter`` writes it.

Reads the input/output tensor types from the model, describes the input as an RGB image with
NormalizationOptions and the output as per-class scores with a TENSOR_AXIS_LABELS file
(``labels.txt``), then hands everything to the writer. For float32 and uint8 models the
result's metadata JSON is identical to tflite-support's ``create_for_inference``; for int8
tensors effkit also records the int8 value range (-128..127), which tflite-support leaves out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from effkit.errors import ModelFileError
from effkit.metadata.info import (
    TENSOR_TYPES,
    ClassificationOutputInfo,
    InputImageInfo,
    MetadataInfo,
)
from effkit.metadata.model_file import TensorSpec, check_fixed_size, io_tensors
from effkit.metadata.writer import populate
from effkit.model.labels import Labels

LABELS_FILENAME = "labels.txt"


def classifier_tensors(model_bytes: bytes) -> tuple[TensorSpec, TensorSpec]:
    """The image input and score output of a classifier; ModelFileError when it isn't one."""
    inputs, outputs = io_tensors(model_bytes)
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelFileError(
            f"an image classifier has one input and one output; this model has "
            f"{len(inputs)} input(s) and {len(outputs)} output(s)",
            "pass a single-image classifier",
        )
    image, scores = inputs[0], outputs[0]
    if len(image.shape) != 4 or image.shape[-1] != 3:
        raise ModelFileError(
            f"input {image.name!r} has shape {list(image.shape)}, not an RGB image [1, H, W, 3]",
            "pass a classifier that takes NHWC RGB images",
        )
    check_fixed_size(image)
    if image.shape[0] != 1:  # eval set one image into it: a traceback; metadata readers refuse it
        raise ModelFileError(
            f"input {image.name!r} takes a batch of {image.shape[0]} images at once, not one "
            f"[1, H, W, 3] (shape {list(image.shape)})",
            "convert the model with a batch size of 1 (or a dynamic batch)",
        )
    for kind, tensor in (("input", image), ("output", scores)):
        if tensor.dtype not in TENSOR_TYPES:
            raise ModelFileError(f"{kind} {tensor.name!r} is {tensor.dtype}",
                                 f"use a model with {'/'.join(TENSOR_TYPES)} inputs and outputs")
    if len(scores.shape) < 1:
        raise ModelFileError(f"output {scores.name!r} is a scalar, not per-class scores",
                             "pass an image classifier")
    return image, scores


def raw_pixels_disagree(dtype: str, scale: float, zero_point: int,
                        mean: float | Sequence[float], std: float | Sequence[float]) -> str | None:
    """For a uint8 input whose quantization reads stored pixels as something else than the
    normalization (x - mean) / std: the sentence saying so, else None. MediaPipe and the
    Task Library feed a uint8 input the pixels as they are; effkit's eval and apps normalize,
    then quantize. effkit's own builds pin the input so that both are the same."""
    if dtype != "uint8" or not scale:
        return None
    means = [float(m) for m in (mean if isinstance(mean, Sequence) else [mean])]
    stds = [float(v) for v in (std if isinstance(std, Sequence) else [std])]
    # how far apart the two inputs land, in quantization steps, at the ends of 0..255 (the
    # map is linear): a model calibrated on normalized images stays within a step or so
    apart = max(abs((x - m) / (v * scale) + zero_point - x)
                for x in (0.0, 255.0) for m in means for v in stds)
    if apart <= 2.0:
        return None
    shown = ", ".join(f"{m:g}" for m in means), ", ".join(f"{v:g}" for v in stds)
    return (f"the uint8 input's quantization (scale {scale:.6g}, zero point {zero_point}) takes the "
            f"pixels as they are to mean (x - {zero_point}) / {1 / scale:.6g}, but the normalization "
            f"is (x - {shown[0]}) / {shown[1]}: MediaPipe and the Task Library feed such an input "
            "the pixels as they are, effkit's eval and apps normalize then quantize, so their "
            f"answers differ; if the model was trained on the former, give it --mean {zero_point} "
            f"--std {1 / scale:.6g}")


def client_warnings(image: TensorSpec, mean: Sequence[float], std: Sequence[float]) -> list[str]:
    """What the best-known metadata readers refuse in a classifier effkit's own apps and
    eval read (checked 2026-12-07: MediaPipe 1.2.3's ImageClassifier, tflite-support 0.4.4's
    Task Library)."""
    found = []
    if image.dtype == "int8":
        found.append("the model's int8 input is refused by MediaPipe's ImageClassifier and "
                     "tflite-support's Task Library, which take uint8 or float32 ('Type mismatch "
                     "for input tensor'); effkit's apps and eval read it (effkit build --io uint8 "
                     "makes one they take)")
    if len(set(mean)) > 1 or len(set(std)) > 1:
        found.append("MediaPipe's ImageClassifier refuses per-channel normalization ('Per-channel "
                     "image normalization is not available'); effkit's apps and eval and the Task "
                     "Library apply it")
    return found


def labels_file_warnings(name: str, data: bytes) -> list[str]:
    """What other readers make of a packed labels file that effkit's reader cleans (another
    writer's: effkit writes UTF-8 without a mark, LF, no empty lines). Checked 2026-12-07 with
    MediaPipe 1.2.3 and tflite-support 0.4.4 on files packed by tflite-support's writer."""
    fix = "attach the labels again: effkit metadata MODEL --labels FILE --force"
    found = []
    if data.startswith(b"\xef\xbb\xbf"):
        found.append(f"the labels file {name!r} starts with a byte-order mark, which MediaPipe's "
                     "ImageClassifier and the Task Library keep as part of the first label (effkit "
                     f"strips it); {fix}")
    if b"\r\n" in data:
        found.append(f"the labels file {name!r} has Windows line ends (CR LF): the Task Library "
                     f"keeps the CR at the end of each label (effkit drops it); {fix}")
    lines = data.split(b"\n")
    if len(lines) > 2 and not lines[-1].strip() and not lines[-2].strip():
        found.append(f"the labels file {name!r} ends with blank lines, which the Task Library "
                     f"counts as labels (it then refuses the model: more labels than outputs); {fix}")
    inner = data.rstrip(b"\r\n \t").split(b"\n")
    empty = [i + 1 for i, line in enumerate(inner) if not line.strip(b"\r \t")]
    if empty:
        found.append(f"the labels file {name!r} has empty labels (line {', '.join(map(str, empty[:5]))}"
                     f"{' and more' if len(empty) > 5 else ''}): MediaPipe gives those classes no "
                     f"category name; {fix}")
    return found


def reader_warnings(model_bytes: bytes) -> list[str]:
    """Everything a metadata reader other than effkit gets differently from effkit's eval
    and apps in this classifier, or refuses: the input type and normalization MediaPipe
    refuses (``client_warnings``), a uint8 input whose quantization disagrees with the
    normalization (``raw_pixels_disagree``), a labels file other readers read otherwise
    (``labels_file_warnings``), score calibration they apply and effkit does not. One list for
    build, inspect and metadata. Empty for a model without classifier metadata."""
    from effkit.metadata import reader

    found = []
    norm = reader.normalization(model_bytes)
    try:
        image = classifier_tensors(model_bytes)[0] if norm is not None else None
    except ModelFileError:  # not a single-image classifier: the input rules are about those
        image = None
    if image is not None and norm is not None:
        mean, std = norm
        if image.dtype == "uint8" and mean and std:
            mismatch = raw_pixels_disagree(image.dtype, image.scale[0] if image.scale else 0.0,
                                           image.zero_point[0] if image.zero_point else 0, mean, std)
            found += [mismatch] if mismatch else []
        found += client_warnings(image, mean, std)
    packed = reader.label_file(model_bytes)  # with or without normalization: readers read it
    found += labels_file_warnings(*packed) if packed is not None else []
    calibration = reader.score_calibration(model_bytes)
    if calibration is not None:
        found.append(f"the metadata holds {calibration_text(calibration)}")
    return found


def calibration_text(found: str) -> str:
    """What another writer's score calibration means for effkit's numbers, the one wording
    of inspect, build, metadata and eval."""
    return (f"score calibration ({found}), which MediaPipe and the Task Library apply to the "
            "scores and effkit's eval and apps do not: their scores and top classes can differ "
            "from effkit's")


def num_classes(scores: TensorSpec) -> int:
    """Scores per image: every output dimension but the batch."""
    dims = scores.shape[1:] if len(scores.shape) > 1 else scores.shape
    return math.prod(dims)


def create_for_inference(model_bytes: bytes, *, model_info: MetadataInfo,
                         norm_mean: float | Sequence[float], norm_std: float | Sequence[float],
                         labels: Sequence[str]) -> bytes:
    """The model with image classifier metadata and ``labels.txt`` packed in.

    ``norm_mean``/``norm_std``: the preprocessing ``(pixel - mean) / std`` the model was
    trained with (a number, or one per channel). Labels must match the output size.
    """
    image, scores = classifier_tensors(model_bytes)
    checked = Labels.of(labels).check_count(num_classes(scores))
    mean = (norm_mean,) if isinstance(norm_mean, int | float) else tuple(norm_mean)
    std = (norm_std,) if isinstance(norm_std, int | float) else tuple(norm_std)
    input_info = InputImageInfo(norm_mean=mean, norm_std=std, color_space="RGB",
                                tensor_type=image.dtype)
    output_info = ClassificationOutputInfo(labels_filename=LABELS_FILENAME,
                                           tensor_type=scores.dtype)
    return populate(model_bytes, model_info=model_info, inputs=[input_info],
                    outputs=[output_info], files={LABELS_FILENAME: checked.to_bytes()})
