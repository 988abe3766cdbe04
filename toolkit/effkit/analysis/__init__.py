"""Measuring built models: evaluate, bench, inspect, quantization report, the report page."""
