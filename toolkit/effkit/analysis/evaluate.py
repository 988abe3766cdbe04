"""Run classifiers on labelled images: TFLite (through LiteRT) and Keras.

Preprocessing is effkit's one path (``effkit.model.preprocess``): the resolution comes from
the model's input tensor, normalization from its metadata, quantization from the
tensor's own parameters.

Two labelled-folder layouts are understood (:func:`labelled_images`):

* one sub-folder per class, named as in the model's labels (or by ImageNet wnid,
  as in ImageNet's own train layout);
* ImageNet-style files ``<wnid>_<name>.JPEG`` in one folder, the class index being
  the wnid's rank among the 1000 sorted wnids (plus one for a 1001-class model, whose
  class 0 is "background": TF-slim's and the Coral model zoo's convention).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from effkit.core.resources import data_file
from effkit.errors import DataError, LabelsError, ModelFileError, first_names, naming_file
from effkit.model.labels import folded
from effkit.model.preprocess import (
    LoadReport,
    Norm,
    check_no_dangling_folders,
    iter_images,
    list_images,
    normalize,
    passed_over,
)
from effkit.model.variants import NORM_MEAN, NORM_STD

WNID = re.compile(r"^(n\d{8})[_.]")

LAYOUT_FOLDERS = "class-folders"
LAYOUT_IMAGENET = "imagenet-files"
_LAYOUT_HINT = ("use one sub-folder per class named as in the model's labels, or ImageNet "
                "files named <wnid>_<name>.JPEG")


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    label: int


def imagenet_wnids() -> list[str]:
    """The 1000 ImageNet-1k wnids, sorted: a wnid's position is its class index."""
    return data_file("imagenet_wnids.txt").read_text(encoding="utf-8").split()


def imagenet_wnid_index(num_classes: int = 1000) -> dict[str, int]:
    """wnid -> class index in a model of ``num_classes`` outputs: 1000 (ImageNet-1k), or
    1001 with "background" first (TF-slim, the Coral model zoo); {} for any other model."""
    offset = {1000: 0, 1001: 1}.get(num_classes)
    return {} if offset is None else {w: i + offset for i, w in enumerate(imagenet_wnids())}


def imagenet_style(folder: Path, wnid_index: dict[str, int]) -> list[LabelledImage]:
    """ImageNet-style files ``<wnid>_<name>.JPEG``: the class index comes from the wnid."""
    out = []
    for p in list_images(folder):
        m = WNID.match(p.name)
        if m and m.group(1) in wnid_index:
            out.append(LabelledImage(p, wnid_index[m.group(1)]))
    return out


def wnid_index_from_tsv(tsv: Path) -> dict[str, int]:
    rows = Path(tsv).read_text(encoding="utf-8").splitlines()[1:]
    return {r.split("\t")[1]: int(r.split("\t")[0]) for r in rows if r.strip()}


@dataclass(frozen=True)
class LabelledSet:
    """Images with their class index, the layout they were found in, and the image
    files whose class could not be told (loose files next to class folders, files
    without a known wnid)."""

    items: tuple[LabelledImage, ...]
    layout: str
    unlabelled: tuple[str, ...] = ()


def _folder_classes(names: Sequence[str], labels: Sequence[str] | None,
                    num_classes: int) -> dict[str, int]:
    """Map each class-folder name to a class index (label name, or wnid for 1000 classes)."""
    exact: dict[str, list[int]] = {}
    folded_names: dict[str, list[int]] = {}
    for i, label in enumerate(labels or ()):
        exact.setdefault(label, []).append(i)
        folded_names.setdefault(folded(label), []).append(i)
    wnids = imagenet_wnid_index(num_classes)
    out: dict[str, int] = {}
    for name in names:
        if name in wnids:
            out[name] = wnids[name]
            continue
        if labels is None:
            raise DataError(f"the model has no labels to match the class folder {name!r} against",
                            "pass --labels FILE (one label per output, in order)")
        hits = exact.get(name) or folded_names.get(folded(name)) or []
        if not hits:
            shown = first_names(labels)
            raise DataError(f"class folder {name!r} matches none of the model's {len(labels)} labels "
                            f"({shown})", "name each sub-folder after a label ('effkit inspect MODEL "
                            "--json' lists them under label_names), or pass --labels FILE")
        if len(hits) > 1:
            raise DataError(f"class folder {name!r} matches {len(hits)} labels "
                            f"(classes {', '.join(map(str, hits))})",
                            "name such folders by ImageNet wnid, or use unique labels")
        out[name] = hits[0]
    return out


