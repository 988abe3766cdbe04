"""effkit.apps.render: the template engine, tested on small inline template trees."""

from __future__ import annotations

import ast
import json
import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from effkit.apps.render import (
    ANSWERS_FILE,
    gradle_str,
    kt_str,
    load_answers,
    md_text,
    py_str,
    render_tree,
    sh_quote,
    xml_attr,
    xml_text,
)
from effkit.errors import OutputError, TemplateError

HOSTILE = [
    '"; rm -rf ~; echo "',
    "it's \"quoted\"",
    "back\\slash \\n \\u0041",
    "line\nbreak\r\ttab",
    "Bärenklau 熊 🐻",
    "$HOME ${x} $(id) `id` ${#arr[@]}",
    "{{ 7*7 }} {% raw %} {# c #}",
    "\x00nul \x1b[31m \u2028 \u202e",
    "",
]


def build_file_tree(root: Path, spec: dict[str, str | bytes], *,
                    executable: tuple[str, ...] = ()) -> Path:
    """Write ``{relative path: content}`` under ``root`` (copier's tests do the same)."""
    for rel, content in spec.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
        if rel in executable:
            path.chmod(0o755)
    return root


@pytest.fixture
def tpl(tmp_path: Path) -> Path:
    return tmp_path / "tpl"


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


# --- files and paths ------------------------------------------------------------------


def test_renders_jinja_and_copies_other_files_as_bytes(tpl: Path, tmp_path: Path) -> None:
    raw = b"\xff\xfe{{ not rendered }}\x00"
    build_file_tree(tpl, {
        "hello.txt.jinja": "Hello {{ name }}!\n",
        "raw.bin": raw,
        "plain.txt": "{{ stays }}\n",
        "sub/deeper/x.py.jinja": "X = {{ name | py_str }}\n",
    })
    result = render_tree(tpl, tmp_path / "out", {"name": "Ann"})
    out = result.out_dir
    # The trailing newline is kept.
    assert (out / "hello.txt").read_text(encoding="utf-8") == "Hello Ann!\n"
    assert (out / "raw.bin").read_bytes() == raw
    assert (out / "plain.txt").read_text(encoding="utf-8") == "{{ stays }}\n"
    assert (out / "sub/deeper/x.py").read_text(encoding="utf-8") == "X = 'Ann'\n"
    assert result.files == ("hello.txt", "plain.txt", "raw.bin", "sub/deeper/x.py")
    assert not list(out.rglob("*.jinja"))


def test_keeps_mode_bits(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"run.sh.jinja": "#!/bin/sh\necho {{ x }}\n", "gradlew": "#!/bin/sh\n",
                          "data.txt": "x"}, executable=("run.sh.jinja", "gradlew"))
    out = render_tree(tpl, tmp_path / "out", {"x": 1}).out_dir
    assert os.access(out / "run.sh", os.X_OK)
    assert os.access(out / "gradlew", os.X_OK)
    assert not os.access(out / "data.txt", os.X_OK)
    assert subprocess.run([str(out / "run.sh")], capture_output=True, text=True).stdout == "1\n"


def test_each_path_segment_is_rendered_and_empty_ones_drop(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {
        "{{ pkg }}/{{ mod }}.py.jinja": "# {{ mod }}\n",
        "{% if extra %}extra{% endif %}/inside.txt": "x",
        "{% if extra %}maybe.txt{% endif %}.jinja": "x",
        "{% if not extra %}always.txt{% endif %}": "y",
    })
    out = render_tree(tpl, tmp_path / "out", {"pkg": "com", "mod": "main", "extra": False}).out_dir
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        ANSWERS_FILE, "always.txt", "com/main.py"]
    out2 = render_tree(tpl, tmp_path / "out2", {"pkg": "com", "mod": "main", "extra": True}).out_dir
    assert (out2 / "extra/inside.txt").exists() and (out2 / "maybe.txt").exists()
    assert not (out2 / "always.txt").exists()


@pytest.mark.parametrize("bad", ["..", "../evil", "a/b", "/etc/passwd", "a\\b", "."])
def test_rendered_path_cannot_leave_the_output(tpl: Path, tmp_path: Path, bad: str) -> None:
    build_file_tree(tpl, {"{{ name }}.txt": "x", "{{ name }}/f.txt": "y"})
    with pytest.raises(TemplateError, match="leave the output folder"):
        render_tree(tpl, tmp_path / "out", {"name": bad})
    assert not (tmp_path / "out").exists()
    assert siblings(tmp_path / "out") == ["tpl"]  # no temporary folder left behind
    assert not (tmp_path / "evil.txt").exists()


