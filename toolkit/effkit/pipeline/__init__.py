"""The build: plan, run, conversion to TFLite, model checks, the Edge TPU stage."""
