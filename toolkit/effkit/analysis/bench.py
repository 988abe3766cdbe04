"""Latency and memory of .tflite models with ai-edge-litert, each in a fresh process.

Every measurement runs in a child Python process (``python -m effkit.analysis.bench``) so the
peak resident memory (the process's RSS high-water mark) belongs to the model alone
and is not polluted by the caller (TensorFlow, other models, earlier runs). The
child loads the model(s), runs ``warmup`` invocations, then times ``runs``
invocations of ``Interpreter.invoke`` on a fixed input and prints JSON.

With two models (``bench_vs``) one child times them interleaved, run by run
(A B, B A, A B ...), so slow drifts of the machine (other load, frequency scaling)
hit both equally; each model's peak memory then comes from its own child.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from effkit.core.manifest import sha256_hex
from effkit.core.progress import TickFn
from effkit.errors import EffkitError, ModelFileError, check_whole


@dataclass(frozen=True)
class Latency:
    """Latency statistics in milliseconds over ``runs`` timed invocations."""

    runs: int
    p50: float
    p90: float
    p99: float
    mean: float
    min: float
    max: float

    @classmethod
    def from_ms(cls, samples: Sequence[float]) -> Latency:
        a = np.asarray(samples, dtype=np.float64)
        p50, p90, p99 = (float(v) for v in np.percentile(a, [50, 90, 99]))
        return cls(len(a), round(p50, 4), round(p90, 4), round(p99, 4), round(float(a.mean()), 4),
                   round(float(a.min()), 4), round(float(a.max()), 4))


@dataclass(frozen=True)
class BenchResult:
    """One model's figures: latency, file size, peak memory of the measuring process."""

    model: Path  # as given, like effkit.evaluate's Accuracy.model
    size_bytes: int
    sha256: str
    latency: Latency
    threads: int | None
    xnnpack: bool
    warmup: int
    # the first load in a fresh process, after the imports: reading the file, checking its
    # tensors, LiteRT's interpreter and allocation, with their first-use costs, as an app's
    # first load pays them (a second load of the same model in that process is faster)
    load_ms: float
    # In MiB (2**20 bytes) whatever the key says, as build.json and saved bench.json hold them
    peak_rss_mb: float  # high-water mark of the child that loaded and ran only this model
    baseline_rss_mb: float  # the same child after its imports, before loading the model
    machine: dict = field(default_factory=dict)  # what it was measured on: machine_info()

    def to_dict(self) -> dict:
        """The document ``effkit bench --json`` prints (and ``--save`` writes)."""
        from effkit.analysis.saved_results import file_record

        return asdict(self) | {"model": file_record(self.model, self.size_bytes, self.sha256),
                               "runs": self.latency.runs}


@dataclass(frozen=True)
class VsResult:
    """Two models timed interleaved; ``ratio`` = other's latency / model's latency."""

    model: BenchResult
    other: BenchResult
    ratio_p50: float
    ratio_p90: float

    def to_dict(self) -> dict:
        """The document ``effkit bench --vs --json`` prints; the first model's part names the
        second and the ratios (as ``--save`` writes it beside that model)."""
        ratio = {"ratio_p50": self.ratio_p50, "ratio_p90": self.ratio_p90}
        first, second = self.model.to_dict(), self.other.to_dict()
        first["vs"] = {"model": second["model"], "interleaved": True, **ratio}
        return {"model": first, "other": second, **ratio, "interleaved": True}


def machine_info() -> dict:
    """What the numbers were measured on."""
    from importlib.metadata import PackageNotFoundError, version

    from effkit.core.manifest import cpu_name

    try:
        litert = version("ai-edge-litert")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        litert = None
    try:
        load = round(os.getloadavg()[0], 2)  # other work on the machine skews latency
    except OSError:  # pragma: no cover - not on Linux/macOS
        load = None
    return {"cpu": cpu_name(), "cores": os.cpu_count(), "machine": platform.machine(),
            "system": platform.system(), "python": platform.python_version(),
            "ai_edge_litert": litert, "load_avg_1m": load}


def _check_args(runs: int, warmup: int, threads: int | None) -> None:
    from effkit.analysis.evaluate import check_threads

    check_whole(runs, "--runs", high=10**7, example=100)
    check_whole(warmup, "--warmup", low=0, high=10**7, example=10)
    check_threads(threads)


def _model_file(path: Path) -> tuple[int, str]:
    from effkit.metadata.model_file import load_model_file

    data = load_model_file(path)
    return len(data), sha256_hex(data)


def bench_model(model: Path, *, runs: int = 100, warmup: int = 10, threads: int | None = 1,
                xnnpack: bool = True, progress: TickFn | None = None) -> BenchResult:
    """Time ``model`` in a fresh process: latency percentiles, peak memory, load time."""
    _check_args(runs, warmup, threads)
    size, digest = _model_file(model)
    out = _run_child({"models": [str(model)], "runs": runs, "warmup": warmup, "threads": threads,
                      "xnnpack": xnnpack}, progress)
    return _result(model, size, digest, out, 0, out, runs, warmup, threads, machine_info())


def bench_vs(model: Path, other: Path, *, runs: int = 100, warmup: int = 10,
             threads: int | None = 1, xnnpack: bool = True,
             progress: TickFn | None = None) -> VsResult:
    """Time two models interleaved in one process; peak memory of each in its own process."""
    _check_args(runs, warmup, threads)
    files = [_model_file(model), _model_file(other)]
    timed = _run_child({"models": [str(model), str(other)], "runs": runs, "warmup": warmup,
                        "threads": threads, "xnnpack": xnnpack}, progress)
    mem = [_run_child({"models": [str(path)], "runs": 0, "warmup": max(warmup, 1),
                       "threads": threads, "xnnpack": xnnpack}, None) for path in (model, other)]
    machine = machine_info()
    a = _result(model, *files[0], timed, 0, mem[0], runs, warmup, threads, machine)
    b = _result(other, *files[1], timed, 1, mem[1], runs, warmup, threads, machine)
    return VsResult(a, b, round(b.latency.p50 / a.latency.p50, 4),
                    round(b.latency.p90 / a.latency.p90, 4))


