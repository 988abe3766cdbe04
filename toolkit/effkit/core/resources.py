"""Locate files that travel inside the installed package (labels, templates, schemas)."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # effkit/ (this file is effkit/core/resources.py)
# Template trees: (folder inside the wheel, folder at the repository root).
_TEMPLATES = {"coral": ("coral", "coral"), "android": ("android", "android_template")}


def data_file(name: str) -> Path:
    return _PACKAGE / "data" / name


def template_dir(name: str) -> Path:
    """Template tree of a target app: 'coral' or 'android'.

    In an installed wheel the trees sit in ``effkit/templates/``; in a source
    checkout (editable install) they are the repository's top-level folders.
    """
    installed, source = _TEMPLATES[name]
    for candidate in (_PACKAGE / "templates" / installed, _PACKAGE.parent.parent / source):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"template tree {name!r} is missing from this installation")


def cache_root() -> Path:
    """$EFFKIT_CACHE_DIR, else $XDG_CACHE_HOME/effkit, else ~/.cache/effkit.

    A leading ``~`` is expanded (a CI file's ``env:`` passes it as text: the cache went to
    a folder named ``~`` in the working folder), and a relative $XDG_CACHE_HOME is ignored,
    as the XDG base-directory specification says."""
    if explicit := os.environ.get("EFFKIT_CACHE_DIR", "").strip():
        return Path(explicit).expanduser().absolute()
    xdg = Path(os.environ.get("XDG_CACHE_HOME", "").strip() or ".").expanduser()
    return (xdg if xdg.is_absolute() else Path.home() / ".cache") / "effkit"


def weights_cache() -> Path:
    """``<cache_root()>/weights``: one folder per fetched checkpoint."""
    return cache_root() / "weights"
