"""Per-layer float vs int8 comparison: where quantization loses the signal, and why.

Both models run with every intermediate tensor kept (LiteRT's
``experimental_preserve_all_tensors``, without XNNPACK: a delegated partition never
writes its inner tensors) on the same normalized inputs. Each compute op of the int8
graph (QUANTIZE/DEQUANTIZE excluded) is matched to the float graph's op with the same
output tensor name, falling back to the op at the same position among unmatched ops
of the same type and output shape. Its int8 output is dequantized with the tensor's
own scale and zero point and compared with the float output over all images:

* ``rel_rmse``: RMSE divided by the float tensor's range (max - min);
* ``snr_db``: 10 log10(sum f^2 / sum (f - q)^2), capped at :data:`SNR_CAP_DB`
  (an exact match reports the cap and ``exact: true``);
* ``cosine``: cosine similarity of the flattened tensors;
* ``clipped``: share of float values outside the range int8 can represent
  (the calibration range was too narrow for them), and ``clip_error_share`` the part
  of the squared error those values make;
* ``at_limits``: share of int8 values at the type's limits (-128/127 or 0/255);
* ``range_use``: the span of the central 99.9 % of float values over the int8 range.

Errors are cumulative: a layer inherits its inputs' error. ``snr_drop_db`` is how
much SNR the layer itself loses against its (first matched) input, which is where a
cause shows. The likely causes named (:func:`likely_causes`) follow from these numbers.

The entry point for the build is :func:`compare` (int8 bytes, float bytes, inputs).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Inputs (a folder, a build's calibration set) live in their own module (which imports
# nothing from this one); their names stay importable from here.
from effkit.analysis.quant_report.inputs import (  # noqa: F401
    DEFAULT_IMAGES,
    BuildInfo,
    inputs_for,
    inputs_for_folder,
)
from effkit.core.manifest import sha256_hex
from effkit.core.progress import TickFn
from effkit.errors import DataError, ModelFileError

SCHEMA_VERSION = 1
SNR_CAP_DB = 120.0
WORST_COUNT = 10
# Thresholds of the likely causes (see likely_causes).
SATURATED_SHARE = 0.01  # > 1 % of float values outside the int8 range, or
SATURATED_ERROR = 0.3  # > 30 % of the squared error made by values outside it
OUTLIER_RANGE_USE = 0.1  # the central 99.9 % of values span < 10 % of the int8 range
_SKIP_OPS = {"QUANTIZE", "DEQUANTIZE"}
_SAMPLE = 65536  # values per image kept for the percentiles


@dataclass(frozen=True)
class LayerStats:
    """One compute op's output, int8 against float, over all images."""

    index: int  # op index in the int8 graph
    op: str
    name: str  # short layer name (Keras layer of the op)
    tensor: str  # output tensor name in the int8 graph (what converters denylist)
    matched_by: str  # "name" or "order"
    shape: tuple[int, ...]
    dtype: str
    scale: float | None
    zero_point: int | None
    float_min: float
    float_max: float
    rel_rmse: float
    snr_db: float
    exact: bool
    cosine: float
    clipped: float
    clip_error_share: float
    at_limits: float
    range_use: float | None
    snr_drop_db: float | None
    per_tensor_weights: bool | None  # conv/depthwise/FC weights with a single scale
    causes: tuple[str, ...]

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["shape"] = list(self.shape)
        d["causes"] = list(self.causes)
        for k in ("float_min", "float_max", "rel_rmse", "snr_db", "cosine", "clipped",
                  "clip_error_share", "at_limits",
                  "range_use", "snr_drop_db"):
            if d[k] is not None:
                d[k] = round(float(d[k]), 6)
        return d


