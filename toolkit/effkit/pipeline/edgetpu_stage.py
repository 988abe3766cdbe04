"""The Edge TPU part of a coral build: check, compile, re-attach metadata, build.json section.

Used by ``effkit build --target coral`` (``effkit.pipeline.build``) and by
``effkit compile-edgetpu OUT/``, which finishes a build folder that was made on a
machine without the compiler (build.json says "not compiled"): the compiled model gets
the metadata of ``model.tflite`` again (the compiler strips it), ``coral/`` is rendered
again with the Edge TPU model, build.json is rewritten; the folder is staged and
renamed into place like a build, so a failure leaves it as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from effkit.edgetpu.locate import BUILD_COMPILE_TIMEOUT_S, CompilerChoice, choose_compiler, finish_hint
from effkit.errors import EdgeTPUCoverageError, OutputError, UsageError, check_seconds, first_names

if TYPE_CHECKING:
    from effkit.edgetpu.compiler import CompileResult

EDGETPU_PREFIX = "model_edgetpu"


def relative_paths(doc: Any, root: Path) -> Any:
    """The same document with paths inside the staging folder made relative to it (the
    folder is renamed to --out at the end, so absolute paths into it would dangle). ``root``
    may be relative (``--out build/x``); the compiler's record holds absolute paths."""
    if isinstance(doc, dict):
        return {k: relative_paths(v, root) for k, v in doc.items()}
    if isinstance(doc, list):
        return [relative_paths(v, root) for v in doc]
    if isinstance(doc, str):
        for prefix in (str(Path(root).absolute()) + "/", str(root) + "/"):
            if doc.startswith(prefix):
                return doc[len(prefix):]
    return doc


def check_app_segments(num_segments: int | None, *, recorded: bool = False) -> None:
    """A build folder's Edge TPU model is the one its Coral app runs, on one Edge TPU; a
    model split into segments (the compiler's -n) runs only as a pipeline over several, which
    the app does not do (it was given segment 0 alone, and build.json listed none of them).
    ``recorded``: the value is build.json's (an earlier effkit's build), not the user's flag."""
    if num_segments is not None and num_segments > 1:
        asked = (f"build.json (an earlier effkit's build) asks for --num-segments {num_segments}"
                 if recorded else f"--num-segments {num_segments}")
        raise UsageError(f"{asked}, which splits the model for a pipeline over {num_segments} "
                         "Edge TPUs, and a build's Coral app runs one model on one",
                         "pass --num-segments 1, or split the model file alone: "
                         "effkit compile-edgetpu OUT/model.tflite --num-segments N -o DIR")


def reattach_metadata(compiled: Sequence[Path], source: bytes) -> None:
    """Give each compiled model the TFLite metadata and packed files of ``source`` again."""
    from effkit.core.outputs import write_file_atomic
    from effkit.metadata import associated_files, labels_from_model, verify
    from effkit.metadata.reader import read_metadata
    from effkit.metadata.writer import populate_metadata

    metadata = read_metadata(source)
    if metadata is None:
        return
    files = associated_files(source)
    labels = labels_from_model(source)
    for path in compiled:
        data = populate_metadata(path.read_bytes(), metadata, files)
        if labels is not None:
            verify(data, labels)
        write_file_atomic(path, data, force=True, output=False)  # in the staging folder


def tables_last(section: dict) -> dict:
    """The per-op tables ("check", "compile") last: the summary fields stay readable at the top."""
    return {k: v for k, v in section.items() if k not in ("check", "compile")} | {
        k: section[k] for k in ("check", "compile") if k in section}


def compiler_options(num_segments: int | None, min_runtime_version: int | None,
                     timeout_s: float = BUILD_COMPILE_TIMEOUT_S) -> dict:
    """The build.json record of the compiler options a coral build was asked for, which
    ``compile-edgetpu OUT/`` reuses unless told otherwise (empty when none was given)."""
    given = {"num_segments": num_segments, "min_runtime_version": min_runtime_version,
             "timeout_s": None if timeout_s == BUILD_COMPILE_TIMEOUT_S else timeout_s}
    given = {k: v for k, v in given.items() if v is not None}
    return {"compiler_options": given} if given else {}


def not_compiled(check: dict, reason: str, *, finish: Path | None) -> dict:
    """The build.json section of a coral build without the Edge TPU model; ``finish``: the
    build's --out when it could not compile (not --skip-compile), so it ends with
    :func:`closing_warning` and build.json says how to finish that folder."""
    return {"check": check, "compiled": False, "status": f"not compiled ({reason})",
            "finish": finish_hint(finish) if finish is not None else None}


