"""Writing outputs safely: stage in a temporary sibling, rename into place at the end.

Nothing half-written is ever left under the user's chosen name, and an existing
non-empty folder or file is replaced only with ``force``.

Staging folders (``.NAME.tmp-*``) and replaced outputs waiting to be deleted
(``.NAME.old-*``) carry a marker file naming the process that made them. A later run
into the same parent removes the staging folders of processes that are gone (killed
with SIGKILL, power cut) and puts back an old output whose replacement never finished,
so neither disk space nor the user's previous output is lost silently.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from effkit.errors import OutputError, first_names

MARKER = ".effkit-staging"  # inside .NAME.tmp-* and .NAME.old-*: "<pid>\n"
# Errors that mean "the disk, not the user's input": named as such, with the fix.
SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
# Outputs completed by this process: the interrupt message must not say "nothing was written".
WRITTEN: list[Path] = []
# What recover_stale did, for the CLI to report after the command succeeds.
NOTES: list[str] = []
# Outputs restore_interrupted put back in this command (the CLI clears it with NOTES)
READ_RESTORED: set[Path] = set()


def _pause(point: str) -> None:
    """Test hook that widens a window for a signal: with EFFKIT_PAUSE_AT=point, touch
    $EFFKIT_PAUSE_FILE and wait there ($EFFKIT_PAUSE_SECONDS, default 60) for the signal."""
    if os.environ.get("EFFKIT_PAUSE_AT") != point:
        return
    import time

    Path(os.environ["EFFKIT_PAUSE_FILE"]).touch()
    for _ in range(int(10 * float(os.environ.get("EFFKIT_PAUSE_SECONDS", "60")))):
        time.sleep(0.1)


_STAGING_FOLDER = re.compile(r"\.(?P<name>.+)\.tmp-[^/]+")


def final_path(path: Path) -> Path:
    """``path`` as it will be named once every staging folder above it is renamed into
    place (an app rendered inside a build's staging folder): what a message should show."""
    path = Path(path)
    parts = list(path.parts)
    for i, part in enumerate(path.parts):
        found = _STAGING_FOLDER.fullmatch(part)
        if found and os.path.isfile(os.path.join(*path.parts[: i + 1], MARKER)):
            parts[i] = found["name"]
    return Path(*parts) if parts else path


def write_failure(exc: OSError, target: Path) -> OutputError:
    """The one-line error for an OSError while writing an output under ``target``."""
    target = final_path(target)
    if exc.errno in SPACE_ERRNOS:
        return OutputError(f"no space left on the device while writing {str(target)!r}",
                           "free some disk space, or choose another --out")
    if exc.errno == errno.EROFS:
        return OutputError(f"{str(target)!r} is on a read-only file system", "choose a writable --out")
    return OutputError(f"cannot write {str(target)!r} ({exc.strerror})", "choose a writable --out")


def json_bytes(doc: object, *, default: Callable[[object], object] | None = None) -> bytes:
    """A JSON document (indented, non-ASCII as is) as UTF-8 bytes that are always valid: a
    path holding bytes that are not UTF-8 (kept by Python as lone surrogates) shows U+FFFD
    there instead of failing to encode. The one encoding of effkit's JSON files and --json."""
    text = json.dumps(doc, indent=2, ensure_ascii=False, default=default) + "\n"
    text = re.sub("[\udc80-\udcff]", "\ufffd", text)  # one U+FFFD per byte, as a decoder shows
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")


# The answers file every rendered app keeps at its top (apps.render writes and reads it).
ANSWERS_FILE = ".effkit-answers.json"


@dataclass(frozen=True)
class Ownership:
    """How ``--force`` tells an earlier output of one kind, so it never deletes what effkit
    did not write.

    ``record`` is the file that kind keeps at its top (build.json); ``written(folder)``
    reads it back and returns the paths (relative, POSIX; ``"name/"`` for a whole folder)
    effkit wrote there, or None when the record is missing or not effkit's.
    ``replaces_folder``: the writer swaps the whole folder (a build, a report), so every
    file in it must be one effkit wrote; False for writers that replace only their own
    files and keep the rest (training, compiling a build in place).
    """

    kind: str
    record: str
    written: Callable[[Path], Collection[str] | None]
    replaces_folder: bool = True


def _files(folder: Path, skip: tuple[str, ...] = ()) -> Iterator[str]:
    """The files and symbolic links under ``folder`` (relative POSIX paths, in name order;
    a link to a folder is not followed), but effkit's staging marker and what is under
    the ``skip`` folders ("name/")."""
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        links = [d for d in dirs if (Path(root) / d).is_symlink()]  # not followed: a file here
        for name in sorted(files + links):
            if name != MARKER:
                yield (rel / name).as_posix()
        dirs[:] = sorted(d for d in dirs
                         if d not in links and not f"{(rel / d).as_posix()}/".startswith(skip))


def not_written(folder: Path, written: Collection[str], most: int = 3) -> list[str]:
    """Up to ``most`` files (and symbolic links) under ``folder`` that are not in ``written``."""
    whole = tuple(w for w in written if w.endswith("/"))
    found: list[str] = []
    for path in _files(folder, whole):
        if path not in written and not path.startswith(whole):
            found.append(path)
            if len(found) >= most:
                break
    return found


def _check_replaceable(out_dir: Path, owner: Ownership | None) -> None:
    """``--force`` on a non-empty folder: refuse unless it is an earlier output of the same
    kind holding nothing effkit did not write."""
    written = owner.written(out_dir) if owner is not None else None
    if written is None:
        what = f" as a {owner.kind} (no valid {owner.record})" if owner else ""
        raise OutputError(f"output folder {str(out_dir)!r} is not empty and was not written by "
                          f"effkit{what}, so --force does not replace it",
                          "choose another --out, or empty the folder yourself")
    if owner is not None and owner.replaces_folder:
        remove_stale_files(out_dir)  # a killed eval --save's: effkit's, not the user's
        foreign = not_written(out_dir, written, most=4)
        if foreign:
            raise OutputError(
                f"output folder {str(out_dir)!r} holds files effkit did not write "
                f"({first_names(foreign)}), "
                "so --force does not replace it",
                "move them out of the folder, or choose another --out")


def check_path_usable(path: Path, flag: str = "--out") -> Path:
    """``path`` resolved, or a one-line error for what the kernel would refuse later: a
    component longer than 255 bytes, a symbolic-link loop, a dangling symbolic link."""
    path = Path(path)
    for part in path.parts:
        if len(os.fsencode(part)) > 255:
            raise OutputError(f"{flag} {str(path)[:60]!r}... has a name longer than 255 bytes",
                              f"choose a shorter {flag}")
    try:
        os.stat(path)
    except FileNotFoundError:
        if path.is_symlink():
            raise OutputError(f"{flag} {str(path)!r} is a symbolic link to nothing",
                              f"remove the link, or choose another {flag}") from None
    except OSError as exc:  # ELOOP, ENAMETOOLONG, EACCES on the way
        why = "a symbolic-link loop" if exc.errno == errno.ELOOP else exc.strerror
        raise OutputError(f"{flag} {str(path)!r} cannot be used ({why})",
                          f"choose another {flag}") from None
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a loop further up (Python 3.11, 3.12)
        raise OutputError(f"{flag} {str(path)!r} cannot be used (a symbolic-link loop)",
                          f"choose another {flag}") from None


def _input_overlap(resolved: Path, inputs: Iterable[Path | None]) -> tuple[str, Path] | None:
    """The one rule for an output (``resolved``) and the command's inputs: the first input
    it is ("same"), holds ("contains") or sits inside ("inside"), else None."""
    for item in inputs:
        if item is None:
            continue
        src = check_path_usable(Path(item), "input")
        if src == resolved:
            return "same", Path(item)
        if resolved in src.parents:
            return "contains", Path(item)
        if src in resolved.parents:
            return "inside", Path(item)
    return None


def check_output_dir(out_dir: Path, force: bool, inputs: Iterable[Path | None] = (),
                     owner: Ownership | None = None, renamed: bool = True) -> None:
    """Fail early (before long work) when ``out_dir`` cannot be used.

    ``inputs`` are the files and folders the command reads: an output that is one of them,
    contains one, or sits inside one (or is the current folder) is refused. With ``force``
    a non-empty folder is replaced only when ``owner`` recognises it as an earlier output
    of its kind with nothing else in it (None: never). ``renamed``: the output is staged
    and renamed into place, which a mount point refuses; False for writers that write
    into the folder (training).
    """
    out_dir = Path(out_dir)
    resolved = check_path_usable(out_dir)
    restored = any(n.startswith("restored") for n in recover_stale(out_dir)) or \
        out_dir.absolute() in READ_RESTORED  # put back by the CLI as it read its arguments
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise OutputError(f"output {str(out_dir)!r} is the current folder or contains it",
                          "choose a new sub-folder for --out, e.g. --out build/model")
    overlap = _input_overlap(resolved, inputs)
    if overlap is not None:
        relation, item = overlap
        verb = "is inside" if relation == "inside" else "contains"  # an output folder
        raise OutputError(f"output {str(out_dir)!r} {verb} the input {str(item)!r}",
                          "choose an --out outside the inputs")
    if out_dir.exists():
        if out_dir.is_symlink() and out_dir.is_dir():  # renaming would replace the link only
            raise OutputError(f"output {str(out_dir)!r} is a symbolic link to a folder, and "
                              "effkit replaces its output folder as a whole",
                              f"pass the folder itself: --out {str(resolved)!r}")
        if out_dir.is_symlink() or not out_dir.is_dir():
            raise OutputError(f"output {str(out_dir)!r} exists and is not a folder", "choose another --out")
        if renamed and os.path.ismount(out_dir):  # a docker volume: rename(2) onto it fails (EBUSY)
            raise OutputError(f"output {str(out_dir)!r} is a mount point, and effkit replaces its "
                              "output folder as a whole", f"choose a sub-folder of it, e.g. --out "
                              f"{str(out_dir / 'model')!r}")
        if any(out_dir.iterdir()):
            if not force:
                why = (" (it holds the previous output, put back after an interrupted --force "
                       "replacement)" if restored else "")
                raise OutputError(f"output folder {str(out_dir)!r} is not empty{why}",
                                  _not_empty_hint(out_dir, owner))
            _check_replaceable(out_dir, owner)
    parent = _existing_parent(out_dir)
    try:  # a real write probe: permissions, read-only mounts and root all answer the same way
        os.rmdir(tempfile.mkdtemp(prefix=".effkit-probe-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write to {str(parent)!r} ({exc.strerror})",
                          "choose a writable --out") from None


def _not_empty_hint(out_dir: Path, owner: Ownership | None) -> str:
    """The fix for a non-empty output: --force only where --force would replace it."""
    try:
        _check_replaceable(out_dir, owner)
    except OutputError:
        kind = owner.kind if owner is not None else "output"
        alone = " holding nothing else" if owner is None or owner.replaces_folder else ""
        return (f"choose another --out, or empty the folder yourself (--force replaces only "
                f"an effkit {kind}{alone})")
    return "choose another --out, or pass --force to replace it"


def _existing_parent(path: Path) -> Path:
    path = path.absolute()
    while not path.exists():
        path = path.parent
    return path


def _process_start(pid: int) -> str:
    """When process ``pid`` started, as Linux tells it (boot id and clock ticks since boot;
    "" where /proc cannot say): a pid alone is reused, by PID 1 in every container and
    after every reboot."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return f"{boot}:{stat.rsplit(')', 1)[1].split()[19]}"  # field 22, after the name
    except (OSError, IndexError):
        return ""


def _mark(folder: Path) -> None:
    pid = os.getpid()
    (folder / MARKER).write_text(f"{pid} {_process_start(pid)}\n", encoding="ascii")


def _owner_gone(folder: Path) -> bool:
    """True when ``folder`` has effkit's marker and the process that wrote it has ended
    (a process of that pid that started at another time is another process)."""
    try:
        pid_text, _, started = (folder / MARKER).read_text(encoding="ascii").strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return False  # no marker: not ours (or not readable), never touched
    return _writer_gone(pid, lambda now: now == started if started else True)


def _writer_gone(pid: int, same_start: Callable[[str], bool]) -> bool:
    """True when process ``pid`` has ended, or the process of that pid now is another one
    (``same_start`` is given its start, when /proc can say, and answers whether it is the
    writer's)."""
    now = _process_start(pid)
    if now and not same_start(now):
        return True  # the pid is reused: its writer is gone
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


# A file staged by write_file_atomic: ".NAME.tmp-PID.START-XXXXXXXX", START the first 8 hex
# digits of the sha256 of the writer's start (_process_start), so a file left by a killed
# run is known as effkit's and its writer's as gone (interrupt walk: a killed eval --save left
# one in a build folder, and build --force then refused the folder for a file it did not write).
_STAGED_FILE = re.compile(r"\.(?P<name>.+)\.tmp-(?P<pid>[0-9]+)\.(?P<start>[0-9a-f]{8})-[^/]+")


def _start_digest(started: str) -> str:
    return hashlib.sha256(started.encode("ascii", "replace")).hexdigest()[:8]


def _staged_name(name: str) -> str:
    """``name`` as a staged file's name holds it: a long one (the staged name adds about 30
    bytes to it, and a file name has 255) shortened, with a digest to keep it apart."""
    if len(name.encode("utf-8", "surrogateescape")) <= 180:
        return name
    return name[:40] + "~" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def _staged_file_prefix(name: str) -> str:
    pid = os.getpid()
    return f".{_staged_name(name)}.tmp-{pid}.{_start_digest(_process_start(pid))}-"


def remove_stale_files(folder: Path, name: str | None = None) -> list[str]:
    """Remove the files write_file_atomic staged in ``folder`` (all of its tree, or beside
    ``name`` only) whose process has ended; what was removed, as notes."""
    folder = Path(folder)
    done: list[str] = []
    staged = _staged_name(name) if name is not None else None
    paths = ([folder / p for p in _files(folder)] if staged is None else
             [p for p in _entries(folder) if p.name.startswith(f".{staged}.tmp-")])
    for path in paths:
        found = _STAGED_FILE.fullmatch(path.name)
        if found is None or (staged is not None and found["name"] != staged):
            continue
        start = found["start"]
        if not _writer_gone(int(found["pid"]), lambda now: _start_digest(now) == start):  # noqa: B023 - called at once
            continue
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink():
                path.unlink()
                done.append(f"removed stale {path.name}")
    NOTES.extend(done)
    return done


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def recover_stale(out_dir: Path) -> list[str]:
    """Clean up after an effkit run into ``out_dir`` that was killed mid-write.

    Stale ``.NAME.tmp-*`` staging folders are removed; a stale ``.NAME.old-*`` holding
    the previous output is put back when ``out_dir`` is missing (the replacement was cut
    between its two renames) and removed otherwise. Only folders carrying effkit's
    marker, whose process has ended, are touched. Returns what was done, one line each.
    """
    out_dir = Path(out_dir).absolute()
    parent = out_dir.parent
    done: list[str] = []
    try:
        siblings = [p for p in parent.iterdir() if p.name.startswith(f".{out_dir.name}.")]
    except OSError:
        return done
    for folder in sorted(siblings):
        kind = folder.name[len(out_dir.name) + 2:].split("-", 1)[0]
        if kind not in ("tmp", "old") or not folder.is_dir() or not _owner_gone(folder):
            continue
        kept = folder / "x"
        if kind == "old" and kept.is_dir() and not out_dir.exists():
            with contextlib.suppress(OSError):
                os.rename(kept, out_dir)
                done.append(f"restored {out_dir} from an interrupted --force replacement")
        shutil.rmtree(folder, ignore_errors=True)
        done.append(f"removed stale {folder.name}")
    NOTES.extend(done)
    return done


def restore_interrupted(path: Path) -> list[str]:
    """Put back an output an interrupted ``--force`` replacement moved aside, when ``path``
    is missing because of it: ``path`` itself or the folder above it that no longer exists
    (``rep/model.tflite`` after a run into ``rep`` was killed between its renames). A
    reader names such a path; without this only the next run writing into ``rep`` would
    put it back. What :func:`recover_stale` does there, one line each."""
    missing = Path(path).absolute()
    if os.path.lexists(missing):
        return []
    while not os.path.lexists(missing.parent) and missing.parent != missing:
        missing = missing.parent
    done = recover_stale(missing)
    if any(n.startswith("restored") for n in done):
        READ_RESTORED.add(missing)
    return done


# Signals that end a command the way Ctrl-C does: kill/systemd/docker stop (TERM), a closed
# terminal or dropped ssh session (HUP), Ctrl-\\ (QUIT). Each cleans up its staging folders.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class Terminated(KeyboardInterrupt):
    """SIGTERM, SIGHUP or SIGQUIT, raised like Ctrl-C so every staging folder is cleaned up
    on the way out; ``exit_code`` is the shell's 128 + signal number."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(signum)
        self.exit_code = 128 + int(signum)


# The stop signals this command received (sigterm_as_interrupt), newest last.
STOPPED: list[int] = []


def _raise_terminated(signum, frame):  # noqa: ARG001 - a signal handler's signature
    STOPPED.append(int(signum))
    raise KeyboardInterrupt if signum == signal.SIGINT else Terminated(signum)


def raise_if_stopped() -> None:
    """Raise again a stop signal (Ctrl-C too) whose exception was lost: one raised while a
    finalizer ran (TensorFlow's ``AtomicFunction.__del__`` during a conversion) is only
    printed by Python ('Exception ignored in ...') and the work went on. Called where work
    moves on (a stage's start and end, a training step), in the main thread, when no
    exception is on its way already."""
    import sys

    if (STOPPED and sys.exc_info()[1] is None
            and threading.current_thread() is threading.main_thread()):
        signum = STOPPED[-1]
        raise KeyboardInterrupt if signum == signal.SIGINT else Terminated(signum)


def stop_exit_code(exc: BaseException) -> int | None:
    """The exit code when ``exc`` is how an interrupt surfaced, else None: Ctrl-C, a stop
    signal, or another exception a stop signal's became on its way through native code
    (TensorFlow turns it into a SystemError at times)."""
    if isinstance(exc, KeyboardInterrupt):
        return int(getattr(exc, "exit_code", 130))
    return 128 + STOPPED[-1] if STOPPED else None


@contextlib.contextmanager
def _main_thread_swap(install, restore) -> Iterator[None]:
    """``install()`` for the block, then ``restore(its result)``; signal state belongs to the
    main thread, so elsewhere (a worker thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = install()
    try:
        yield
    finally:
        restore(saved)


def sigterm_as_interrupt():
    """SIGTERM, SIGHUP and SIGQUIT raise :class:`Terminated` (a KeyboardInterrupt) for the
    block, so a killed command cleans up exactly as Ctrl-C does. Each stop signal, Ctrl-C
    too, is recorded in STOPPED (see :func:`raise_if_stopped`)."""
    def install():
        # a signal ignored by the parent (nohup: SIGHUP) stays ignored, and a handler of
        # SIGINT other than Python's own is left alone
        return {s: signal.signal(s, _raise_terminated) for s in (signal.SIGINT, *STOP_SIGNALS)
                if signal.getsignal(s) != signal.SIG_IGN
                and (s != signal.SIGINT or signal.getsignal(s) is signal.default_int_handler)}

    def restore(previous: dict) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return _main_thread_swap(install, restore)


def _signals_held():
    """SIGINT and the stop signals deferred until the block ends (the swap of two renames is
    not cut).

    The handlers are swapped rather than the signal mask: a mask only covers the calling
    thread, and the kernel hands a process-wide signal to any thread that does not block it.
    """
    held = (signal.SIGINT, *STOP_SIGNALS)
    pending: list[int] = []

    def defer(signum, frame):  # noqa: ARG001 - a signal handler's signature
        pending.append(signum)

    def restore(previous: dict) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if pending:
            handler = previous[pending[0]]
            if callable(handler):
                handler(pending[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(pending[0])

    return _main_thread_swap(lambda: {s: signal.signal(s, defer) for s in held
                                      if signal.getsignal(s) != signal.SIG_IGN}, restore)


@contextlib.contextmanager
def staged_dir(out_dir: Path, force: bool, owner: Ownership | None = None, *,
               started_empty: bool = False) -> Iterator[Path]:
    """Yield a temporary folder next to ``out_dir``; on success it becomes ``out_dir``
    (with ``force`` it replaces an earlier output ``owner`` recognises: check_output_dir).

    Without ``force`` the final rename itself refuses a folder that became non-empty
    meanwhile (another build into the same new ``--out``): rename(2) onto a non-empty
    folder fails, so the check and the move are one atomic step. ``started_empty``: the
    caller found ``out_dir`` missing or empty when its work began, so a folder full now
    was filled meanwhile, and the error says so.
    """
    out_dir = Path(out_dir)
    try:
        check_output_dir(out_dir, force, owner=owner)
    except OutputError:
        if started_empty and not is_empty(out_dir):
            raise _filled_meanwhile(out_dir) from None
        raise
    before = _listing(out_dir)  # what --force may replace: nothing added or changed later
    made = missing_folders(out_dir.parent)  # ours to take back if this fails
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as exc:
        remove_if_empty(made)
        raise write_failure(exc, out_dir.parent) from None
    try:
        _mark(tmp)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_if_empty(made)
        raise write_failure(exc, out_dir) from None
    try:
        try:
            yield tmp
            _pause("staged")
        except OSError as exc:  # disk full or remounted read-only while writing
            if exc.errno in SPACE_ERRNOS or exc.errno == errno.EROFS:
                raise write_failure(exc, out_dir) from None
            raise
        try:
            os.chmod(tmp, kept_mode(out_dir, 0o777))
            _move_into_place(tmp, out_dir, force, before)
        except OSError as exc:
            raise write_failure(exc, out_dir) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_if_empty(made)
        raise


def missing_folders(folder: Path) -> list[Path]:
    """``folder`` and the folders above it that do not exist yet, deepest first: what a
    writer about to make them may take back with :func:`remove_if_empty` when it fails.
    Each is a prefix of the path as given, '.' and '..' steps left out (mkdir of 'a/../b'
    makes 'a' too, and rmdir of 'a/..' would stop the undoing)."""
    parts = Path(folder).parts
    prefixes = [Path(*parts[:i + 1]) for i, part in enumerate(parts) if part not in (".", "..")]
    return [p for p in reversed(prefixes) if not p.exists()]


def remove_if_empty(folders: list[Path]) -> None:
    """The folders a failed write made for itself (:func:`missing_folders`), deepest first:
    a failed ``--out deep/a/b`` left ``deep/a``. rmdir takes only empty ones, so a folder
    something else wrote into meanwhile stays, and so do the ones above it."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def is_empty(folder: Path) -> bool:
    """True when ``folder`` is missing or an empty folder."""
    try:
        return not any(Path(folder).iterdir())
    except FileNotFoundError:
        return True
    except OSError:  # a file, or unreadable: not a place to write into unasked
        return False


def _filled_meanwhile(out_dir: Path) -> OutputError:
    return OutputError(f"output {str(out_dir)!r} was filled by something else while this run "
                       "was working (another build into the same --out?)",
                       "nothing was replaced; choose another --out, or pass --force")


def _aside_folder(out_dir: Path) -> Path:
    """A marked ``.NAME.old-*`` folder beside ``out_dir`` to move it into (``old/x``)
    before it is deleted; recover_stale knows it if this process is killed."""
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    _mark(old)
    return old


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file and link under ``folder`` (relative POSIX path) with its size and mtime."""
    found: dict[str, tuple[int, int]] = {}
    for path in _files(folder):
        with contextlib.suppress(OSError):  # gone meanwhile: not listed
            st = (folder / path).lstat()
            found[path] = (st.st_size, st.st_mtime_ns)
    return found


def _changed_since(folder: Path, before: dict[str, tuple[int, int]]) -> list[str]:
    now = _listing(folder)
    return sorted(p for p in now if now[p] != before.get(p))


def _move_into_place(tmp: Path, out_dir: Path, force: bool,
                     before: dict[str, tuple[int, int]] | None = None) -> None:
    """Rename ``tmp`` to ``out_dir`` with its staging marker dropped in the same held-signal
    block: the marker stays until the move (a staging folder killed at any point carries
    it), and a Ctrl-C held through the move no longer left it in the finished output."""
    if not force or not out_dir.exists():
        with _signals_held():
            try:
                os.rename(tmp, out_dir)  # onto a missing or empty folder only
            except OSError as exc:
                if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                    raise _filled_meanwhile(out_dir) from None
                raise
            WRITTEN.append(out_dir)
            (out_dir / MARKER).unlink(missing_ok=True)
        return
    old = _aside_folder(out_dir)
    with _signals_held():
        os.rename(out_dir, old / "x")
        # files put there while this run worked (notes, an edit) are the user's: kept
        changed = _changed_since(old / "x", before or {})
        if changed:
            os.rename(old / "x", out_dir)
            shutil.rmtree(old, ignore_errors=True)
            shown = first_names(changed)
            raise OutputError(f"files in {str(out_dir)!r} were added or changed while this run was "
                              f"working ({shown}), so it was not replaced",
                              "nothing was changed there; run again when the folder is as you want it")
        _pause("swap")
        try:
            os.rename(tmp, out_dir)
        except BaseException:
            os.rename(old / "x", out_dir)  # put the old output back
            shutil.rmtree(old, ignore_errors=True)
            raise
        WRITTEN.append(out_dir)  # before a held signal is delivered: it must report this
        (out_dir / MARKER).unlink(missing_ok=True)
        shutil.rmtree(old, ignore_errors=True)


def remove_output(out_dir: Path, owner: Ownership, why: str) -> None:
    """Remove an earlier output that no longer fits what replaced it (a build of old
    weights), after the same check ``--force`` makes: only one ``owner`` recognises and
    that holds nothing effkit did not write. Moved aside first (a marked ``.NAME.old-*``
    folder, as ``staged_dir`` does), then deleted: never left half-deleted. A note says
    so, with ``why`` and the files it held."""
    out_dir = Path(out_dir)
    _check_replaceable(out_dir, owner)
    held = sorted(p.name for p in _entries(out_dir))
    old = _aside_folder(out_dir)
    os.rename(out_dir, old / "x")
    shutil.rmtree(old, ignore_errors=True)
    NOTES.append(f"removed {out_dir} ({why}; it held {first_names(held)})")


@dataclass(frozen=True)
class FileKind:
    """What ``--force`` may replace at a named output file: an earlier output of one kind
    (``described``: "a TFLite model"), told by ``is_one(path)``; ``suffixes``, when given,
    are the endings a file of the kind is named with (the first is the one to suggest)."""

    described: str
    is_one: Callable[[Path], bool]
    suffixes: tuple[str, ...] = ()


def marked_file(described: str, marker: str, window: int = 4096,
                suffixes: tuple[str, ...] = ()) -> FileKind:
    """A kind of text output that carries ``marker`` in its first ``window`` bytes (a JSON
    key, an HTML meta tag)."""
    wanted = marker.encode("utf-8")

    def is_one(path: Path) -> bool:
        try:
            with Path(path).open("rb") as fh:
                return wanted in fh.read(window)
        except OSError:
            return False

    return FileKind(described, is_one, suffixes)


def check_output_file(path: Path, force: bool, *, inputs: Iterable[Path | None] = (),
                      kind: FileKind | None = None, flag: str = "--out") -> None:
    """Fail early (before long work) when the named output file ``path`` cannot be written:
    it is one of the command's ``inputs`` or inside an input folder (refused with or
    without ``force``), it is a folder, it exists and ``force`` is off, or ``force`` is on
    and what is there is not an earlier output of ``kind``: --force replaces an output of
    the same kind, never a user's other files."""
    path = Path(path)
    resolved = check_path_usable(path, flag)
    overlap = _input_overlap(resolved, inputs)
    # a path holding an input is a folder, named as such below
    if overlap is not None and overlap[0] != "contains":
        relation, item = overlap
        where = "is the input" if relation == "same" else "is inside the input folder"
        raise OutputError(f"{flag} {str(path)!r} {where} {str(item)!r}",
                          f"choose another {flag}" if relation == "same" else f"choose a {flag} outside it")
    if path.is_dir():
        raise OutputError(f"{flag} {str(path)!r} is a folder", "name a file")
    if kind is not None and kind.suffixes and path.suffix.lower() not in kind.suffixes:
        # x.txt holding a model opens in the wrong program, and no tool looks for it there
        raise OutputError(f"{flag} {str(path)!r} does not end in {kind.suffixes[0]} ({kind.described})",
                          f"name it {str(path.with_name(path.stem + kind.suffixes[0]))!r}")
    # --save writes where the model is: there is no other output to choose
    other = "" if flag == "--save" else "choose another output, or "
    if path.exists() or path.is_symlink():
        if not force:
            raise OutputError(f"{str(path)!r} already exists", f"{other}pass --force to replace it")
        if kind is not None and not kind.is_one(path):
            raise OutputError(f"{str(path)!r} is not {kind.described}, so --force does not replace it",
                              f"{other}move that file away yourself")


def write_file_atomic(path: Path, data: bytes, force: bool, *, output: bool = True) -> None:
    """Write ``data`` to ``path`` via a temporary sibling; refuse to replace without force,
    also a file that appears at ``path`` while writing (the final step is link(2)).
    ``output``: one of the command's outputs, which an interrupt after it names as
    completed (False for caches, checkpoints and files inside a staging folder)."""
    path = Path(path)
    if path.exists() and not force:
        raise OutputError(f"{str(path)!r} already exists", "choose another output, or pass --force")
    if path.is_dir():
        raise OutputError(f"{str(path)!r} is a folder", "name a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_files(path.parent, path.name)
        fd, tmp = tempfile.mkstemp(prefix=_staged_file_prefix(path.name), dir=path.parent)
    except OSError as exc:
        raise write_failure(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, kept_mode(path, 0o666))
        _pause("write")
        if force:
            os.replace(tmp, path)
        else:  # link(2) never replaces: a file made at path since the check above is kept
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputError(f"{str(path)!r} was created by something else while this "
                                  "run was writing", "nothing was replaced; choose another "
                                  "output, or pass --force") from None
            os.unlink(tmp)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise write_failure(exc, path) from None
        raise
    if output:
        WRITTEN.append(path)


@contextlib.contextmanager
def held_lock(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """An exclusive lock on the file ``path`` (made with its folder) for the block: one
    process at a time does the work it guards (a download, a distillation into a cache).
    ``on_wait`` is called once when another process holds it. OSError when the file cannot
    be made (a read-only cache): the caller decides whether to work unguarded."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def kept_mode(path: Path, usual: int) -> int:
    """The permissions for what replaces ``path``: those it has (a folder a user made 0750 or
    group-shared 2775, a model they made 0600 keep them through --force), else ``usual``
    less the umask, as any new file gets (mkdtemp and mkstemp make 0700 and 0600, and a
    fixed 0755 ignored a private umask of 077)."""
    try:
        st = os.lstat(path)
    except OSError:
        return masked(usual)
    return stat.S_IMODE(st.st_mode) if not stat.S_ISLNK(st.st_mode) else masked(usual)


def masked(mode: int) -> int:
    """``mode`` less the process's umask: what a file made with that mode gets."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask
