"""Google's official EfficientNet-Lite checkpoints, fetched into effkit's cache.

``ensure_official(variant)`` returns the ``model.ckpt`` prefix of
``<cache_root()>/weights/efficientnet-liteN/``, downloading
``efficientnet-liteN.tar.gz`` from ``$EFFKIT_WEIGHTS_URL`` (default
``DEFAULT_BASE_URL``) when it is not cached yet. The steps, each of which fails
with one ``WeightsError`` line and leaves nothing under the final name:

1. download into ``weights/downloads/<name>.part`` (resumed with an HTTP ``Range``
   request, guarded by ``If-Range``, after an interrupted run; proxies come from the
   standard ``https_proxy``/``http_proxy``/``no_proxy`` variables through urllib);
2. sha256 of the tarball: compared with ``PINNED_SHA256`` when a public source gives one,
   otherwise with the digest recorded at the first download (``weights/sha256.json``);
3. safe extraction (``effkit.weights.safe_tar``) into a staging folder: regular files and
   folders only, every path inside one top folder, no links or devices, bounded member count and sizes;
4. content check: the checkpoint is loaded into a real effkit model of the variant, so
   every variable the architecture expects must be there, with its
   ``ExponentialMovingAverage`` shadow and the right shape;
5. the staging folder is renamed into place (``effkit.core.outputs.staged_dir``) with
   ``files.SOURCE_FILE`` naming the URL, sha256 and size; only then is the digest recorded.

``EFFKIT_OFFLINE=1`` forbids step 1 and names the manual route instead.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from effkit.core.manifest import sha256_files
from effkit.core.outputs import (
    MARKER,
    Ownership,
    held_lock,
    not_written,
    staged_dir,
    write_file_atomic,
)
from effkit.core.progress import SHOW_DOWNLOADS
from effkit.core.resources import weights_cache
from effkit.errors import OutputError, WeightsError, first_names
from effkit.model.variants import OFFICIAL_CHECKPOINT_URL, Variant
from effkit.weights import files

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

# The folder of OFFICIAL_CHECKPOINT_URL (tensorflow/tpu models/official/efficientnet/lite/README.md).
DEFAULT_BASE_URL = OFFICIAL_CHECKPOINT_URL.rsplit("/", 1)[0] + "/"
# sha256 of each tarball where a public source states it. None found: tensorflow/tpu's
# lite/README.md links the tarballs without digests, and no public repository we searched
# (code and docs corpora, "efficientnet-liteN.tar.gz" with sha256/md5) pins them. So the
# digest is recorded at the first download and a later different file is refused.
PINNED_SHA256: dict[str, str] = {}
HASHES_FILE = "sha256.json"
# Limits on what a tarball may hold. The released lite4 tarball holds the checkpoint
# (EMA shadows + variables, about 105 MB for 13M parameters) and two .tflite files.
MAX_DOWNLOAD_BYTES = 1 << 30
MAX_EXTRACTED_BYTES = 2 << 30
MAX_MEMBERS = 256
CHUNK = 1 << 16
TIMEOUT_S = 30.0
# The whole download, however slowly bytes arrive (TIMEOUT_S bounds each silent wait only):
# a server trickling a byte every few seconds never trips TIMEOUT_S. The .part is kept, so
# running the command again resumes it.
DEADLINE_S = 3600.0

# on_progress(done_bytes, total_bytes or 0, url): called as the download advances.
DownloadProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CachedWeights:
    """One variant's official checkpoint in the cache (``present`` False: not fetched)."""

    variant: str
    tarball: str
    url: str
    folder: str
    present: bool
    sha256: str | None = None  # of the tarball the folder came from
    pinned: bool = False  # sha256 from PINNED_SHA256 rather than recorded at first download
    bytes: int | None = None
    fetched_at: str | None = None
    damaged: str | None = None  # what is wrong with a fetched checkpoint (then not present)


# --------------------------------------------------------------------------- places


