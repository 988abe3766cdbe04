"""effkit report: build folders and their measured results -> one HTML page and PNG charts.

A build folder is what ``effkit build`` writes: ``build.json`` (variant, quantization,
calibration, stage timings, artifacts, Edge TPU check/compile) next to ``model.tflite``.
``effkit eval --save`` and ``effkit bench --save`` add ``eval.json`` and ``bench.json``
to it (see :func:`result_path`). The page is self-contained: the charts are embedded
as base64 PNG data URIs, the styles inline, and every string that came from a file
is HTML-escaped.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

from effkit.core.manifest import (
    MANIFEST_NAME,
    MODEL_FILE,
    QUANT_REPORT_FILE,
    RESULT_KEYS,
    RESULT_NAMES,
    Manifest,
    read_document,
)
from effkit.errors import DataError

# ---------------------------------------------------------------------------
# Reading build folders

QUANT_ORDER = ("float32", "float16", "dynamic", "int8")


@dataclass(frozen=True)
class BuildEntry:
    """One build folder as the report sees it."""

    folder: Path
    variant: str
    quant: str
    io: str
    target: str
    weights: str  # the weights' kind: pth, official-ckpt, keras, random
    model_bytes: int | None
    timings: dict = field(default_factory=dict)
    calibration: dict | None = None
    edgetpu: dict | None = None
    eval: dict | None = None
    bench: dict | None = None
    warnings: tuple[str, ...] = ()
    quant_report: dict | None = None  # its quant_report.json, when of this build's model
    shown_as: str | None = None  # set by ``named_apart`` when two folders share a name

    @property
    def name(self) -> str:
        """The build as the page, its charts and its notes name it: the folder's name, or as
        many of its path's last parts as tell it from the other builds'."""
        return self.shown_as or self.folder.name

    @property
    def real_weights(self) -> bool:
        return self.weights != "random"

    @property
    def label(self) -> str:
        return f"{self.variant} {self.quant}" + ("" if self.real_weights else " (random weights)")

    @property
    def top1(self) -> float | None:
        return self.eval["top1"] if self.eval and self.real_weights else None

    @property
    def top5(self) -> float | None:
        from effkit.analysis.evaluate import trivial_top5

        return self.eval["top5"] if self.eval and self.real_weights and not trivial_top5(self.eval) else None

    @property
    def p50(self) -> float | None:
        return self.bench["latency"]["p50"] if self.bench else None

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "variant": self.variant, "quantization": self.quant,
                "io": self.io, "target": self.target, "weights": self.weights,
                "model_bytes": self.model_bytes, "timings_s": self.timings,
                "calibration": self.calibration, "top1": self.top1, "top5": self.top5,
                "eval_images": self.eval.get("count") if self.eval else None,
                "latency_ms": self.bench["latency"] if self.bench else None,
                "peak_rss_mb": self.bench.get("peak_rss_mb") if self.bench else None,
                "edgetpu": self.tpu_counts, "warnings": list(self.warnings)}

    @property
    def tpu_counts(self) -> dict | None:
        return _tpu_counts(self.edgetpu)


def read_json(path: Path, what: str) -> dict:
    return read_document(path, what, "write it again with effkit")


def load_build(folder: Path) -> BuildEntry:
    """Read a build folder's build.json and, when present, its eval.json and bench.json.

    A result whose model digest differs from the build's ``model.tflite`` is left out,
    with a warning (the model was rebuilt after it was measured).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{str(folder)!r} is not a folder", "pass build folders written by 'effkit build'")
    if not os.path.lexists(folder / MANIFEST_NAME):  # anything else: the reader says what it is
        raise DataError(f"{str(folder)!r} is not an effkit build folder (no {MANIFEST_NAME})",
                        "pass folders written by 'effkit build'")
    manifest = Manifest.read(folder)
    main = manifest.artifact(MODEL_FILE)
    warnings = [f"the build warned: {w}" for w in manifest.warnings]  # few images, a label twice
    swapped = False  # model.tflite is not the build's: measuring it again cannot match
    if main is not None and not (folder / MODEL_FILE).is_file():
        warnings.append(f"{MODEL_FILE} is missing: the figures are of the model build.json lists")
    elif main is not None and main.changed(folder):
        swapped = True
        warnings.append(f"{MODEL_FILE} differs from the one build.json lists (changed or damaged "
                        "since the build): the figures are of that model")
    results: dict[str, dict | None] = {}
    for kind, fname in RESULT_NAMES.items():
        path = folder / fname
        res = read_json(path, f"{kind} results") if os.path.lexists(path) else None
        if res is not None and (RESULT_KEYS[kind] not in res or not _well_formed(kind, res)):
            raise DataError(f"{str(path)!r} is not an effkit {kind} result",
                            f"write it again with 'effkit {kind} MODEL --save --force'")
        if res is not None and main is not None and res["model"].get("sha256") != main.sha256:
            fix = ("build the folder again with 'effkit build': its model.tflite is not the "
                   "build's" if swapped else f"run 'effkit {kind} ... --save --force' again")
            warnings.append(f"{fname} was measured on another model file than this build's "
                            f"{MODEL_FILE}; left out ({fix})")
            res = None
        if res is not None and res.get("xnnpack") is False:  # absent: before it was recorded
            warnings.append(f"{fname} was measured on LiteRT's reference kernels (--no-xnnpack), "
                            "not XNNPACK like the default: compare it only with builds measured so")
        results[kind] = res
    quant_report = None
    if os.path.lexists(folder / QUANT_REPORT_FILE):  # as a result: of this build's model only
        quant_report = read_json(folder / QUANT_REPORT_FILE, "quant report")
        # the build's own (listed in build.json, unchanged) is of its model; builds before
        # 2026-12-07 recorded the digest of the model before its metadata was attached
        record = manifest.artifact(QUANT_REPORT_FILE)
        own = record is not None and not record.changed(folder)
        if not own and main is not None and quant_report.get("int8_sha256") != main.sha256:
            warnings.append(f"{QUANT_REPORT_FILE} was made from another model file than this "
                            f"build's {MODEL_FILE}; left out (build the folder again with "
                            "'effkit build --quant-report --force')")
            quant_report = None
    weights = str(manifest.weights.get("kind") or "unknown")
    if weights == "random":
        warnings.append("random weights: latency only, no accuracy")
    quant = manifest.quantization
    return BuildEntry(
        folder=folder, variant=manifest.variant, quant=str(quant.get("mode", "?")),
        io=str(quant.get("io", "?")), target=str(manifest.target), weights=weights,
        model_bytes=main.bytes if main else None,
        timings={str(k): float(v) for k, v in manifest.timings_s.items() if is_number(v)},
        calibration=manifest.calibration, edgetpu=manifest.edgetpu,
        eval=results["eval"], bench=results["bench"], warnings=tuple(warnings),
        quant_report=quant_report)