@dataclass(frozen=True)
class QuantReport:
    layers: tuple[LayerStats, ...]
    images: int
    unmatched: tuple[str, ...]  # int8 ops without a float counterpart
    int8_sha256: str
    float_sha256: str

    def worst(self, n: int = WORST_COUNT) -> list[LayerStats]:
        """The ``n`` layers with the lowest SNR (ties: larger relative RMSE first)."""
        return sorted(self.layers, key=lambda s: (s.snr_db, -s.rel_rmse, s.index))[:n]

    def biggest_losses(self, n: int) -> list[LayerStats]:
        """The ``n`` layers that add the most error themselves: the largest rise in
        noise-to-signal power over their input's (``--keep-float`` keeps these: the
        lowest-SNR layers mostly inherit their error, and a float copy of them keeps it)."""
        def added(s: LayerStats) -> float:
            before = s.snr_db + s.snr_drop_db if s.snr_drop_db is not None else SNR_CAP_DB
            return 10 ** (-s.snr_db / 10) - 10 ** (-before / 10)

        return sorted(self.layers, key=lambda s: (-added(s), s.index))[:n]

    def to_dict(self, worst: int = WORST_COUNT) -> dict:
        """The report as JSON (``worst``: how many layers its "worst" list holds)."""
        snrs = [s.snr_db for s in self.layers]
        out = self.layers[-1] if self.layers else None
        return {
            "effkit_quant_report": SCHEMA_VERSION,
            "images": self.images,
            "snr_cap_db": SNR_CAP_DB,
            "int8_sha256": self.int8_sha256,
            "float_sha256": self.float_sha256,
            "summary": {
                "layers": len(self.layers),
                "min_snr_db": round(min(snrs), 3) if snrs else None,
                "median_snr_db": round(float(np.median(snrs)), 3) if snrs else None,
                "output_snr_db": round(out.snr_db, 3) if out else None,
                "output_cosine": round(out.cosine, 6) if out else None,
                "layers_with_causes": sum(bool(s.causes) for s in self.layers),
            },
            "worst": [{"index": s.index, "name": s.name, "op": s.op, "snr_db": round(s.snr_db, 3),
                       "causes": list(s.causes)} for s in self.worst(worst)],
            "unmatched": list(self.unmatched),
            "layers": [s.to_dict() for s in self.layers],
        }


# --------------------------------------------------------------------------- graphs


@dataclass(frozen=True)
class _Op:
    index: int
    op: str
    output: int  # tensor index
    inputs: tuple[int, ...]
    name: str
    shape: tuple[int, ...]


def _ops(interpreter) -> list[_Op]:
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    out = []
    for op in interpreter._get_ops_details():  # the only API that lists ops and their tensors
        if op["op_name"] in _SKIP_OPS or not len(op["outputs"]):
            continue
        t = tensors[int(op["outputs"][0])]
        out.append(_Op(int(op["index"]), op["op_name"], int(t["index"]),
                       tuple(int(i) for i in op["inputs"] if i >= 0), t["name"],
                       tuple(int(d) for d in t["shape"])))
    return out


def match_ops(int8_ops: Sequence[_Op], float_ops: Sequence[_Op]
              ) -> tuple[list[tuple[_Op, _Op, str]], list[str]]:
    """Pairs (int8 op, float op, how) and the names of int8 ops left unmatched."""
    by_name: dict[str, _Op] = {}
    for op in float_ops:
        by_name.setdefault(op.name, op)
    pairs: dict[int, tuple[_Op, _Op, str]] = {}
    used: set[int] = set()
    for q in int8_ops:
        f = by_name.get(q.name)
        if f is not None and f.op == q.op and f.shape == q.shape and f.index not in used:
            pairs[q.index] = (q, f, "name")
            used.add(f.index)
    rest_q = [q for q in int8_ops if q.index not in pairs]
    rest_f = [f for f in float_ops if f.index not in used]
    j = 0
    for q in rest_q:  # order fallback: the next unmatched float op of the same kind
        for k in range(j, len(rest_f)):
            if rest_f[k].op == q.op and rest_f[k].shape == q.shape:
                pairs[q.index] = (q, rest_f[k], "order")
                j = k + 1
                break
    ordered = [pairs[q.index] for q in int8_ops if q.index in pairs]
    return ordered, [q.name for q in int8_ops if q.index not in pairs]


