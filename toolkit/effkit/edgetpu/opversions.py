"""Op versions the Edge TPU compiler refuses, per compiler release, with their sources.

Each TFLite builtin op carries a version that the converter raises when it writes a
new variant of the op (TensorFlow's tensorflow/lite/tools/versioning/op_version.cc says
which variant; runtime_version.cc says which TensorFlow release first writes it). The
compiler links a TFLite of its own time: given a newer version it stops for the whole
model with ``ERROR: Didn't find op for builtin opcode 'X' version 'N'`` ... ``Invalid
model`` / ``Model could not be parsed``. Compiler 16.0 (July 2021) is the last release, so
every TensorFlow upgrade can add a version it does not know.

:data:`REFUSALS` lists every refusal confirmed in a public compiler log; nothing here is
inferred. A compiler refuses what a newer compiler refuses (it knows no more), so a
refusal seen with compiler 16 applies to 15, 14 ... as well; one seen with compiler 2.0
says nothing about 16. Refusals of a single op inside a model that otherwise compiles
("Operation version not supported" in the operator table, e.g. RESIZE_NEAREST_NEIGHBOR
in shared logs 02 and 13) are not listed: those logs do not give the version.
"""

from __future__ import annotations

from dataclasses import dataclass

LATEST_COMPILER = "16.0.384591198"
"""The last edgetpu_compiler release (coral.ai/docs/edgetpu/compiler/); assumed when none is known."""


@dataclass(frozen=True)
class VersionRefusal:
    """``op`` at ``version`` (or newer) was refused by edgetpu_compiler ``compiler``."""

    op: str
    version: int
    compiler: str
    source: str
    meaning: str = ""   # what that op version is, from op_version.cc / runtime_version.cc
    fix: str = ""       # a converter setting or TensorFlow version that writes an older one

    @property
    def compiler_major(self) -> int:
        return int(self.compiler.split(".")[0])


_OPV = "tensorflow/lite/tools/versioning/runtime_version.cc"
REFUSALS: tuple[VersionRefusal, ...] = (
    VersionRefusal(
        "QUANTIZE", 3, "16.0.384591198", "https://github.com/google-coral/edgetpu/issues/879",
        meaning="QUANTIZE v3 quantizes to a per-channel tensor (op_version.cc), written by "
                f"TensorFlow 2.7 and newer ({_OPV})",
        fix="make the per-channel weights constants of the model (full-integer post-training "
            "quantization) instead of quantizing them at run time"),
    VersionRefusal(
        "TRANSPOSE_CONV", 4, "16.0.384591198",
        "https://github.com/google-coral/edgetpu/issues/845",
        meaning=f"TRANSPOSE_CONV v4 is written by TensorFlow 2.13 and newer ({_OPV})",
        fix="convert with converter.experimental_new_converter = False (reported to work in "
            "google-coral/edgetpu#845) or with TensorFlow 2.12 or older"),
    VersionRefusal(
        "EXP", 2, "16.0.384591198", "https://github.com/google-coral/libedgetpu/issues/71",
        meaning=f"EXP v2 is written by newer TensorFlow releases ({_OPV}); the model in the "
                "report came from TensorFlow 2.16"),
    VersionRefusal(
        "REVERSE_V2", 3, "15.0.340273435", "https://github.com/google-coral/edgetpu/issues/340",
        fix="use edgetpu_compiler 16"),
    VersionRefusal(
        "RSQRT", 2, "15.0.340273435", "https://github.com/google-coral/edgetpu/issues/384",
        meaning=f"RSQRT v2 is the int8 kernel ({_OPV}: TensorFlow 2.5)",
        fix="use edgetpu_compiler 16 (suggested by Coral in google-coral/edgetpu#384)"),
    VersionRefusal(
        "TRANSPOSE_CONV", 3, "2.1.302470888", "https://github.com/google-coral/edgetpu/issues/147",
        meaning=f"TRANSPOSE_CONV v3 has a bias input, written by TensorFlow 2.3 and newer ({_OPV})",
        fix="use edgetpu_compiler 15 or newer"),
    VersionRefusal(
        "RELU", 2, "2.0.267685300", "https://github.com/google-coral/edgetpu/issues/34",
        meaning=f"RELU v2 is the int8 kernel, written by TensorFlow 2.1 and newer ({_OPV})",
        fix="use a newer edgetpu_compiler"),
)


def _major(compiler_version: str | None) -> int:
    from effkit.edgetpu.logmodel import parse_count

    head = parse_count((compiler_version or LATEST_COMPILER).split(".")[0])
    return head if head is not None else int(LATEST_COMPILER.split(".")[0])


def ceiling(op: str, compiler_version: str | None = None) -> VersionRefusal | None:
    """The lowest refused version of ``op`` known for this compiler (None: none known).

    ``compiler_version`` is e.g. ``"16.0.384591198"`` or ``"15"`` (default: the last release).
    """
    major = _major(compiler_version)
    found = [r for r in REFUSALS if r.op == op and r.compiler_major >= major]
    return min(found, key=lambda r: r.version) if found else None


def newer_than_known(compiler_version: str) -> bool:
    """Whether ``compiler_version`` is past the last release this table describes."""
    from effkit.edgetpu.logmodel import parse_version

    given, last = parse_version(compiler_version), parse_version(LATEST_COMPILER)
    return given is not None and last is not None and given[:2] > last[:2]


FIRST_COMPILER_FOR_RUNTIME = {13: "2.0.291256449", 14: "16.0"}
"""The first compiler for each Edge TPU runtime after 12: google-coral/edgetpu CHANGES.md,
"Edge TPU runtime v13 and compiler 2.0.291256449 (January 2020)" (2.0.267685300 before it was
"still compatible with Edge TPU runtime v12"); Coral's table of compiler and runtime
versions gives 13 for compilers 2.1 to 15.0 and 14 for 16.0 (see effkit.edgetpu.compiler)."""


def newest_runtime(compiler_version: str) -> int | None:
    """The newest Edge TPU runtime ``compiler_version`` compiles for (12, 13), or None when
    it compiles for the newest (14, compiler 16) or cannot be read."""
    from effkit.edgetpu.logmodel import parse_version

    given = parse_version(compiler_version)
    if given is None:
        return None
    for runtime in sorted(FIRST_COMPILER_FOR_RUNTIME):
        first = parse_version(FIRST_COMPILER_FOR_RUNTIME[runtime])
        if first is not None and given < first:
            return runtime - 1
    return None


def refusal(op: str, version: int, compiler_version: str | None = None) -> VersionRefusal | None:
    """The refusal that applies to ``op`` at ``version`` with this compiler, if any."""
    found = ceiling(op, compiler_version)
    return found if found is not None and version >= found.version else None


def describe(r: VersionRefusal, version: int, compiler_version: str | None = None) -> str:
    """One sentence for a report: what is refused, why, how to get an older version."""
    shown = (compiler_version or LATEST_COMPILER).split(".")[0]
    text = (f"{r.op} version {version} is newer than edgetpu_compiler {shown} knows "
            f"(it refuses the whole model from version {r.version}: \"Didn't find op for "
            f"builtin opcode '{r.op}' version '{r.version}'\", {r.source})")
    if r.meaning:
        text += f"; {r.meaning}"
    if r.fix:
        text += f"; fix: {r.fix}"
    return text
