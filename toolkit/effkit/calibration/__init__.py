"""Calibration data: image folders, distilled sets, the sets shipped in the wheel."""
