"""The built model, checked before any output is written.

A conversion can succeed and still give a broken model: calibration data with NaN or
huge values leaves float ops in an "int8" model (most of it then falls off the Edge TPU),
or a model LiteRT cannot even load. ``check_built_model`` refuses both, so a build never
exits 0 with such a file in ``--out``.
"""

from __future__ import annotations

import numpy as np

from effkit.errors import ModelFileError

# Full-integer quantization: int8 activations and weights, int32 biases (TFLite's int8
# scheme), uint8 or int8 at the I/O; a float tensor means an op was left unquantized.
INTEGER_TYPES = frozenset({np.dtype(t) for t in (np.int8, np.uint8, np.int16, np.int32, np.int64)})
_HINT = ("the calibration data is probably broken (NaN or out-of-range values): delete the "
         "calibration cache or pass --calibration DIR, then build again")


def check_built_model(tflite: bytes, quant: str) -> None:
    """Raise ModelFileError unless ``tflite`` loads in LiteRT (and, for ``quant`` int8,
    every tensor is an integer type)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from effkit.core.native_log import native_log_captured

    try:
        with native_log_captured():  # LiteRT's INFO line stays off the terminal
            interpreter = Interpreter(
                model_content=bytes(tflite),
                experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        first = (str(exc).strip().splitlines() or ["unknown error"])[0]
        raise ModelFileError(f"the converted model does not load in LiteRT ({first})",
                             _HINT) from None
    if quant != "int8":
        return
    floats = [t["name"] for t in interpreter.get_tensor_details()
              if np.dtype(t["dtype"]) not in INTEGER_TYPES]
    if floats:
        raise ModelFileError(f"the --quant int8 model has {len(floats)} float tensor(s) "
                             f"(first: {floats[0]!r}), so it is not full-integer", _HINT)
