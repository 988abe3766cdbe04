"""Unpacking a downloaded .tar.gz without trusting it.

``extract_top_folder`` writes the regular files under the archive's one top folder
into a destination folder and refuses, before writing that member, anything that could
land elsewhere or stand for something else: absolute paths, ``..``, backslashes, links
(symbolic and hard), devices and FIFOs, members outside the top folder, more members or
more unpacked bytes than the caller allows. Files are written by effkit (0644), never by
``tarfile.extract``, so no mode, owner or time comes from the archive.
"""

from __future__ import annotations

import os
import tarfile
import zlib
from pathlib import Path, PurePosixPath

CHUNK = 1 << 16


class UnsafeTarball(Exception):
    """A member the archive must not contain (the message names it)."""


class TarballDamaged(Exception):
    """Not a readable .tar.gz: truncated, corrupt or not gzip at all."""


def extract_top_folder(tarball: Path, dest: Path, *, max_members: int, max_bytes: int) -> str:
    """Unpack the files under the one top folder of ``tarball`` into ``dest``; return its name.

    A refused or damaged archive may leave files in ``dest``: callers unpack into a
    staging folder they remove on error (``effkit.core.outputs.staged_dir``).
    """
    top: str | None = None
    count = written = 0
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            for member in tar:
                count += 1
                if count > max_members:
                    raise UnsafeTarball(f"more than {max_members} members")
                name = member.name
                if name.startswith("/") or ".." in PurePosixPath(name).parts \
                        or "\\" in name or "\0" in name:
                    raise UnsafeTarball(f"member {name!r} points outside the folder")
                if not (member.isfile() or member.isdir()):
                    kind = "link" if (member.issym() or member.islnk()) else "special file"
                    raise UnsafeTarball(f"member {name!r} is a {kind}")
                parts = tuple(p for p in PurePosixPath(name).parts if p != ".")
                if not parts:
                    continue
                top = top or parts[0]
                if parts[0] != top or (member.isfile() and len(parts) < 2):
                    raise UnsafeTarball(f"member {name!r} is outside the one top folder {top}/")
                target = dest.joinpath(*parts[1:])
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                written += member.size
                if written > max_bytes:
                    raise UnsafeTarball(f"more than {max_bytes:,} bytes unpacked")
                _copy_member(tar, member, target)
    except (tarfile.TarError, EOFError, ValueError, zlib.error) as exc:  # zlib: damaged deflate data
        raise TarballDamaged(" ".join(str(exc).split()) or type(exc).__name__) from None
    except OSError as exc:
        if exc.errno is None:  # gzip.BadGzipFile and friends: the archive, not the disk
            raise TarballDamaged(" ".join(str(exc).split()) or type(exc).__name__) from None
        raise
    if top is None:
        raise UnsafeTarball("it is empty")
    return top


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(member)
    if source is None:  # pragma: no cover - regular files always have a stream
        raise TarballDamaged(f"member {member.name!r} has no data")
    with source, target.open("wb") as out:
        remaining = member.size
        while remaining and (chunk := source.read(min(CHUNK, remaining))):
            out.write(chunk)
            remaining -= len(chunk)
    if remaining:
        raise TarballDamaged("unexpected end of data")
    os.chmod(target, 0o644)
