"""Do two TFLite models compute the same numbers? Byte-different builds can be: another
TensorFlow or Keras names tensors differently, or stamps its version, while every op,
quantization and constant stays the same.

    python benchmarks/same_numbers.py A.tflite B.tflite

Compares, tensor by tensor in index order (names are reported, not compared): type,
shape, scales, zero points and constant values; then the op sequence. Prints one JSON
document; exit 0 when the numbers are the same, 1 when they differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def describe(path: Path) -> tuple[list[str], list[dict]]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    op_details = interpreter._get_ops_details()
    # constants: what no op writes and no caller feeds (activations hold whatever memory held)
    written = {i for op in op_details for i in op["outputs"]}
    written |= {d["index"] for d in interpreter.get_input_details()}
    tensors = []
    for d in sorted(interpreter.get_tensor_details(), key=lambda d: d["index"]):
        q = d["quantization_parameters"]
        value = None
        if d["index"] not in written:
            try:
                value = interpreter.get_tensor(d["index"])
            except ValueError:
                pass
        tensors.append({"name": d["name"], "dtype": np.dtype(d["dtype"]).name, "shape": list(d["shape"]),
                        "scales": q["scales"].tolist(), "zero_points": q["zero_points"].tolist(),
                        "value": value})
    ops = [op["op_name"] for op in op_details]
    return ops, tensors


def compare(a: Path, b: Path) -> dict:
    ops_a, ta = describe(a)
    ops_b, tb = describe(b)
    layout = ("dtype", "shape", "scales", "zero_points")
    pairs = list(zip(ta, tb, strict=False))  # a count mismatch is reported below
    differ_layout = [x["name"] for x, y in pairs if any(x[k] != y[k] for k in layout)]
    differ_values = [x["name"] for x, y in pairs
                     if x["value"] is not None and y["value"] is not None
                     and not np.array_equal(x["value"], y["value"])]
    same = (ops_a == ops_b and len(ta) == len(tb) and not differ_layout and not differ_values)
    return {"same_numbers": same, "bytes": [a.stat().st_size, b.stat().st_size],
            "ops": [len(ops_a), len(ops_b)], "same_op_sequence": ops_a == ops_b,
            "tensors": [len(ta), len(tb)],
            "tensors_differing_in_type_shape_or_quantization": len(differ_layout),
            "constants_differing": len(differ_values),
            "tensors_renamed": sum(x["name"] != y["name"] for x, y in pairs),
            "first_difference": (differ_layout or differ_values or [None])[0]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path, metavar="A.tflite")
    parser.add_argument("b", type=Path, metavar="B.tflite")
    args = parser.parse_args()
    result = compare(args.a, args.b)
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["same_numbers"] else 1)
