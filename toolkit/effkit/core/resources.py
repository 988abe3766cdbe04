"""Locate files that travel inside the installed package (labels, templates, schemas)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePath

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


# What a template tree holds that is not rendered (caches, placeholders), and the suffix of
# the files that are (apps.render walks the trees with these).
TEMPLATE_SUFFIX = ".jinja"
SKIP_DIRS = frozenset({"__pycache__", ".ruff_cache", ".pytest_cache", ".mypy_cache"})
SKIP_FILES = frozenset({".keep"})
SKIP_SUFFIXES = frozenset({".pyc"})


def is_skipped(name: str) -> bool:
    return name in SKIP_FILES or any(name.endswith(s) for s in SKIP_SUFFIXES)


def rendered_top_names(template_root: Path, extra_files: Iterable[str] = ()) -> frozenset[str]:
    """The names a render of ``template_root`` writes at the top of its folder (``"name/"``
    for a folder: all in it), with the first part of each of ``extra_files``: how --force
    tells an earlier render (apps.render.render_ownership, and an old build's app)."""
    names = set()
    for child in Path(template_root).iterdir():
        if not is_skipped(child.name) and child.name not in SKIP_DIRS:
            name = child.name.removesuffix(TEMPLATE_SUFFIX)
            names.add(f"{name}/" if child.is_dir() else name)
    for rel_name in extra_files:
        parts = PurePath(rel_name).parts
        names.add(f"{parts[0]}/" if len(parts) > 1 else parts[0])
    return frozenset(names)
