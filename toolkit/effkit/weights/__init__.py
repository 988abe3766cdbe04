"""Weights: local sources, the official checkpoint download, loading into a Keras model."""
