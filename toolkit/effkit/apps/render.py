"""Render a template tree into an output folder (copier-like, small and strict).

Rules, shared by every app template (``coral/``, ``android_template/``):

- Files whose name ends in ``.jinja`` are rendered with Jinja (suffix stripped);
  every other file is copied as raw bytes. Each output file keeps its source file's
  mode, so executable scripts (``install.sh``, ``gradlew``) stay executable.
- Each path segment is rendered on its own. A segment that renders empty drops that
  file or folder (conditional files). A rendered segment holding a path separator,
  ``.`` or ``..`` is rejected, so nothing can land outside the output folder.
- Jinja runs sandboxed, with ``StrictUndefined`` (a missing answer is an error, not
  an empty string) and ``keep_trailing_newline``. Escaping filters for each target
  language are registered: ``py_str``, ``sh_quote``, ``xml_text``, ``xml_attr``,
  ``kt_str``, ``kt_package``, ``gradle_str``, ``json``, ``md_text``, ``md_fenced``.
- ``__pycache__`` (and tool caches), ``*.pyc`` and ``.keep`` files are skipped.
- Everything is written to a temporary sibling folder and renamed into place at the
  end; an existing non-empty output is replaced only with ``force``.
- The answers (the context, minus bytes) are written to ``.effkit-answers.json`` in
  the output so the tree can be rendered again (:func:`load_answers`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from effkit.core.outputs import (
    ANSWERS_FILE,
    SPACE_ERRNOS,
    Ownership,
    masked,
    staged_dir,
    write_failure,
)
from effkit.core.resources import SKIP_DIRS, TEMPLATE_SUFFIX, is_skipped, rendered_top_names
from effkit.errors import OutputError, TemplateError


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render_tree` wrote: the output folder and its files (relative, POSIX)."""

    out_dir: Path
    files: tuple[str, ...]
    answers_file: Path


# --- escaping filters ---------------------------------------------------------------


def _need_str(value: Any, filter_name: str) -> str:
    if not isinstance(value, str):
        raise TemplateError(
            f"template filter {filter_name} got a {type(value).__name__}, not a string",
            "pass text (convert numbers with |string first)",
        )
    return value


def py_str(value: Any) -> str:
    """A Python string literal for any text (``repr`` quoting; non-printables escaped)."""
    return repr(_need_str(value, "py_str"))


def sh_quote(value: Any) -> str:
    """A POSIX shell word (``shlex.quote``); NUL cannot be represented and is rejected."""
    text = _need_str(value, "sh_quote")
    if "\0" in text:
        raise TemplateError("text for a shell script contains a NUL character", "remove it")
    return shlex.quote(text)


def _check_xml_chars(text: str) -> None:
    for ch in text:
        code = ord(ch)
        bad = (code < 0x20 and ch not in "\t\n\r") or 0xD800 <= code <= 0xDFFF
        if bad or code in (0xFFFE, 0xFFFF):
            raise TemplateError(
                f"text for an XML file contains the character U+{code:04X}, which XML 1.0 forbids",
                "remove control characters from the name",
            )


def xml_text(value: Any) -> str:
    """Escape text for an XML element body."""
    text = _need_str(value, "xml_text")
    _check_xml_chars(text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(value: Any) -> str:
    """Escape text for a quoted XML attribute value (either quote style)."""
    text = xml_text(value)
    text = text.replace('"', "&quot;").replace("'", "&apos;")
    return text.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")


def _c_like_escape(text: str, quote: str, extra: Mapping[str, str]) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + quote)
        elif ch in extra:
            out.append(extra[ch])
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif not ch.isprintable() or ch in "\u2028\u2029":
            code = ord(ch)
            if code > 0xFFFF:  # UTF-16 surrogate pair, as Java/Kotlin/Groovy escapes are 16-bit
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def kt_str(value: Any) -> str:
    """A Kotlin string literal ``"..."``: backslash, quote and ``$`` escaped, no templates."""
    return _c_like_escape(_need_str(value, "kt_str"), '"', {"$": "\\$"})