def base_url() -> str:
    """``$EFFKIT_WEIGHTS_URL`` (a mirror of the tarballs), else Google's bucket."""
    from urllib.parse import urlsplit

    base = os.environ.get("EFFKIT_WEIGHTS_URL", "").strip() or DEFAULT_BASE_URL
    parts = urlsplit(base)
    if "@" in parts.netloc:  # over http(s) urllib sent none: it looked up "user:pw@host"
        shown = parts._replace(netloc="…@" + parts.netloc.rsplit("@", 1)[1]).geturl()
        raise WeightsError(f"EFFKIT_WEIGHTS_URL {shown[:200]!r} holds a user name or password, "
                           "which effkit would print in its messages and write into build.json "
                           "(and over http(s) cannot send)", "use a mirror URL without one, or unset it")
    if parts.scheme not in ("https", "http", "ftp", "file") or not (parts.netloc or parts.path):
        raise WeightsError(f"EFFKIT_WEIGHTS_URL {base[:200]!r} is not a URL effkit can download "
                           "from (https://, http://, ftp:// or file://)",
                           "set it to the folder that holds efficientnet-liteN.tar.gz, or unset it")
    return base if base.endswith("/") else base + "/"


def tarball_name(variant: Variant) -> str:
    return f"{variant.official_name}.tar.gz"


def tarball_url(variant: Variant) -> str:
    return base_url() + tarball_name(variant)