def test_skips_pycache_pyc_and_keep(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"__pycache__/m.cpython-311.pyc": b"\0", "sub/__pycache__/x": "x",
                          "old.pyc": b"\0", ".keep": "", "sub/.keep": "", "sub/.hidden": "h",
                          "m.py": "pass\n"})
    result = render_tree(tpl, tmp_path / "out", {})
    assert result.files == ("m.py", "sub/.hidden")


def test_collisions_are_errors(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a.txt": "1", "{{ n }}.txt.jinja": "2"})
    with pytest.raises(TemplateError, match="both render to 'a.txt'"):
        render_tree(tpl, tmp_path / "out", {"n": "a"})


def test_symlinks_are_rejected(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a.txt": "1"})
    (tpl / "link").symlink_to("/etc/passwd")
    with pytest.raises(TemplateError, match="symbolic link"):
        render_tree(tpl, tmp_path / "out", {})


# --- Jinja environment ----------------------------------------------------------------


def test_missing_answer_is_an_error_naming_the_template(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"f.txt.jinja": "{{ missing }}"})
    with pytest.raises(TemplateError, match=r"'f.txt.jinja'.*'missing' is undefined"):
        render_tree(tpl, tmp_path / "out", {})
    assert siblings(tmp_path / "out") == ["tpl"]


def test_sandbox_blocks_unsafe_attributes(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"f.txt.jinja": "{{ ''.__class__.__mro__[1].__subclasses__() }}"})
    with pytest.raises(TemplateError, match="attribute '__class__' of 'str' object is unsafe"):
        render_tree(tpl, tmp_path / "out", {})


def test_bash_lengths_need_raw(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"bad.sh.jinja": 'n="${#arr[@]}"\n'})
    with pytest.raises(TemplateError, match="end of comment") as err:
        render_tree(tpl, tmp_path / "out", {})
    assert "{% raw %}" in err.value.one_line()
    shutil.rmtree(tpl)
    build_file_tree(tpl, {"ok.sh.jinja": '{% raw %}n="${#arr[@]}"{% endraw %}\n'})
    out = render_tree(tpl, tmp_path / "out", {}).out_dir
    assert (out / "ok.sh").read_text() == 'n="${#arr[@]}"\n'


def test_include_from_the_template_tree(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"_parts/head.txt": "HEAD {{ x }}",
                          "f.txt.jinja": "{% include '_parts/head.txt' %}\n"})
    out = render_tree(tpl, tmp_path / "out", {"x": 3}).out_dir
    assert (out / "f.txt").read_text() == "HEAD 3\n"


# --- output handling ------------------------------------------------------------------


