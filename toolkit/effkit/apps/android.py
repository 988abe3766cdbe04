"""The Android Studio project: answers checked, context built, ``android_template/`` rendered.

The rendered folder is a Gradle (Kotlin DSL) project that classifies the camera feed
with the bundled model. The app reads labels and normalization from the model's
metadata at run time, so the model file is the only thing that carries them; the
texts that do reach generated files (app name, model name) are checked here and
escaped for each language: Android string resources (computed here, see
:func:`android_string_resource`), Kotlin string literals (``kt_str``), Markdown
(``md_text``). The application id is validated, never escaped: it becomes the Kotlin
package and the Gradle ``namespace``.
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from effkit.apps import check_text, model_answers
from effkit.core.manifest import MODEL_FILE
from effkit.core.version import __version__
from effkit.errors import ModelFileError, TemplateError, UsageError
from effkit.metadata.model_file import load_model_file
from effkit.model.labels import Labels
from effkit.model.variants import Variant

if TYPE_CHECKING:
    import numpy as np

# The LiteRT API the app is written against (--android-runtime): LiteRT 2.x CompiledModel
# (GPU first, CPU fallback), or the LiteRT 1.4 Interpreter app with its GPU delegate.
RUNTIMES = ("compiled-model", "interpreter")
DEFAULT_RUNTIME = "compiled-model"
MAX_NAME_LENGTH = 100
# Where the template keeps the Kotlin sources (app, JVM tests, instrumented tests);
# moved to the package's folders after rendering.
PACKAGE_PLACEHOLDER = "_app_package_"
KOTLIN_SOURCE_ROOTS = (("app", "src", "main", "java"), ("app", "src", "test", "java"),
                       ("app", "src", "androidTest", "java"))
# Golden vectors for the generated tests: JVM unit test resources and instrumented-test assets.
GOLDEN_TEST_DIR = "app/src/test/resources/golden"
GOLDEN_DEVICE_DIR = "app/src/androidTest/assets/golden"
# The golden frame: upright size, the sensor turn CameraX reports, RGBA row padding.
GOLDEN_SIZE = (200, 150)
GOLDEN_ROTATION = 90
GOLDEN_ROW_PADDING = 16
# A second output size for the same card. At the model's size its crop is enlarged (131 px
# to 224 for lite0), while a camera frame's is shrunk (640x480: 420 px to 224) through the
# widened filter; at this size the card's crop (90 px) takes that path too.
GOLDEN_SHRUNK = 48

# Java's reserved words and literals (JLS 3.9, 3.10.3, 3.10.7): never a package segment (the
# R class is Java). Kotlin's other hard keywords (in, is, as, fun, val, ...) are: the Kotlin
# sources write them in backticks (render.kt_package), as `in`.co.example.
JAVA_RESERVED = frozenset("""
    abstract assert boolean break byte case catch char class const continue default do double
    else enum extends final finally float for goto if implements import instanceof int interface
    long native new package private protected public return short static strictfp super switch
    synchronized this throw throws transient try void volatile while true false null
    """.split())
# Package roots owned by the platform: java.* cannot be defined outside the JDK (the JVM
# throws SecurityException "Prohibited package name"), kotlin.* only inside the Kotlin
# standard library, android.* belongs to the framework.
RESERVED_ROOTS = frozenset({"java", "kotlin", "android"})
# Android: each segment starts with a letter; letters, digits and underscores only.
_SEGMENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
# effkit's own bound: each part becomes a folder name of the generated project, and file
# names stop at 255 bytes on Linux file systems (ENAMETOOLONG). Android's own limit on an
# application id could not be confirmed from a published source, so none is claimed here.
MAX_APP_ID_LENGTH = 255
_APP_ID_HINT = ("use a Java package name such as com.example.lite1: at least two dot-separated "
                "parts, each starting with a letter, then letters, digits or underscores")


# Each part of the id is a source folder (app/src/main/java/com/example/...); Windows makes
# no file or folder of these names, in any case (learn.microsoft.com, "Naming Files, Paths,
# and Namespaces").
WINDOWS_DEVICE_NAMES = frozenset({"con", "prn", "aux", "nul",
                                  *(f"{port}{n}" for port in ("com", "lpt") for n in range(1, 10))})


def validate_app_id(app_id: object) -> str:
    """The application id, or TemplateError: a Java package name Android accepts."""
    if not isinstance(app_id, str) or not app_id:
        raise TemplateError("the application id is empty", _APP_ID_HINT)
    if len(app_id) > MAX_APP_ID_LENGTH:
        raise TemplateError(f"the application id is {len(app_id)} characters long (at most "
                            f"{MAX_APP_ID_LENGTH})", "shorten --app-id")
    segments = app_id.split(".")
    if len(segments) < 2:  # 'com/example/app', 'my app': the character is the problem
        bad = next((ch for ch in app_id if not (ch.isascii() and (ch.isalnum() or ch == "_"))), None)
        problem = f"contains {bad!r}, which a Java package name cannot hold" if bad else "has a single part"
        raise TemplateError(f"application id {app_id!r} {problem}", _APP_ID_HINT)
    if segments[0] in RESERVED_ROOTS:
        raise TemplateError(f"application id {app_id!r} starts with {segments[0]!r}, a package "
                            "reserved for the platform (the JVM refuses java.*, Kotlin kotlin.*, "
                            "Android android.*)", "use your own domain, e.g. com.example.lite1")
    for segment in segments:
        if not segment:
            raise TemplateError(f"application id {app_id!r} has an empty part", _APP_ID_HINT)
        if not _SEGMENT.match(segment):
            raise TemplateError(f"application id {app_id!r}: part {segment!r} is not an identifier "
                                "Android accepts", _APP_ID_HINT)
        if segment in JAVA_RESERVED:
            raise TemplateError(f"application id {app_id!r}: part {segment!r} is a Java keyword "
                                "(the app's R class is Java)", "rename that part (for example add a suffix)")
        if segment.lower() in WINDOWS_DEVICE_NAMES:
            raise TemplateError(f"application id {app_id!r}: part {segment!r} is a device name "
                                "Windows reserves, so the project's source folder of that name "
                                "cannot be made there (Android Studio on Windows)",
                                "rename that part (for example add a suffix)")
    return app_id


def check_android_runtime(runtime: object) -> str:
    """The app runtime by name (None: the default), or UsageError naming the choices."""
    if runtime is None:
        return DEFAULT_RUNTIME
    if runtime not in RUNTIMES:
        raise UsageError(f"unknown Android runtime {runtime!r}",
                         f"use --android-runtime {' or '.join(RUNTIMES)}")
    return runtime


def _check_name(value: object, what: str) -> str:
    """App or model name: LF and tab are allowed (strings.xml and Kotlin escape them), and
    so are format characters (joiners, bidi marks), which every target escapes."""
    return check_text(value, what, MAX_NAME_LENGTH, allowed="\n\t", format_chars=True)


def check_app_names(*, app_id: object, app_name: object, model_name: object) -> tuple[str, str, str]:
    """The app id, app name and model name, checked (the build calls it before any work)."""
    model = _check_name(model_name, "model name")  # first: the app name defaults to it
    return validate_app_id(app_id), _check_name(app_name, "app name"), model


def android_string_resource(text: str) -> str:
    """``text`` as the body of a ``<string>`` element in res/values/strings.xml.

    XML escaping (``& < >``) plus Android's resource escapes: backslash, both quotes,
    ``@`` and ``?`` at the start (else read as references), newline and tab as ``\\n``
    and ``\\t``; the whole value is double-quoted so aapt2 keeps leading, trailing and
    repeated spaces. Use with ``formatted="false"`` so ``%`` needs no escaping. Invisible
    format characters (joiners, zero-width spaces) are written as ``\\uXXXX``, which aapt2
    reads back as the same character.
    """
    out = []
    for i, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "'":
            out.append("\\'")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch in "@?" and i == 0:
            out.append("\\" + ch)
        elif ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif unicodedata.category(ch) == "Cf":  # invisible (ZWJ, ZWSP, marks): visible in the XML
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def one_line(text: str) -> str:
    """Whitespace runs (newlines, tabs) folded to single spaces and invisible format
    characters (U+200D, U+202E, ...) dropped: the name as a Markdown title shows it."""
    return "".join(ch for ch in " ".join(text.split()) if ch.isprintable())


def gradle_project_name(app_name: str, app_id: str) -> str:
    """A Gradle root project name from the app name: ASCII letters, digits, ``_ - .`` only.

    Gradle rejects ``/ \\ : < > " ? * |`` in project names; the display name keeps
    everything, this one only has to identify the build.
    """
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", app_name).strip("-.")
    return slug or app_id.rsplit(".", 1)[-1]


def check_model(model_path: Path) -> bytes:
    """The model file's bytes: a TFLite flatbuffer (``TFL3``) with TFLite metadata."""
    return load_model_file(model_path)


