"""edgetpu_compiler integration: finding it, its version, and every way a run can end.

The real compiler cannot run here (x86-64 Debian package), so the subprocess
handling is driven by a stand-in program written into tmp_path that replays real
compiler logs (tests/edgetpu_fixtures/standin.py). The real-compiler and docker
tests run only where those exist.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from edgetpu_fixtures.models import tflite, with_op_version
from edgetpu_fixtures.standin import calls, write_docker_standin, write_standin

from effkit.edgetpu import compiler as etc
from effkit.edgetpu.check import check_model
from effkit.edgetpu.compiler import EdgeTPUCompileFailed, compile_model
from effkit.edgetpu.locate import EdgeTPUCompilerNotFound, compiler_version, find_compiler
from effkit.errors import (
    ModelFileError,
    OutputError,
    ToolFailedError,
    ToolNotFoundError,
    UsageError,
)
from effkit.metadata.model_file import file_has_tflite_identifier

NOT_INSTALLED = ("edgetpu_compiler not installed (x86-64 Debian/Ubuntu only, "
                 "from Coral's apt repository)")


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    etc._version_cached.cache_clear()
    monkeypatch.delenv(etc.ENV_VAR, raising=False)


@pytest.fixture
def logs(edgetpu_logs: Path):
    def pick(prefix: str) -> Path:
        return next(edgetpu_logs.glob(prefix + "-*"))
    return pick


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "model.tflite"
    path.write_bytes(tflite("int8"))
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# -- finding the compiler ------------------------------------------------------


def test_find_compiler_order(tmp_path, monkeypatch, logs):
    on_path = write_standin(tmp_path / "path", mode="success", replay=logs("10"))
    from_env = write_standin(tmp_path / "env", mode="success", replay=logs("10"))
    explicit = write_standin(tmp_path / "explicit", mode="success", replay=logs("10"))
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_compiler().path == str(on_path) and find_compiler().source == "PATH"
    monkeypatch.setenv(etc.ENV_VAR, str(from_env))
    assert (find_compiler().path, find_compiler().source) == (str(from_env), etc.ENV_VAR)
    got = find_compiler(explicit)
    assert (got.path, got.source, got.kind) == (str(explicit), "--compiler", "local")


def test_not_installed_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EdgeTPUCompilerNotFound) as info:
        find_compiler()
    err = info.value
    assert isinstance(err, ToolNotFoundError)
    line = err.one_line()
    assert "edgetpu_compiler is not installed" in line
    assert "apt-get install edgetpu-compiler" in line and "coral-edgetpu-stable" in line
    assert "--compiler docker" in line and etc.ENV_VAR in line
    assert "\n" not in line


def test_explicit_compiler_problems(tmp_path):
    with pytest.raises(EdgeTPUCompilerNotFound, match="no such file"):
        find_compiler(tmp_path / "nope")
    plain = tmp_path / "edgetpu_compiler"
    plain.write_text("#!/bin/sh\n")
    with pytest.raises(EdgeTPUCompilerNotFound, match="not executable") as raised:
        find_compiler(plain)
    assert raised.value.hint == f"run 'chmod +x {plain}'"
    labels = tmp_path / "labels.txt"  # the wrong file given: no execute bit would make it run
    labels.write_text("cat\ndog\n")
    with pytest.raises(EdgeTPUCompilerNotFound, match="is not a program") as raised:
        find_compiler(labels)
    assert "chmod" not in str(raised.value.hint)
    with pytest.raises(EdgeTPUCompilerNotFound, match="is a folder"):
        find_compiler(tmp_path)


def test_version_is_read_once(tmp_path, logs):
    script = write_standin(tmp_path, mode="success", replay=logs("01"))
    found = find_compiler(script)
    assert compiler_version(found) == "16.0.384591198"
    assert compiler_version(found) == "16.0.384591198"
    assert calls(script) == [["--version"]]


def test_a_program_that_is_not_the_compiler(tmp_path):
    fake = tmp_path / "edgetpu_compiler"
    fake.write_text("#!/bin/sh\necho hello\n")
    fake.chmod(0o755)
    with pytest.raises(EdgeTPUCompilerNotFound, match="did not print an Edge TPU Compiler version"):
        compiler_version(find_compiler(fake))


# -- compiling -------------------------------------------------------------------


def test_success_writes_model_and_logs(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="success", replay=logs("01"))
    out = tmp_path / "out"
    result = compile_model(model, out, compiler=script)
    assert leftovers(out) == ["model_edgetpu.console.txt", "model_edgetpu.log",
                              "model_edgetpu.tflite"]
    assert result.compiled == (out / "model_edgetpu.tflite",) == (result.compiled_path,)
    assert result.op_logs == (out / "model_edgetpu.log",)
    assert file_has_tflite_identifier(result.compiled_path)
    assert result.console_log.startswith("Edge TPU Compiler version 16.0.384591198\n")
    assert result.console_log_path.read_text(encoding="utf-8") == result.console_log
    assert result.version == "16.0.384591198"
    argv = calls(script)[-1]
    assert argv[:7] == ["-s", "-m", "13", "-t", "180", "-o", argv[6]]
    assert argv[-1] == str(Path(argv[6]).parent / "in" / model.name)  # a copy, in scratch
    assert Path(argv[6]).parent.parent == out  # compiled into a scratch folder inside out
    # the stand-in reports on this model (check-edgetpu's rules in the compiler's words)
    predicted = check_model(model.read_bytes())
    report = result.report
    assert report.succeeded
    assert (report.ops_total, report.ops_tpu, report.ops_cpu) == (
        predicted.ops_total, predicted.ops_tpu, predicted.ops_cpu) == (10, 10, 0)
    assert {r.operator for m in report.models for r in m.operators} == {o.op for o in predicted.ops}
    assert abs(report.on_chip_used_bytes - predicted.memory.on_chip_bytes) <= 5  # 2 decimals
    assert result.to_dict()["report"]["ops_tpu"] == 10


def test_a_compiler_writing_beyond_its_outputs_changes_nothing_else(tmp_path, model):
    """Files a compiler writes next to its input, in its working folder or as extra outputs
    are discarded: the output folder gets the documented files and the model's folder,
    here the output folder itself (compile-edgetpu OUT/), keeps its own files unchanged."""
    script = write_standin(tmp_path / "bin", mode="success-flood")
    out = tmp_path / "build"
    out.mkdir()
    model = Path(shutil.copy(model, out / "model.tflite"))
    (out / "labels.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    compile_model(model, out, compiler=script)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(set(after) - set(before)) == ["model_edgetpu.console.txt", "model_edgetpu.log",
                                               "model_edgetpu.tflite"]
    assert {k: after[k] for k in before} == before


def test_a_fifo_model_is_refused_before_the_compiler_runs(tmp_path):
    import os

    script = write_standin(tmp_path / "bin", mode="success")
    os.mkfifo(tmp_path / "pipe.tflite")
    with pytest.raises(ModelFileError, match="named pipe"):
        compile_model(tmp_path / "pipe.tflite", tmp_path / "out", compiler=script)
    assert calls(script) == []


def test_a_compiler_printing_hostile_numbers(tmp_path, model):
    """inf sizes, a 5000-digit op count and superscript digits in what the compiler prints:
    the compile succeeds and those fields are unknown (None), never a traceback."""
    from test_hostile import compiler_log

    log = tmp_path / "hostile.txt"
    log.write_text(compiler_log(size="infMiB", ops="9" * 5000, count="\u00b3"), encoding="utf-8")
    script = write_standin(tmp_path / "bin", mode="success-replay", replay=log)
    result = compile_model(model, tmp_path / "out", compiler=script)
    got = result.report.models[0]
    assert (got.input_size_bytes, got.on_chip_used_bytes, got.ops_total) == (None, None, None)
    assert got.output_size_bytes == round(8.34 * 1024**2) and got.operators == ()


def test_standin_reports_the_model_it_is_given(tmp_path, logs):
    """Ops that do not map, and a refused op version, come from the model, not a replay."""
    script = write_standin(tmp_path / "bin", mode="success")
    leaky = tmp_path / "leaky.tflite"
    leaky.write_bytes(tflite("leaky"))
    report = compile_model(leaky, tmp_path / "out", compiler=script).report
    predicted = check_model(leaky.read_bytes())
    assert (report.ops_tpu, report.ops_cpu) == (predicted.ops_tpu, predicted.ops_cpu) == (3, 8)
    statuses = {(r.operator, r.status) for m in report.models for r in m.operators}
    assert ("LEAKY_RELU", "Operation not supported") in statuses

    newer = tmp_path / "newer.tflite"
    newer.write_bytes(with_op_version(tflite("int8"), "QUANTIZE", 3))
    with pytest.raises(EdgeTPUCompileFailed) as info:
        compile_model(newer, tmp_path / "out2", compiler=script)
    assert info.value.kind == "op-version"
    assert "Didn't find op for builtin opcode 'QUANTIZE' version '3'" in info.value.one_line()


def test_version_gates_flags(tmp_path, model, logs):
    v15 = write_standin(tmp_path / "bin", mode="success", replay=logs("10"))
    compile_model(model, tmp_path / "out", compiler=v15, min_runtime_version=14, timeout_s=99)
    argv = calls(v15)[-1]
    assert "-t" not in argv  # compiler 15 has no -t
    assert argv[:3] == ["-s", "-m", "14"]
    with pytest.raises(UsageError, match="--search_delegate needs edgetpu_compiler 16.0"):
        compile_model(model, tmp_path / "out2", compiler=v15, search_delegate=True)
    assert leftovers(tmp_path / "out2") == []


def test_nonzero_exit(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="fail", replay=logs("04"))
    out = tmp_path / "out"
    with pytest.raises(EdgeTPUCompileFailed) as info:
        compile_model(model, out, compiler=script)
    err = info.value
    assert isinstance(err, ToolFailedError)
    assert (err.kind, err.returncode) == ("tflite-interpreter", 1)
    assert err.reason.startswith("Model failed in Tflite interpreter")
    assert "Encountered unresolved custom op: Atan." in err.message
    assert "exit status 1" in err.message
    assert err.stdout == logs("04").read_text()
    assert err.report.errors[0] == "Encountered unresolved custom op: Atan."
    assert leftovers(out) == []  # nothing half-written


def test_a_failed_compile_keeps_the_compilers_words_outside_the_users_folders(tmp_path, model,
                                                                              logs):
    """The CLI's one-line error names a file holding everything the compiler printed (in the
    temporary folder, never in --out), and --json carries its path."""
    import json

    from helpers import one_line_error
    from typer.testing import CliRunner

    from effkit.cli.main import app

    script = write_standin(tmp_path / "bin", mode="fail", replay=logs("04"))
    out = tmp_path / "out"
    for extra in ([], ["--json"]):
        result = CliRunner().invoke(app, ["compile-edgetpu", str(model), "-o", str(out),
                                          "--compiler", str(script), *extra])
        assert result.exit_code == 1
        line = one_line_error(result)
        assert "unresolved custom op: Atan" in line and "Its output is in " in line, line
        saved = Path(line.split("Its output is in ", 1)[1].rstrip("."))
        try:
            assert saved.read_text(encoding="utf-8").startswith(logs("04").read_text())
            assert saved.parent != out and leftovers(out) == []
            if extra:
                assert json.loads(result.stdout)["tool_output"] == str(saved)
        finally:
            saved.unlink()


def test_exit_zero_but_the_log_says_failed(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="log-only", replay=logs("16"))
    with pytest.raises(EdgeTPUCompileFailed) as info:
        compile_model(model, tmp_path / "out", compiler=script, search_delegate=True)
    assert info.value.kind == "delegate-search-failed"
    assert "-d" in calls(script)[-1]
    assert leftovers(tmp_path / "out") == []


def test_failed_segment(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="log-only", replay=logs("08"))
    with pytest.raises(EdgeTPUCompileFailed) as info:
        compile_model(model, tmp_path / "out", compiler=script, num_segments=2)
    assert "Restored original execution plan" in info.value.message
    argv = calls(script)[-1]
    assert argv[argv.index("-n") + 1] == "2"


def test_crash_by_signal(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="crash", replay=logs("01"))
    with pytest.raises(EdgeTPUCompileFailed) as info:
        compile_model(model, tmp_path / "out", compiler=script)
    err = info.value
    assert err.kind == "crashed" and err.returncode < 0
    assert "SIGSEGV" in err.message
    assert leftovers(tmp_path / "out") == []


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (FileNotFoundError, IndexError):
        return True
    return state in "ZX"


def test_timeout_kills_the_whole_process_group(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="hang", replay=logs("01"))
    with pytest.raises(EdgeTPUCompileFailed) as info:  # returns although the compiler hangs
        compile_model(model, tmp_path / "out", compiler=script, process_timeout_s=2)
    err = info.value
    assert err.kind == "timeout" and "did not finish within 2 s" in err.message
    assert "Edge TPU Compiler version" in err.stdout  # what it printed before it hung
    pid = int(Path(str(script) + ".calls.pid").read_text())
    deadline = time.monotonic() + 60  # a wait for the kernel to reap it, not a speed check
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(pid), "the compiler's child process survived the timeout"
    assert leftovers(tmp_path / "out") == []


def test_missing_output_file(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="no-output", replay=logs("10"))
    with pytest.raises(EdgeTPUCompileFailed) as info:
        compile_model(model, tmp_path / "out", compiler=script)
    assert info.value.kind == "missing-output"
    assert "did not write model_edgetpu.tflite" in info.value.message
    assert leftovers(tmp_path / "out") == []


def test_a_compiler_failing_silently_is_not_said_to_have_a_message(tmp_path, model):
    """Exit status 1 and not a word: the hint says so and how to see more, instead of
    'see the compiler's message' (there is none, and no output file to point to)."""
    silent = tmp_path / "edgetpu_compiler"
    silent.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Edge TPU Compiler version 16.0.384591198" '
                      '&& exit 0\nexit 1\n')
    silent.chmod(0o755)
    with pytest.raises(EdgeTPUCompileFailed) as info:
        compile_model(model, tmp_path / "out", compiler=find_compiler(silent))
    assert "failed (exit status 1): no output" in info.value.message
    assert info.value.hint.startswith("it printed nothing: run it by hand on the model")
    assert info.value.save_output() is None  # nothing to keep, so no file is named