def is_number(v: object) -> TypeGuard[int | float]:
    """A measurement: an int or a finite float of sane size (never a bool)."""
    import math

    return (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            and abs(v) < 1e15)


def _well_formed(kind: str, res: dict) -> bool:
    """The fields the report reads are there and numeric."""
    if not isinstance(res.get("model"), dict):
        return False
    if kind == "eval":
        return all(is_number(res.get(k)) for k in ("top1", "top5", "count"))
    lat = res.get("latency")
    return isinstance(lat, dict) and all(is_number(lat.get(k)) for k in ("p50", "p90", "p99"))


def _tpu_counts(section: dict | None) -> dict | None:
    """Edge TPU op counts: the compiler's own when compiled, else effkit's prediction."""
    def sub(d: object, key: str) -> dict:
        v = d.get(key) if isinstance(d, dict) else None
        return v if isinstance(v, dict) else {}

    if not isinstance(section, dict):
        return None
    rep = sub(sub(section, "compile"), "report") if section.get("compiled") else {}
    if is_number(rep.get("ops_tpu")) and is_number(rep.get("ops_cpu")):
        return {"source": "edgetpu_compiler", "ops_tpu": rep["ops_tpu"], "ops_cpu": rep["ops_cpu"],
                "on_chip_bytes": rep.get("on_chip_used_bytes"),
                "off_chip_bytes": rep.get("off_chip_used_bytes")}
    check = sub(section, "check")
    if is_number(check.get("ops_tpu")) and is_number(check.get("ops_cpu")):
        return {"source": "predicted by effkit check-edgetpu", "ops_tpu": check["ops_tpu"],
                "ops_cpu": check["ops_cpu"], "on_chip_bytes": check.get("on_chip_bytes"),
                "off_chip_bytes": check.get("off_chip_bytes")}
    return None


def named_apart(entries: Sequence[BuildEntry]) -> list[BuildEntry]:
    """``entries`` with each named by the fewest last parts of its folder's path that tell it
    from the others (two 'effkit train' runs both build OUT/lite0-cpu: 'a/lite0-cpu' and
    'b/lite0-cpu'; the report showed 'lite0-cpu' twice)."""
    import dataclasses

    parts = [e.folder.absolute().parts for e in entries]
    out = []
    for e, mine in zip(entries, parts, strict=True):
        for n in range(1, len(mine) + 1):
            tail = mine[-n:]
            if sum(p[-n:] == tail for p in parts) == 1:
                break
        out.append(e if n == 1 else dataclasses.replace(e, shown_as="/".join(tail)))
    return out


def sort_key(e: BuildEntry) -> tuple:
    q = QUANT_ORDER.index(e.quant) if e.quant in QUANT_ORDER else len(QUANT_ORDER)
    return (e.variant, q, e.name)