def offline() -> bool:
    return os.environ.get("EFFKIT_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def manual_route(variant: Variant) -> str:
    """The hint for getting a checkpoint without effkit downloading it: Google's URL, and
    first the mirror ``$EFFKIT_WEIGHTS_URL`` names where one is set (it may be the only
    source a network allows)."""
    url = OFFICIAL_CHECKPOINT_URL.format(official_name=variant.official_name)
    with contextlib.suppress(WeightsError):  # a value that is no URL: its own error names it
        mirror = tarball_url(variant)
        if mirror != url:
            url = f"{mirror} (the EFFKIT_WEIGHTS_URL mirror) or {url}"
    return (f"download {url} on a connected machine, untar it and pass "
            f"--weights {variant.official_name}/ (or run 'effkit weights fetch {variant.name}' "
            f"there and copy {weights_cache()})")


def cached(variant: Variant) -> CachedWeights:
    """What the cache holds for ``variant`` (no network)."""
    folder = weights_cache() / variant.official_name
    entry = functools.partial(CachedWeights, variant=variant.name, tarball=tarball_name(variant),
                              folder=str(folder))
    record = files.read_source_record(folder)
    if record is None:
        return entry(url=tarball_url(variant), present=False)
    damaged = _damage(folder, record)
    if damaged is not None:
        return entry(url=tarball_url(variant), present=False, damaged=damaged)
    return entry(url=record.get("url", tarball_url(variant)), present=True,
                 sha256=record.get("sha256"), pinned=bool(record.get("pinned")),
                 bytes=record.get("bytes"), fetched_at=record.get("fetched_at"))


def _damage(folder: Path, record: dict) -> str | None:
    """What is wrong with a fetched checkpoint, from its record alone (no TensorFlow, so
    ``weights list`` and ``path`` can say it): a file it lists that is gone, or that has
    another size than it was extracted with (a cache copied into a CI image half-way)."""
    if files.read_source(folder) is None:
        return "its .index file is gone"
    sizes = record.get("sizes")
    listed = sizes if isinstance(sizes, dict) else dict.fromkeys(record.get("files") or ())
    for name, size in listed.items():
        try:
            found = (folder / str(name)).stat().st_size
        except OSError:
            return f"{name} is gone"
        if isinstance(size, int) and found != size:
            return f"{name} has {found} bytes, not the {size} it was fetched with"
    return None


def checkpoint_prefix(folder: Path, variant: Variant) -> Path:
    """The ``model.ckpt`` prefix inside a checkpoint folder (the loader's own rule)."""
    from effkit.weights.files import locate

    prefix = locate(variant, folder).path
    assert prefix is not None
    return prefix


# --------------------------------------------------------------------------- fetching


def ensure_official(variant: Variant, *, progress: DownloadProgressFn | None = None) -> Path:
    """The cached checkpoint prefix of ``variant``, fetched first when missing."""
    state = cached(variant)
    if not state.present:
        state = fetch(variant, progress=progress)
    return checkpoint_prefix(Path(state.folder), variant)


def fetch(variant: Variant, *, force: bool = False, progress: DownloadProgressFn | None = None
          ) -> CachedWeights:
    """Download, check and install ``variant``'s checkpoint; ``force`` replaces a cached one."""
    url = tarball_url(variant)
    state = cached(variant)
    if state.present and not force:
        return state
    if offline():
        raise WeightsError(f"the official {variant.name} checkpoint is not cached and "
                           "EFFKIT_OFFLINE=1 forbids downloading it", manual_route(variant))
    root = weights_cache()
    with _locked(root):
        state = cached(variant)  # another process may have fetched it meanwhile
        if state.present and not force:
            return state
        folder = Path(state.folder)
        if not state.present and folder.is_dir() and any(folder.iterdir()):
            if _fetched_files(folder) is None:  # never replaced, --force or not
                raise WeightsError(f"{state.folder} exists but holds no checkpoint effkit fetched",
                                   "move it away or remove it yourself (effkit replaces only a "
                                   f"checkpoint it fetched), then run 'effkit weights fetch "
                                   f"{variant.name}' again")
            if not force:
                why = f" ({state.damaged})" if state.damaged else ""
                raise WeightsError(f"{state.folder} holds a damaged checkpoint effkit fetched{why}",
                                   f"run 'effkit weights fetch {variant.name} --force' to fetch "
                                   "it again")
        mine = _fetched_files(folder)
        foreign = not_written(folder, mine, most=4) if mine is not None else []
        if foreign:  # found before the download, not after it (staged_dir checks again)
            raise WeightsError(f"{state.folder} holds files effkit did not write "
                               f"({first_names(foreign)}), so "
                               "--force does not replace it", "move them out of that folder, "
                               f"then run 'effkit weights fetch {variant.name} --force' again")
        part = root / "downloads" / (tarball_name(variant) + ".part")
        reporter = progress or (default_progress() if SHOW_DOWNLOADS.get() else _no_progress)
        try:
            total = _download(url, part, variant, reporter)
        finally:
            if close := getattr(reporter, "close", None):
                close()
        digest = sha256_files([part])
        pinned = PINNED_SHA256.get(tarball_name(variant))
        _check_digest(variant, url, part, digest, pinned)
        try:
            with staged_dir(Path(state.folder), force=True, owner=FETCHED_CHECKPOINT) as tmp:
                _extract(part, tmp, url, variant)
                _verify(tmp, variant, url)
                extracted = {f.relative_to(tmp).as_posix(): f.stat().st_size
                             for f in sorted(tmp.rglob("*")) if not f.is_dir() and f.name != MARKER}
                record = {"variant": variant.name, "url": url, "sha256": digest,
                          "pinned": pinned is not None, "bytes": total,
                          "fetched_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                          "files": sorted(extracted), "sizes": extracted}
                (tmp / files.SOURCE_FILE).write_text(json.dumps(record, indent=2) + "\n",
                                               encoding="utf-8")
        except OutputError as exc:
            raise WeightsError(f"cannot install the checkpoint in the cache: {exc.message}",
                               "set EFFKIT_CACHE_DIR to a writable folder") from None
        finally:
            _discard(part)
        if pinned is None:
            _record_digest(variant, digest)
    return cached(variant)


def _fetched_files(folder: Path) -> frozenset[str] | None:
    """The files effkit wrote into a cached checkpoint folder (``--force`` replaces nothing
    else): those its provenance record lists, or every file for a record from before the
    list was kept (the folder was one tarball's extraction); None without a record."""
    record = files.read_source_record(folder)
    if record is None:
        return None
    listed = record.get("files")
    if isinstance(listed, list):
        return frozenset(map(str, listed)) | {files.SOURCE_FILE}
    return frozenset(f.relative_to(folder).as_posix() for f in Path(folder).rglob("*")
                     if not f.is_dir())


FETCHED_CHECKPOINT = Ownership("fetched checkpoint", files.SOURCE_FILE, _fetched_files)


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One fetch at a time per cache (two builds starting together share one download)."""
    def waiting() -> None:  # another effkit is fetching: say why nothing moves
        if SHOW_DOWNLOADS.get():
            print(f"waiting for another effkit process that is fetching into {root}",
                  file=sys.stderr, flush=True)

    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(held_lock(root / ".lock", waiting))
        except OSError as exc:
            raise WeightsError(f"cannot write the weights cache {str(root)!r} ({exc.strerror})",
                               "set EFFKIT_CACHE_DIR to a writable folder") from None
        yield


def _download(url: str, part: Path, variant: Variant, progress: DownloadProgressFn) -> int:
    """Fetch ``url`` into ``part``, resuming a previous partial file; return its size."""
    meta_path = part.with_name(part.name + ".json")
    have = part.stat().st_size if part.is_file() else 0
    meta = _read_json(meta_path) if have else {}
    if meta.get("url") != url:
        have, meta = 0, {}
    headers = {"User-Agent": "effkit"}
    if have:
        headers["Range"] = f"bytes={have}-"
        validator = meta.get("etag") or meta.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    try:
        # A fresh opener reads the proxy variables now (urlopen's shared one keeps the
        # values of its first call).
        response = urllib.request.build_opener().open(
            urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the partial file is not a prefix of this one: restart
            part.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
            return _download(url, part, variant, progress)
        raise WeightsError(f"{url} answered HTTP {exc.code} {exc.reason}",
                           _unreachable_hint(variant)) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        if url.startswith("file:"):  # a folder mirror: no network to check
            raise WeightsError(f"cannot read {url} ({_reason(reason)})",
                               f"put {url.rsplit('/', 1)[-1]} in that folder, or point "
                               "EFFKIT_WEIGHTS_URL at the folder that holds it") from None
        raise WeightsError(f"cannot reach {url} ({_reason(reason)})",
                           _unreachable_hint(variant)) from None
    with response:
        resumed = response.status == 206
        if resumed and not str(response.headers.get("Content-Range", "")).startswith(
                f"bytes {have}-"):
            resumed = False  # an answer we cannot splice: start again
            response.close()
            part.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
            return _download(url, part, variant, progress)
        length = response.headers.get("Content-Length")
        total = (int(length) + (have if resumed else 0)) if length and length.isdigit() else 0
        if total > MAX_DOWNLOAD_BYTES:
            raise WeightsError(f"{url} is {total:,} bytes, more than the {MAX_DOWNLOAD_BYTES:,} "
                               "a checkpoint tarball may be", "check EFFKIT_WEIGHTS_URL")
        done = have if resumed else 0
        meta = {"url": url, "etag": response.headers.get("ETag"),
                "last_modified": response.headers.get("Last-Modified"), "total": total}
        deadline = time.monotonic() + DEADLINE_S
        with _writable(part, "ab" if resumed else "wb") as out:
            _write_json(meta_path, meta)
            progress(done, total, url)
            while True:
                try:
                    chunk = response.read1(CHUNK)  # what has arrived: the deadline is checked
                except (OSError, http.client.HTTPException) as exc:
                    out.flush()  # the error reports (and the next run resumes at) the real size
                    raise _interrupted(url, part, total, variant, exc) from None
                if not chunk:
                    break
                done += len(chunk)
                if done > MAX_DOWNLOAD_BYTES:
                    out.close()
                    meta_path.unlink(missing_ok=True)
                    _discard(part)  # refused: nothing of it is kept
                    raise WeightsError(f"{url} is larger than {MAX_DOWNLOAD_BYTES:,} bytes",
                                       "check EFFKIT_WEIGHTS_URL")
                out.write(chunk)
                progress(done, total, url)
                if time.monotonic() > deadline:
                    out.flush()
                    raise WeightsError(
                        f"the download of {url} did not finish within {DEADLINE_S:g} s "
                        f"({done:,}{f' of {total:,}' if total else ''} bytes arrived; the "
                        "server is sending too slowly)",
                        f"run the same command again to resume it, or {manual_route(variant)}")
    size = part.stat().st_size
    if total and size != total:
        raise _interrupted(url, part, total, variant)
    meta_path.unlink(missing_ok=True)
    return size


@contextlib.contextmanager
def _writable(path: Path, mode: str) -> Iterator:
    """``path`` opened for writing; a full disk or a read-only cache is one WeightsError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open(mode) as out:
            yield out
    except OSError as exc:
        raise WeightsError(f"cannot write {str(path)!r} ({exc.strerror or exc})",
                           "free disk space or set EFFKIT_CACHE_DIR") from None


def _discard(part: Path) -> None:
    """Remove a finished (used or refused) download, and its folder when that is empty."""
    part.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        part.parent.rmdir()


def _interrupted(url: str, part: Path, total: int, variant: Variant,
                 exc: BaseException | None = None) -> WeightsError:
    size = part.stat().st_size if part.is_file() else 0
    of = f" of {total:,}" if total else ""
    # a server that went silent (the read timed out) is not a connection that was lost
    why = (f"no data for {TIMEOUT_S:g} s" if isinstance(exc, (socket.timeout, TimeoutError))
           else "connection lost")
    return WeightsError(
        f"the download of {url} stopped at {size:,}{of} bytes ({why})",
        f"run the same command again to resume it, or {manual_route(variant)}")


def _unreachable_hint(variant: Variant) -> str:
    return ("check the network and the https_proxy variable, or set EFFKIT_WEIGHTS_URL to a "
            f"mirror; without a network {manual_route(variant)}")


def _reason(reason) -> str:
    if isinstance(reason, socket.gaierror):
        return "host name not found"
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no answer in {TIMEOUT_S:g} s"
    text = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
    return " ".join(str(text).split())


def _hashes_path() -> Path:
    return weights_cache() / HASHES_FILE


def recorded_digests() -> dict[str, dict]:
    """tarball name -> {"sha256", "url", "recorded_at"} from earlier downloads."""
    doc = _read_json(_hashes_path())
    return {k: v for k, v in doc.items() if isinstance(v, dict) and "sha256" in v}


def _check_digest(variant: Variant, url: str, part: Path, digest: str, pinned: str | None
                  ) -> None:
    expected, origin = pinned, "pinned by effkit"
    if expected is None:
        record = recorded_digests().get(tarball_name(variant))
        if record is None:
            return
        expected = record["sha256"]
        origin = f"recorded at the first download ({record.get('recorded_at', '?')})"
    if digest != expected:
        _discard(part)
        raise WeightsError(
            f"{url} has sha256 {digest}, not {expected} {origin}: refusing a changed file",
            f"check the mirror behind EFFKIT_WEIGHTS_URL; if the file changed on purpose, "
            f"delete its entry from {_hashes_path()} and fetch again")


def _record_digest(variant: Variant, digest: str) -> None:
    doc = _read_json(_hashes_path())
    earlier = doc.get(tarball_name(variant))
    if isinstance(earlier, dict) and earlier.get("sha256") == digest:
        return  # the same file again (--force): the record keeps its first download's time
    doc[tarball_name(variant)] = {
        "sha256": digest, "url": tarball_url(variant),
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    write_file_atomic(_hashes_path(), (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode(),
                      force=True, output=False)  # the cache's record


def _read_json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _write_json(path: Path, doc: dict) -> None:
    write_file_atomic(path, (json.dumps(doc) + "\n").encode(), force=True, output=False)  # cache


# --------------------------------------------------------------------------- extraction


def _extract(tarball: Path, dest: Path, url: str, variant: Variant) -> None:
    """Unpack the tarball's one top folder into ``dest`` (``effkit.weights.safe_tar``'s rules)."""
    from effkit.weights.safe_tar import TarballDamaged, UnsafeTarball, extract_top_folder

    try:
        extract_top_folder(tarball, dest, max_members=MAX_MEMBERS,
                           max_bytes=MAX_EXTRACTED_BYTES)
    except UnsafeTarball as exc:
        raise WeightsError(f"{url} is not a safe checkpoint tarball: {exc}",
                           "check EFFKIT_WEIGHTS_URL, or " + manual_route(variant)) from None
    except TarballDamaged as exc:
        raise WeightsError(f"{url} is not a complete .tar.gz ({exc})",
                           "fetch it again; if it fails the same way the file behind "
                           "EFFKIT_WEIGHTS_URL is truncated or damaged") from None
    except OSError as exc:
        raise WeightsError(f"cannot unpack into {str(dest)!r} ({exc.strerror or exc})",
                           "free disk space or set EFFKIT_CACHE_DIR") from None


def _verify(folder: Path, variant: Variant, url: str) -> None:
    """Every variable the architecture expects, with its EMA shadow and the right shape.

    The check is a real load into an effkit model of ``variant`` (``load_weights``): the
    same rule a build applies, so a checkpoint that passes here loads in a build.
    """
    from effkit.model.network import build_model
    from effkit.weights.assign import load_resolved
    from effkit.weights.files import identify, locate

    try:
        info = load_resolved(build_model(variant), variant,
                             identify(locate(variant, folder)))
    except WeightsError as exc:
        # the staging folder's path or name: gone once this is raised
        said = exc.message.replace(str(folder), variant.official_name)
        raise WeightsError(f"{url} is not the official {variant.name} checkpoint: "
                           f"{said.replace(folder.name, variant.official_name)}",
                           "check EFFKIT_WEIGHTS_URL, or " + manual_route(variant)) from None
    if not info.ema:
        raise WeightsError(f"{url} has no ExponentialMovingAverage shadows for every variable, "
                           "so it is not a released checkpoint",
                           "check EFFKIT_WEIGHTS_URL, or " + manual_route(variant))


# --------------------------------------------------------------------------- progress


def _no_progress(done: int, total: int, url: str) -> None:  # noqa: ARG001 - the library's default
    return None


def default_progress() -> DownloadProgressFn:
    """A rich bar (bytes, rate, ETA) on a terminal; otherwise a plain stderr line per 10 %."""
    if sys.stderr.isatty():
        return RichDownloadProgress()
    return PlainDownloadProgress()


class PlainDownloadProgress:
    """Plain lines on stderr for logs: the start, every tenth, the end."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream
        self.reported = -1

    def __call__(self, done: int, total: int, url: str) -> None:
        stream = self.stream or sys.stderr
        step = done * 10 // total if total else None
        if self.reported < 0:
            size = f"{total / 1e6:.1f} MB" if total else "unknown size"
            resumed = f", resuming at {done / 1e6:.1f} MB" if done else ""
            print(f"downloading {url} ({size}{resumed})", file=stream, flush=True)
            self.reported = step or 0
        elif step is not None and step > self.reported:
            self.reported = step
            print(f"downloaded {done / 1e6:.1f} of {total / 1e6:.1f} MB ({step * 10}%)",
                  file=stream, flush=True)


class RichDownloadProgress:
    """A rich progress bar on stderr with bytes, rate and time left."""

    def __init__(self) -> None:
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int, url: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        if self.bar is None or self.task is None:
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                TransferSpeedColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task(url.rsplit("/", 1)[-1], total=total or None,
                                          completed=done)
        self.bar.update(self.task, completed=done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
