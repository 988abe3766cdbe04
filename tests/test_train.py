"""effkit train: data scanning and splitting, bad input, training, resume, and the int8 build.

The dataset is built in the test from the photo set (tests/photos.py: four photos that
scikit-image ships, twelve views of each) by grouping them into class folders by wnid;
images are symlinked into tmp_path, never copied.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from effkit.cli.main import app
from effkit.errors import DataError, EffkitError, OutputError, UsageError
from effkit.training.checkpoints import CHECKPOINT_DIR, STATE_NAME
from effkit.training.data import scan
from effkit.training.trainer import Callbacks, TrainConfig, train, validate

# (first wnid, last wnid) ranges, inclusive, in sorted-wnid (= ImageNet index) order.
SUPERCLASSES = {
    "cats": [("n02123045", "n02124075")],  # tabby .. Egyptian cat
    "food": [("n07583066", "n07932039")],  # guacamole .. eggnog
    "rockets": [("n03773504", "n03773504")],  # missile
    "vehicles": [("n03785016", "n03785016")],  # moped
}


def _wnid(path: Path) -> str:
    return path.name.split("_", 1)[0]


def make_superclasses(src: Path, dst: Path, per_class: int | None = None,
                      classes: tuple[str, ...] = tuple(SUPERCLASSES)) -> dict[str, int]:
    """Symlink the test photos into dst/<superclass>/; returns the counts."""
    counts = {}
    photos = sorted(src.iterdir())
    for name in classes:
        folder = dst / name
        folder.mkdir(parents=True)
        chosen = [p for p in photos
                  if any(lo <= _wnid(p) <= hi for lo, hi in SUPERCLASSES[name])][:per_class]
        for p in chosen:
            (folder / p.name).symlink_to(p)
        counts[name] = len(chosen)
    return counts


@pytest.fixture(scope="module")
def superclasses(photo_dir, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("superclasses")
    counts = make_superclasses(photo_dir, root)
    assert set(counts.values()) == {12}, counts  # twelve views of one photo per class
    return root


@pytest.fixture()
def tiny(photo_dir, tmp_path) -> Path:
    root = tmp_path / "tiny"
    make_superclasses(photo_dir, root, per_class=5, classes=("food", "vehicles"))
    return root


def _one_line_error(result, code: int, needle: str) -> None:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    err = result.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("error:") and needle in err, err


# --------------------------------------------------------------------------- data


def test_scan_sorted_classes_stratified_seeded_split(superclasses):
    data = scan(superclasses, val_split=0.4, seed=0)
    assert data.classes == ("cats", "food", "rockets", "vehicles")
    counts = data.counts()
    assert counts == {name: {"train": 7, "val": 5} for name in data.classes}
    # Every file in exactly one split, under its own folder's label.
    seen = [e.path for e in data.train + data.val]
    assert len(seen) == len(set(seen)) == 48
    for e in data.train + data.val:
        assert Path(e.path).parent.name == data.classes[e.label]
    assert scan(superclasses, val_split=0.4, seed=0) == data  # reproducible
    other = scan(superclasses, val_split=0.4, seed=1)
    assert other.counts() == counts and {e.path for e in other.val} != {e.path for e in data.val}


def test_scan_with_val_folder(tiny, photo_dir, tmp_path):
    val = tmp_path / "val"
    make_superclasses(photo_dir, val, per_class=2, classes=("food",))
    data = scan(tiny, val=val)
    assert data.counts() == {"food": {"train": 5, "val": 2}, "vehicles": {"train": 5, "val": 0}}
    (val / "birds").mkdir()
    next(iter((val / "food").iterdir())).rename(val / "birds" / "x.jpg")
    with pytest.raises(DataError, match="'birds' that --data does not have"):
        scan(tiny, val=val)
    # a --val copied from a Mac (NFD names) is the same classes (an outside walk)
    (val / "birds").rename(val / "vehicles")
    (tiny / "food").rename(tiny / "caf\u00e9")  # composed (NFC) in --data
    (val / "food").rename(val / "cafe\u0301")  # decomposed (NFD) in --val
    data = scan(tiny, val=val)
    assert data.counts() == {"café": {"train": 5, "val": 1}, "vehicles": {"train": 5, "val": 1}}
    # and in another case or with underscores, as eval matches class folders (a walk: train
    # refused 'Vehicles' that eval scored as 'vehicles')
    (val / "vehicles").rename(val / "Vehicles")
    assert scan(tiny, val=val).counts() == data.counts()


def test_a_class_folder_name_that_cannot_be_a_label_is_refused_before_training(tiny, tmp_path):
    """Over 200 characters: refused by the label rule only after the epochs ran, leaving the
    output folder half-written (an outside walk); now the scan names the folder."""
    long = "x" * 210
    (tiny / "food").rename(tiny / long)
    with pytest.raises(DataError, match=r"class folder name 'x+'\.\.\. is 210 characters long "
                                        r"\(at most 200\) \(in '.*tiny'\)"):
        scan(tiny)
    result = CliRunner().invoke(app, ["train", "--data", str(tiny), "--out", str(tmp_path / "o"),
                                 "--weights", "random", "--epochs", "1"])
    _one_line_error(result, 1, "is 210 characters long")
    assert not (tmp_path / "o").exists()
    # one rule: a reordering character is named as the label rule names it, a space at an end
    # is a folder's own problem, and an emoji with its joiner is a label like any other
    for name, said in (("a\u202eb", "reorders the text"), ("food ", "has a space at its start or end"),
                       ("b\udcff", r"is not valid UTF-8 \(byte 0xFF\)")):
        (tiny / long).rename(tiny / name)
        with pytest.raises(DataError, match=said):
            scan(tiny)
        long = name
    (tiny / long).rename(tiny / "\U0001f469\u200d\U0001f52c")
    assert scan(tiny).classes == ("vehicles", "\U0001f469\u200d\U0001f52c")
    # a zip made on a Mac holds __MACOSX beside the classes: not a class (the review)
    (tiny / "__MACOSX" / "vehicles").mkdir(parents=True)
    (tiny / "__MACOSX" / "vehicles" / "._x.jpg").write_bytes(b"\0\x05\x16\x07")
    assert scan(tiny).classes == ("vehicles", "\U0001f469\u200d\U0001f52c")


def test_the_resume_fingerprint_sees_a_photo_replaced_under_its_name(tiny, photo_dir):
    """--resume checks the images: a photo swapped under the same name (here the target of
    its symbolic link) is a change, not only a file added or removed."""
    before = scan(tiny, val_split=0.4, seed=0).fingerprint()
    assert scan(tiny, val_split=0.4, seed=0).fingerprint() == before
    link = sorted((tiny / "food").iterdir())[0]
    other = next(p for p in sorted(photo_dir.iterdir()) if p.resolve() != link.resolve())
    link.unlink()
    link.symlink_to(other)
    assert scan(tiny, val_split=0.4, seed=0).fingerprint() != before


def _undecodable_names(root: Path) -> None:
    """Every photo renamed to a name with byte 0xFF, which is not UTF-8 (a Latin-1 disk, an
    old camera, a zip): Python holds it as a lone surrogate."""
    import os

    for photo in sorted(root.rglob("*.*")):
        target = os.fsencode(photo.parent) + b"/x\xff" + os.fsencode(photo.name)
        os.rename(os.fsencode(photo), target)


def test_image_names_that_are_not_utf8_fingerprint(tiny):
    """The resume fingerprint encoded each path as UTF-8: a name with byte 0xFF ended
    `effkit train` in a UnicodeEncodeError traceback (outside walk)."""
    _undecodable_names(tiny)
    data = scan(tiny, val_split=0.4, seed=0)
    assert all("\udcff" in ex.path for ex in data.train + data.val)
    assert data.fingerprint() == scan(tiny, val_split=0.4, seed=0).fingerprint()


def test_the_same_photo_twice_and_lookalike_class_names_are_warned_of(tiny, photo_dir, tmp_path):
    """Legal, but it misleads: a photo in both splits (a copy, or --val a copy of --data)
    inflates the validation accuracy, a photo in two classes, class names that differ only
    in Unicode form (a folder made on a Mac: NFD)."""
    assert scan(tiny, val_split=0.4, seed=0).warnings == ()
    food = sorted((tiny / "food").iterdir())
    (tiny / "vehicles" / "copy.jpg").write_bytes(food[0].read_bytes())  # in two classes
    warned = scan(tiny, val_split=0.4, seed=0).warnings
    assert len(warned) == 1 and warned[0].startswith("1 image(s) are in two classes (same bytes)")
    (tiny / "vehicles" / "copy.jpg").unlink()
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("food", "vehicles"):
        (copy / name).symlink_to(tiny / name)
    warned = scan(tiny, val=copy, seed=0).warnings
    assert len(warned) == 1 and warned[0].startswith("10 validation image(s) are also training "
                                                     "images (same bytes)"), warned
    (tiny / "cafe\u0301").mkdir()
    (tiny / "caf\u00e9").mkdir()
    for i, name in enumerate(("cafe\u0301", "caf\u00e9")):
        for p in food[2 * i: 2 * i + 2]:
            (tiny / name / f"x{p.name}").symlink_to(p)
    (tiny / "Food").mkdir()  # a second group: every group is named (only the first was)
    for p in food[:2]:
        (tiny / "Food" / f"x{p.name}").symlink_to(p)
    warned = scan(tiny, val_split=0.4, seed=0).warnings
    # the two cafés with escapes: quoted as written they print the same
    assert ("class folders that differ only in Unicode form or case, so their labels look the same: "
            "'Food', 'food'; 'cafe\\u0301', 'caf\\xe9'") in warned, warned


def test_corrupt_images_are_skipped_and_counted(tiny, photo_dir):
    good = sorted(photo_dir.iterdir())[0].read_bytes()
    (tiny / "vehicles" / "truncated.jpg").write_bytes(good[: len(good) // 2])
    (tiny / "food" / "empty.png").write_bytes(b"")
    (tiny / "food" / "notes.txt").write_text("not an image")  # not an image suffix: not listed
    (tiny / "loose.jpg").write_bytes(good)  # in no class folder
    data = scan(tiny, val_split=0.2, seed=0)
    assert sorted(Path(s.split(":")[0]).name for s in data.skipped) == ["empty.png",
                                                                        "truncated.jpg"]
    assert "truncated" in " ".join(data.skipped)
    # worded for a user, as calibration and eval word them: never a bare exception name
    assert any(s.endswith("empty.png: empty file (0 bytes)") for s in data.skipped), data.skipped
    assert [Path(p).name for p in data.ignored] == ["loose.jpg"]
    assert sum(c["train"] + c["val"] for c in data.counts().values()) == 10
    names = {Path(e.path).name for e in data.train + data.val}
    assert not names & {"truncated.jpg", "empty.png", "loose.jpg"}


def test_bad_data_folders(tiny, tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        scan(tmp_path / "nope")
    one = tmp_path / "one"
    (one / "dogs").mkdir(parents=True)
    with pytest.raises(DataError, match="1 class folder \\(dogs\\).*at least two classes"):
        scan(one)
    (tiny / "cats").mkdir()
    with pytest.raises(DataError, match="'.*cats' in --data has no images"):
        scan(tiny)
    (tiny / "cats").rmdir()
    for p in list((tiny / "food").iterdir())[1:]:
        p.unlink()
    with pytest.raises(DataError, match="class 'food' has only 1 readable image"):
        scan(tiny)
    (next((tiny / "food").iterdir())).unlink()
    (tiny / "food" / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(DataError, match=r"none of the 1 images in class folder .* could be read; "
                                        r"first: .*bad\.jpg: "):
        scan(tiny)


def test_validate_flags_and_output(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("EFFKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("EFFKIT_OFFLINE", "1")  # lite4's default, the official checkpoint
    ok = TrainConfig(data=tiny, out=tmp_path / "out")
    validate(ok)
    for bad, match in [
        (dict(epochs=0), "--epochs"),
        (dict(val_split=1.0), "--val-split"),
        (dict(learning_rate=0.0), "--learning-rate"),
        (dict(resume=True, force=True), "do not go together"),
        (dict(out=tiny / "out"), "inside --data"),
        (dict(out=tiny), f"--out '{tiny}' is --data"),
        (dict(variant="lite9"), "unknown variant"),
        (dict(variant="lite4"), "official lite4 checkpoint is not cached"),
        (dict(weights=str(tmp_path / "missing.h5")), "do not exist"),
        (dict(val=tiny), "is --data"), (dict(val=tiny / "food"), "is inside --data"),
        (dict(data=tiny / "food", val=tiny), "holds --data"),
        # a split and a folder: the split was ignored without a word (a walk)
        (dict(val=tmp_path / "v", val_split=0.5), "--val-split does not apply with --val"),
        (dict(val=tmp_path / "v", val_split=0.2), "--val-split does not apply"),  # the default, given
    ]:
        with pytest.raises(EffkitError, match=match):
            validate(TrainConfig(**{"data": tiny, "out": tmp_path / "out", **bad}))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("user file")
    with pytest.raises(OutputError, match="is not empty") as exc:
        validate(ok)
    # --force would be refused there: the hint does not send the user to it
    assert exc.value.hint.endswith("empty the folder yourself (--force replaces only an effkit "
                                   "training output)")
    with pytest.raises(OutputError, match="nothing to resume"):
        validate(TrainConfig(data=tiny, out=tmp_path / "out", resume=True))
    # --force writes over an earlier training's files only, and keeps a user's beside them
    forced = TrainConfig(data=tiny, out=tmp_path / "out", force=True)
    with pytest.raises(OutputError, match="not written by effkit as a training output"):
        validate(forced)
    (tmp_path / "out" / "train.json").write_text('{"name": "not effkit\'s"}')
    with pytest.raises(OutputError, match="no valid train.json"):
        validate(forced)
    (tmp_path / "out" / "train.json").unlink()
    (tmp_path / "out" / "checkpoints").mkdir()
    (tmp_path / "out" / "checkpoints" / "state.json").write_text("{}")  # an interrupted run
    validate(forced)
    (tmp_path / "out" / "train.json").write_text('{"effkit_train": 1}')  # a finished one
    validate(forced)
    # a finished run that had --build: its build goes with the weights --force (or --resume
    # of an interrupted --force restart) replaces; a file added to it stops the run first
    (tmp_path / "out" / "train.json").write_text(json.dumps(
        {"effkit_train": 1, "build": {"out_dir": str(tmp_path / "out" / "lite0-cpu")}}))
    built = tmp_path / "out" / "lite0-cpu"
    built.mkdir()
    (built / "build.json").write_text(json.dumps({"effkit_manifest": 1, "variant": "lite0",
                                                  "quantization": {}}))
    validate(forced)
    (built / "mine.txt").write_text("mine")
    for config in (forced, replace(forced, force=False, resume=True)):
        with pytest.raises(OutputError, match=r"holds files effkit did not write \('mine.txt'\)"):
            validate(config)


def test_cli_bad_input_is_one_line(tiny, tmp_path):
    runner = CliRunner()
    one = tmp_path / "one"
    (one / "dogs").mkdir(parents=True)
    result = runner.invoke(app, ["train", "--data", str(one), "--out", str(tmp_path / "o1")])
    _one_line_error(result, 1, "at least two classes")
    assert not (tmp_path / "o1").exists()

    out = tmp_path / "o2"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["train", "--data", str(tiny), "--out", str(out)])
    _one_line_error(result, 1, "is not empty")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]

    result = runner.invoke(app, ["train", "--data", str(tiny), "--out", str(tmp_path / "o3"),
                                 "--target", "coral"])
    _one_line_error(result, 2, "only apply with --build")
    result = runner.invoke(app, ["train", "--data", str(tiny), "--out", str(tmp_path / "o3"),
                                 "--build", "--target", "phone"])
    _one_line_error(result, 2, "unknown target")
    assert runner.invoke(app, ["train", "--help"]).exit_code == 0


# --------------------------------------------------------------------------- training


class _Stop(KeyboardInterrupt):
    pass


def test_resume_after_images_changed_names_the_images_not_the_batch_size(tiny, photo_dir):
    """The batch size is cut to the training split: one image more changes it, and --resume
    said 'batch_size was 6, now 7' for a flag never given. The images are named now."""
    from effkit.training.checkpoints import _State
    from effkit.training.trainer import _check_resumable

    config = TrainConfig(data=tiny, out=tiny.parent / "o", batch_size=6, val_split=0.4)
    state = _State(settings=config.settings(), data=scan(tiny, val_split=0.4, seed=0).fingerprint())
    extra = next(p for p in sorted(photo_dir.iterdir()) if not (tiny / "food" / p.name).exists())
    (tiny / "food" / extra.name).symlink_to(extra)
    grown = scan(tiny, val_split=0.4, seed=0)
    with pytest.raises(DataError, match="the images or the train/validation split changed"):
        _check_resumable(state, replace(config, batch_size=len(grown.train)), grown)
    with pytest.raises(UsageError, match="cannot resume: --epochs was 10, now 3"):  # a flag: named
        _check_resumable(state, replace(config, epochs=3, batch_size=len(grown.train)), grown)
    # a batch size given, cut to the split: the value given is named, and the cut (a walk:
    # '--batch-size 100' was told 'batch_size was 6, now 5')
    (tiny / "food" / extra.name).unlink()
    same = scan(tiny, val_split=0.4, seed=0)
    state = _State(settings=replace(config, batch_size=4).settings(), data=same.fingerprint())
    with pytest.raises(UsageError, match=r"cannot resume: --batch-size was 4, now 100 \(cut to "
                                         rf"{len(same.train)}, the training split's size\)"):
        _check_resumable(state, replace(config, batch_size=len(same.train)), same, given_batch_size=100)


def test_a_checkpoint_of_an_earlier_effkit_resumes(tiny, tmp_path):
    """state.json of an effkit before 2026-12-06 holds a fingerprint of paths only: --resume
    with today's said the images changed when nothing had (upgrade walk). Its fingerprint
    is compared as it was made; a change of paths is still seen."""
    from effkit.training.checkpoints import STATE_NAME, _Checkpoints
    from effkit.training.trainer import _check_resumable

    config = TrainConfig(data=tiny, out=tmp_path / "o", batch_size=6, val_split=0.4)
    data = scan(tiny, val_split=0.4, seed=0)
    import hashlib

    old = hashlib.sha256(json.dumps(data.classes).encode())  # that effkit's fingerprint
    for split in (data.train, data.val):
        for ex in split:
            old.update(f"{ex.label}\t{ex.path}\n".encode())
        old.update(b"--\n")
    (tmp_path / STATE_NAME).write_text(json.dumps({  # as that effkit wrote it: no data_format
        "settings": config.settings(), "data": old.hexdigest(), "version": 1}))
    state = _Checkpoints(tmp_path, tmp_path).load()
    _check_resumable(state, config, data)
    # nor one from the day between, with sizes and times but no key saying so (the review)
    (tmp_path / STATE_NAME).write_text(json.dumps({
        "settings": config.settings(), "data": data.fingerprint(), "version": 1}))
    _check_resumable(_Checkpoints(tmp_path, tmp_path).load(), config, data)
    (tiny / "food" / sorted(p.name for p in (tiny / "food").iterdir())[0]).unlink()
    with pytest.raises(DataError, match="the images or the train/validation split changed"):
        _check_resumable(state, config, scan(tiny, val_split=0.4, seed=0))


@pytest.mark.slow
def test_resume_from_a_damaged_checkpoint_is_one_line(tiny, tmp_path):
    """A checkpoint file cut short (a disk filled, a copy interrupted): h5py's "truncated
    file" traceback before; now the file and the fix, and the checkpoint stays."""
    out = tmp_path / "out"
    config = TrainConfig(data=tiny, out=out, epochs=2, batch_size=4, val_split=0.4, seed=3)

    def stop(record):
        raise _Stop()

    import random

    import numpy as np

    random.seed(11)
    np.random.seed(11)
    mine = random.getstate(), np.random.get_state()[1].copy()  # a caller's own generators
    with pytest.raises(_Stop):
        train(config, Callbacks(on_epoch=stop))
    assert random.getstate() == mine[0] and np.array_equal(np.random.get_state()[1], mine[1])
    state = json.loads((out / CHECKPOINT_DIR / STATE_NAME).read_text())
    for key, name in (("weights", state["last"]["weights"]), ("optimizer", state["last"]["optimizer"])):
        path = out / CHECKPOINT_DIR / name
        whole = path.read_bytes()
        path.write_bytes(whole[:len(whole) // 2])
        with pytest.raises(OutputError, match=f"cannot resume: the checkpoint '{path}' is damaged") as exc:
            train(replace(config, resume=True))
        assert exc.value.hint == "start over with --force", key
        path.write_bytes(whole)


@pytest.mark.slow
def test_resume_continues_an_interrupted_run(tiny, tmp_path):
    """Interrupted after head epoch 1 of 2: the checkpoint (weights and loss-scaled optimizer
    state) resumes at epoch 2, keeps the history, refuses changed flags, and is removed
    once training finishes."""
    out = tmp_path / "out"
    # Mixed precision as on a GPU (float16 backbone, loss-scaled optimizer), on the CPU.
    config = TrainConfig(data=tiny, out=out, epochs=2, batch_size=4, val_split=0.4, seed=3,
                         mixed_precision=True)

    def stop(record):
        raise _Stop()

    with pytest.raises(_Stop):
        train(config, Callbacks(on_epoch=stop))
    state = json.loads((out / CHECKPOINT_DIR / STATE_NAME).read_text())
    assert (state["phase"], state["epoch"], len(state["history"])) == ("head", 1, 1)
    from effkit.training.checkpoints import epochs_done

    assert epochs_done(out / CHECKPOINT_DIR) == 1  # what the interrupt line counts
    assert epochs_done(tmp_path) is None
    assert not (out / "model.weights.h5").exists()
    with pytest.raises(OutputError, match="is not empty") as exc:
        validate(config)
    assert "--resume" in exc.value.hint
    with pytest.raises(UsageError, match="cannot resume: --epochs was 2, now 3"):
        train(replace(config, epochs=3, resume=True))

    seen = []
    result = train(replace(config, resume=True),
                   Callbacks(on_epoch=seen.append))
    assert [(r.phase, r.epoch) for r in seen] == [("head", 2)]
    history = result.summary["history"]
    assert [(h["phase"], h["epoch"]) for h in history] == [("head", 1), ("head", 2)]
    result.to_dict()["history"][0]["loss"] = -1.0  # the caller's copy, nested dicts too
    assert history[0]["loss"] != -1.0
    assert history[0] == state["history"][0]
    # the same numbers as a run that was never interrupted: the weights and optimizer come
    # from the checkpoint, the augmentation and the dropout masks from (seed, epoch)
    whole = train(replace(config, out=tmp_path / "whole")).summary["history"]
    for resumed, uninterrupted in zip(history, whole, strict=True):
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert resumed[key] == pytest.approx(uninterrupted[key], rel=1e-5, abs=1e-6), key
    assert not (out / CHECKPOINT_DIR).exists()
    assert sorted(p.name for p in out.iterdir()) == ["labels.txt", "model.weights.h5",
                                                     "train.json"]
    assert result.summary["placement"]["mixed_precision"] is True

    # stopped after its last epoch was checkpointed (before the outputs were written):
    # --resume has no epoch left to run, and writes the outputs
    last = tmp_path / "last"
    with pytest.raises(_Stop):
        train(replace(config, out=last), Callbacks(on_epoch=lambda r: r.epoch == 2 and stop(r)))
    assert json.loads((last / CHECKPOINT_DIR / STATE_NAME).read_text())["done"] == ["head"]
    seen.clear()
    again = train(replace(config, out=last, resume=True), Callbacks(on_epoch=seen.append))
    assert seen == [] and [(h["phase"], h["epoch"]) for h in again.summary["history"]] == [
        ("head", 1), ("head", 2)]
    assert (last / "model.weights.h5").is_file() and not (last / CHECKPOINT_DIR).exists()
    import keras

    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored


@pytest.mark.slow
def test_an_interrupted_force_build_run_resumes_with_its_build(tiny, tmp_path):
    """train --force --build interrupted during training, then --resume --build: the resume
    said the earlier build folder was "not empty", and --force does not go with --resume,
    so only deleting it by hand went on (a walk). The resumed run replaces that build, as a
    resume without --build removes it."""
    out = tmp_path / "out"
    flags = ["--data", str(tiny), "--out", str(out), "--epochs", "2", "--batch-size", "4",
             "--val-split", "0.4", "--build", "--target", "cpu"]
    first = CliRunner().invoke(app, ["train", *flags[:5], "1", *flags[6:]])
    assert first.exit_code == 0, first.stderr
    built = out / "lite0-cpu" / "build.json"
    before = built.read_bytes()

    def stop(record):
        raise _Stop()

    with pytest.raises(_Stop):  # the --force run, stopped after its first epoch
        train(TrainConfig(data=tiny, out=out, epochs=2, batch_size=4, val_split=0.4, force=True),
              Callbacks(on_epoch=stop))
    resumed = CliRunner().invoke(app, ["train", *flags, "--resume", "--json"])
    assert resumed.exit_code == 0, resumed.stdout
    assert json.loads(resumed.stdout)["build"]["out_dir"] == str(out / "lite0-cpu")
    assert built.read_bytes() != before  # built again from the resumed run's weights


@pytest.mark.slow
def test_multi_worker_from_tf_config(tiny, tmp_path):
    """Two local workers, each given TF_CONFIG, run the same command:
    MultiWorkerMirroredStrategy with 2 replicas, identical metrics on both workers, and only
    the chief (worker 0) writes --out (random backbone weights: this tests the plumbing)."""
    import os
    import socket
    import subprocess
    import sys

    socks = [socket.socket() for _ in range(2)]
    for sock in socks:
        sock.bind(("localhost", 0))
    cluster = {"worker": [f"localhost:{sock.getsockname()[1]}" for sock in socks]}
    for sock in socks:
        sock.close()
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "effkit.cli.main", "train", "--data", str(tiny), "--out",
            str(out), "--epochs", "2", "--batch-size", "4", "--val-split", "0.4",
            "--weights", "random", "--json"]
    procs, logs = [], []
    try:
        for index in range(2):
            tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
            env = dict(os.environ, TF_CONFIG=json.dumps(tf_config), CUDA_VISIBLE_DEVICES="-1")
            stdout, stderr = tmp_path / f"w{index}.json", tmp_path / f"w{index}.err"
            logs.append((stdout, stderr))
            with stdout.open("w") as fo, stderr.open("w") as fe:
                procs.append(subprocess.Popen(argv, env=env, stdout=fo, stderr=fe))
        codes = [proc.wait(timeout=900) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert codes == [0, 0], [err.read_text()[-2000:] for _, err in logs]
    docs = [json.loads(o.read_text()) for o, _ in logs]
    for index, doc in enumerate(docs):
        assert doc["placement"] == {"kind": "multi-worker", "replicas": 2,
                                    "mixed_precision": False, "chief": index == 0}
    # One model trained in lockstep: the same metrics on both workers.
    metrics = [[{k: v for k, v in h.items() if k != "seconds"} for h in doc["history"]]
               for doc in docs]
    assert metrics[0] == metrics[1] and len(metrics[0]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["labels.txt", "model.weights.h5",
                                                     "train.json"]
    assert json.loads((out / "train.json").read_text())["placement"]["chief"] is True


@pytest.mark.slow
def test_train_fine_tune_and_int8_build(superclasses, tmp_path, monkeypatch):
    """lite0 on 4 classes (28 training, 20 validation images): head for 6 epochs,
    1 fine-tuning epoch, then the build pipeline to int8 calibrated on the training
    images, for --target coral on a machine without the compiler: the build folder has
    effkit build's shape (OUT/lite0-coral/coral/) and the run ends with the warning
    effkit build ends with.

    Threshold: validation accuracy >= 0.80 (chance is 0.25). The validation images are
    other views of the training photos, so this checks that training and the build work,
    not how well a model generalizes. The int8 model may lose at most one image (5 points)
    against the float model on the same 20 images.
    """
    import numpy as np

    from effkit.analysis.evaluate import LabelledImage, TFLiteClassifier, evaluate, keras_predictor
    from effkit.metadata.reader import labels_from_model
    from effkit.model.network import build_model
    from effkit.model.variants import get_variant
    from effkit.weights.load import load_weights, num_classes_of

    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no edgetpu_compiler, no docker
    monkeypatch.delenv("EFFKIT_EDGETPU_COMPILER", raising=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [
        "train", "--variant", "lite0", "--data", str(superclasses), "--out", str(out),
        "--val-split", "0.4", "--epochs", "6", "--fine-tune-epochs", "1", "--batch-size", "16",
        "--seed", "0", "--build", "--target", "coral", "--json"])
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())  # the console wraps long lines
    # 28 training images calibrate the int8 model: the build's few-images warning, as a
    # --calibration folder of 28 gets, then the closing compiler warning
    assert said.count("warning:") == 2, result.stderr
    # with --json the long part still shows progress on stderr: the data line, every epoch
    assert "4 classes, 28 training and 20 validation images" in said and "head 1/6 loss" in said
    assert "warning: int8 calibrated on only 28 images from the training split" in said
    # the console may break the long temporary path anywhere, so look for it without spaces
    assert ("warning: the Edge TPU model was not compiled (no edgetpu_compiler" in said
            and "effkit compile-edgetpu" in said
            and "lite0-coral/" in "".join(result.stderr.split())), result.stderr
    built = out / "lite0-coral"
    assert (built / "coral" / "install.sh").is_file() and not (built / "coral" / "coral").exists()
    doc = json.loads(result.stdout)
    classes = ["cats", "food", "rockets", "vehicles"]
    assert doc["classes"] == classes
    assert (out / "labels.txt").read_text(encoding="utf-8").splitlines() == classes
    assert json.loads((out / "train.json").read_text())["build"] == doc["build"]
    phases = [h["phase"] for h in doc["history"]]
    assert phases.count("head") >= 1 and phases[-1] == "fine_tune"
    assert doc["val_accuracy"] >= 0.80, doc["history"]

    # The weights file carries its class count and loads into a plain build_model.
    weights = out / "model.weights.h5"
    assert num_classes_of(weights) == 4
    variant = get_variant("lite0")
    model = build_model(variant, num_classes=4)
    load_weights(model, variant, weights)

    data = scan(superclasses, val_split=0.4, seed=0)
    items = [LabelledImage(Path(e.path), e.label) for e in data.val]
    float_eval = evaluate(keras_predictor(model), variant.resolution, items)
    assert float_eval.count == 20
    assert abs(float_eval.top1 - doc["val_accuracy"]) <= 1.5 / 20  # same preprocessing

    tflite = built / "model.tflite"
    assert labels_from_model(tflite.read_bytes()) == classes
    int8 = TFLiteClassifier(tflite)
    assert int8.input["dtype"] == np.uint8
    int8_eval = evaluate(int8.scores, int8.resolution, items)
    assert doc["build"]["val_accuracy"] == pytest.approx(int8_eval.top1)
    assert doc["build"]["calibration"]["count"] == 28  # the training split only
    manifest = json.loads((built / "build.json").read_text())
    assert manifest["metadata"]["labels"] == "the training classes"
    kept = manifest["warnings"]
    assert len(kept) == 1 and "only 28 images from the training split" in kept[0]
    assert doc["build"]["warnings"] == kept  # the build section carries them too
    assert int8_eval.top1 >= float_eval.top1 - 1.5 / 20, (int8_eval.top1, float_eval.top1)

    # train --force replaces the weights: the build made from the old ones goes with them,
    # unless it holds a file of the user's (refused before training)
    again = ["train", "--variant", "lite0", "--data", str(superclasses), "--out", str(out),
             "--val-split", "0.4", "--epochs", "1", "--batch-size", "16", "--force"]
    (built / "coral" / "notes.txt").write_text("mine")
    refused = CliRunner().invoke(app, again)
    _one_line_error(refused, 1, "holds files effkit did not write ('coral/notes.txt')")
    assert (built / "model.tflite").is_file()
    assert json.loads((out / "train.json").read_text())["build"] == doc["build"]  # untouched
    (built / "coral" / "notes.txt").unlink()
    result = CliRunner().invoke(app, again)
    assert result.exit_code == 0, result.stderr
    assert not built.exists() and "build" not in json.loads((out / "train.json").read_text())
    # and says so (it went without a word, an eval.json saved there with it: an outside walk)
    note = (f"note: removed {built} (built from the weights this run replaced; it held "
            "'build.json', 'coral', 'labels.txt', ...)")
    assert "".join(note.split()) in "".join(result.stderr.split()), result.stderr  # wrapped anywhere
    assert sorted(p.name for p in out.iterdir()) == ["labels.txt", "model.weights.h5", "train.json"]


@pytest.mark.slow
def test_the_api_reports_training_stages_like_build_stages(tiny, tmp_path):
    """effkit.train(progress=...) gives each stage a start, updates and an end (api.md's
    callback prints the starts and ends only: it printed nothing during training)."""
    import effkit

    events = []
    effkit.train(tiny, out=tmp_path / "out", epochs=1, batch_size=4, val_split=0.4,
                 progress=events.append)
    stages = list(dict.fromkeys(e.stage for e in events))
    assert stages == ["scan", "head epoch 1"]
    for stage in stages:
        kinds = [e.kind for e in events if e.stage == stage]
        assert kinds[0] == "start" and kinds[-1] == "end" and "update" in kinds, (stage, kinds)


@pytest.mark.slow
def test_a_batch_larger_than_the_training_split_is_cut_to_it(tiny, tmp_path):
    """--batch-size 100000 on 6 training images ended in a ResourceExhaustedError
    traceback (TensorFlow allocates the whole batch); the split's size is used instead."""
    config = TrainConfig(data=tiny, out=tmp_path / "out", epochs=1, batch_size=100_000,
                         val_split=0.4, seed=0)
    summary = train(config).summary
    assert summary["settings"]["batch_size"] == sum(c["train"] for c in summary["class_counts"].values())


@pytest.mark.slow
def test_images_whose_names_are_not_utf8_are_trained_on(tiny, tmp_path):
    """tf.data took the paths as UTF-8 text; they go in as the file system's bytes."""
    _undecodable_names(tiny)
    summary = train(TrainConfig(data=tiny, out=tmp_path / "out", epochs=1, batch_size=8,
                                val_split=0.4, seed=0)).summary
    assert summary["train_images"] + summary["val_images"] == 10 and not summary["skipped"]


@pytest.mark.slow
def test_the_python_api_trains_without_tensorflows_start_up_lines(tiny, tmp_path):
    """effkit.train (progress=None: quiet, docs/api.md) keeps TensorFlow's C++ start-up lines
    (the oneDNN notice, absl's warning) off stderr, as the CLI does. A fresh process:
    TensorFlow prints them only on its first import."""
    import subprocess
    import sys

    code = (f"import effkit\n"
            f"effkit.train({str(tiny)!r}, out={str(tmp_path / 'out')!r}, epochs=1, batch_size=8)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "", run.stderr
    assert (tmp_path / "out" / "train.json").is_file()


@pytest.mark.slow
def test_a_build_that_fails_after_training_says_the_training_is_kept(tiny, tmp_path, edgetpu_logs,
                                                                      monkeypatch):
    """train --build whose Edge TPU compile fails: training finished and wrote its outputs,
    so the one error line says where they are and the build command that finishes the job
    (it said nothing of them, and --resume found no checkpoint to continue)."""
    import shlex

    from edgetpu_fixtures.standin import write_standin

    standin = write_standin(tmp_path / "bin", mode="fail",
                            replay=edgetpu_logs / "04-v16-fail-unresolved-custom-op.txt")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["train", "--data", str(tiny), "--out", str(out), "--epochs", "1",
                                 "--batch-size", "4", "--val-split", "0.4", "--weights", "random",
                                 "--build", "--target", "coral", "--compiler", str(standin), "--json"])
    assert result.exit_code != 0
    doc = json.loads(result.stdout)
    assert f"training finished and is kept in {out}" in doc["hint"], doc
    command = shlex.split(doc["hint"].split("build it with: ", 1)[1])
    assert command[:4] == ["effkit", "build", "--variant", "lite0"] and command[-2:] == ["--target", "coral"]
    assert command[command.index("--weights") + 1] == str(out / "model.weights.h5")
    assert (out / "model.weights.h5").is_file() and (out / "train.json").is_file()
    assert not (out / "lite0-coral").exists()


@pytest.mark.slow
def test_a_trained_android_app_says_where_its_weights_and_labels_are(tiny, tmp_path):
    """The app's README rebuild command gave the 1000-class ImageNet app for a trained one
    (it left the weights, labels and calibration out as paths of this machine): they are
    placeholders now, and the README says where 'effkit train' keeps them."""
    import shlex

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["train", "--data", str(tiny), "--out", str(out), "--epochs", "1",
                                      "--batch-size", "4", "--val-split", "0.4", "--build",
                                      "--target", "android", "--json"])
    assert result.exit_code == 0, result.stdout
    lines = (out / "lite0-android" / "android" / "README.md").read_text(encoding="utf-8").splitlines()
    argv = shlex.split(next(x for x in lines if x.startswith("effkit build ")))
    assert [argv[argv.index(f) + 1] for f in ("--weights", "--labels", "--calibration")] == [
        "WEIGHTS", "LABELS", "IMAGES"]
    text = " ".join(lines)
    assert "trained by `effkit train`, whose output folder holds the weights (`model.weights.h5`)" in text
    assert {"model.weights.h5", "labels.txt"} <= {p.name for p in out.iterdir()}


def test_random_weights_without_fine_tuning_are_warned_of(tiny, tmp_path):
    """--weights random trains a head on a frozen backbone of random weights, which never
    learns features: train.json said nothing (weights walk)."""
    from effkit.training.trainer import _settings_warnings

    (line,) = _settings_warnings(TrainConfig(data=tiny, out=tmp_path / "o", weights="random"))
    assert "frozen backbone of random weights" in line and "--fine-tune-epochs N" in line
    assert _settings_warnings(TrainConfig(data=tiny, out=tmp_path / "o", weights="random",
                                          fine_tune_epochs=2)) == []
    assert _settings_warnings(TrainConfig(data=tiny, out=tmp_path / "o")) == []


def test_train_json_holds_names_that_are_not_utf8(tiny, tmp_path):
    """An unreadable photo or one at the top of --data with byte 0xFF in its name is listed
    in train.json: writing it ended train in a UnicodeEncodeError after the epochs (the
    review); such a byte shows as U+FFFD there, as in --json."""
    import os

    from effkit.training.trainer import SUMMARY_NAME, write_summary

    (tiny / "food" / "bad\udcff.jpg").write_bytes(b"not an image")
    os.rename(os.fsencode(tiny / "food" / "bad\udcff.jpg"), os.fsencode(tiny / "food") + b"/bad\xff.jpg")
    open(os.fsencode(tiny) + b"/caf\xe9.jpg", "wb").close()
    data = scan(tiny, val_split=0.4, seed=0)
    assert data.skipped and data.ignored
    write_summary(tmp_path, {"skipped": list(data.skipped), "ignored": list(data.ignored)})
    doc = json.loads((tmp_path / SUMMARY_NAME).read_text(encoding="utf-8"))
    assert any("bad\ufffd.jpg" in s for s in doc["skipped"]), doc
    assert any("caf\ufffd.jpg" in s for s in doc["ignored"]), doc


def test_a_class_folder_linked_to_nothing_is_named(tiny, tmp_path):
    """A class folder that is a symbolic link to an unmounted disk vanished from the model
    (three classes trained, no word), and from eval's score (a walk): both name it."""
    from effkit.analysis.evaluate import labelled_images

    (tiny / "horse").symlink_to(tmp_path / "unmounted" / "horses")
    with pytest.raises(DataError, match="'horse' in .* is a symbolic link to .*horses'?, which does "
                                        "not exist: its images would be left out") as exc:
        scan(tiny, val_split=0.4, seed=0)
    assert "reconnect it" in exc.value.hint
    with pytest.raises(DataError, match="'horse' in .* is a symbolic link"):
        labelled_images(tiny, ["food", "vehicles"], 2)
    (tiny / "horse").unlink()
    (tiny / "notes.jpg").symlink_to(tmp_path / "gone.jpg")  # an image name: skipped and counted, as before
    (tiny / "README.md").symlink_to(tmp_path / "README.md")  # a file's name: no class (the review)
    assert scan(tiny, val_split=0.4, seed=0).classes == ("food", "vehicles")
    (tiny / "Mr. Smith").symlink_to(tmp_path / "smith")  # a dot, but a folder's name
    with pytest.raises(DataError, match="'Mr. Smith' in .* is a symbolic link"):
        scan(tiny, val_split=0.4, seed=0)


def test_a_class_left_with_one_image_by_unreadable_ones_says_so(tiny):
    """Three photos, two of them HEIC: 'class has only 1 readable image ... add images' hid
    that two were skipped and why (a walk)."""
    vehicles = sorted((tiny / "vehicles").iterdir())
    for p in vehicles[1:]:
        p.unlink()
    (tiny / "vehicles" / "1.heic").write_bytes(b"\0\0\0\x18ftypheic")
    (tiny / "vehicles" / "2.HEIC").write_bytes(b"\0\0\0\x18ftypheic")
    with pytest.raises(DataError) as exc:
        scan(tiny, val_split=0.4, seed=0)
    line = exc.value.one_line()
    assert "class 'vehicles' has only 1 readable image (2 more skipped as unreadable; first: " in line
    assert "1.heic: " in line and "Convert or replace the unreadable images" in line, line


def test_split_folders_given_as_class_folders_are_warned_of(tiny, tmp_path):
    """data/train and data/val (Keras's layout) passed as --data trained a 'train vs val'
    classifier without a word (a walk)."""
    data = tmp_path / "data"
    data.mkdir()
    for split, cls in (("train", "food"), ("val", "vehicles")):
        (data / split).symlink_to(tiny / cls)
    warned = scan(data, val_split=0.4, seed=0).warnings
    assert any(w.startswith("the class folders are 'train' and 'val': a dataset's splits, not its "
                            "classes? For class folders inside them pass --data DATA/train") for w in warned)
    assert not any("splits" in w for w in scan(tiny, val_split=0.4, seed=0).warnings)