def labelled_images(folder: Path, labels: Sequence[str] | None, num_classes: int
                    ) -> LabelledSet:
    """Find labelled images under ``folder`` in either layout (see the module docstring).

    With sub-folders holding images, the first path component under ``folder`` is the
    class; otherwise file names must start with an ImageNet wnid (1000-class models).
    Hidden folders are ignored.
    """
    root = Path(folder)
    paths = list_images(root)
    check_no_dangling_folders(root)  # a class folder linked to nothing: a class gone silently
    rel = {p: p.relative_to(root).parts for p in paths}
    paths = [p for p in paths if not any(passed_over(part) for part in rel[p][:-1])]
    nested = [p for p in paths if len(rel[p]) > 1]
    if nested:
        loose = tuple(str(p) for p in paths if len(rel[p]) == 1)
        classes = _folder_classes(sorted({rel[p][0] for p in nested}), labels, num_classes)
        items = tuple(LabelledImage(p, classes[rel[p][0]]) for p in nested)
        return LabelledSet(items, LAYOUT_FOLDERS, loose)
    if not paths:
        raise DataError(f"{str(root)!r} has no images", _LAYOUT_HINT)
    wnid_index = imagenet_wnid_index(num_classes)
    if not wnid_index:
        raise DataError(f"{str(root)!r} has no class sub-folders, and files named by ImageNet "
                        f"wnid need a model of 1000 or 1001 classes (this one has {num_classes})",
                        _LAYOUT_HINT)
    items = tuple(imagenet_style(root, wnid_index))
    found = {it.path for it in items}
    unlabelled = tuple(str(p) for p in paths if p not in found)
    if not items:
        raise DataError(f"none of the {len(paths)} images in {str(root)!r} is labelled",
                        _LAYOUT_HINT)
    return LabelledSet(items, LAYOUT_IMAGENET, unlabelled)


def check_threads(threads: object) -> None:
    """``--threads``: None (LiteRT's choice) or 1 .. this machine's CPU count; more threads than
    cores gain nothing, and thousands crash LiteRT's thread pool with a signal."""
    import os

    from effkit.errors import check_whole

    if threads is not None:
        cores = os.cpu_count() or 1
        check_whole(threads, "--threads", high=cores, example=cores,
                    why=" (this machine's CPU count)")


