"""effkit eval: both labelled-folder layouts, agreement with an independent computation
(LiteRT Interpreter + PIL written here), --compare, corrupt images, --save, bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from _lite0_builds import copy_build, eval_images, lite0_builds
from helpers import assert_one_line_error, assert_progress_lines, link_all
from typer.testing import CliRunner

from effkit.analysis.evaluate import (
    LAYOUT_FOLDERS,
    LAYOUT_IMAGENET,
    TFLiteClassifier,
    imagenet_wnids,
    labelled_images,
    paired_se_points,
)
from effkit.cli.main import app
from effkit.errors import DataError
from effkit.model.labels import imagenet_labels

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["eval", *map(str, args)])




def wnid_of(path: Path) -> str:
    return path.name.split("_")[0]


@pytest.fixture(scope="module")
def images(photo_dir) -> list[Path]:
    return eval_images(photo_dir)


@pytest.fixture(scope="module")
def files_layout(images, tmp_path_factory) -> Path:
    """ImageNet-style <wnid>_<name>.JPEG files, symlinked."""
    return link_all(images, tmp_path_factory.mktemp("files") / "imagenet")


@pytest.fixture(scope="module")
def folders_layout(images, tmp_path_factory, imagenet_index) -> Path:
    """The same photos as one sub-folder per class, named by label (by wnid where the
    ImageNet name is not unique, as for the two 'crane' classes)."""
    labels = imagenet_labels()
    root = tmp_path_factory.mktemp("folders") / "classes"
    for p in images:
        name = labels[imagenet_index[wnid_of(p)]]
        folder = name if labels.count(name) == 1 else wnid_of(p)
        link_all([p], root / folder)
    return root


# --------------------------------------------------------------------------- layouts (no model)


def test_bundled_wnids_are_the_sorted_imagenet_index(imagenet_index):
    wnids = imagenet_wnids()
    assert len(wnids) == len(set(wnids)) == 1000 and wnids == sorted(wnids)
    assert {w: i for i, w in enumerate(wnids)} == imagenet_index
    # ImageNet's own indices of a few classes (tench, tabby, espresso; the photos' classes)
    assert (wnids[0], wnids[281], wnids[967]) == ("n01440764", "n02123045", "n07920052")
    assert imagenet_labels()[281] == "tabby" and imagenet_labels()[967] == "espresso"


def test_imagenet_files_layout(files_layout, images, imagenet_index):
    found = labelled_images(files_layout, None, 1000)
    assert found.layout == LAYOUT_IMAGENET and not found.unlabelled
    assert {(it.path.name, it.label) for it in found.items} == {
        (p.name, imagenet_index[wnid_of(p)]) for p in images}


def test_class_folders_layout_by_label_and_by_wnid(folders_layout, images, imagenet_index, tmp_path):
    found = labelled_images(folders_layout, imagenet_labels(), 1000)
    assert found.layout == LAYOUT_FOLDERS
    assert sorted((it.path.name, it.label) for it in found.items) == sorted(
        (p.name, imagenet_index[wnid_of(p)]) for p in images)
    # ImageNet's own train layout: folders named by wnid; underscores and case are forgiven.
    root = tmp_path / "mixed"
    link_all(images[:1], root / wnid_of(images[0]))
    link_all(images[1:2], root / "Great_White_Shark")
    link_all(images[2:3], root)  # a loose file next to class folders: not labelled
    link_all(images[3:4], root / ".cache")  # hidden folders are ignored
    found = labelled_images(root, imagenet_labels(), 1000)
    assert sorted(it.label for it in found.items) == sorted(
        [imagenet_index[wnid_of(images[0])], imagenet_labels().index("great white shark")])
    assert found.unlabelled == (str(root / images[2].name),)


def test_class_folders_with_a_users_labels(tmp_path, images):
    labels = ["cat", "dog", "traffic light"]
    link_all(images[:2], tmp_path / "d" / "dog")
    link_all(images[2:3], tmp_path / "d" / "traffic_light")
    found = labelled_images(tmp_path / "d", labels, 3)
    assert sorted(it.label for it in found.items) == [1, 1, 2]
    # a folder copied from a Mac spells 'café' decomposed (NFD): the same label, not "matches
    # none of ... 'café'" naming two names that look the same (an outside walk)
    link_all(images[3:4], tmp_path / "mac" / "cafe\u0301 au lait")
    found = labelled_images(tmp_path / "mac", ["cat", "café au lait"], 2)
    assert [it.label for it in found.items] == [1]


@pytest.mark.parametrize("setup, needle", [
    (lambda root, imgs: link_all(imgs[:1], root / "zebra_crossing"),
     re.escape("matches none of the model's 1000 labels ('tench', 'goldfish', 'great white shark', ...)")),
    (lambda root, imgs: link_all(imgs[:1], root / "crane"), "matches 2 labels"),
    (lambda root, imgs: root.mkdir(), "has no images"),
])
def test_layout_errors(tmp_path, images, setup, needle):
    setup(tmp_path / "d", images)
    with pytest.raises(DataError, match=needle) as err:
        labelled_images(tmp_path / "d", imagenet_labels(), 1000)
    assert err.value.hint


def test_wnid_files_need_a_1000_or_1001_class_model(files_layout, images, imagenet_index, tmp_path):
    with pytest.raises(DataError, match="need a model of 1000 or 1001 classes"):
        labelled_images(files_layout, ["a", "b"], 2)
    # 1001 classes, "background" first (TF-slim, the Coral model zoo): every class one further
    found = labelled_images(files_layout, None, 1001)
    assert sorted((it.path.name, it.label) for it in found.items) == sorted(
        (p.name, imagenet_index[wnid_of(p)] + 1) for p in images)
    link_all(images[:1], tmp_path / "by-wnid" / wnid_of(images[0]))
    (one,) = labelled_images(tmp_path / "by-wnid", None, 1001).items
    assert one.label == imagenet_index[wnid_of(images[0])] + 1


def test_class_folders_need_labels(tmp_path, images):
    link_all(images[:1], tmp_path / "d" / "dog")
    with pytest.raises(DataError, match="no labels") as err:
        labelled_images(tmp_path / "d", None, 10)
    assert "--labels" in err.value.hint


# --------------------------------------------------------------------------- CLI errors (no model)


def test_cli_errors_are_one_line(tmp_path, files_layout):
    assert_one_line_error(run(tmp_path / "none.tflite", "--data", files_layout), "does not exist")
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"not a flatbuffer at all" * 10)
    assert_one_line_error(run(junk, "--data", files_layout))
    result = run(tmp_path / "none.tflite")
    assert result.exit_code != 0 and "--data" in result.output + result.stderr


# --------------------------------------------------------------------------- real lite0 models


@pytest.fixture(scope="module")
def builds(tmp_path_factory, photo_dir) -> dict[str, Path]:
    return lite0_builds(tmp_path_factory, photo_dir)


def independent_top1(model: Path, paths: list[Path]) -> list[int]:
    """Top-1 computed without effkit: LiteRT Interpreter on raw uint8 pixels (the uint8
    model's input quantization, scale 1/128 and zero point 127, is exactly (x-127)/128),
    PIL central crop of side min(w,h)*R/(R+32), then a bicubic resize of the crop."""
    from ai_edge_litert.interpreter import Interpreter
    from PIL import Image

    it = Interpreter(model_path=str(model))
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    assert inp["dtype"] == np.uint8 and inp["quantization"] == (pytest.approx(1 / 128), 127)
    res = int(inp["shape"][1])
    tops = []
    for p in paths:
        with Image.open(p) as img:
            img = img.convert("RGB")
            side = int(min(img.size) * res / (res + 32))
            left, top = (img.width - side + 1) // 2, (img.height - side + 1) // 2
            crop = img.crop((left, top, left + side, top + side)).resize((res, res), Image.BICUBIC)
        it.set_tensor(inp["index"], np.asarray(crop, dtype=np.uint8)[None])
        it.invoke()
        tops.append(int(np.argmax(it.get_tensor(out["index"])[0])))
    return tops


@pytest.mark.slow
def test_eval_agrees_with_an_independent_computation(builds, files_layout, images, imagenet_index):
    model = builds["int8"] / "model.tflite"
    result = run(model, "--data", files_layout, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["layout"] == LAYOUT_IMAGENET and doc["count"] == len(images) and doc["skipped"] == 0
    truth = [imagenet_index[wnid_of(p)] for p in images]
    mine = independent_top1(model, images)
    expected_top1 = sum(a == b for a, b in zip(mine, truth, strict=True)) / len(images)
    # Same photos, same model; crop-then-resize differs from resize-with-box by a few
    # pixel levels at the crop edge, which may flip at most one close call.
    assert abs(doc["top1"] - expected_top1) <= 1 / len(images) + 1e-9
    assert doc["top1"] >= 0.7, doc["top1"]  # float lite0: 18/24, a cat class for each cat
    assert doc["top5"] >= doc["top1"]
    per_class = {c["index"]: c for c in doc["per_class"]}
    assert set(per_class) == set(truth)
    assert sum(c["images"] for c in per_class.values()) == len(images)
    assert per_class[truth[0]]["label"] == imagenet_labels()[truth[0]]


@pytest.mark.slow
def test_both_layouts_give_the_same_figures(builds, files_layout, folders_layout):
    model = builds["int8"] / "model.tflite"
    docs = []
    for data in (files_layout, folders_layout):
        result = run(model, "--data", data, "--json")
        assert result.exit_code == 0, result.stderr
        docs.append(json.loads(result.stdout))
    assert docs[1]["layout"] == LAYOUT_FOLDERS
    for key in ("top1", "top5", "count", "per_class"):
        assert docs[0][key] == docs[1][key], key


@pytest.mark.slow
def test_compare_int8_with_float(builds, files_layout, images):
    int8, f32 = builds["int8"] / "model.tflite", builds["float32"] / "model.tflite"
    result = run(int8, "--data", files_layout, "--compare", f32, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    other = doc["compare"]
    assert other["model"]["path"] == str(f32) and other["model"]["input_dtype"] == "float32"
    assert other["count"] == doc["count"] == len(images)
    assert other["agreement"] >= 0.8
    differ = other["disagreements"]
    assert len(differ) == round(len(images) * (1 - other["agreement"]))
    for d in differ:
        assert d["top1"] != d["other_top1"] and d["label_name"] == imagenet_labels()[d["label"]]
    # The top-1 difference is made only on the images where exactly one model is right,
    # and its noise is said with it.
    first, second = other["only_model_right"], other["only_compare_right"]
    assert first == sum(d["top1"] == d["label"] for d in differ)
    assert second == sum(d["other_top1"] == d["label"] for d in differ)
    assert (first - second) / doc["count"] == pytest.approx(doc["top1"] - other["top1"], abs=1e-3)
    assert other["top1_difference_se_points"] == round(paired_se_points(first, second, doc["count"]), 2)
    # The human-readable form shows both models, the agreement and the difference's noise.
    text = run(int8, "--data", files_layout, "--compare", f32)
    assert text.exit_code == 0 and "top-1 agreement" in text.stdout and "images differ" in text.stdout
    assert "top-1 difference" in text.stdout
    assert ("standard error" in text.stdout) == (first + second > 0)


@pytest.mark.slow
def test_corrupt_images_are_skipped_and_counted(builds, images, tmp_path):
    data = link_all(images[:4], tmp_path / "d")
    (data / "n01440764_truncated.JPEG").write_bytes(Path(images[0]).read_bytes()[:300])
    (data / "n01443537_not_an_image.JPEG").write_text("hello")
    result = run(builds["int8"] / "model.tflite", "--data", data, "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["count"] == 4 and doc["skipped"] == 2 and doc["images"] == 6
    assert any(s.endswith("not_an_image.JPEG: not an image Pillow can decode (damaged, or "
                          "another format under an image suffix)") for s in doc["skipped_files"])
    assert any("truncated.JPEG: damaged image (" in s for s in doc["skipped_files"])
    text = run(builds["int8"] / "model.tflite", "--data", data)
    assert "skipped 2 unreadable" in text.stdout


@pytest.mark.slow
def test_limit_labels_and_threads(builds, files_layout, tmp_path):
    model = builds["int8"] / "model.tflite"
    result = run(model, "--data", files_layout, "--limit", 5, "--threads", 2, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["count"] == 5
    assert_progress_lines(result.stderr, "Evaluating")  # stderr is not a terminal here
    bad = tmp_path / "labels.txt"
    bad.write_text("a\nb\n")
    assert_one_line_error(run(model, "--data", files_layout, "--labels", bad), "2 labels", "1000 outputs")
    assert_one_line_error(run(model, "--data", files_layout, "--limit", 0), "--limit")
    # wnid-named photos take their classes from their names: a labels file would be ignored
    reversed_labels = tmp_path / "reversed.txt"
    reversed_labels.write_text("".join(f"{name}\n" for name in reversed(imagenet_labels())))
    assert_one_line_error(run(model, "--data", files_layout, "--labels", reversed_labels),
                          "would not be used", "rop --labels")


@pytest.mark.slow
def test_save_writes_eval_json_into_the_build_folder(builds, files_layout, tmp_path):
    build = copy_build(builds["int8"], tmp_path / "b")
    model = build / "model.tflite"
    result = run(model, "--data", files_layout, "--limit", 4, "--save", "--json")
    assert result.exit_code == 0, result.stderr
    saved = json.loads((build / "eval.json").read_text())
    assert saved["effkit_eval"] == 1 and saved["count"] == 4
    manifest = json.loads((build / "build.json").read_text())
    assert saved["model"]["sha256"] == manifest["artifacts"][0]["sha256"]
    # Never replaced without --force; the refusal comes before any evaluation.
    earlier = (build / "eval.json").read_text()
    (build / "eval.json").write_text("{\"mine\": 1}")
    assert_one_line_error(run(model, "--data", files_layout, "--save"),
                          "already exists. Pass --force to replace it.")
    # the same model twice would save twice to one file: refused before any work (an outside walk)
    again = build / ".." / "b" / "model.tflite"
    assert_one_line_error(run(model, "--data", files_layout, "--compare", again, "--save", "--force"),
                          "saves its eval results to the same file as", "Compare two different models")
    # --force replaces an earlier eval result, never a user's file of that name
    assert_one_line_error(run(model, "--data", files_layout, "--save", "--force"),
                          "is not an effkit eval result, so --force does not replace it")
    assert json.loads((build / "eval.json").read_text()) == {"mine": 1}
    (build / "eval.json").write_text(earlier)
    assert run(model, "--data", files_layout, "--limit", 4, "--save", "--force").exit_code == 0
    # A model outside a build folder gets <stem>.eval.json beside it.
    loose = tmp_path / "m.tflite"
    loose.write_bytes(model.read_bytes())
    assert run(loose, "--data", files_layout, "--limit", 2, "--save").exit_code == 0
    assert json.loads((tmp_path / "m.eval.json").read_text())["count"] == 2


@pytest.mark.slow
def test_fidelity_reads_the_int8_logits_and_agrees_with_eval_compare(builds, images):
    """The logits read from the int8 model are the ones its 8-bit softmax turned into its
    scores, and effkit.analysis.evaluate.fidelity counts agreement as `effkit eval --compare` does."""
    from effkit.analysis.evaluate import LabelledImage as Item
    from effkit.analysis.evaluate import (
        Predictor,
        TFLiteClassifier,
        agreement,
        evaluate_many,
        fidelity,
        softmax,
    )
    from effkit.model.preprocess import iter_images

    int8 = TFLiteClassifier(builds["int8"] / "model.tflite", xnnpack=False, preserve_all_tensors=True)
    f32 = TFLiteClassifier(builds["float32"] / "model.tflite")
    items = [Item(p, 0) for p in images[:12]]
    a, b = evaluate_many([Predictor(f32.scores, f32.resolution),
                          Predictor(int8.scores, int8.resolution)], items)
    pixels = [px for _, px in iter_images(images[:12], int8.resolution)]
    pairs = [int8.scores_and_logits(px) for px in pixels]
    for scores, logits in pairs:
        assert np.abs(softmax(logits) - scores).max() <= 2 / 256
    f = fidelity(np.stack([f32.scores(px) for px in pixels]), np.stack([s for s, _ in pairs]),
                 quant_probs=softmax(np.stack([lg for _, lg in pairs])))
    assert f.images == 12 and f.agreement == agreement(a, b).agreement
    assert 0 <= f.kl < 0.5 and 0.9 < f.cosine <= 1.0 + 1e-9


@pytest.mark.slow
def test_no_xnnpack_runs_the_reference_kernels_and_says_which_ran(builds, files_layout):
    model = builds["int8"] / "model.tflite"
    docs = {}
    for flag in ("--xnnpack", "--no-xnnpack"):
        result = run(model, "--data", files_layout, "--limit", 6, flag, "--json")
        assert result.exit_code == 0, result.stderr
        docs[flag] = json.loads(result.stdout)
    # the record comes from the interpreter's execution plan, not from the flag
    assert docs["--xnnpack"]["xnnpack"] is True and docs["--no-xnnpack"]["xnnpack"] is False
    assert docs["--xnnpack"]["count"] == docs["--no-xnnpack"]["count"] == 6
    text = run(model, "--data", files_layout, "--limit", 2, "--no-xnnpack")
    assert text.exit_code == 0 and "reference kernels" in " ".join(text.stdout.split())


def _blue_probe(tmp_path: Path, mean, std) -> Path:
    """A float model that answers "low" when the image's normalized blue channel is below
    0 and "high" otherwise, with classifier metadata normalizing by ``mean``/``std``."""
    import keras

    from effkit.metadata import attach_classifier_metadata
    from effkit.pipeline.convert import ConvertOptions, convert

    inputs = keras.Input((16, 16, 3))
    dense = keras.layers.Dense(2, activation="softmax")
    model = keras.Model(inputs, dense(keras.layers.GlobalAveragePooling2D()(inputs)))
    dense.set_weights([np.array([[0, 0], [0, 0], [-8, 8]], np.float32), np.zeros(2, np.float32)])
    data = attach_classifier_metadata(
        convert(model, ConvertOptions(quant="float32")), labels=["low", "high"], norm_mean=mean,
        norm_std=std, name="probe", description="blue probe", version="1", author="effkit tests",
        license="Apache-2.0")
    path = tmp_path / "probe.tflite"
    path.write_bytes(data)
    return path


def test_per_channel_normalization_in_the_metadata_is_applied_per_channel(tmp_path, images):
    """Metadata normalizing each channel its own way (another writer's, or effkit metadata
    with --mean given three times) was read by its first values alone: eval measured such a
    model on wrongly normalized input and printed 0% where the Task Library gave 100%."""
    import effkit

    probe = _blue_probe(tmp_path, (0.0, 0.0, 255.0), (255.0, 255.0, 255.0))
    clf = TFLiteClassifier(probe)
    assert (clf.mean, clf.std) == ((0.0, 0.0, 255.0), 255.0)
    grey = np.full((16, 16, 3), 200, np.uint8)  # blue (200 - 255) / 255 < 0: "low"
    assert int(np.argmax(clf.scores(grey))) == 0
    folder = tmp_path / "photos" / "low"
    link_all(images[:4], folder)
    result = effkit.evaluate(probe, tmp_path / "photos")
    assert result.top1 == 1.0, result.to_dict()
    assert list(result.to_dict()["model"]["normalization"]["mean"]) == [0.0, 0.0, 255.0]
    # one value per channel, all alike, reads as the one value
    (tmp_path / "same").mkdir()
    same = TFLiteClassifier(_blue_probe(tmp_path / "same", (127.0,) * 3, (128.0,) * 3))
    assert (same.mean, same.std) == (127.0, 128.0)
