"""Writing outputs safely: stage in a temporary sibling, rename into place at the end.

Nothing half-written is ever left under the user's chosen name, and an existing
non-empty folder or file is replaced only with ``force``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from effkit.errors import OutputError


def check_output_dir(out_dir: Path, force: bool) -> None:
    """Fail early (before long work) when ``out_dir`` cannot be used."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        if out_dir.is_symlink() or not out_dir.is_dir():
            raise OutputError(f"output {str(out_dir)!r} exists and is not a folder", "choose another --out")
        if any(out_dir.iterdir()) and not force:
            raise OutputError(
                f"output folder {str(out_dir)!r} is not empty",
                "choose another --out, or pass --force to replace it",
            )
    parent = _existing_parent(out_dir)
    try:  # a real write probe: permissions, read-only mounts and root all answer the same way
        os.rmdir(tempfile.mkdtemp(prefix=".effkit-probe-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write to {str(parent)!r} ({exc.strerror})",
                          "choose a writable --out") from None


def _existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


@contextlib.contextmanager
def staged_dir(out_dir: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary folder next to ``out_dir``; on success it becomes ``out_dir``."""
    out_dir = Path(out_dir)
    check_output_dir(out_dir, force)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as exc:
        raise OutputError(
            f"cannot create {str(out_dir.parent)!r}: {exc.strerror}", "choose a writable --out"
        ) from None
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.replace(out_dir, old / "x")
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_file_atomic(path: Path, data: bytes, force: bool) -> None:
    """Write ``data`` to ``path`` via a temporary sibling; refuse to replace without force."""
    path = Path(path)
    if path.exists() and not force:
        raise OutputError(f"{str(path)!r} already exists", "choose another output, or pass --force")
    if path.is_dir():
        raise OutputError(f"{str(path)!r} is a folder", "name a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    except OSError as exc:
        raise OutputError(
            f"cannot write {str(path)!r}: {exc.strerror}", "choose a writable location"
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