def test_damaged_output_file(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="bad-output", replay=logs("10"))
    with pytest.raises(EdgeTPUCompileFailed) as info:
        compile_model(model, tmp_path / "out", compiler=script)
    assert info.value.kind == "bad-output"
    assert leftovers(tmp_path / "out") == []


def test_existing_output_needs_overwrite(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="success", replay=logs("10"))
    out = tmp_path / "out"
    out.mkdir()
    (out / "model_edgetpu.tflite").write_bytes(b"mine")
    with pytest.raises(OutputError, match="already exists"):
        compile_model(model, out, compiler=script)
    assert (out / "model_edgetpu.tflite").read_bytes() == b"mine"
    assert calls(script) == []  # refused before the compiler ran
    compile_model(model, out, compiler=script, overwrite=True)
    assert (out / "model_edgetpu.tflite").read_bytes()[4:8] == b"TFL3"


def test_bad_arguments(tmp_path, model, logs):
    script = write_standin(tmp_path / "bin", mode="success", replay=logs("10"))
    with pytest.raises(ModelFileError, match="does not exist"):
        compile_model(tmp_path / "none.tflite", tmp_path / "out", compiler=script)
    other = tmp_path / "model.bin"
    other.write_bytes(model.read_bytes())
    with pytest.raises(ModelFileError, match="does not end in .tflite"):
        compile_model(other, tmp_path / "out", compiler=script)
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"0123456789")
    with pytest.raises(ModelFileError, match="no .TFL3. flatbuffer identifier"):
        compile_model(junk, tmp_path / "out", compiler=script)
    with pytest.raises(UsageError, match="output folder"):
        compile_model(model, tmp_path / "out", compiler=script, extra=["-o", "/tmp"])
    assert calls(script) == []


# -- docker route ----------------------------------------------------------------


def _docker_engine_running() -> bool | None:
    client = shutil.which("docker")
    if client is None:
        return None
    run = subprocess.run([client, "version", "--format", "{{.Server.Version}}"],
                         capture_output=True, text=True, timeout=30)
    return run.returncode == 0 and bool(run.stdout.strip())


def test_docker_without_engine_is_a_clear_error():
    state = _docker_engine_running()
    if state is None:
        pytest.skip("docker client not installed")
    if state:
        pytest.skip("docker engine is running; this test covers a stopped engine")
    with pytest.raises(EdgeTPUCompilerNotFound) as info:
        find_compiler("docker")
    line = info.value.one_line()
    assert "engine is not running" in line and "Cannot connect to the Docker daemon" in line
    assert "systemctl start docker" in line and "\n" not in line


def test_docker_missing_client(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EdgeTPUCompilerNotFound, match="docker is not installed"):
        find_compiler("docker")


def test_dockerfile_ships_with_the_package():
    text = etc.DOCKERFILE.read_text()
    assert "coral-edgetpu-stable" in text and "edgetpu-compiler" in text
    assert "linux/amd64" in text
    assert etc.image_tag().startswith("effkit-edgetpu-compiler:")


def test_docker_route_argv(tmp_path, model, logs, monkeypatch):
    """The docker route's own logic (image built once, mount, user, no network, path mapping),
    driven by a stand-in docker client that runs the stand-in compiler."""
    compiler = write_standin(tmp_path / "image", mode="success", replay=logs("01"))
    docker = write_docker_standin(tmp_path / "bin", compiler)
    monkeypatch.setenv("PATH", str(docker.parent))
    found = find_compiler("docker")
    assert (found.kind, found.path, found.image) == ("docker", str(docker), etc.image_tag())
    out = tmp_path / "out"
    result = compile_model(model, out, compiler=found)
    assert leftovers(out) == ["model_edgetpu.console.txt", "model_edgetpu.log",
                              "model_edgetpu.tflite"]
    compile_model(model, out, compiler=found, overwrite=True)
    docker_calls = calls(docker)
    assert [c[0] for c in docker_calls].count("build") == 1  # the image is built once
    build = next(c for c in docker_calls if c[0] == "build")
    assert build[build.index("-t") + 1] == etc.image_tag()
    assert build[build.index("-f") + 1] == str(etc.DOCKERFILE)
    run = [c for c in docker_calls if c[0] == "run"][-1]
    assert run[run.index("--network") + 1] == "none"
    assert run[run.index("--platform") + 1] == "linux/amd64"
    assert run[run.index("--user") + 1] == f"{os.getuid()}:{os.getgid()}"
    mount = run[run.index("-v") + 1]
    assert mount.endswith(":/work") and Path(mount[:-len(":/work")]).parent == out
    assert run[-3:] == ["-o", "/work/out", "/work/in/model.tflite"]
    assert result.argv[0] == str(docker) and result.compiler.kind == "docker"
    assert result.report.ops_tpu == 10 and result.version == "16.0.384591198"


