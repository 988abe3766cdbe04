"""Progress of long work, as events: one place for the stage names and how they are shown.

Every long call (``effkit.build``, ``train``, ``evaluate``, ``benchmark``) takes an
optional ``progress`` callback that receives :class:`ProgressEvent` values. ``None`` (the
default, what a notebook gets) is quiet. The CLI passes rich bars at a terminal and
:class:`LineProgress` otherwise (logs, CI, pipes): one line when a stage starts and ends
and, for long stages, a line about every 10 s with done/total and the elapsed time.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TextIO

# Pipeline stages in the order they run, with the title shown for each.
STAGES: dict[str, str] = {
    "model": "Building the Keras model",
    "weights": "Loading weights",
    "calibration": "Calibration data",  # a --calibration folder is read before the model
    "convert": "Converting to TFLite",
    "inputs": "Reading the comparison images",  # quant-report's (--data, or the build's set)
    "quant-report": "Per-layer float vs int8 report",
    "metadata": "Attaching metadata",
    "edgetpu-check": "Edge TPU compatibility",
    "edgetpu-compile": "edgetpu_compiler",
    "app": "Rendering the sample app",
    "validate": "Accuracy on the validation split",
    # the stages of the measuring commands (eval, bench, quant-report)
    "evaluate": "Evaluating",
    "benchmark": "Benchmarking",
}


# Whether a weights download that was given no progress callback shows one: off for the
# library (quiet unless asked), on for the CLI's commands (cli._common.handle_errors).
SHOW_DOWNLOADS: ContextVar[bool] = ContextVar("effkit_show_downloads", default=False)
# Whether the running call is one of the CLI's commands: errors then name its flags; a
# library caller's errors name the keywords instead (api._python_words).
IN_COMMAND: ContextVar[bool] = ContextVar("effkit_in_command", default=False)


@dataclass(frozen=True)
class ProgressEvent:
    """``kind`` is "start", "update" or "end"; ``total`` 0 means no known length."""

    stage: str
    kind: str
    done: int = 0
    total: int = 0
    elapsed_s: float = 0.0

    @property
    def title(self) -> str:
        return STAGES.get(self.stage, self.stage)


ProgressFn = Callable[[ProgressEvent], None]
# tick(done, total) within one stage: what StageClock.stage yields, and what the stages'
# own loops (calibration, distillation, benchmarks, training's image scan) report to
TickFn = Callable[[int, int], None]


def check_progress(progress: object) -> None:
    """A UsageError unless ``progress`` is None or callable (the API takes anything, and
    an int there would fail only after TensorFlow loaded)."""
    if progress is not None and not callable(progress):
        from effkit.errors import wrong_type

        raise wrong_type("progress", progress, "a callable that takes a ProgressEvent, or None")


@dataclass
class StageClock:
    """Times each stage and reports it to an optional progress callback."""

    progress: ProgressFn | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_progress(self.progress)

    @contextmanager
    def stage(self, name: str, *, checks_first: bool = False) -> Iterator[TickFn]:
        """``with clock.stage("convert") as tick:``; ``tick(done, total)`` reports an update.

        ``checks_first``: the work checks its input before its first tick (eval, bench), so
        the stage is announced at that tick: bad input fails with its one error line alone.
        """
        start = time.perf_counter()
        started = False

        def emit(kind: str, done: int = 0, total: int = 0) -> None:
            nonlocal started
            if self.progress is None:
                return
            if not started and kind != "start":
                emit("start")
            started = True
            self.progress(ProgressEvent(name, kind, done, total,
                                        round(time.perf_counter() - start, 3)))

        from effkit.core.outputs import raise_if_stopped

        raise_if_stopped()  # a Ctrl-C a finalizer swallowed does not let the work go on
        if not checks_first:
            emit("start")
        yield lambda done, total: emit("update", done, total)
        raise_if_stopped()
        self.seconds[name] = round(time.perf_counter() - start, 3)
        emit("end", 1, 1)

    def timings(self) -> dict[str, float]:
        return dict(self.seconds, total=round(sum(self.seconds.values()), 3))


class LineProgress:
    """Plain progress lines for a stream that is not a terminal.

    A line when a stage starts and when it ends; in between, at most one line every
    ``interval_s``: done/total when the stage reports them, else (``heartbeat``) how long
    it has been running, from a background thread, for stages that report nothing
    (building the model, converting it) but may take minutes.
    """

    def __init__(self, stream: TextIO | None = None, interval_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic, heartbeat: bool = True):
        from effkit.core.native_log import beside_captures

        self.stream = beside_captures(stream if stream is not None else sys.stderr)
        self.interval_s = interval_s
        self.clock = clock
        self.heartbeat = heartbeat
        self._last: dict[str, float] = {}
        self._first: dict[str, float] = {}  # when each stage was first seen
        self._lock = threading.Lock()
        self._stop: dict[str, threading.Event] = {}

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            now = self.clock()
            if event.kind == "start":
                self._last[event.stage] = self._first[event.stage] = now
                self._write(f"{event.title}: started")
                if self.heartbeat:
                    self._beat(event)
            elif event.kind == "end":
                self._last.pop(event.stage, None)
                self._first.pop(event.stage, None)
                stop = self._stop.pop(event.stage, None)
                if stop is not None:
                    stop.set()
                self._write(f"{event.title}: done in {event.elapsed_s:.1f} s")
            elif event.stage not in self._last:  # updates without a start (train's epochs)
                self._last[event.stage] = self._first[event.stage] = now
            elif now - self._last[event.stage] >= self.interval_s:
                self._last[event.stage] = now
                count = f"{event.done}/{event.total}" if event.total else f"{event.done}"
                # events without a clock of their own (train's epochs) are timed from here
                elapsed = event.elapsed_s or now - self._first[event.stage]
                self._write(f"{event.title}: {count} after {elapsed:.0f} s")

    def _beat(self, event: ProgressEvent) -> None:
        stop = self._stop[event.stage] = threading.Event()
        started = self.clock()

        def run() -> None:
            while not stop.wait(self.interval_s):
                with self._lock:
                    if stop.is_set():
                        return
                    now = self.clock()
                    if now - self._last.get(event.stage, now) + 1e-6 >= self.interval_s:
                        self._last[event.stage] = now
                        try:
                            self._write(f"{event.title}: running, {now - started:.0f} s")
                        except (OSError, ValueError):  # the stream is gone (a stage that
                            return                     # failed never sends its end event)

        threading.Thread(target=run, name=f"effkit-progress-{event.stage}", daemon=True).start()

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()
