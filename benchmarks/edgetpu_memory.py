"""How close effkit's Edge TPU parameter-memory estimate comes to the compiler's own figures.

For every real compiler log in ../shared/data/edgetpu-logs/ that prints parameter memory,
the estimate (effkit.edgetpu.memory.from_parameter_bytes on the log's "Input size", the
stand-in for the model's constant bytes: the models behind the logs are not public) is
set against the log's on-chip and off-chip figures. Logs where under 90 % of the ops map
(02: 2 of 36) are left out: the input size there is mostly CPU ops. Run:

    .venv/bin/python benchmarks/edgetpu_memory.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shared_data import SHARED  # benchmarks/ runs as scripts: their folder is on sys.path

from effkit.edgetpu.logparse import parse_log_file
from effkit.edgetpu.memory import MiB, from_parameter_bytes

LOGS = SHARED / "edgetpu-logs"


def rows(folder: Path = LOGS) -> list[dict]:
    out = []
    for path in sorted(folder.iterdir()):
        report = parse_log_file(path)
        for m in report.models:
            if m.on_chip_used_bytes is None or m.input_size_bytes is None:
                continue
            if m.ops_total and m.ops_tpu is not None and m.ops_tpu < 0.9 * m.ops_total:
                continue  # the estimate covers the Edge TPU part; the input size is all of it
            actual_total = m.on_chip_used_bytes + (m.off_chip_used_bytes or 0)
            est = from_parameter_bytes(m.input_size_bytes)
            est_total = est.on_chip_bytes + est.off_chip_bytes
            out.append({
                "log": path.name[:3].rstrip("-"), "model": m.input_model,
                "co_compiled": report.co_compiled,
                "input_bytes": m.input_size_bytes,
                "on_chip": m.on_chip_used_bytes, "off_chip": m.off_chip_used_bytes or 0,
                "est_on_chip": est.on_chip_bytes, "est_off_chip": est.off_chip_bytes,
                "total_error": (est_total - actual_total) / actual_total,
                "streams": (m.off_chip_used_bytes or 0) > 0, "est_streams": est.streams,
            })
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    table = rows()
    if args.json:
        print(json.dumps(table, indent=2))
        return 0
    print(f"{'log':4} {'input MiB':>9} {'on MiB':>7} {'off MiB':>7} {'est on':>7} "
          f"{'est off':>7} {'total err':>9}")
    for r in table:
        print(f"{r['log']:4} {r['input_bytes'] / MiB:9.2f} {r['on_chip'] / MiB:7.2f} "
              f"{r['off_chip'] / MiB:7.2f} {r['est_on_chip'] / MiB:7.2f} "
              f"{r['est_off_chip'] / MiB:7.2f} {r['total_error']:+9.1%}")
    errors = sorted(abs(r["total_error"]) for r in table)
    agree = sum(r["streams"] == r["est_streams"] for r in table)
    off = max(abs(r["est_off_chip"] - r["off_chip"]) for r in table)
    print(f"median |total error| {errors[len(errors) // 2]:.1%}, worst {errors[-1]:.1%}; "
          f"streams/does not stream right in {agree} of {len(table)}; "
          f"worst off-chip error {off / MiB:.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