def test_refuses_non_empty_output_without_force(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"new.txt": "new"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("user data")
    with pytest.raises(OutputError, match="not empty") as err:
        render_tree(tpl, out, {})
    assert "--force" in err.value.one_line()
    assert (out / "mine.txt").read_text() == "user data"
    with pytest.raises(OutputError, match="not written by effkit"):  # --force: effkit's only
        render_tree(tpl, out, {}, force=True)
    (out / ANSWERS_FILE).write_text("{}")  # an earlier render, and a user's file
    with pytest.raises(OutputError, match="holds files effkit did not write \\('mine.txt'\\)"):
        render_tree(tpl, out, {}, force=True)
    assert (out / "mine.txt").read_text() == "user data"
    (out / "mine.txt").unlink()
    (out / "new.txt").write_text("old")  # all effkit's: replaced
    render_tree(tpl, out, {}, force=True)
    assert sorted(p.name for p in out.iterdir()) == [ANSWERS_FILE, "new.txt"]
    assert (out / "new.txt").read_text() == "new"
    assert siblings(out) == ["out", "tpl"]


def test_empty_existing_output_is_used(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a": "1"})
    (tmp_path / "out").mkdir()
    assert render_tree(tpl, tmp_path / "out", {}).files == ("a",)


def test_output_that_is_a_file_is_refused(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a": "1"})
    (tmp_path / "out").write_text("x")
    with pytest.raises(OutputError, match="not a folder"):
        render_tree(tpl, tmp_path / "out", {}, force=True)


def test_failure_with_force_keeps_the_old_output(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a.txt.jinja": "{{ missing }}"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old")
    (out / ANSWERS_FILE).write_text("{}")  # an earlier render
    with pytest.raises(TemplateError, match="'missing' is undefined"):
        render_tree(tpl, out, {}, force=True)
    assert (out / "a.txt").read_text() == "old"
    assert siblings(out) == ["out", "tpl"]


def test_missing_template_folder(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        render_tree(tmp_path / "nope", tmp_path / "out", {})


def test_answers_are_saved_without_bytes(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a.txt.jinja": "{{ name }}"})
    ctx = {"name": "Bärenklau \"熊\"", "n": 3, "blob": b"\x00", "path": Path("/x/y"),
           "items": ["a"]}
    result = render_tree(tpl, tmp_path / "out", ctx)
    answers = load_answers(result.out_dir)
    assert answers == {"name": "Bärenklau \"熊\"", "n": 3, "path": "/x/y", "items": ["a"]}
    assert result.answers_file == result.out_dir / ANSWERS_FILE
    # Rendering again from the saved answers gives the same tree.
    again = render_tree(tpl, tmp_path / "again", answers)
    assert (again.out_dir / "a.txt").read_text(encoding="utf-8") == "Bärenklau \"熊\""


def test_unserializable_answer_is_an_error(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a": "1"})
    with pytest.raises(TemplateError, match="JSON"):
        render_tree(tpl, tmp_path / "out", {"x": object()})
    assert siblings(tmp_path / "out") == ["tpl"]


def test_load_answers_of_a_foreign_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=ANSWERS_FILE):
        load_answers(tmp_path)


def test_extra_files(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a.txt": "1"})
    src = tmp_path / "model.bin"
    src.write_bytes(b"\x01\x02")
    extra = {"m/model.bin": src, "l.txt": b"x\n"}
    out = render_tree(tpl, tmp_path / "out", {}, extra_files=extra).out_dir
    assert (out / "m/model.bin").read_bytes() == b"\x01\x02"
    assert (out / "l.txt").read_bytes() == b"x\n"
    for bad, words in (("../x", "would leave the output folder"), ("/abs", "not a relative path"),
                       ("a.txt", "collides with a rendered template file")):
        with pytest.raises(TemplateError, match=words):
            render_tree(tpl, tmp_path / "o2", {}, extra_files={bad: b""})
    with pytest.raises(OutputError, match="cannot copy"):
        render_tree(tpl, tmp_path / "o3", {}, extra_files={"m": tmp_path / "missing"})
    assert not (tmp_path / "o3").exists()


# --- escaping filters -------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_py_str_round_trips(value: str) -> None:
    literal = py_str(value)
    assert "\n" not in literal and "\r" not in literal
    assert ast.literal_eval(literal) == value
    compile(f"x = {literal}\n", "<t>", "exec")


@pytest.mark.parametrize("value", [v for v in HOSTILE if "\x00" not in v])
def test_sh_quote_round_trips_through_bash(tpl: Path, tmp_path: Path, value: str) -> None:
    script = "#!/bin/bash\nset -eu\nx={{ v | sh_quote }}\nprintf '%s' \"$x\"\n"
    build_file_tree(tpl, {"s.sh.jinja": script}, executable=("s.sh.jinja",))
    out = render_tree(tpl, tmp_path / "out", {"v": value}).out_dir
    got = subprocess.run(["bash", str(out / "s.sh")], capture_output=True, check=True).stdout
    assert got == value.encode("utf-8")


def test_sh_quote_rejects_nul() -> None:
    with pytest.raises(TemplateError, match="NUL"):
        sh_quote("a\x00b")


@pytest.mark.parametrize("value", [v for v in HOSTILE if not any(c in v for c in "\x00\x1b")])
def test_xml_filters_parse_back(value: str) -> None:
    doc = f"<r a=\"{xml_attr(value)}\" b='{xml_attr(value)}'>{xml_text(value)}</r>"
    root = ET.fromstring(doc)
    assert root.get("a") == value and root.get("b") == value
    assert (root.text or "") == value.replace("\r\n", "\n").replace("\r", "\n")


def test_xml_rejects_forbidden_characters() -> None:
    for bad in ("a\x00", "\x1b[31m", "\ud800"):
        with pytest.raises(TemplateError, match="XML 1.0"):
            xml_text(bad)


def test_kotlin_and_groovy_literals() -> None:
    assert kt_str('a"b\\c$d\n') == '"a\\"b\\\\c\\$d\\n"'
    assert kt_str("\x00\u202e熊🐻") == '"\\u0000\\u202e熊🐻"'
    assert kt_str("\U000e0001") == '"\\udb40\\udc01"'  # non-printable astral: surrogate pair
    assert gradle_str("it's $x \\ \n") == "'it\\'s $x \\\\ \\n'"
    for value in HOSTILE:
        assert "\n" not in kt_str(value) and "\n" not in gradle_str(value)
        # Every quote inside is escaped: the literal's body has no bare delimiter.
        body = kt_str(value)[1:-1].replace("\\\\", "").replace('\\"', "")
        assert '"' not in body and "$" not in body.replace("\\$", "")
        body = gradle_str(value)[1:-1].replace("\\\\", "").replace("\\'", "")
        assert "'" not in body


def test_json_and_markdown_filters(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a.json.jinja": '{"v": {{ v | json }}, "n": {{ n | json }}}\n'})
    for value in HOSTILE:
        out = render_tree(tpl, tmp_path / "out", {"v": value, "n": [1, 2]}, force=True).out_dir
        assert json.loads((out / "a.json").read_text(encoding="utf-8")) == {"v": value, "n": [1, 2]}
    assert md_text("*x* <b>[l](u) `c`") == "\\*x\\* &lt;b>\\[l\\](u) \\`c\\`"
    # only what Markdown would read: names, versions and snake_case stay as typed
    for plain in ("EfficientNet-Lite1", "0.1.0", "my_model_2", "a & b", "1.5 fps", "#tag"):
        assert md_text(plain) == plain
    assert [md_text(t) for t in ("1. x", "- x", "> x", "# x #", "&amp;", "_x_")] == [
        "1\\. x", "\\- x", "\\> x", "\\# x \\#", "&amp;amp;", "\\_x\\_"]
    with pytest.raises(TemplateError, match="control character"):
        md_text("a\nb")


MD_NAMES = ["x {#", "# h #", "{{ 7*7 }}", "{% raw %}", "a_b", "_a", "1) x", "+ y", "> z", "===",
            "<img src=x>", "&copy; &#169;", "a\\b", "[l](javascript:x)", "![i](u)", "``c``", "x*y*z"]


@pytest.mark.parametrize("where", ["# {} on a Pi", "{}", "text **{}** more", "(EfficientNet-{}, x)"])
def test_markdown_text_renders_as_itself(where: str) -> None:
    """Wherever a template puts it (a heading, a line of its own, bold, mid-sentence), md_text
    gives CommonMark text that renders back to exactly the value, with no tag or link."""
    import html

    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    for name in MD_NAMES:
        inline = [t for t in md.parse(where.format(md_text(name))) if t.type == "inline"][0]
        rendered = md.renderer.render(inline.children, md.options, {})
        expected = where.lstrip("# ").replace("**{}**", "<strong>{}</strong>").format(name)
        assert html.unescape(rendered) == expected, (name, rendered)


def test_filters_refuse_non_text() -> None:
    for f in (py_str, sh_quote, xml_text, kt_str, gradle_str, md_text):
        with pytest.raises(TemplateError, match="not a string"):
            f(3)


def test_filter_errors_surface_from_templates(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a.xml.jinja": "<a>{{ v | xml_text }}</a>"})
    with pytest.raises(TemplateError, match="XML 1.0"):
        render_tree(tpl, tmp_path / "out", {"v": "\x01"})
    assert siblings(tmp_path / "out") == ["tpl"]


def test_output_folder_mode_is_usable(tpl: Path, tmp_path: Path) -> None:
    build_file_tree(tpl, {"a": "1"})
    out = render_tree(tpl, tmp_path / "out", {}).out_dir
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("mask", [0o077, 0o002])
def test_outputs_follow_the_umask(tpl: Path, tmp_path: Path, mask: int) -> None:
    """A private umask (077) made every output folder 0755 and its scripts 0755: readable by
    all; a group-shared one (002) lost group write. Folders, files and scripts follow it."""
    build_file_tree(tpl, {"a.txt": "1", "run.sh": "#!/bin/sh\n"})
    (tpl / "run.sh").chmod(0o755)
    before = os.umask(mask)
    try:
        out = render_tree(tpl, tmp_path / "out", {}).out_dir
    finally:
        os.umask(before)
    assert stat.S_IMODE(out.stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((out / "run.sh").stat().st_mode) == 0o777 & ~mask
    assert stat.S_IMODE((out / "a.txt").stat().st_mode) == 0o666 & ~mask


def test_force_keeps_the_permissions_a_user_gave(tpl: Path, tmp_path: Path) -> None:
    """--force replaced a folder made 2750 (group-shared, others out) or a file made 0600 by
    one with the default mode."""
    from effkit.core.outputs import write_file_atomic

    build_file_tree(tpl, {"a.txt": "1"})
    out = render_tree(tpl, tmp_path / "out", {}).out_dir
    out.chmod(0o2750)
    render_tree(tpl, out, {}, force=True)
    assert stat.S_IMODE(out.stat().st_mode) == 0o2750
    model = tmp_path / "model.tflite"
    model.write_bytes(b"old")
    model.chmod(0o600)
    write_file_atomic(model, b"new", force=True)
    assert model.read_bytes() == b"new"
    assert stat.S_IMODE(model.stat().st_mode) == 0o600