def compile_section(check: dict, choice: CompilerChoice, model_path: Path, folder: Path,
                    *, timeout_s: float, num_segments: int | None,
                    min_runtime_version: int | None) -> tuple[dict, CompileResult]:
    """Compile ``model_path`` into ``folder``, re-attach its metadata; the section and result."""
    from effkit.edgetpu.compiler import compile_model

    result = compile_model(model_path, folder, compiler=choice.compiler, timeout_s=timeout_s,
                           num_segments=num_segments, min_runtime_version=min_runtime_version,
                           version=choice.version)
    from effkit.edgetpu.graph import compiled_for_edgetpu

    if not compiled_for_edgetpu(result.compiled_paths[0].read_bytes()):  # even --min-tpu-ops 0
        raise EdgeTPUCoverageError(
            "edgetpu_compiler mapped no op to the Edge TPU: its model would run entirely on the CPU",
            f"'effkit check-edgetpu {model_path.name}' says why; a CPU model needs no compile (--target cpu)")
    reattach_metadata(result.compiled_paths, model_path.read_bytes())
    section = {"check": check, "compiled": True, "status": "compiled",
               "compile": relative_paths(result.to_dict(), folder),
               "metadata_reattached": True}
    return section, result


def closing_warning(doc: dict, out_dir: Path) -> str | None:
    """The one warning a build ends with when it could not make the Edge TPU model."""
    tpu = doc.get("edgetpu")
    if not isinstance(tpu, dict) or tpu.get("compiled") or not tpu.get("finish"):
        return None
    return f"the Edge TPU model was {tpu['status']}; {finish_hint(out_dir)}"


def check_app_kept(out_dir: Path, manifest: Any, force: bool) -> None:
    """Compiling a build folder renders its app folder again: refuse when that would lose a
    file the user added there (always) or undo the user's edits to effkit's files (unless
    ``force``). A build.json from before app files were recorded is not checked."""
    from effkit.core.manifest import is_saved_result
    from effkit.core.outputs import not_written

    app = out_dir / (manifest.app or "coral")
    recorded = [a for a in manifest.app_files if a.path.startswith(f"{app.name}/")]
    if not app.is_dir() or not recorded:
        return
    shown = f"{out_dir}/{app.name}/"
    foreign = [f for f in not_written(app, {a.path[len(app.name) + 1:] for a in recorded}, most=1000)
               if not is_saved_result(app / f)][:4]  # eval/bench --save results are carried over
    if foreign:
        names = first_names([shown + f for f in foreign])
        raise OutputError(f"{shown} holds files effkit did not write ({names}), and compiling "
                          f"renders {shown} again", f"move them out of {shown} first")
    edited = manifest.changed_files(out_dir, under=f"{app.name}/")
    if edited and not force:
        names = first_names([f"{out_dir}/{e}" for e in edited])
        raise OutputError(f"{names} changed since effkit wrote {'it' if len(edited) == 1 else 'them'}, "
                          f"and compiling renders {shown} again",
                          "copy your changes elsewhere, then pass --force to render it again")


def _app_labels(out_dir: Path) -> Any:
    """The labels the app is rendered with: those in model.tflite's metadata (what both models
    carry and the app reads first), else labels.txt. A labels.txt that says otherwise is an
    edit that would reach only the app's copy of it: refused, with the way to change labels
    (a build: the metadata's other fields and build.json follow them)."""
    from effkit.core.manifest import LABELS_FILE, MODEL_FILE
    from effkit.metadata import labels_from_model
    from effkit.metadata.model_file import load_model_file
    from effkit.model.labels import Labels, label_difference

    model, text_file = out_dir / MODEL_FILE, out_dir / LABELS_FILE
    in_model = labels_from_model(load_model_file(model))
    if in_model is None:
        return Labels.from_file(text_file)
    if text_file.exists():
        difference = label_difference(Labels.from_file(text_file), in_model)
        if difference is not None:
            raise OutputError(f"{str(text_file)!r} does not match the labels in the metadata of "
                              f"{str(model)!r} ({difference})", "undo the edit, or to change the "
                              "labels build again with --labels FILE")
    return Labels.of(in_model, f"{model} metadata")


def _carry_saved_results(old_app: Path, new_app: Path) -> None:
    """eval/bench --save results of the app's CPU model (unchanged by compiling) go into the
    app rendered again; the user's own files never get this far (check_app_kept)."""
    from effkit.core.manifest import is_saved_result

    if not old_app.is_dir():
        return
    for path in sorted(old_app.rglob("*.json")):
        rel = path.relative_to(old_app)
        if is_saved_result(path) and not (new_app / rel).exists():
            (new_app / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, new_app / rel)


