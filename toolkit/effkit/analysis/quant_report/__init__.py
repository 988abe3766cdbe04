"""The quantization report: per-layer error of an int8 model against its float model."""