def load_interpreter(data: bytes, *, threads: int | None = None, xnnpack: bool = True,
                     preserve_all_tensors: bool = False) -> Any:
    """A LiteRT Interpreter of ``data`` with its tensors allocated, for any model whose input
    size is fixed (ModelFileError in words otherwise)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from effkit.core.native_log import native_log_captured

    resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    from effkit.metadata.model_file import check_fixed_size, io_tensors

    try:
        inputs = io_tensors(data)[0]
    except ModelFileError:
        inputs = []  # not a model effkit can read: LiteRT's own words follow
    for tensor in inputs:  # before LiteRT: XNNPACK fails on it first, in words of its own
        check_fixed_size(tensor)
    try:
        with native_log_captured():  # LiteRT's "INFO: Created ... delegate" line
            interpreter = Interpreter(model_content=data, num_threads=threads,
                                      experimental_op_resolver_type=resolver,
                                      experimental_preserve_all_tensors=preserve_all_tensors)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        first = (str(exc).strip().splitlines() or ["unknown error"])[0]
        hint = ("this is an Edge TPU model: use the CPU model.tflite here, or run it on a "
                "Coral device" if "edgetpu" in str(exc).lower() else "pass a valid .tflite file")
        raise ModelFileError(f"LiteRT cannot load the model: {first}", hint) from None
    return interpreter


def ran_a_delegate(interpreter: Any) -> bool:
    """Whether a delegate (XNNPACK, on the CPU) runs part of the graph: what ran, not what
    was asked for."""
    return any(op["op_name"] == "DELEGATE" for op in interpreter._get_ops_details())


class TFLiteClassifier:
    """A .tflite image classifier run with ai-edge-litert (XNNPACK on the CPU by default)."""

    def __init__(self, model: bytes | Path, *, threads: int | None = None, xnnpack: bool = True,
                 preserve_all_tensors: bool = False):
        """``preserve_all_tensors`` keeps every intermediate tensor readable after
        ``invoke`` (``effkit quant-report``); use it with ``xnnpack=False``, since tensors
        inside a delegated partition are never written."""
        from effkit.metadata.image_classifier import classifier_tensors, raw_pixels_disagree

        data = Path(model).read_bytes() if isinstance(model, (str, Path)) else bytes(model)
        with naming_file(model) if isinstance(model, (str, Path)) else contextlib.nullcontext():
            self.interpreter = load_interpreter(data, threads=threads, xnnpack=xnnpack,
                                                preserve_all_tensors=preserve_all_tensors)
            classifier_tensors(data)  # one input and one output, an RGB image in: else in words
            self.input = self.interpreter.get_input_details()[0]
            self.output = self.interpreter.get_output_details()[0]
            height, width = (int(d) for d in self.input["shape"][1:3])
            if height != width:
                raise ModelFileError(f"the model's input is {width}x{height} pixels, not square",
                                     "use a model with a square input: effkit's preprocessing "
                                     "is a central square crop")
        self.resolution = height
        self.num_classes = int(np.prod(self.output["shape"][1:]))
        self.size_bytes = len(data)
        self.mean, self.std, self.normalization_given = _normalization(data)
        scale, zero = self.input["quantization"]
        self.pixels_note = raw_pixels_disagree(np.dtype(self.input["dtype"]).name, float(scale),
                                               int(zero), self.mean, self.std)
        self.scores_note = _calibration_note(data)

    @property
    def delegated(self) -> bool:
        """Whether a delegate (XNNPACK, on the CPU) runs part of the graph."""
        return ran_a_delegate(self.interpreter)

    def _prepare(self, pixels: np.ndarray) -> np.ndarray:
        return self.quantize_input(normalize(pixels, self.mean, self.std))

    def quantize_input(self, x: np.ndarray) -> np.ndarray:
        """Normalized float input -> the input tensor's type (uint8/int8 by its own
        scale and zero point; float passes through)."""
        dtype = self.input["dtype"]
        if dtype == np.float32:
            return x.astype(np.float32)
        scale, zero = self.input["quantization"]
        info = np.iinfo(dtype)
        return np.clip(np.round(x / scale + zero), info.min, info.max).astype(dtype)

    def raw(self, pixels: np.ndarray) -> np.ndarray:
        """The output tensor as stored (uint8/int8/float) for one uint8 image (R, R, 3)."""
        self.interpreter.set_tensor(self.input["index"], self._prepare(pixels)[None])
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"])[0].copy()

    def scores(self, pixels: np.ndarray) -> np.ndarray:
        """Dequantized class scores for one image."""
        return _dequantized(self.raw(pixels).reshape(-1), self.output)

    def logits_detail(self) -> dict:
        """The tensor details of the logits: the input of the model's last SOFTMAX op."""
        ops = [op for op in self.interpreter._get_ops_details() if op["op_name"] == "SOFTMAX"]
        if not ops:
            raise ModelFileError("the model has no SOFTMAX op to read logits from")
        return self.interpreter._get_tensor_details(int(ops[-1]["inputs"][0]), 0)

    def scores_and_logits(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Dequantized class scores and logits (see :meth:`logits_detail`) for one image, as
        the model computed them. Needs ``preserve_all_tensors=True, xnnpack=False``."""
        detail = self.logits_detail()
        scores = self.scores(pixels)
        return scores, _dequantized(self.interpreter.get_tensor(detail["index"]).reshape(-1), detail)


def _dequantized(values: np.ndarray, detail: dict) -> np.ndarray:
    if values.dtype == np.float32:
        return values
    scale, zero = detail["quantization"]
    return (values.astype(np.float32) - zero) * scale


def _calibration_note(data: bytes) -> str | None:
    """Another writer's score calibration in the metadata, which effkit's scores leave out
    (MediaPipe and the Task Library apply it): said, so a difference from them is explained."""
    try:
        from effkit.metadata.reader import score_calibration

        found = score_calibration(data)
    except Exception:  # noqa: BLE001 - unreadable metadata: nothing to say of it here
        return None
    from effkit.metadata.image_classifier import calibration_text

    return None if found is None else f"its metadata holds {calibration_text(found)}"


def _normalization(data: bytes) -> tuple[Norm, Norm, bool]:
    """(mean, std, from the metadata): the model's own, else EfficientNet-Lite's (False).
    One value each, or one per RGB channel when the channels differ (only the first was
    used: a model normalized per channel was measured on wrongly normalized input)."""
    try:
        from effkit.metadata.reader import normalization

        found = normalization(data)
    except Exception:  # noqa: BLE001 - any metadata problem means: use the defaults
        found = None
    if not found or not found[0] or not found[1]:
        return NORM_MEAN, NORM_STD, False
    return _per_channel(found[0], "mean"), _per_channel(found[1], "std"), True


def _per_channel(values: Sequence[float], what: str) -> Norm:
    """One value when every channel has it, else the three per RGB channel."""
    numbers = tuple(float(v) for v in values)
    if len(set(numbers)) == 1:
        return numbers[0]
    if len(numbers) != 3:  # other writers let it through (MediaPipe's, tflite-support's)
        raise ModelFileError(f"the model's metadata normalizes with {len(numbers)} different {what} "
                             "values, not one or one per RGB channel (3)",
                             "attach the metadata again: effkit metadata MODEL --labels FILE "
                             "--mean M --std S --force")
    return numbers


def model_labels(data: bytes) -> list[str] | None:
    """Labels packed in the model's metadata, or None (no metadata, or no labels file)."""
    from effkit.metadata.reader import labels_from_model

    return labels_from_model(data)


@dataclass
class Accuracy:
    """Top-1/top-5 of one model on a list of images, with what was skipped and every
    prediction (``effkit.EvalResult`` is what the API returns of it)."""

    top1: float
    top5: float
    count: int
    skipped: list[str] = field(default_factory=list)
    predictions: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {"top1": round(self.top1, 4), "top5": round(self.top5, 4), "count": self.count,
                "skipped": len(self.skipped)}

    def per_class(self, labels: Sequence[str] | None = None) -> list[dict]:
        """Accuracy of each class that has images: index, label, images, top1, top5."""
        tally: dict[int, list[int]] = {}
        for p in self.predictions:
            t = tally.setdefault(p["label"], [0, 0, 0])
            t[0] += 1
            t[1] += int(p["top5"][0] == p["label"])
            t[2] += int(p["label"] in p["top5"])
        out = []
        for k in sorted(tally):
            n, t1, t5 = tally[k]
            name = labels[k] if labels is not None and k < len(labels) else None
            out.append({"index": k, "label": name, "images": n,
                        "top1": round(t1 / n, 4), "top5": round(t5 / n, 4)})
        return out


@dataclass(frozen=True)
class Predictor:
    """One model to evaluate: uint8 image (R, R, 3) -> class scores, at resolution R."""

    predict: Callable[[np.ndarray], np.ndarray]
    resolution: int


def evaluate(predict: Callable[[np.ndarray], np.ndarray], resolution: int,
             items: Sequence[LabelledImage], progress: Callable[[int, int], None] | None = None
             ) -> Accuracy:
    """Top-1/top-5 of ``predict`` (uint8 image -> scores) over labelled images."""
    return evaluate_many([Predictor(predict, resolution)], items, progress)[0]


def evaluate_many(predictors: Sequence[Predictor], items: Sequence[LabelledImage],
                  progress: Callable[[int, int], None] | None = None) -> list[Accuracy]:
    """Evaluate several models on the same images, each image decoded once per resolution.

    An image that cannot be read is skipped for every model, so all results cover
    the same images (what ``effkit eval --compare`` needs for agreement).
    """
    if not items:
        raise DataError("no labelled images to evaluate on", _LAYOUT_HINT)
    resolutions = sorted({p.resolution for p in predictors})
    skipped: list[str] = []
    preds: list[list[dict]] = [[] for _ in predictors]
    for i, item in enumerate(items):
        report = LoadReport()
        pixels: dict[int, np.ndarray] = {}
        for r in resolutions:
            for _, px in iter_images([item.path], r, report):
                pixels[r] = px
            if r not in pixels:
                break
        if report.skipped:
            skipped.append(report.skipped[0])
        else:
            for out, p in zip(preds, predictors, strict=True):
                scores = np.asarray(p.predict(pixels[p.resolution])).reshape(-1)
                order = np.argsort(-scores, kind="stable")[:5]
                out.append({"path": str(item.path), "label": item.label,
                            "top5": [int(k) for k in order], "score": float(scores[order[0]])})
        if progress:
            progress(i + 1, len(items))
    if not preds[0]:
        from effkit.model.preprocess import none_readable

        raise none_readable(len(items), "", skipped)
    results = []
    for out in preds:
        n = len(out)
        top1 = sum(p["top5"][0] == p["label"] for p in out)
        top5 = sum(p["label"] in p["top5"] for p in out)
        results.append(Accuracy(top1 / n, top5 / n, n, list(skipped), out))
    return results


def trivial_top5(result: dict) -> bool:
    """Whether an eval result's top-5 says nothing: its model has 5 or fewer classes, so
    every class is among its top 5 (results saved before num_classes was recorded: False)."""
    model = result.get("model")
    classes = model.get("num_classes") if isinstance(model, dict) else None
    return isinstance(classes, int) and not isinstance(classes, bool) and classes <= 5


def images_digest(root: Path, items: Sequence[LabelledImage]) -> str:
    """Which photos an evaluation used, as one sha256 of their paths under ``root``, labels
    and sizes: two saved results compare (effkit report's float-vs-int8 drop) only when
    their digests match."""
    import hashlib

    digest = hashlib.sha256()
    for item in items:
        try:
            size = item.path.stat().st_size
        except OSError:
            size = -1
        rel = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else str(item.path)
        digest.update(f"{rel}\t{item.label}\t{size}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def paired_se_points(first_only: int, second_only: int, images: int) -> float:
    """The standard error, in points, of the top-1 difference of two models over the same
    ``images``: per image, (first right) - (second right) is +1 on the ``first_only``
    images, -1 on the ``second_only`` ones and 0 on all others, so only those count."""
    mean = (first_only - second_only) / images
    return 100 * float(np.sqrt(max((first_only + second_only) / images - mean ** 2, 0.0) / images))


@dataclass(frozen=True)
class Agreement:
    """How often two models' top-1 agree on the same images, and where they do not."""

    agreement: float
    images: int
    disagreements: tuple[dict, ...]  # path, label, top1 of each model

    def to_dict(self) -> dict:
        first = sum(d["top1"] == d["label"] for d in self.disagreements)
        second = sum(d["other_top1"] == d["label"] for d in self.disagreements)
        return {"agreement": round(self.agreement, 4), "images": self.images,
                "disagreements": list(self.disagreements),
                "only_model_right": first, "only_compare_right": second,
                "top1_difference_se_points": round(paired_se_points(first, second, self.images), 2)
                if self.images else None}


def agreement(a: Accuracy, b: Accuracy) -> Agreement:
    """Top-1 agreement of two results of :func:`evaluate_many` (same images, same order)."""
    if [p["path"] for p in a.predictions] != [p["path"] for p in b.predictions]:
        raise ValueError("the two results are not over the same images")
    differ = tuple({"path": p["path"], "label": p["label"], "top1": p["top5"][0],
                    "other_top1": q["top5"][0]}
                   for p, q in zip(a.predictions, b.predictions, strict=True) if p["top5"][0] != q["top5"][0])
    n = len(a.predictions)
    return Agreement((n - len(differ)) / n if n else 0.0, n, differ)


@dataclass(frozen=True)
class Fidelity:
    """How faithfully a quantized model keeps its float model's answers on the same images.

    ``agreement``: share of images where both models' top-1 is the same class. ``kl``: mean
    KL(float || quantized) of the class probabilities, in nats. ``cosine``: mean cosine
    similarity of the two output vectors. ``float_top1``/``quant_top1`` when labels are given,
    with the paired counts behind their difference: ``broken`` images the float model gets
    right and the quantized one wrong, ``fixed`` the other way round.
    """

    images: int
    agreement: float
    kl: float
    cosine: float
    float_top1: float | None = None
    quant_top1: float | None = None
    broken: int | None = None
    fixed: int | None = None

    @property
    def drop_points(self) -> float | None:
        if self.float_top1 is None or self.quant_top1 is None:
            return None
        return 100 * (self.float_top1 - self.quant_top1)

    @property
    def drop_se_points(self) -> float | None:
        """The standard error of :attr:`drop_points` over these images."""
        if self.broken is None or self.fixed is None:
            return None
        return paired_se_points(self.broken, self.fixed, self.images)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"images": self.images, "agreement": round(self.agreement, 4),
                               "kl": round(self.kl, 5), "cosine": round(self.cosine, 5)}
        if self.float_top1 is not None and self.quant_top1 is not None:
            out |= {"float_top1": round(self.float_top1, 4), "quant_top1": round(self.quant_top1, 4),
                    "drop_points": round(100 * (self.float_top1 - self.quant_top1), 2)}
        se = self.drop_se_points
        if se is not None:
            out |= {"broken": self.broken, "fixed": self.fixed, "drop_se_points": round(se, 2)}
        return out


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64)
    z = np.exp(z - z.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def fidelity(float_scores: np.ndarray, quant_scores: np.ndarray,
             float_probs: np.ndarray | None = None, quant_probs: np.ndarray | None = None,
             labels: np.ndarray | None = None) -> Fidelity:
    """Fidelity of a quantized model to its float model over the same N images.

    ``*_scores`` (N, classes) are what each model outputs (top-1 and agreement come from
    them, ties to the lower class index as in :func:`evaluate_many`; cosine too).
    ``*_probs`` are the probabilities the KL is taken on; by default the scores. An 8-bit
    softmax output holds exact zeros, so pass the softmax of the quantized model's own
    logits there (from :meth:`TFLiteClassifier.scores_and_logits`) for a finite KL.
    """
    a = np.asarray(float_scores, dtype=np.float64)
    b = np.asarray(quant_scores, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 2 or not len(a):
        raise ValueError(f"need two (N, classes) score arrays of one shape, got {a.shape} and {b.shape}")
    p = np.asarray(a if float_probs is None else float_probs, dtype=np.float64)
    q = np.asarray(b if quant_probs is None else quant_probs, dtype=np.float64)
    tiny = np.finfo(np.float64).tiny
    kl = np.sum(np.where(p > 0, p * (np.log(np.maximum(p, tiny)) - np.log(np.maximum(q, tiny))), 0), axis=1)
    cos = np.sum(a * b, axis=1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), tiny)
    top_a, top_b = np.argmax(a, axis=1), np.argmax(b, axis=1)
    out = Fidelity(len(a), float(np.mean(top_a == top_b)), float(np.mean(kl)), float(np.mean(cos)))
    if labels is not None:
        labels = np.asarray(labels)
        right_a, right_b = top_a == labels, top_b == labels
        out = Fidelity(out.images, out.agreement, out.kl, out.cosine,
                       float(np.mean(right_a)), float(np.mean(right_b)),
                       broken=int(np.sum(right_a & ~right_b)), fixed=int(np.sum(~right_a & right_b)))
    return out


def keras_predictor(model, mean: float = NORM_MEAN,
                    std: float = NORM_STD) -> Callable[[np.ndarray], np.ndarray]:
    def predict(pixels: np.ndarray) -> np.ndarray:
        return np.asarray(model(normalize(pixels, mean, std)[None], training=False))[0]

    return predict


def _same_labels(a: Sequence[str], b: Sequence[str]) -> None:
    if list(a) != list(b):
        k = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        raise DataError(f"the two models' labels differ (first at class {k})",
                        "compare models of the same classes, or pass --labels to use one list")


def evaluate_files(model: Path, data: Path, *, labels_file: Path | None = None,
                   compare: Path | None = None, limit: int | None = None,
                   threads: int | None = None, xnnpack: bool = True,
                   progress: Callable[[int, int], None] | None = None) -> dict:
    """``effkit eval``: evaluate ``model`` (and ``compare``) on a labelled folder.

    Returns one JSON-ready document: the model's top-1/top-5, per-class accuracy
    and file record at the top level; with ``compare``, the other model's under
    ``"compare"`` together with the top-1 agreement and the images where they differ.
    """
    import time

    from effkit.analysis.saved_results import model_record
    from effkit.calibration.sets import pick_evenly
    from effkit.errors import UsageError, check_whole
    from effkit.metadata.model_file import load_model_file
    from effkit.model.labels import Labels

    if limit is not None:
        check_whole(limit, "--limit", high=10**9, example=500)
    check_threads(threads)
    paths = [Path(model)] + ([Path(compare)] if compare is not None else [])
    blobs = [load_model_file(p) for p in paths]
    models = []
    for path, blob in zip(paths, blobs, strict=True):
        with naming_file(path):
            models.append(TFLiteClassifier(blob, threads=threads, xnnpack=xnnpack))
    num_classes = models[0].num_classes
    if any(m.num_classes != num_classes for m in models):
        raise UsageError(f"the models have different numbers of classes "
                         f"({' vs '.join(str(m.num_classes) for m in models)})",
                         "compare two builds of the same classifier")
    labels: list[str] | None
    if labels_file is not None:
        labels = list(Labels.from_file(labels_file, expected=num_classes))
    else:
        found = [model_labels(b) for b in blobs]
        if len(found) == 2:
            first, second = found
            if first is not None and second is not None:
                _same_labels(first, second)
        labels = next((f for f in found if f is not None), None)
        if labels is not None:
            try:
                Labels(tuple(labels), f"labels in {paths[0]}").check_count(num_classes)
            except LabelsError as exc:  # the metadata's: the fix is another labels file, or new metadata
                raise LabelsError(exc.message, "pass --labels FILE with one label per output, or "
                                  "attach them again: effkit metadata MODEL --labels FILE --force") from None
        elif num_classes == 1000:
            labels = list(Labels.imagenet())
    found_set = labelled_images(Path(data), labels, num_classes)
    if labels_file is not None and found_set.layout == LAYOUT_IMAGENET:
        raise UsageError(f"--labels names class sub-folders, but the photos in {str(data)!r} have "
                         "none: their ImageNet wnid file names give their classes, so the file "
                         "would not be used", "drop --labels, or put the photos in one sub-folder "
                         "per class named as in the labels")
    items = list(found_set.items)
    if limit is not None:
        items = pick_evenly(items, limit)
    start = time.perf_counter()
    results = evaluate_many([Predictor(m.scores, m.resolution) for m in models], items, progress)
    seconds = round(time.perf_counter() - start, 2)
    shared = {"data": str(Path(data)), "layout": found_set.layout, "images": len(items),
              "images_sha256": images_digest(Path(data), items),
              "skipped": len(results[0].skipped), "skipped_files": results[0].skipped,
              "unlabelled": len(found_set.unlabelled), "limit": limit, "threads": threads,
              "xnnpack": all(m.delegated for m in models), "seconds": seconds}

    def one(k: int) -> dict:
        r = results[k]
        return {"model": model_record(paths[k], blobs[k]) | {
                          "resolution": models[k].resolution, "num_classes": models[k].num_classes,
                          # (x - mean) / std: the model's metadata, else assumed (EfficientNet-Lite's)
                          "normalization": {"mean": models[k].mean, "std": models[k].std,
                                            "source": "metadata" if models[k].normalization_given
                                            else "assumed"}
                          | ({"note": models[k].pixels_note} if models[k].pixels_note else {}),
                          "input_dtype": np.dtype(models[k].input["dtype"]).name}
                          | ({"scores_note": models[k].scores_note} if models[k].scores_note else {}),
                "top1": round(r.top1, 4), "top5": round(r.top5, 4), "count": r.count,
                "per_class": r.per_class(labels)}

    doc = one(0) | shared
    if compare is not None:
        agree = agreement(results[0], results[1]).to_dict()
        for d in agree["disagreements"]:
            if labels is not None:
                d["label_name"] = labels[d["label"]]
                d["top1_name"] = labels[d["top1"]]
                d["other_top1_name"] = labels[d["other_top1"]]
        doc["compare"] = one(1) | {k: agree[k] for k in (
            "agreement", "disagreements", "only_model_right", "only_compare_right",
            "top1_difference_se_points")}
    return doc


def per_model_documents(doc: dict) -> list[tuple[Path, dict]]:
    """Split an :func:`evaluate_files` document into one per model (for ``--save``):
    the first model's is the document itself, the compared model's its own figures
    plus the shared fields (data, layout, counts, timing)."""
    out = [(Path(doc["model"]["path"]), doc)]
    other = doc.get("compare")
    if other:
        own = ("model", "top1", "top5", "count", "per_class", "compare")
        shared = {k: v for k, v in doc.items() if k not in own}
        mine = {k: v for k, v in other.items() if k not in ("agreement", "disagreements")}
        out.append((Path(other["model"]["path"]), mine | shared))
    return out
