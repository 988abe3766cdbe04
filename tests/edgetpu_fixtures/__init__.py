"""Helpers for the Edge TPU tests: small real TFLite conversions and a stand-in compiler."""