def compile_build_folder(out_dir: Path, *, compiler: str | None = None, force: bool = False,
                         timeout_s: float | None = None, num_segments: int | None = None,
                         min_runtime_version: int | None = None,
                         on_stage: Any = None) -> dict:
    """Compile a finished ``effkit build --target coral`` folder in place; returns build.json."""
    import dataclasses

    from effkit.apps.coral import render_coral_app
    from effkit.core.manifest import (
        BUILD_OUTPUT,
        MANIFEST_NAME,
        MODEL_FILE,
        Artifact,
        Manifest,
    )
    from effkit.core.outputs import staged_dir
    from effkit.model.variants import get_variant

    out_dir = Path(out_dir)
    if not (out_dir / MANIFEST_NAME).is_file():
        raise UsageError(f"{str(out_dir)!r} is not an effkit build folder (no {MANIFEST_NAME})",
                         "pass the --out folder of 'effkit build --target coral', or a "
                         ".tflite model")
    doc = Manifest.read(out_dir)
    if doc.target != "coral" or not isinstance(doc.edgetpu, dict):
        raise UsageError(f"{str(out_dir)!r} is a --target {doc.target} build",
                         "build with --target coral, or pass the .tflite model")
    if doc.edgetpu.get("compiled") and not force:
        raise OutputError(f"{str(out_dir)!r} already has its Edge TPU model",
                          "pass --force to compile it again")
    check_app_kept(out_dir, doc, force)
    asked = doc.edgetpu.get("compiler_options")  # the build's own, unless given again
    if asked is None:
        # none asked for (the check's runtime is then the default), or an effkit before the
        # record, which kept --min-runtime only as the runtime it checked for
        check = doc.edgetpu.get("check") or {}
        asked = {"min_runtime_version": check.get("edgetpu_min_runtime_version",
                                                  check.get("min_runtime_version"))}
    check_app_segments(num_segments)
    if num_segments is None and isinstance(asked.get("num_segments"), int):
        num_segments = asked["num_segments"]
        check_app_segments(num_segments, recorded=True)
    if min_runtime_version is None and isinstance(asked.get("min_runtime_version"), int):
        min_runtime_version = asked["min_runtime_version"]
    if timeout_s is None:
        try:  # a hand-edited build.json's odd value: the default
            timeout_s = check_seconds(asked.get("timeout_s"), "timeout_s", example=600)
        except UsageError:
            timeout_s = BUILD_COMPILE_TIMEOUT_S
    labels = _app_labels(out_dir)
    choice = choose_compiler(compiler, require=True)
    if on_stage:
        on_stage(choice.note)
    choice = choice.with_version()  # docker: builds the image before anything is copied
    variant = get_variant(doc.variant)
    # everything in the folder is carried forward: only its build.json must be effkit's
    with staged_dir(out_dir, True, dataclasses.replace(BUILD_OUTPUT, replaces_folder=False)) as tmp:
        for item in out_dir.iterdir():  # everything but the old Edge TPU files and app
            if item.name.startswith(EDGETPU_PREFIX) or item.name in ("coral", MANIFEST_NAME):
                continue
            dst = tmp / item.name
            if item.is_dir():
                shutil.copytree(item, dst, symlinks=True)
            else:
                shutil.copy2(item, dst)
        section, result = compile_section(
            doc.edgetpu.get("check", {}), choice, tmp / MODEL_FILE, tmp,
            timeout_s=timeout_s, num_segments=num_segments,
            min_runtime_version=min_runtime_version)
        app_dir = render_coral_app(tmp / "coral", model_name=doc.model_name, variant=variant,
                                   labels=labels, cpu_model=tmp / MODEL_FILE,
                                   edgetpu_model=result.compiled_paths[0])
        _carry_saved_results(out_dir / "coral", app_dir)
        timings = {k: v for k, v in doc.timings_s.items() if k != "total"}
        timings["edgetpu-compile"] = round(result.elapsed_s, 3)
        timings["total"] = round(sum(timings.values()), 3)
        kept = [tmp / a.path for a in doc.artifacts
                if not a.path.startswith(EDGETPU_PREFIX) and (tmp / a.path).is_file()]
        edgetpu = sorted(p for p in tmp.iterdir() if p.name.startswith(EDGETPU_PREFIX))
        manifest = dataclasses.replace(
            doc, edgetpu=tables_last(section | compiler_options(num_segments, min_runtime_version,
                                                                 timeout_s)),
            timings_s=timings,
            app=app_dir.relative_to(tmp).as_posix(),
            artifacts=tuple(Artifact.of(p, tmp) for p in kept + edgetpu),
            app_files=tuple(Artifact.of(p, tmp) for p in sorted(app_dir.rglob("*")) if p.is_file()))
        manifest.write(tmp)
    return manifest.to_dict()