def model_labels(model_bytes: bytes, source: str) -> list[str]:
    """The labels packed in the model's metadata (what the app will show)."""
    from effkit.metadata import labels_from_model, normalization

    labels = labels_from_model(model_bytes)
    if labels is None or normalization(model_bytes) is None:
        raise ModelFileError(f"model {source!r} has no TFLite metadata with labels and normalization",
                             "the Android app reads both from the model: build it with effkit or "
                             "attach metadata first")
    return labels


def android_context(*, app_id: str, app_name: str, model_name: str, variant: Variant,
                    labels: Sequence[str], runtime: str | None = None) -> dict:
    """The answers the ``android_template/`` files use (plain JSON-able values), checked."""
    app_id, app_name, model_name = check_app_names(app_id=app_id, app_name=app_name,
                                                   model_name=model_name)
    labels = Labels.of(labels)
    return {
        "android_runtime": check_android_runtime(runtime),
        **model_answers(model_name=model_name, variant=variant, labels=labels),
        "app_id": app_id,
        "app_name": app_name,
        "labels": list(labels),
        "model_asset": MODEL_FILE,
        "package_path": app_id.replace(".", "/"),
        "project_name": gradle_project_name(app_name, app_id),
        "app_name_res": android_string_resource(app_name),
        "model_name_res": android_string_resource(model_name),
        "app_name_line": one_line(app_name),
        "model_name_line": one_line(model_name),
        "effkit_version": __version__,
    }


