"""Edge TPU parameter memory, estimated from the model without the compiler.

The Edge TPU caches model parameters (weights, biases) in about 8 MB of on-chip SRAM;
what does not fit is streamed from host memory on every inference, which costs latency
(coral.ai/docs/edgetpu/compiler/#parameter-data-caching). The compiler prints both
figures ("On-chip memory used for caching model parameters", "Off-chip memory used for
streaming uncached model parameters"); this module predicts them.

Calibration, against the real logs in ../shared/data/edgetpu-logs/ (the models behind
them are not public, so the model's own constant bytes are stood in for by the log's
"Input size", which for these conv nets is almost all weights):

* :data:`ON_CHIP_CAPACITY_BYTES`: on-chip used + remaining of the single-model logs that
  print both with room left (02: 7.67 MiB, 08: 7.04, 10: 7.85, 20: 7.06) and the
  "available" figure of compiler 2.0 (22: 7.62 MiB); the median is 7.62 MiB.
* :data:`PARAMETER_FACTOR`: compiled parameter bytes (on + off chip) per input byte in
  the logs whose ops (almost) all map (01: 1.056, 08: 1.158, 09: 1.188 and 1.070, 10:
  1.198, 20: 0.990, 22: 1.062); the median is 1.07 (padding and layout of the TPU's
  weight format).

Measured error on those 7 model blocks (``benchmarks/edgetpu_memory.py`` prints each;
log 02, where 2 of 36 ops map, is left out): total parameter bytes (on + off chip) within
10.7 % (median 7.6 %); whether parameters stream is right in 5 of 7 (logs 10 and 20 stream
5.5 KiB and 41.75 KiB that the estimate keeps on chip); the worst off-chip error is log 01
(yolov5s, two Edge TPU subgraphs, its on-chip share capped at 6.08 MiB), which streams
1.70 MiB where the estimate says 0.27 MiB. It is an estimate; the compiler's log is final.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MiB = 1024**2
ON_CHIP_CAPACITY_BYTES = round(7.62 * MiB)
PARAMETER_FACTOR = 1.07


def streaming_warning(off_chip_bytes: int, capacity_bytes: int = ON_CHIP_CAPACITY_BYTES, *,
                      estimated: bool = True, model: str | None = None) -> str:
    """The one warning for parameters that stream from host memory: the estimate's (check,
    a build without the compiler) or the compiler's own figure (a compiled build).
    ``model``: the file a pipelined compile would split (a build's own model.tflite: a build
    folder takes no --num-segments above 1, its Coral app running one model on one TPU)."""
    import shlex

    amount = f"about {off_chip_bytes / MiB:.2f} MiB" if estimated else f"{off_chip_bytes / MiB:.2f} MiB"
    verb = "will stream" if estimated else "stream"
    return (f"{amount} of parameters do not fit the Edge TPU's {capacity_bytes / MiB:.2f} MiB "
            f"on-chip cache and {verb} from host memory on every inference (slower); to keep "
            "them on chip, use a smaller model (a smaller variant), or pipeline the model over "
            "several Edge TPUs (each caches its segment's share) in an app of your own: effkit "
            f"compile-edgetpu {shlex.quote(model) if model else 'MODEL.tflite'} --num-segments N "
            "(effkit's Coral app runs one model on one Edge TPU); co-compiling it with other "
            "models cannot help, as they split the same cache")


@dataclass(frozen=True)
class ParameterMemory:
    """Estimated parameter bytes of the Edge TPU part of a model, on and off chip."""

    parameter_bytes: int      # constant bytes of the ops predicted on the Edge TPU
    on_chip_bytes: int
    off_chip_bytes: int
    capacity_bytes: int = ON_CHIP_CAPACITY_BYTES

    @property
    def streams(self) -> bool:
        """Whether some parameters must be streamed from host memory on every inference."""
        return self.off_chip_bytes > 0

    def warning(self) -> str | None:
        return streaming_warning(self.off_chip_bytes, self.capacity_bytes) if self.streams else None

    def to_dict(self) -> dict[str, Any]:
        return {"parameter_bytes": self.parameter_bytes, "on_chip_bytes": self.on_chip_bytes,
                "off_chip_bytes": self.off_chip_bytes, "capacity_bytes": self.capacity_bytes,
                "streams": self.streams, "estimated": True}


def from_parameter_bytes(raw_bytes: int, *, capacity: int = ON_CHIP_CAPACITY_BYTES
                         ) -> ParameterMemory:
    """Split ``raw_bytes`` of constants (times :data:`PARAMETER_FACTOR`) into on/off chip."""
    total = round(raw_bytes * PARAMETER_FACTOR)
    on = min(total, capacity)
    return ParameterMemory(parameter_bytes=raw_bytes, on_chip_bytes=on,
                           off_chip_bytes=total - on, capacity_bytes=capacity)


def estimate(constant_sizes: Iterable[int]) -> ParameterMemory:
    """:func:`from_parameter_bytes` on the sizes of the (distinct) constant tensors."""
    return from_parameter_bytes(sum(constant_sizes))
