"""Errors effkit raises for conditions a user can fix.

Every error carries a one-line message that names the problem and a hint
that names the fix; the CLI prints both on one line and exits non-zero
without a traceback. Anything that is not an ``EffkitError`` is a bug.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from os import PathLike


def visible(text: str) -> str:
    """``text`` with control and format characters (ESC, BEL, NUL, U+202E ...) written as
    ``\\x1b``/``\\u202e`` escapes and lone surrogates (undecodable bytes of a path) as
    ``\\udcff``: safe to print to a terminal, and still says what was there."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)


def _sentence(text: str) -> str:
    """``text`` ending in one full stop, or in its own ! or ? (a compiler's "Aborting!")."""
    text = text.rstrip().rstrip(".")
    return text if text.endswith(("!", "?")) else text + "."


class EffkitError(Exception):
    """Base class: a problem with the user's input or environment."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = _sentence(self.message)
        if self.hint:
            hint = _sentence(self.hint)
            text += f" {hint[:1].upper()}{hint[1:]}"
        return " ".join(text.split())


class UsageError(EffkitError):
    """Flags or arguments that do not fit together."""

    exit_code = 2


class VariantError(UsageError):
    """Unknown EfficientNet-Lite variant: a bad value of --variant, so a usage error (exit 2,
    as an unknown --target)."""


class WeightsError(EffkitError):
    """Weights that cannot be found, read or matched to the model."""


class DataError(EffkitError):
    """Input data that cannot be used: image folders (calibration, evaluation, training),
    saved documents (build.json, results), compiler logs."""


class LabelsError(EffkitError):
    """A labels file that cannot be used with the model."""


class ModelFileError(EffkitError):
    """A .tflite file that cannot be read or is not what the command needs."""


@contextlib.contextmanager
def naming_file(path: str | PathLike[str], what: str = "model") -> Iterator[None]:
    """A ModelFileError raised inside names the file it is about (``quant-report MODEL
    --float OTHER``, ``eval --compare``: which of the two is broken), unless it already does."""
    try:
        yield
    except ModelFileError as exc:
        name = repr(str(path))
        if name in exc.message:
            raise
        raise ModelFileError(f"{what} {name}: {exc.message}", exc.hint) from None


class OutputError(EffkitError):
    """An output location that cannot be written, or would overwrite user files."""


class ToolNotFoundError(EffkitError):
    """An external program (edgetpu_compiler, docker) is not installed."""


class ToolFailedError(EffkitError):
    """An external program ran and failed; stdout/stderr are attached."""

    def __init__(self, message: str, hint: str | None = None, *, returncode: int | None = None,
                 stdout: str = "", stderr: str = ""):
        super().__init__(message, hint)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def save_output(self, folder: str | None = None) -> str | None:
        """Write what the program printed (stdout, then stderr) to a new file in ``folder``
        (the system's temporary folder by default), outside every folder the user named:
        the CLI's one-line error then points to it. Its path, or None when the program
        printed nothing or the file cannot be written."""
        import tempfile

        text = self.stdout + (("\n" + self.stderr) if self.stderr.strip() else "")
        if not text.strip():
            return None
        try:
            fd, path = tempfile.mkstemp(prefix="effkit-tool-output-", suffix=".log", dir=folder)
            with open(fd, "w", encoding="utf-8", errors="replace") as fh:
                fh.write(text)
        except OSError:
            return None
        return path


class TemplateError(EffkitError):
    """A template answer (app id, app name, label) that cannot be rendered safely."""


class EdgeTPUCoverageError(EffkitError):
    """Fewer ops run on the Edge TPU than --min-tpu-ops asks for."""


def first_names(names: Sequence[object], most: int = 3) -> str:
    """Up to ``most`` names quoted, then ", ..." when there are more: how messages list
    the files or labels they are about."""
    return ", ".join(map(repr, names[:most])) + (", ..." if len(names) > most else "")


def wrong_type(name: str, value: object, want: str) -> UsageError:
    """The error for a setting of the wrong type (the Python API takes anything), e.g.
    ``epochs must be a whole number, not str 'two'``: the one wording for every call."""
    return UsageError(f"{name} must be {want}, not {type(value).__name__} {str(value)[:40]!r}",
                      f"pass {name} as {want}")


def call_mistake(call: str, exc: TypeError, names: Sequence[str], *, after: str = "(): ",
                 cutoff: float = 0.5, partial: bool = False) -> UsageError:
    """The UsageError for arguments ``effkit.<call>()`` cannot take (an unknown keyword:
    ``evaluate(max_images=10)``; too many positional ones), naming the likely keyword among
    ``names`` (with ``partial``, also one that holds the given word or starts with it)."""
    import difflib
    import re

    text = str(exc).split("() ", 1)[-1]  # a dataclass's TypeError names its __init__()
    given = re.search(r"argument '(\w+)'", text)
    near = difflib.get_close_matches(given.group(1), names, n=1, cutoff=cutoff) if given else []
    if given and not near and partial:
        near = [n for n in names if n.startswith(given.group(1)) or given.group(1) in n][:1]
    hint = (f"did you mean {near[0]}=? (see help(effkit.{call}))" if near
            else f"see help(effkit.{call}) for {'its arguments' if after == '(): ' else 'the settings'}")
    return UsageError(f"effkit.{call}{after}{text}", hint)


_Settings = TypeVar("_Settings", bound=type)


def keyword_checked(call: str) -> Callable[[_Settings], _Settings]:
    """A class decorator for a settings dataclass of the API (``BuildRequest``,
    ``TrainConfig``): arguments its constructor does not take are a UsageError naming the
    setting most likely meant, as ``effkit.build(bogus=1)`` is (it was a bare TypeError).
    ``call``: how the class is reached, after ``effkit.``."""

    def decorate(cls: _Settings) -> _Settings:
        import dataclasses
        import functools
        import inspect

        init = vars(cls)["__init__"]  # the dataclass's own, generated
        signature = inspect.signature(init)
        names = [f.name for f in dataclasses.fields(cls)]

        @functools.wraps(init)
        def checked(self: object, *args: Any, **kwargs: Any) -> None:
            try:
                signature.bind(self, *args, **kwargs)
            except TypeError as exc:
                raise call_mistake(call, exc, names, after="() ", cutoff=0.6, partial=True) from None
            init(self, *args, **kwargs)

        setattr(cls, "__init__", checked)  # noqa: B010 - assigning a method mypy would refuse
        return cls

    return decorate


def check_flag(value: object, name: str) -> bool:
    """``value`` when it is True or False, else :func:`wrong_type` (a string "false" from a
    config file must not read as true)."""
    if not isinstance(value, bool):
        raise wrong_type(name, value, "True or False")
    return value


def home_expanded(value: Any, name: str) -> Any:
    """A path given as "~/..." or "~user/..." with the home folder put in (a shell leaves
    --out=~/x alone, and the API gets what a notebook types); any other value as it is.
    UsageError when the home cannot be known (no such user, no HOME and no passwd entry):
    the one rule for the API's paths, a build's plan and training."""
    import os
    from pathlib import Path

    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value).startswith("~"):
        return value
    try:
        return Path(value).expanduser()
    except RuntimeError:  # Path.expanduser: "Could not determine home directory."
        head = os.fspath(value).split("/", 1)[0]
        raise UsageError(f"{name} {os.fspath(value)!r}: cannot tell which folder {head!r} is "
                         "(no such user, or no home folder known)",
                         f"give {name} as a full path") from None


def check_whole(value: object, flag: str, *, low: int = 1, high: int, example: int,
                why: str = "") -> int:
    """``value`` when it is a whole number in ``low..high``, else a UsageError naming ``flag``,
    the bound and an example: the one check of every count and size argument (CLI and API;
    a bool or a float is not a count). ``why`` explains the upper bound."""
    fix = f"pass e.g. {flag} {example}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise UsageError(f"{flag} must be a whole number, not {type(value).__name__} "
                         f"{str(value)[:40]!r}", fix)
    if value < low:
        raise UsageError(f"{flag} must be at least {low} (got {value})", fix)
    if value > high:
        shown = str(value) if value < 10**30 else f"a number of {len(str(value))} digits"
        raise UsageError(f"{flag} must be at most {high:,}{why} (got {shown})", fix)
    return value


MAX_SECONDS = 7 * 24 * 3600  # a week: above it the OS's timers overflow (about 9.2e9 s)


def check_seconds(value: object, flag: str, *, example: int) -> float:
    """``value`` as seconds when it is a positive number up to a week, else a UsageError
    naming ``flag`` and an example: the one check of every time limit (CLI and API: 0, NaN,
    infinity or 1e10 failed late, hung, or ended in an OverflowError's traceback)."""
    import math

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise wrong_type(flag, value, "a number of seconds")  # "(got 5)" for "5" read as valid
    if not (math.isfinite(value) and 0 < value <= MAX_SECONDS):
        raise UsageError(f"{flag} must be a positive number of seconds, at most {MAX_SECONDS:,} (a week) "
                         f"(got {str(value)[:40]})", f"pass e.g. {flag} {example}")
    return float(value)


# What a reader reads at most unless it says otherwise: far above any EfficientNet-Lite
# model (lite4 float32 is 52 MB), far below what would exhaust memory.
MAX_READ_BYTES = 1 << 30


class UnsafeFileError(OSError):
    """A path that is not a regular file (a FIFO, a device, a socket) or is larger than
    its reader's cap; ``str()`` says which, e.g. "a named pipe (FIFO), not a regular file"."""


def _kind(mode: int) -> str:
    import stat

    for test, name in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


def open_regular(path: str | PathLike[str], limit: int = MAX_READ_BYTES) -> BinaryIO:
    """Open ``path`` for reading in binary mode, but only a regular file (a symlink to one is
    fine) of at most ``limit`` bytes: a FIFO, device or socket is refused without blocking
    (O_NONBLOCK), a larger file before a byte is read. Raises FileNotFoundError,
    IsADirectoryError, :class:`UnsafeFileError` or another OSError."""
    import errno
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFileError(f"{_kind(info.st_mode)}, not a regular file")
        if info.st_size > limit:
            raise UnsafeFileError(f"{info.st_size:,} bytes, more than the {limit:,} this reader "
                                  "accepts")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | PathLike[str], limit: int = MAX_READ_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (see :func:`open_regular`);
    a file that grows past the cap while being read is refused too."""
    with open_regular(path, limit) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise UnsafeFileError(f"more than the {limit:,} bytes this reader accepts")
    return data


def cannot_read(path: object, exc: OSError, error: type[EffkitError], what: str = "") -> EffkitError:
    """The one error for a file or folder the user named that cannot be read (permissions,
    an I/O error): what and where it is, and the system's reason."""
    named = f"{what} {str(path)!r}" if what else repr(str(path))
    return error(f"cannot read {named}: {exc.strerror or exc}", "check the file's permissions")


def read_user_file(path: str | PathLike[str], *, what: str, hint: str, error: type[EffkitError],
                   limit: int = MAX_READ_BYTES) -> bytes:
    """The bytes of a file the user named, with one-line errors (missing, a folder, a FIFO or
    device, larger than ``limit``, unreadable).

    ``what`` names the file in messages ("model file", "log file"); ``hint`` says what to pass.
    """
    from pathlib import Path

    p = Path(path)
    try:
        return read_regular(p, limit)
    except FileNotFoundError:
        raise error(f"{what} {str(p)!r} does not exist", hint) from None
    except IsADirectoryError:
        raise error(f"{str(p)!r} is a folder, not a {what}", hint) from None
    except UnsafeFileError as exc:
        raise error(f"{what} {str(p)!r} is {exc}", hint) from None
    except OSError as exc:
        raise cannot_read(p, exc, error, what) from None
