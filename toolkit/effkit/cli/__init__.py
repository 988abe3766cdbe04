"""effkit's command line: a thin Typer layer over the pipeline modules.

Nothing here imports TensorFlow, Keras, Jinja or LiteRT at module level
(enforced by ruff's banned-module-level-imports); commands import what they need.
"""