@pytest.mark.slow
def test_docker_route_compiles(tmp_path, model):
    if not _docker_engine_running():
        pytest.skip("docker engine not running (the docker route needs a running engine)")
    result = compile_model(model, tmp_path / "out", compiler="docker")
    assert result.report.succeeded and result.compiled_path.is_file()
    assert check_model(result.compiled_path.read_bytes()).already_compiled


# -- the real compiler -----------------------------------------------------------


@pytest.mark.skipif(shutil.which("edgetpu_compiler") is None, reason=NOT_INSTALLED)
def test_real_compiler_maps_every_op(tmp_path, model):
    result = compile_model(model, tmp_path / "out")
    report = result.report
    assert report.succeeded, result.console_log
    assert report.ops_cpu == 0 and report.ops_tpu == report.ops_total
    assert {r.operator for m in report.models for r in m.operators} <= {
        "QUANTIZE", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED", "SOFTMAX"}
    assert check_model(result.compiled_path.read_bytes()).already_compiled
    assert os.path.getsize(result.op_logs[0]) > 0


# -- the build's choice: local, else a running Docker engine, else none ------------


def test_choose_prefers_a_local_compiler(tmp_path, monkeypatch, logs):
    from effkit.edgetpu.locate import choose_compiler

    local = write_standin(tmp_path / "bin", mode="success", replay=logs("10"))
    write_docker_standin(tmp_path / "bin", local)
    monkeypatch.setenv("PATH", str(local.parent))
    choice = choose_compiler()
    assert choice.route == "local" and choice.compiler.path == str(local)
    assert calls(tmp_path / "bin" / "docker") == []  # docker not even asked


def test_choose_uses_a_running_docker_engine_when_no_local_compiler(tmp_path, monkeypatch,
                                                                     logs):
    from effkit.edgetpu.locate import choose_compiler

    image = write_standin(tmp_path / "image", mode="success", replay=logs("10"))
    docker = write_docker_standin(tmp_path / "bin", image)
    monkeypatch.setenv("PATH", str(docker.parent))
    choice = choose_compiler()
    assert choice.route == "docker" and choice.compiler.path == str(docker)
    assert choice.note.startswith("no local edgetpu_compiler: compiling in Docker")
    assert "\n" not in choice.note


def test_choose_without_compiler_or_engine(tmp_path, monkeypatch):
    from effkit.edgetpu.locate import NO_COMPILER, choose_compiler

    monkeypatch.setenv("PATH", str(tmp_path))
    choice = choose_compiler()
    assert (choice.route, choice.compiler, choice.note) == ("none", None, NO_COMPILER)
    with pytest.raises(EdgeTPUCompilerNotFound, match="edgetpu_compiler is not installed"):
        choose_compiler(require=True)
    with pytest.raises(EdgeTPUCompilerNotFound, match="docker is not installed"):
        choose_compiler("docker")  # an explicit choice that does not work stays an error


def test_install_hint_uses_a_signed_by_keyring():
    hint = etc.INSTALL_HINT
    assert "apt-key add" not in hint
    assert "gpg --dearmor -o /usr/share/keyrings/coral-edgetpu.gpg" in hint
    assert "deb [signed-by=/usr/share/keyrings/coral-edgetpu.gpg] " in hint
    text = etc.DOCKERFILE.read_text()  # the image installs it the same way
    assert "signed-by=/usr/share/keyrings/coral-edgetpu.gpg" in text and "apt-key add" not in text


def test_arm_host_without_emulation_says_how_to_register_it(tmp_path, model, logs,
                                                           monkeypatch):
    image = write_standin(tmp_path / "image", mode="success", replay=logs("10"))
    docker = write_docker_standin(
        tmp_path / "bin", image,
        run_error="exec /usr/bin/edgetpu_compiler: exec format error")
    monkeypatch.setenv("PATH", str(docker.parent))
    with pytest.raises(EdgeTPUCompilerNotFound) as info:
        compile_model(model, tmp_path / "out", compiler="docker")
    line = info.value.one_line()
    assert "exec format error" in line
    assert "docker run --privileged --rm tonistiigi/binfmt --install amd64" in line
    assert not (tmp_path / "out").exists()
    run = next(c for c in calls(docker) if c[0] == "run")
    assert run[run.index("--platform") + 1] == "linux/amd64"
