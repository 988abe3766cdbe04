"""Template trees of the generated apps.

The trees live at the repository root (``coral/`` and ``android_template/``)
and are mapped into this package by ``pyproject.toml`` so they ship in the wheel.
"""