def _nest_package_dir(tree: Path, app_id: str) -> None:
    """Move the Kotlin sources from the placeholder folders to com/example/app/..."""
    for parts in KOTLIN_SOURCE_ROOTS:
        root = tree.joinpath(*parts)
        src = root / PACKAGE_PLACEHOLDER
        if not src.is_dir():
            continue
        dest = root.joinpath(*app_id.split("."))
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)


def golden_frame() -> np.ndarray:
    """A deterministic upright RGB test card (uint8, H x W x 3): gradients, discs, bars.

    Smooth and sharp structure both, so the bicubic resampler's every tap matters.
    """
    import numpy as np

    width, height = GOLDEN_SIZE
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([255 * x / (width - 1), 255 * y / (height - 1),
                    127.5 + 127.5 * np.sin((x + 2 * y) / 9.0)], axis=-1)
    for cx, cy, r, color in ((60, 70, 38, (250, 40, 30)), (145, 60, 30, (20, 30, 240)),
                             (120, 118, 22, (250, 230, 20))):
        img[(x - cx) ** 2 + (y - cy) ** 2 <= r * r] = color
    img[:, 176:184] = 0
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def golden_files(model_bytes: bytes, top_k: int = 3) -> dict[str, bytes]:
    """The generated tests' golden vectors, from the model itself (run here on LiteRT).

    A sensor frame (the test card turned so that CameraX's ``GOLDEN_ROTATION`` makes it
    upright, RGBA rows padded) with effkit's own results for it: resized pixels, input
    tensor, raw output, dequantized scores, top-k and the labels shown. Returns output
    paths -> bytes for the JVM unit test and the instrumented test.
    """
    import numpy as np
    from PIL import Image

    from effkit.analysis.evaluate import TFLiteClassifier
    from effkit.metadata import label_file, labels_from_model, normalization
    from effkit.model.preprocess import crop_and_resize

    clf = TFLiteClassifier(model_bytes, threads=1)
    upright = golden_frame()
    sensor = np.rot90(upright, k=GOLDEN_ROTATION // 90)  # counterclockwise: undone by a clockwise turn
    h, w = sensor.shape[:2]
    row_stride = w * 4 + GOLDEN_ROW_PADDING
    plane = np.zeros((h, row_stride), dtype=np.uint8)
    plane[:, : w * 4] = np.dstack([sensor, np.full((h, w), 255, np.uint8)]).reshape(h, w * 4)
    pixels = crop_and_resize(Image.fromarray(upright), clf.resolution)
    shrunk = crop_and_resize(Image.fromarray(upright), GOLDEN_SHRUNK)
    tensor = clf._prepare(pixels)
    raw = clf.raw(pixels)
    scores = clf.scores(pixels).astype("<f4")
    top = [int(i) for i in np.argsort(-scores, kind="stable")[:top_k]]
    out_step = float(clf.output["quantization"][0]) or 1e-6
    clear = len(top) < 2 or float(scores[top[0]] - scores[top[1]]) > 3 * out_step
    norm = normalization(model_bytes)
    if norm is None:
        raise ModelFileError("the model has no input normalization in its TFLite metadata",
                             "build it with effkit or attach metadata first")
    mean, std = norm
    labels = labels_from_model(model_bytes) or []
    labels_bytes = (label_file(model_bytes) or ("", b""))[1]

    def little_endian(a: np.ndarray) -> bytes:
        return np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes()

    def tensor_type(dtype) -> str:
        return {np.dtype(np.float32): "FLOAT32", np.dtype(np.uint8): "UINT8",
                np.dtype(np.int8): "INT8"}[np.dtype(dtype)]

    def quant(prefix: str, detail: dict) -> str:
        scale, zero = detail["quantization"]
        return (f"{prefix}Type={tensor_type(detail['dtype'])}\n{prefix}Scale={float(scale)!r}\n"
                f"{prefix}ZeroPoint={int(zero)}\n")

    props = (
        "# Golden vectors written by effkit from the bundled model (see ImageMathTest.kt).\n"
        f"width={w}\nheight={h}\nrowStride={row_stride}\npixelStride=4\n"
        f"rotation={GOLDEN_ROTATION}\nuprightWidth={upright.shape[1]}\nuprightHeight={upright.shape[0]}\n"
        f"resolution={clf.resolution}\nshrunkResolution={GOLDEN_SHRUNK}\n"
        f"mean={','.join(repr(float(m)) for m in mean)}\nstd={','.join(repr(float(s)) for s in std)}\n"
        + quant("input", clf.input) + quant("output", clf.output)
        + f"outputCount={clf.num_classes}\nk={top_k}\ntopK={','.join(map(str, top))}\n"
        f"top1Clear={'true' if clear else 'false'}\n"
    ).encode("ascii")
    top_labels = "".join(labels[i].encode("utf-8").hex() + "\n" for i in top if i < len(labels))
    frame = plane.tobytes()
    return {
        f"{GOLDEN_TEST_DIR}/case.properties": props,
        f"{GOLDEN_TEST_DIR}/frame.rgba": frame,
        f"{GOLDEN_TEST_DIR}/resized.rgb": pixels.tobytes(),
        f"{GOLDEN_TEST_DIR}/shrunk.rgb": shrunk.tobytes(),
        f"{GOLDEN_TEST_DIR}/input.bin": little_endian(tensor),
        f"{GOLDEN_TEST_DIR}/output.bin": little_endian(raw),
        f"{GOLDEN_TEST_DIR}/scores.bin": scores.tobytes(),
        f"{GOLDEN_TEST_DIR}/labels.txt": labels_bytes,
        f"{GOLDEN_TEST_DIR}/top_labels.txt": top_labels.encode("ascii"),
        f"{GOLDEN_DEVICE_DIR}/case.properties": props,
        f"{GOLDEN_DEVICE_DIR}/frame.rgba": frame,
    }


# The README's rebuild command names the build's input files by these placeholders (their
# paths are of the machine that built it): flag -> (placeholder, what it stands for).
PATH_PLACEHOLDERS = {"--weights": ("WEIGHTS", "the weights file"),
                     "--labels": ("LABELS", "the labels file"),
                     "--calibration": ("IMAGES", "the folder of calibration images")}


def rebuild_note(build_options: Sequence[str], trained: tuple[str, str] | None) -> str:
    """The README's line under its rebuild command: what the path placeholders in it stand
    for (the build's own paths name files on the machine that built it), and where a model
    from ``effkit train`` keeps them. Empty when the command has none."""
    pairs = set(zip(build_options, build_options[1:], strict=False))
    used = [meaning for flag, meaning in PATH_PLACEHOLDERS.items() if (flag, meaning[0]) in pairs]
    if not used:
        return ""
    names = [f"`{word}`" for word, _ in used]
    whats = [what for _, what in used]

    def listed(items: list[str]) -> str:
        return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"

    note = (f"In it, {listed(names)} {'stands' if len(used) == 1 else 'stand'} for "
            f"{listed(whats)} this model was built from")
    if trained is not None:
        weights, labels = trained
        note += (": it was trained by `effkit train`, whose output folder holds the weights "
                 f"(`{weights}`) and the labels (`{labels}`); the images are the "
                 "class folders it trained on. Or run that `effkit train ... --build --target "
                 "android` again")
    return note + "."


def render_android_app(out_dir: Path, *, app_id: str, app_name: str, model_name: str,
                       variant: Variant, labels: Sequence[str], model_path: Path,
                       runtime: str | None = None, build_options: Sequence[str] = (),
                       trained: tuple[str, str] | None = None, force: bool = False) -> Path:
    """Render the Android Studio project into ``out_dir`` (complete, or not at all).

    The model is copied to ``app/src/main/assets/model.tflite``; its metadata must carry
    exactly ``labels`` (ModelFileError otherwise). ``runtime``: one of RUNTIMES (None: the
    default, DEFAULT_RUNTIME). ``build_options``: the ``effkit build`` options (words)
    that made the model, for the README's command that builds the project again (a path
    as its placeholder: WEIGHTS, LABELS, IMAGES); ``trained``: the names of the weights and
    labels files of the ``effkit train`` run the model came from (the README says where they
    are). Raises
    TemplateError for answers that cannot be rendered safely and OutputError for an
    unusable or non-empty ``out_dir`` (replaced only with ``force``). Returns ``out_dir``.
    """
    from effkit.apps.render import render_ownership, render_tree
    from effkit.core.outputs import check_output_dir, staged_dir
    from effkit.core.resources import template_dir
    from effkit.metadata import verify
    from effkit.metadata.image_classifier import classifier_tensors

    context = android_context(app_id=app_id, app_name=app_name, model_name=model_name,
                              variant=variant, labels=labels, runtime=runtime)
    data = check_model(model_path)
    model_labels(data, str(model_path))
    verify(data, context["labels"])  # the packed labels are exactly these
    image, scores = classifier_tensors(data)
    context |= {"input_type": image.dtype, "output_type": scores.dtype,
                "build_options": [str(o) for o in build_options],
                "rebuild_note": rebuild_note(build_options, trained)}
    out_dir = Path(out_dir)
    extra_files = {f"app/src/main/assets/{MODEL_FILE}": data, **golden_files(data)}
    owner = render_ownership(template_dir("android"), extra_files)
    check_output_dir(out_dir, force, owner=owner)
    with staged_dir(out_dir, force, owner) as stage:
        tree = stage / "tree"
        render_tree(template_dir("android"), tree, context, extra_files=extra_files, shown_as=stage)
        _nest_package_dir(tree, context["app_id"])
        for child in list(tree.iterdir()):
            os.replace(child, stage / child.name)
        shutil.rmtree(tree)
    return out_dir