def _result(path: Path, size: int, digest: str, timed: dict, k: int, mem: dict, runs: int,
            warmup: int, threads: int | None, machine: dict) -> BenchResult:
    # xnnpack: whether the timed interpreter ran a delegate, as effkit eval records it
    return BenchResult(model=Path(path), size_bytes=size, sha256=digest,
                       latency=Latency.from_ms(timed["latency_ms"][k]), threads=threads,
                       xnnpack=timed["delegated"][k], warmup=warmup, load_ms=mem["load_ms"][0],
                       peak_rss_mb=mem["peak_rss_mb"], baseline_rss_mb=mem["baseline_rss_mb"],
                       machine=machine)


def _run_child(spec: dict, progress: TickFn | None) -> dict:
    """Run ``python -m effkit.analysis.bench SPEC`` and return its result document.

    The child prints one JSON object per line on stdout: ``{"progress": [done, total]}``
    while timing, then ``{"result": ...}`` or ``{"error": ...}``. Its stderr (LiteRT's
    log lines) goes to a temporary file, so no pipe can fill up and block it.
    """
    argv = [sys.executable, "-m", "effkit.analysis.bench", json.dumps(spec)]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as err:
        doc: dict | None = None
        # the with closes the child's stdout pipe and waits for it, whatever happens
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, env=env) as proc:
            try:
                for line in proc.stdout or ():
                    try:
                        msg = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    if "progress" in msg and progress is not None:
                        progress(*msg["progress"])
                    elif "result" in msg or "error" in msg:
                        doc = msg
            except BaseException:  # Ctrl-C, a progress callback's error: no child left behind
                proc.kill()
                raise
        if doc is not None and "error" in doc:
            raise ModelFileError(doc["error"]["message"], doc["error"].get("hint"))
        if doc is None or proc.returncode != 0:
            err.seek(0)
            tail = [ln for ln in err.read().splitlines() if ln.strip()][-1:] or ["no output"]
            raise EffkitError(f"the benchmark process failed (exit {proc.returncode}): {tail[0]}",
                              "run it again; set EFFKIT_DEBUG=1 to see more")
        return doc["result"]


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (2**20 bytes).

    Linux: ``VmHWM`` from /proc/self/status, the high-water mark of this process's
    own address space. ``ru_maxrss`` is not used there: the kernel carries it over
    from the parent across fork and exec, so a child of a big process (pytest with
    TensorFlow loaded) would report the parent's peak. Elsewhere: ``ru_maxrss``.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 2)  # kB
    except (OSError, ValueError, IndexError):
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 2)


def _child(spec: dict) -> dict:
    """Inside the fresh process: load, warm up, time; report latencies and memory."""
    # what load_interpreter imports on its first call, imported before the baseline and the
    # first load's clock (the baseline had missed about 11 MiB of them: 31.9 -> 42.7 on lite0)
    import ai_edge_litert.interpreter  # noqa: F401

    import effkit.core.native_log  # noqa: F401
    import effkit.metadata.model_file  # noqa: F401
    from effkit.analysis.evaluate import load_interpreter, ran_a_delegate
    from effkit.errors import naming_file

    baseline = _rss_mb()
    models, load_ms, delegated = [], [], []
    for path in spec["models"]:
        start = time.perf_counter()
        # any model of fixed input size is timed (a classifier or not, any inputs)
        with naming_file(path):
            interpreter = load_interpreter(Path(path).read_bytes(), threads=spec["threads"],
                                           xnnpack=spec["xnnpack"])
        load_ms.append(round((time.perf_counter() - start) * 1e3, 3))
        delegated.append(ran_a_delegate(interpreter))
        for detail in interpreter.get_input_details():
            interpreter.set_tensor(detail["index"], _fixed_input(detail["shape"], detail["dtype"]))
        models.append(interpreter)
    for _ in range(spec["warmup"]):
        for it in models:
            it.invoke()
    runs = spec["runs"]
    samples: list[list[float]] = [[] for _ in models]
    every = max(1, runs // 50)
    for i in range(runs):
        order = range(len(models)) if i % 2 == 0 else range(len(models) - 1, -1, -1)
        for k in order:
            start = time.perf_counter_ns()
            models[k].invoke()
            samples[k].append((time.perf_counter_ns() - start) / 1e6)
        if (i + 1) % every == 0 or i + 1 == runs:
            _emit({"progress": [i + 1, runs]})
    return {"latency_ms": samples, "load_ms": load_ms, "delegated": delegated,
            "peak_rss_mb": _rss_mb(), "baseline_rss_mb": baseline}


def _fixed_input(shape: Sequence[int], dtype: type) -> np.ndarray:
    rng = np.random.default_rng(0)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        if info.bits > 16:  # indices or ids (a Gather, an Embedding): 0 is one of every table's
            return np.zeros(tuple(shape), dtype=dtype)
        return rng.integers(info.min, info.max, size=tuple(shape), endpoint=True).astype(dtype)
    return rng.uniform(-1.0, 1.0, size=tuple(shape)).astype(dtype)


def _emit(doc: dict) -> None:
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def _main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m effkit.analysis.bench SPEC_JSON (internal; use 'effkit bench')\n")
        return 2
    try:
        _emit({"result": _child(json.loads(argv[0]))})
    except EffkitError as exc:
        _emit({"error": {"message": exc.message, "hint": exc.hint}})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
