"""Run classifiers on labelled images: TFLite (through LiteRT) and Keras.

Preprocessing is effkit's one path (``effkit.preprocess``): the resolution comes from
the model's input tensor, normalization from its metadata, quantization from the
tensor's own parameters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from effkit.errors import DataError, ModelFileError
from effkit.preprocess import LoadReport, iter_images, list_images, normalize

WNID = re.compile(r"^(n\d{8})[_.]")


@dataclass(frozen=True)
class LabelledImage:
    path: Path
    label: int


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


class TFLiteClassifier:
    """A .tflite image classifier run with ai-edge-litert (XNNPACK on the CPU)."""

    def __init__(self, model: bytes | Path, *, threads: int | None = None):
        from ai_edge_litert.interpreter import Interpreter

        data = Path(model).read_bytes() if isinstance(model, (str, Path)) else bytes(model)
        try:
            self.interpreter = Interpreter(model_content=data, num_threads=threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise ModelFileError(f"LiteRT cannot load the model: {str(exc).splitlines()[0]}",
                                 "pass a valid .tflite file") from None
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        shape = self.input["shape"]
        if len(shape) != 4 or shape[3] != 3 or shape[1] != shape[2]:
            raise ModelFileError(f"the model's input shape {list(shape)} is not a square RGB image")
        self.resolution = int(shape[1])
        self.mean, self.std = _normalization(data)

    def _prepare(self, pixels: np.ndarray) -> np.ndarray:
        dtype = self.input["dtype"]
        x = normalize(pixels, self.mean, self.std)
        if dtype == np.float32:
            return x
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
        out = self.raw(pixels)
        if self.output["dtype"] == np.float32:
            return out
        scale, zero = self.output["quantization"]
        return (out.astype(np.float32) - zero) * scale


def _normalization(data: bytes) -> tuple[float, float]:
    try:
        from effkit.metadata.reader import normalization

        found = normalization(data)
    except Exception:  # noqa: BLE001 - any metadata problem means: use the defaults
        found = None
    if not found:
        return 127.0, 128.0
    mean, std = found
    return float(mean[0]), float(std[0])


@dataclass
class EvalResult:
    top1: float
    top5: float
    count: int
    skipped: list[str] = field(default_factory=list)
    predictions: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {"top1": round(self.top1, 4), "top5": round(self.top5, 4), "count": self.count,
                "skipped": len(self.skipped)}


def evaluate(predict: Callable[[np.ndarray], np.ndarray], resolution: int,
             items: Sequence[LabelledImage], progress: Callable[[int, int], None] | None = None
             ) -> EvalResult:
    """Top-1/top-5 of ``predict`` (uint8 image -> scores) over labelled images."""
    if not items:
        raise DataError("no labelled images to evaluate on")
    report = LoadReport()
    by_path = {it.path: it.label for it in items}
    top1 = top5 = 0
    preds = []
    for i, (path, pixels) in enumerate(iter_images([it.path for it in items], resolution, report)):
        scores = predict(pixels)
        order = np.argsort(-scores, kind="stable")[:5]
        label = by_path[path]
        top1 += int(order[0] == label)
        top5 += int(label in order)
        preds.append({"path": str(path), "label": label, "top5": [int(k) for k in order],
                      "score": float(scores[order[0]])})
        if progress:
            progress(i + 1, len(items))
    n = report.loaded
    if n == 0:
        raise DataError("none of the images could be read")
    return EvalResult(top1 / n, top5 / n, n, report.skipped, preds)


def keras_predictor(model, mean: float = 127.0, std: float = 128.0) -> Callable[[np.ndarray], np.ndarray]:
    def predict(pixels: np.ndarray) -> np.ndarray:
        return np.asarray(model(normalize(pixels, mean, std)[None], training=False))[0]

    return predict
