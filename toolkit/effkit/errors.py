"""Errors effkit raises for conditions a user can fix.

Every error carries a one-line message that names the problem and a hint
that names the fix; the CLI prints both on one line and exits non-zero
without a traceback. Anything that is not an ``EffkitError`` is a bug.
"""

from __future__ import annotations


class EffkitError(Exception):
    """Base class: a problem with the user's input or environment."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = self.message.rstrip(".")
        if self.hint:
            hint = self.hint.rstrip(".")
            text += f". {hint[:1].upper()}{hint[1:]}."
        else:
            text += "."
        return " ".join(text.split())


class UsageError(EffkitError):
    """Flags or arguments that do not fit together."""

    exit_code = 2


class VariantError(EffkitError):
    """Unknown EfficientNet-Lite variant."""


class WeightsError(EffkitError):
    """Weights that cannot be found, read or matched to the model."""


class DataError(EffkitError):
    """Image folders (calibration, evaluation, training) that cannot be used."""


class LabelsError(EffkitError):
    """A labels file that cannot be used with the model."""


class ModelFileError(EffkitError):
    """A .tflite file that cannot be read or is not what the command needs."""


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


class TemplateError(EffkitError):
    """A template answer (app id, app name, label) that cannot be rendered safely."""


class EdgeTPUCoverageError(EffkitError):
    """Fewer ops run on the Edge TPU than --min-tpu-ops asks for."""


def read_user_file(path, *, what: str, hint: str, error: type[EffkitError] = UsageError) -> bytes:
    """The bytes of a file the user named, with one-line errors (missing, a folder, unreadable).

    ``what`` names the file in messages ("model file", "log file"); ``hint`` says what to pass.
    """
    from pathlib import Path

    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise error(f"{what} {str(p)!r} does not exist", hint) from None
    except IsADirectoryError:
        raise error(f"{str(p)!r} is a folder, not a {what}", hint) from None
    except OSError as exc:
        raise error(f"cannot read {what} {str(p)!r}: {exc.strerror}",
                    "check the file's permissions") from None
