"""effkit: EfficientNet-Lite from weights to device."""

__version__ = "0.1.0"