# Kotlin's hard keywords (kotlinlang.org/docs/keyword-reference.html): never a bare name
KOTLIN_HARD_KEYWORDS = frozenset("""
    as break class continue do else false for fun if in interface is null object package return
    super this throw true try typealias typeof val var when while
    """.split())


def kt_package(value: Any) -> str:
    """A dotted package name for a Kotlin ``package`` line: a part that is a Kotlin hard
    keyword but not a Java one (``in.co.example``: India's domain) in backticks, which
    Kotlin reads as that name (the Java ``R`` class and Android use the name as it is)."""
    parts = _need_str(value, "kt_package").split(".")
    return ".".join(f"`{p}`" if p in KOTLIN_HARD_KEYWORDS else p for p in parts)


def gradle_str(value: Any) -> str:
    """A Groovy (``build.gradle``) single-quoted literal: never interpolated.

    For Kotlin DSL files (``*.gradle.kts``) use ``kt_str``.
    """
    return _c_like_escape(_need_str(value, "gradle_str"), "'", {})


def json_filter(value: Any) -> str:
    """A JSON value (strings, numbers, lists, dicts)."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"template value cannot be written as JSON: {exc}") from None


# Inline Markdown (CommonMark + GitHub's strikethrough) starts only at these characters;
# everything else, "-" and "." included, reads as itself and is left alone so the file
# reads right as plain text too (a README shown with cat on a Pi).
_MD_INLINE = frozenset("\\`*_[]~")
# Block markers, meaningful only at the start of a line: escaped when the text starts
# with one, wherever the template puts it.
_MD_LINE_START = re.compile(r">|(?:#{1,6}|[+-]|\d{1,9}[.)])(?= |$)|(?:-+|=+)$")
_MD_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def md_text(value: Any) -> str:
    """Text shown as itself by a Markdown renderer and readable as plain text: only the
    characters that would start Markdown or HTML are escaped (emphasis, code, links, an
    entity, a block marker at the start, a ``{{``/``{%`` template tag that a site generator
    would run; ``<`` as ``&lt;``, since not every Markdown can backslash-escape it), nothing
    else."""
    text = _need_str(value, "md_text")
    if any(not ch.isprintable() for ch in text):
        raise TemplateError("text for a Markdown file contains a control character", "remove it")
    out = []
    for i, ch in enumerate(text):
        intraword = (ch == "_" and 0 < i < len(text) - 1
                     and text[i - 1].isalnum() and text[i + 1].isalnum())  # snake_case stays
        # "{{", "{%", "{#" open a Jinja/Liquid tag: a backslash between the two breaks it
        template_tag = ch in "{%#" and i > 0 and text[i - 1] == "{"
        if (ch in _MD_INLINE and not intraword) or template_tag:
            out.append("\\" + ch)
        elif ch == "<":  # entities, not "\<" or "\&": not every Markdown can escape those
            out.append("&lt;")
        elif ch == "&" and _MD_ENTITY.match(text, i):
            out.append("&amp;")
        else:
            out.append(ch)
    escaped = "".join(out)
    start = _MD_LINE_START.match(escaped)
    if start:  # "1." -> "1\.", "# x" -> "\# x": a paragraph, not a list or heading
        cut = start.end() - 1
        escaped = escaped[:cut] + "\\" + escaped[cut:]
    if escaped.endswith("#") and not escaped.endswith("\\#"):  # a heading's closing sequence
        escaped = escaped[:-1] + "\\#"
    return escaped


def md_fenced(value: Any, info: str = "") -> str:
    """``value`` as a Markdown fenced code block whose fence is longer than any run of
    backticks inside it: user text (a name with a line break and three backticks) cannot
    close the block and turn what follows into Markdown."""
    text = _need_str(value, "md_fenced")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


FILTERS = {
    "py_str": py_str,
    "sh_quote": sh_quote,
    "xml_text": xml_text,
    "xml_attr": xml_attr,
    "kt_str": kt_str,
    "kt_package": kt_package,
    "gradle_str": gradle_str,
    "json": json_filter,
    "md_text": md_text,
    "md_fenced": md_fenced,
}


# --- rendering ------------------------------------------------------------------------


def _make_env(template_root: Path):
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(template_root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(FILTERS)
    return env


def _render_string(env, text: str, context: Mapping[str, Any], where: str) -> str:
    import jinja2

    try:
        return env.from_string(text).render(**context)
    except TemplateError:
        raise
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"template {where}: {exc.message}",
                            "pass every answer the template uses") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"template {where} line {exc.lineno}: {exc.message}",
                            "fix the template (wrap literal braces in {% raw %})") from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {where}: {exc}") from None


def _check_segment(segment: str, source: str) -> None:
    if segment in (".", "..") or "/" in segment or "\\" in segment or "\0" in segment:
        raise TemplateError(
            f"template path {source!r} renders to {segment!r}, which would leave the output folder",
            "use answers that are plain names",
        )


def _render_parts(env, rel: PurePath, context: Mapping[str, Any]) -> PurePath | None:
    """Render each segment; None when one renders empty (the file or folder is dropped)."""
    parts = []
    last = len(rel.parts) - 1
    for i, part in enumerate(rel.parts):
        rendered = _render_string(env, part, context, f"path {rel.as_posix()!r}")
        if i == last and rendered.endswith(TEMPLATE_SUFFIX):
            rendered = rendered[: -len(TEMPLATE_SUFFIX)]
        if not rendered.strip():
            return None
        _check_segment(rendered, rel.as_posix())
        parts.append(rendered)
    return PurePath(*parts)


def _answers_doc(context: Mapping[str, Any]) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, PurePath):
            return str(obj)
        if isinstance(obj, (set, frozenset)):
            return sorted(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.asdict(obj)
        raise TypeError(f"{type(obj).__name__} is not JSON serializable")

    binary = (bytes, bytearray, memoryview)
    answers = {k: v for k, v in context.items() if not isinstance(v, binary)}
    try:
        return json.dumps(answers, indent=2, ensure_ascii=False, default=default) + "\n"
    except (TypeError, ValueError) as exc:
        raise TemplateError(f"template answers cannot be saved as JSON: {exc}",
                            "pass plain values (text, numbers, lists, paths)") from None


def _write_tree(template_root: Path, dest: Path, context: Mapping[str, Any],
                extra_files: Mapping[str, Path | bytes]) -> list[str]:
    env = _make_env(template_root)
    written: dict[str, str] = {}  # output path -> source, to catch collisions
    for dirpath, dirnames, filenames in os.walk(template_root):
        here = Path(dirpath)
        rel_dir = here.relative_to(template_root)
        if rel_dir.parts:
            rendered_dir = _render_parts(env, rel_dir, context)
            if rendered_dir is None:
                dirnames[:] = []
                continue
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            if is_skipped(name):
                continue
            src = here / name
            rel = rel_dir / name
            if src.is_symlink():
                raise TemplateError(f"template file {rel.as_posix()!r} is a symbolic link",
                                    "replace it with a regular file")
            out_rel = _render_parts(env, rel, context)
            if out_rel is None:
                continue
            key = out_rel.as_posix()
            if key in written or key == ANSWERS_FILE:
                raise TemplateError(f"template files {written.get(key, ANSWERS_FILE)!r} and "
                                    f"{rel.as_posix()!r} both render to {key!r}",
                                    "give them answers that differ")
            written[key] = rel.as_posix()
            target = dest / out_rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(TEMPLATE_SUFFIX):
                try:
                    text = src.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    raise TemplateError(f"template {rel.as_posix()!r} is not UTF-8 text",
                                        "drop the .jinja suffix to copy it as bytes") from None
                target.write_text(_render_string(env, text, context, repr(rel.as_posix())),
                                  encoding="utf-8", newline="")
            else:
                shutil.copyfile(src, target)
            # as git does: the template's executable bit (install.sh), the rest the umask's
            os.chmod(target, masked(0o777 if src.stat().st_mode & 0o111 else 0o666))
    for rel_name, payload in sorted(extra_files.items()):
        extra = PurePath(rel_name)
        if extra.is_absolute() or not extra.parts:
            raise TemplateError(f"extra file {rel_name!r} is not a relative path")
        for part in extra.parts:
            _check_segment(part, rel_name)
        key = extra.as_posix()
        if key in written or key == ANSWERS_FILE:
            raise TemplateError(f"extra file {key!r} collides with a rendered template file")
        written[key] = "<extra>"
        target = dest / extra
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(payload, (bytes, bytearray, memoryview)):
            target.write_bytes(bytes(payload))
        else:
            try:
                shutil.copyfile(payload, target)
            except OSError as exc:
                if exc.errno in SPACE_ERRNOS:  # the disk, not the source: staged_dir names --out
                    raise
                raise OutputError(f"cannot copy {str(payload)!r} into the app: {exc.strerror}",
                                  "check that the file exists and is readable") from None
    (dest / ANSWERS_FILE).write_text(_answers_doc(context), encoding="utf-8")
    return sorted(written)


def render_ownership(template_root: Path, extra_files: Mapping[str, Any]) -> Ownership:
    """How ``force`` tells an earlier render of ``template_root``: a folder with effkit's
    answers file and, at its top, nothing the template and ``extra_files`` do not write."""
    names = {ANSWERS_FILE, *rendered_top_names(template_root, extra_files)}

    def written(folder: Path) -> frozenset[str] | None:
        try:
            load_answers(folder)
        except OutputError:
            return None
        return frozenset(names)

    return Ownership("rendered app", ANSWERS_FILE, written)


def render_tree(
    template_root: Path,
    out_dir: Path,
    context: Mapping[str, Any],
    *,
    force: bool = False,
    extra_files: Mapping[str, Path | bytes] | None = None,
    shown_as: Path | None = None,
) -> RenderResult:
    """Render ``template_root`` into ``out_dir`` with ``context`` (see the module docstring).

    ``extra_files`` maps output-relative paths to bytes or to a file to copy (models,
    labels); they are written into the same temporary folder, so the output appears
    complete or not at all. ``shown_as``: the folder a write error names, when ``out_dir``
    is a step on the way to it. Raises TemplateError for template/answer problems and
    OutputError when ``out_dir`` cannot be written or is non-empty without ``force``.
    """
    template_root = Path(template_root)
    given = Path(out_dir)
    out_dir = given.absolute()
    if not template_root.is_dir():
        raise TemplateError(f"template folder {str(template_root)!r} does not exist",
                            "reinstall effkit")
    with staged_dir(out_dir, force, render_ownership(template_root, extra_files or {})) as tmp:
        try:
            files = _write_tree(template_root, tmp, context, extra_files or {})
        except OSError as exc:
            raise write_failure(exc, shown_as or given) from None
    return RenderResult(out_dir=given, files=tuple(files), answers_file=given / ANSWERS_FILE)


def load_answers(out_dir: Path) -> dict[str, Any]:
    """The answers a rendered tree was made with (to render it again)."""
    from effkit.core.manifest import parse_document
    from effkit.errors import read_regular

    path = Path(out_dir) / ANSWERS_FILE
    try:
        return parse_document(read_regular(path, 16 << 20))
    except FileNotFoundError:
        raise OutputError(f"{str(out_dir)!r} has no {ANSWERS_FILE}",
                          "pass a folder that effkit rendered") from None
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot read {str(path)!r}: {exc}") from None