def short_name(tensor: str, op: str) -> str:
    """The Keras layer behind a converter tensor name such as
    ``model/model/block3_dwconv_relu_1/Relu6;model/model/block3_dwconv_1/depthwise;...``:
    the part naming the op's own layer (conv/depthwise/matmul), without the ``_1`` suffix."""
    parts = [p for p in tensor.split(";") if p]
    own = ("/convolution", "/depthwise", "/Conv2D", "/MatMul", "/BiasAdd")
    pick = next((p for p in parts if p.endswith(own)), parts[0] if parts else tensor)
    segs = [s for s in pick.split("/") if s]
    if len(segs) < 2:  # no layer path (e.g. the output "StatefulPartitionedCall:0")
        return op.lower()
    layer = segs[-2]
    head, _, tail = layer.rpartition("_")
    return head if head and tail.isdigit() else layer


# --------------------------------------------------------------------------- statistics


class _Acc:
    """Running sums for one layer pair."""

    def __init__(self) -> None:
        self.n = 0
        self.ff = self.ee = self.qq = self.fq = 0.0
        self.fmin, self.fmax = math.inf, -math.inf
        self.clipped = 0
        self.ee_clipped = 0.0
        self.at_limits = 0
        self.lo_pct: list[float] = []
        self.hi_pct: list[float] = []

    def add(self, f: np.ndarray, f_quant: tuple[float | None, int | None], raw: np.ndarray,
            quant: tuple[float | None, int | None]) -> None:
        """One image: ``f`` the float model's tensor, ``raw`` the int8 model's (as stored)."""
        f = _dequantize(f, *f_quant)
        q = _dequantize(raw, *quant)
        scale, zero = quant
        if scale is not None and zero is not None:
            info = np.iinfo(raw.dtype)
            r = raw.reshape(-1)
            self.at_limits += int(np.count_nonzero(r == info.min) + np.count_nonzero(r == info.max))
            lo, hi = (info.min - zero - 0.5) * scale, (info.max - zero + 0.5) * scale
        e = f - q
        if scale is not None and zero is not None:
            outside = (f < lo) | (f > hi)
            n_out = int(np.count_nonzero(outside))
            if n_out:
                self.clipped += n_out
                self.ee_clipped += float(np.dot(e[outside], e[outside]))
        self.n += f.size
        # float32 BLAS dot products, accumulated in float64 across images
        self.ff += float(np.dot(f, f))
        self.qq += float(np.dot(q, q))
        self.fq += float(np.dot(f, q))
        self.ee += float(np.dot(e, e))
        self.fmin = min(self.fmin, float(f.min()))
        self.fmax = max(self.fmax, float(f.max()))
        sample = f[:: max(1, f.size // _SAMPLE)]
        lo_p, hi_p = np.percentile(sample, [0.05, 99.95])
        self.lo_pct.append(float(lo_p))
        self.hi_pct.append(float(hi_p))

    def snr(self) -> tuple[float, bool]:
        if self.ee == 0.0:
            return SNR_CAP_DB, True
        if self.ff == 0.0:
            return -SNR_CAP_DB, False
        return min(SNR_CAP_DB, 10.0 * math.log10(self.ff / self.ee)), False

    def cosine(self) -> float:
        if self.ff == 0.0 and self.qq == 0.0:
            return 1.0
        if self.ff == 0.0 or self.qq == 0.0:
            return 0.0
        return max(-1.0, min(1.0, self.fq / math.sqrt(self.ff * self.qq)))


def likely_causes(op: str, *, clipped: float, clip_error_share: float = 0.0,
                  range_use: float | None, per_tensor_weights: bool | None,
                  levels: int = 256) -> tuple[str, ...]:
    """The causes the numbers of one layer point to (empty when none stands out)."""
    causes = []
    if clipped > SATURATED_SHARE or clip_error_share > SATURATED_ERROR:
        causes.append(f"saturated activation: {clipped:.2%} of the float values fall outside the "
                      f"int8 range and make {clip_error_share:.0%} of its error (calibration range "
                      "too narrow)")
    if range_use is not None and range_use < OUTLIER_RANGE_USE:
        causes.append(f"outlier-dominated range: 99.9% of the values use {range_use * levels:.0f} "
                      f"of the {levels} int8 levels")
    if op == "DEPTHWISE_CONV_2D" and per_tensor_weights:
        causes.append("depthwise layer with a per-tensor weight scale (one scale for all channels)")
    return tuple(causes)


def _dequantize(raw: np.ndarray, scale: float | None, zero: int | None) -> np.ndarray:
    """A tensor as float32, flattened: (raw - zero point) * scale when quantized."""
    flat = raw.reshape(-1)
    if scale is None:
        return flat.astype(np.float32)
    return (flat.astype(np.float32) - np.float32(zero)) * np.float32(scale)


def _quant(detail: dict) -> tuple[float | None, int | None]:
    if np.dtype(detail["dtype"]) == np.float32:
        return None, None
    qp = detail["quantization_parameters"]
    if len(qp["scales"]) != 1:  # activations are per-tensor; anything else is not an activation
        return None, None
    return float(qp["scales"][0]), int(qp["zero_points"][0])


def _per_tensor_weights(op: _Op, tensors: dict[int, dict]) -> bool | None:
    if op.op not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") or len(op.inputs) < 2:
        return None
    w = tensors[op.inputs[1]]
    if np.dtype(w["dtype"]) == np.float32:
        return None
    return len(w["quantization_parameters"]["scales"]) == 1


# --------------------------------------------------------------------------- running


def _quantized_share(clf) -> float:
    """The share of a model's tensors stored as 8-bit integers (int8 builds: most of them)."""
    details = clf.interpreter.get_tensor_details()
    return sum(t["dtype"] in (np.int8, np.uint8) for t in details) / max(len(details), 1)


_SAME_NETWORK = "compare an int8 model with the float build of the same network"


def compare(int8_model: bytes, float_model: bytes, inputs: np.ndarray,
            progress: TickFn | None = None) -> QuantReport:
    """Run both models on ``inputs`` ((N, R, R, 3) float32, normalized as for the float
    model; the int8 model quantizes them with its input tensor's scale and zero point)
    and compare every matched layer. The models must take the same resolution."""
    from effkit.analysis.evaluate import TFLiteClassifier

    inputs = np.asarray(inputs, dtype=np.float32)
    if inputs.ndim != 4 or len(inputs) == 0:
        raise DataError("no input images to compare the models on", "pass --data DIR with images")
    models = [TFLiteClassifier(m, xnnpack=False, preserve_all_tensors=True)
              for m in (int8_model, float_model)]
    q_clf, f_clf = models
    if q_clf.resolution != f_clf.resolution:
        raise ModelFileError(f"the models take different inputs ({q_clf.resolution} and "
                             f"{f_clf.resolution} pixels)", "compare an int8 model with its own float build")
    if _quantized_share(q_clf) < _quantized_share(f_clf):
        raise ModelFileError("the int8 model given has fewer int8 tensors than the float model: "
                             "the two look swapped", "pass the int8 model first and its float "
                             "build with --float (effkit quant-report INT8.tflite --float FLOAT.tflite)")
    if inputs.shape[1:3] != (q_clf.resolution, q_clf.resolution):
        raise DataError(f"inputs are {inputs.shape[1]}x{inputs.shape[2]}, the models take "
                        f"{q_clf.resolution}x{q_clf.resolution}",
                        "pass --data DIR, whose photos are read at the models' own size (the "
                        "build's set is made at its build.json resolution: is model.tflite the "
                        "one that build made?)")
    if q_clf.num_classes != f_clf.num_classes:  # the "output" figure compared inner layers
        raise ModelFileError(f"the models give different outputs ({q_clf.num_classes} and "
                             f"{f_clf.num_classes} scores)", _SAME_NETWORK)
    q_ops, f_ops = _ops(q_clf.interpreter), _ops(f_clf.interpreter)
    pairs, unmatched = match_ops(q_ops, f_ops)
    if not pairs:
        raise ModelFileError("no layer of the int8 model matches one of the float model",
                             _SAME_NETWORK)
    if 2 * len(pairs) < len(f_ops):  # two networks: their few look-alike layers told nothing
        raise ModelFileError(f"only {len(pairs)} of the float model's {len(f_ops)} layers match one "
                             "of the int8 model's: they look like different networks", _SAME_NETWORK)
    q_tensors = {t["index"]: t for t in q_clf.interpreter.get_tensor_details()}
    f_tensors = {t["index"]: t for t in f_clf.interpreter.get_tensor_details()}
    accs = [_Acc() for _ in pairs]
    quant = [_quant(q_tensors[q.output]) for q, _, _ in pairs]
    f_quant = [_quant(f_tensors[f.output]) for _, f, _ in pairs]  # a quantized "float" side too
    for i, x in enumerate(inputs):
        for clf in models:
            clf.interpreter.set_tensor(clf.input["index"], clf.quantize_input(x)[None])
            clf.interpreter.invoke()
        for acc, (q, f, _), qq, fq in zip(accs, pairs, quant, f_quant, strict=True):
            acc.add(f_clf.interpreter.get_tensor(f.output), fq, q_clf.interpreter.get_tensor(q.output), qq)
        if progress:
            progress(i + 1, len(inputs))
    by_tensor: dict[int, LayerStats] = {}
    layers = []
    for acc, (q, _, how), (scale, zero) in zip(accs, pairs, quant, strict=True):
        snr, exact = acc.snr()
        span = acc.fmax - acc.fmin
        rel = math.sqrt(acc.ee / acc.n) / span if span > 0 else (0.0 if acc.ee == 0 else math.inf)
        dtype = np.dtype(q_tensors[q.output]["dtype"])
        range_use = None
        if scale is not None:
            info = np.iinfo(dtype)
            range_use = (max(acc.hi_pct) - min(acc.lo_pct)) / ((info.max - info.min) * scale)
        upstream = next((by_tensor[t] for t in q.inputs if t in by_tensor), None)
        ptw = _per_tensor_weights(q, q_tensors)
        clipped = acc.clipped / acc.n
        clip_err = acc.ee_clipped / acc.ee if acc.ee > 0 else 0.0
        stats = LayerStats(
            index=q.index, op=q.op, name=short_name(q.name, q.op), tensor=q.name, matched_by=how,
            shape=q.shape, dtype=dtype.name, scale=scale, zero_point=zero,
            float_min=acc.fmin, float_max=acc.fmax, rel_rmse=rel, snr_db=snr, exact=exact,
            cosine=acc.cosine(), clipped=clipped, clip_error_share=clip_err,
            at_limits=acc.at_limits / acc.n,
            range_use=range_use, snr_drop_db=(upstream.snr_db - snr) if upstream else None,
            per_tensor_weights=ptw,
            causes=likely_causes(q.op, clipped=clipped, clip_error_share=clip_err,
                                 range_use=range_use, per_tensor_weights=ptw))
        by_tensor[q.output] = stats
        layers.append(stats)
    return QuantReport(tuple(layers), len(inputs), tuple(unmatched),
                       sha256_hex(int8_model), sha256_hex(float_model))


def compare_on_calibration(int8_model: bytes, float_model: bytes, calibration: np.ndarray,
                           limit: int = DEFAULT_IMAGES) -> QuantReport:
    """:func:`compare` on ``limit`` samples spread over a calibration set (what
    ``effkit build --quant-report`` is meant to call with ``CalibrationSet.inputs``)."""
    from effkit.calibration.sets import pick_evenly

    chosen = pick_evenly(list(range(len(calibration))), limit)
    return compare(int8_model, float_model, np.asarray(calibration)[chosen])
