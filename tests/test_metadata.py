"""TFLite metadata: schema bindings, writer, reader, JSON text, CLI, checked against tflite-support.

Models are real: a tiny Keras conv net converted by TensorFlow (float32, and full-integer
quantized with uint8 and int8 I/O). The oracle is tflite-support 0.4.4 (test environment
only: ``pip install --no-deps tflite-support==0.4.4``). Its package ``tflite_support`` does
not import next to protobuf >= 4 (its Task library protos), so the oracle is imported from
``tensorflow_lite_support.metadata.python.metadata`` (flatbuffers only), which works.
The golden files in tests/golden/ were written by tflite-support's own image classifier
writer (float32, uint8) and by effkit (int8, where effkit records the int8 value range).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from helpers import tflite_support_oracle, tiny_keras_classifier
from typer.testing import CliRunner

from effkit.cli.main import app
from effkit.errors import LabelsError, ModelFileError, UsageError
from effkit.metadata import (
    ClassificationOutputInfo,
    InputImageInfo,
    MetadataInfo,
    associated_files,
    attach_classifier_metadata,
    create_for_inference,
    labels_from_model,
    metadata_json,
    normalization,
    populate,
    remove_metadata,
    verify,
)
from effkit.metadata import metadata_schema_py_generated as fb
from effkit.metadata.model_file import named_metadata, root_table
from effkit.metadata.reader import read_metadata

GOLDEN = Path(__file__).parent / "golden"
GENERATED = Path(fb.__file__)
INFO = MetadataInfo(name="effkit tiny classifier",
                 description="A 16x16 test classifier \u2014 \u00fcn\u00efcode ok.",
                 version="v1.2", author="effkit tests", license="Apache-2.0")
LABELS = ["cat", "dog", "crane", "crane", "caf\u00e9"]
DTYPES = ("float32", "uint8", "int8")


# --- real models ---------------------------------------------------------------------------

def _convert(model, dtype: str) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype != "float32":
        def representative():
            rng = np.random.default_rng(0)
            for _ in range(8):
                yield [rng.uniform(-1, 1, (1, *model.input_shape[1:])).astype(np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = getattr(tf, dtype)
        converter.inference_output_type = getattr(tf, dtype)
    return converter.convert()


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    """A tiny RGB classifier (16x16x3 -> 5 classes) in float32, uint8 and int8 I/O."""
    model = tiny_keras_classifier(len(LABELS))
    return {dtype: _convert(model, dtype) for dtype in DTYPES}


@pytest.fixture(scope="module")
def vector_model() -> bytes:
    """A real model whose input is not an image (1x8 features)."""
    import keras

    inp = keras.Input((8,), batch_size=1)
    return _convert(keras.Model(inp, keras.layers.Dense(5, activation="softmax")(inp)), "float32")


def _attach(model_bytes: bytes, labels=LABELS, info=INFO) -> bytes:
    return create_for_inference(model_bytes, model_info=info, norm_mean=127.0, norm_std=128.0,
                                labels=labels)


def _run(model_bytes: bytes) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=model_bytes)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    x = (np.arange(int(np.prod(detail["shape"]))) % 251).reshape(detail["shape"])
    interpreter.set_tensor(detail["index"], x.astype(detail["dtype"]))
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


# --- writer and reader on real models -------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_metadata_json_matches_golden(models, dtype):
    out = _attach(models[dtype])
    assert metadata_json(out) == (GOLDEN / f"metadata_{dtype}.json").read_text(encoding="utf-8")
    assert labels_from_model(out) == LABELS
    assert normalization(out) == ((127.0,), (128.0,))
    assert associated_files(out) == {"labels.txt": "\n".join(LABELS).encode() + b"\n"}
    verify(out, LABELS)


@pytest.mark.parametrize("dtype", DTYPES)
def test_golden_is_what_tflite_supports_displayer_reads(models, dtype):
    """The golden files are not only what effkit wrote before: tflite-support's own
    MetadataDisplayer, reading the model effkit writes, prints exactly that JSON."""
    ref = tflite_support_oracle()[0]
    out = _attach(models[dtype])
    golden = (GOLDEN / f"metadata_{dtype}.json").read_text(encoding="utf-8")
    assert ref.MetadataDisplayer.with_model_buffer(out).get_metadata_json() == golden


@pytest.mark.parametrize("dtype", ("float32", "uint8"))
def test_same_metadata_as_tflite_support_image_classifier_writer(models, dtype, tmp_path):
    """tflite-support's own writer on the same model gives byte-identical metadata."""
    ref, ref_fb, _, image_classifier, metadata_info = tflite_support_oracle()
    labels_path = tmp_path / "labels.txt"
    labels_path.write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    tensor_types = {"float32": 0, "uint8": 3}
    writer = image_classifier.MetadataWriter.create_from_metadata_info(
        models[dtype],
        general_md=metadata_info.GeneralMd(name=INFO.name, version=INFO.version,
                                           description=INFO.description, author=INFO.author,
                                           licenses=INFO.license),
        input_md=metadata_info.InputImageTensorMd(
            name="image", description="Input image to be classified.", norm_mean=[127.0],
            norm_std=[128.0], color_space_type=ref_fb.ColorSpaceType.RGB,
            tensor_type=tensor_types[dtype]),
        output_md=metadata_info.ClassificationTensorMd(
            name="probability", description="Probabilities of the labels respectively.",
            label_files=[metadata_info.LabelFileMd(str(labels_path))],
            tensor_type=tensor_types[dtype]))
    theirs = bytes(writer.populate())
    ours = _attach(models[dtype])
    assert ref.get_metadata_buffer(ours) == ref.get_metadata_buffer(theirs)
    their_json = ref.MetadataDisplayer.with_model_buffer(theirs).get_metadata_json()
    assert metadata_json(ours) == their_json
    assert (GOLDEN / f"metadata_{dtype}.json").read_text(encoding="utf-8") == their_json


def test_tflite_support_displayer_reads_effkit_metadata(models):
    """(a) + (b): the oracle reads a quantized model written by effkit."""
    ref, *_ = tflite_support_oracle()
    from effkit.analysis.inspect import inspect_model

    out = _attach(models["uint8"])
    displayer = ref.MetadataDisplayer.with_model_buffer(out)
    assert displayer.get_metadata_json() == metadata_json(out)
    assert json.loads(displayer.get_metadata_json()) == inspect_model(out)["metadata"]
    assert displayer.get_packed_associated_file_list() == ["labels.txt"]
    packed = displayer.get_associated_file_buffer("labels.txt").decode("utf-8")
    assert packed.splitlines() == LABELS
    # tflite-support's populator can move effkit's metadata and files to another model.
    populator = ref.MetadataPopulator.with_model_buffer(models["uint8"])
    populator.load_metadata_and_associated_files(out)
    populator.populate()
    copied = bytes(populator.get_model_buffer())
    assert labels_from_model(copied) == LABELS and metadata_json(copied) == metadata_json(out)


def test_populated_model_runs_like_the_original(models):
    for dtype in DTYPES:
        out = _attach(models[dtype])
        np.testing.assert_array_equal(_run(out), _run(models[dtype]))
        # Buffers keep the schema's 16-byte alignment after re-packing.
        model = root_table(out)
        for i in range(model.BuffersLength()):
            if model.Buffers(i).DataLength():
                assert model.Buffers(i)._tab.Vector(4) % 16 == 0


def test_repopulation_replaces_metadata_and_files(models):
    first = _attach(models["uint8"])
    other = ["a", "b", "c", "d", "e"]
    second = _attach(first, labels=other, info=MetadataInfo(name="second"))
    assert labels_from_model(second) == other
    assert json.loads(metadata_json(second))["name"] == "second"
    assert associated_files(second) == {"labels.txt": b"a\nb\nc\nd\ne\n"}
    for model_bytes in (first, second):
        entries = [root_table(model_bytes).Metadata(i).Name()
                   for i in range(root_table(model_bytes).MetadataLength())]
        assert entries.count(b"TFLITE_METADATA") == 1
    # Replaced in place: no buffer is added by a second population.
    assert root_table(second).BuffersLength() == root_table(first).BuffersLength()
    third = _attach(second)
    assert third == first  # deterministic: same inputs, same bytes
    np.testing.assert_array_equal(_run(third), _run(models["uint8"]))


def test_stripped_then_repopulated_round_trip(models):
    """The Edge TPU flow: metadata stripped from a model, then attached again."""
    with_md = _attach(models["uint8"])
    stripped = remove_metadata(with_md)
    assert named_metadata(stripped, "TFLITE_METADATA") is None
    assert associated_files(stripped) == {} and labels_from_model(stripped) is None
    assert named_metadata(stripped, "min_runtime_version") is not None
    with pytest.raises(ModelFileError, match="no TFLite metadata"):
        metadata_json(stripped)
    np.testing.assert_array_equal(_run(stripped), _run(models["uint8"]))
    restored = _attach(stripped)
    assert metadata_json(restored) == metadata_json(with_md)
    assert labels_from_model(restored) == LABELS
    verify(restored, LABELS)
    # A converter output (never had metadata) gives the same result.
    assert _attach(remove_metadata(models["uint8"])) == restored


def test_attach_classifier_metadata_for_the_pipeline(models):
    out = attach_classifier_metadata(models["int8"], labels=LABELS, norm_mean=127.0,
                                     norm_std=128.0, name=INFO.name, description=INFO.description,
                                     version=INFO.version, author=INFO.author,
                                     license=INFO.license)
    assert out == _attach(models["int8"])
    verify(out, LABELS)
    with pytest.raises(ModelFileError, match="labels differ"):
        verify(out, ["cat", "dog", "crane", "crane", "cafe"])
    with pytest.raises(ModelFileError, match="no TFLite metadata"):
        verify(models["int8"], LABELS)


def test_unicode_round_trips_and_matches_the_displayer(models):
    ref, *_ = tflite_support_oracle()
    labels = ["\u732b", "d\u00f6g", "\U0001f426 bird", "a \"quoted\" \\ one", "tab\there"]
    info = MetadataInfo(name="\u6a21\u578b", description="line1\nline2", version="1", author="\u00e9",
                     license="\U0001f4dc")
    out = _attach(models["float32"], labels=labels, info=info)
    assert labels_from_model(out) == labels
    assert metadata_json(out) == ref.MetadataDisplayer.with_model_buffer(out).get_metadata_json()
    assert json.loads(metadata_json(out))["name"] == "\u6a21\u578b"


def test_populate_with_explicit_descriptions_orders_by_tensor_name(models):
    inputs = [InputImageInfo((127,), (128,), tensor_type="uint8", tensor_name="wrong")]
    outputs = [ClassificationOutputInfo(tensor_type="uint8")]
    files = {"labels.txt": b"x\n"}
    with pytest.raises(UsageError, match="do not match"):
        populate(models["uint8"], model_info=INFO, inputs=inputs, outputs=outputs, files=files)
    name = root_table(models["uint8"]).Subgraphs(0)
    name = name.Tensors(name.Inputs(0)).Name().decode()
    inputs = [InputImageInfo((127,), (128,), tensor_type="uint8", tensor_name=name)]
    out = populate(models["uint8"], model_info=INFO, inputs=inputs, outputs=outputs, files=files)
    assert read_metadata(out).subgraphMetadata[0].inputTensorMetadata[0].name == b"image"


_TASK_SCRIPT = """
import json, sys
import numpy as np
from tensorflow_lite_support.python.task.core import base_options
from tensorflow_lite_support.python.task.vision import image_classifier
from tensorflow_lite_support.python.task.vision.core import tensor_image
options = image_classifier.ImageClassifierOptions(
    base_options=base_options.BaseOptions(file_name=sys.argv[1]))
classifier = image_classifier.ImageClassifier.create_from_options(options)
image = tensor_image.TensorImage.create_from_array(np.load(sys.argv[2]))
result = classifier.classify(image).classifications[0].categories
print(json.dumps({c.index: [c.category_name, c.score] for c in result}))
"""


@pytest.mark.skipif(not os.environ.get("EFFKIT_TASK_PYTHON"), reason=(
    "set EFFKIT_TASK_PYTHON to a Python with tflite-support 0.4.4 and protobuf<4 (its Task "
    "library does not load next to TensorFlow 2.21): python3.11 -m venv /tmp/task && "
    "/tmp/task/bin/pip install tflite-support==0.4.4 'numpy<2'"))
@pytest.mark.parametrize("dtype", ("float32", "uint8"))
def test_task_library_classifies_with_effkit_metadata(models, dtype, tmp_path):
    """The C++ Task library (Android's ImageClassifier) reads effkit's labels and
    normalization: its scores equal LiteRT's on the same image, preprocessed by the metadata."""
    from ai_edge_litert.interpreter import Interpreter

    model = _attach(models[dtype])
    (tmp_path / "m.tflite").write_bytes(model)
    pixels = (np.arange(16 * 16 * 3) % 251).reshape(16, 16, 3).astype(np.uint8)
    np.save(tmp_path / "image.npy", pixels)
    run = subprocess.run([os.environ["EFFKIT_TASK_PYTHON"], "-c", _TASK_SCRIPT,
                          str(tmp_path / "m.tflite"), str(tmp_path / "image.npy")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    interpreter = Interpreter(model_content=model)
    interpreter.allocate_tensors()
    detail, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    x = pixels[None].astype(np.float32)
    x = (x - 127.0) / 128.0 if dtype == "float32" else x
    interpreter.set_tensor(detail["index"], x.astype(detail["dtype"]))
    interpreter.invoke()
    scores = interpreter.get_tensor(out["index"])[0].astype(np.float64)
    if dtype == "uint8":
        scale, zero = out["quantization"]
        scores = (scores - zero) * scale
    assert {int(i): name for i, (name, _) in found.items()} == dict(enumerate(LABELS))
    for index, (_, score) in found.items():
        assert score == pytest.approx(scores[int(index)], abs=1e-5)


# --- bad inputs -----------------------------------------------------------------------------

def test_bad_model_bytes_are_model_file_errors(models):
    good = models["uint8"]
    for bad in (b"", b"not a model at all", b"\x10\0\0\0TFL3", good[:40], b"\xff\xff\xff\x7fTFL3" +
                good[8:], bytes(8) + good[8:]):
        with pytest.raises(ModelFileError, match="TFLite model|corrupt") as info:
            _attach(bad)
        assert "\n" not in info.value.one_line()
        with pytest.raises(ModelFileError, match="TFLite model|corrupt"):
            metadata_json(bad)
    with pytest.raises(ModelFileError, match="must be bytes, not str"):
        labels_from_model("model.tflite")  # type: ignore[arg-type]


def test_corrupt_metadata_buffer_is_reported(models):
    out = bytearray(_attach(models["uint8"]))
    md = named_metadata(bytes(out), "TFLITE_METADATA")
    start = bytes(out).index(md)
    out[start + 4:start + 8] = b"XXXX"  # wrong file identifier
    with pytest.raises(ModelFileError, match="M001"):
        metadata_json(bytes(out))


def test_classifier_checks(models, vector_model):
    with pytest.raises(LabelsError, match="5 outputs"):
        _attach(models["uint8"], labels=LABELS[:4])
    for labels, match in (([], "empty"), (["a", "b", "c", "d", "e\nf"], "line break"),
                          (["a", "b", " ", "d", "e"], "label 3 is empty")):
        with pytest.raises(LabelsError, match=match):
            _attach(models["uint8"], labels=labels)
    with pytest.raises(ModelFileError, match="RGB image"):
        _attach(vector_model)
    with pytest.raises(UsageError, match="mean"):
        create_for_inference(models["uint8"], model_info=INFO, norm_mean=(1.0, 2.0),
                             norm_std=128.0, labels=LABELS)
    wrong_type = [ClassificationOutputInfo(tensor_type="float32")]
    with pytest.raises(ModelFileError, match="is uint8 but its metadata describes float32"):
        populate(models["uint8"], model_info=INFO, inputs=[InputImageInfo((127,), (128,),
                 tensor_type="uint8")], outputs=wrong_type, files={"labels.txt": b""})
    good_in = [InputImageInfo((127,), (128,), tensor_type="uint8")]
    good_out = [ClassificationOutputInfo(tensor_type="uint8")]
    for files, match in (({}, "no content"), ({"labels.txt": b"", "x.txt": b""}, "not recorded")):
        with pytest.raises(UsageError, match=match):
            populate(models["uint8"], model_info=INFO, inputs=good_in, outputs=good_out,
                     files=files)
    with pytest.raises(UsageError, match="1 output tensor"):
        populate(models["uint8"], model_info=INFO, inputs=good_in, outputs=good_out * 2,
                 files={"labels.txt": b""})


# --- effkit metadata (CLI) ------------------------------------------------------------------

@pytest.fixture
def model_dir(models, tmp_path) -> Path:
    (tmp_path / "tiny.tflite").write_bytes(models["uint8"])
    (tmp_path / "labels.txt").write_text("\n".join(LABELS) + "\n", encoding="utf-8")
    return tmp_path


def _cli(*args: str):
    return CliRunner().invoke(app, ["metadata", *args])


def test_cli_metadata_writes_next_to_the_input(model_dir):
    result = _cli(str(model_dir / "tiny.tflite"), "--labels", str(model_dir / "labels.txt"),
                  "--author", "me", "--license", "MIT", "--version", "3")
    assert result.exit_code == 0, result.stderr
    out = model_dir / "tiny_metadata.tflite"
    data = out.read_bytes()
    md = json.loads(metadata_json(data))
    assert (md["name"], md["author"], md["license"], md["version"]) == ("tiny", "me", "MIT", "3")
    assert labels_from_model(data) == LABELS
    # build's name for it, --model-version, too (a docs walk: the two commands spelt it apart)
    again = _cli(str(model_dir / "tiny.tflite"), "--labels", str(model_dir / "labels.txt"),
                 "--model-version", "4", "-o", str(model_dir / "v4.tflite"))
    assert again.exit_code == 0, again.stderr
    assert json.loads(metadata_json((model_dir / "v4.tflite").read_bytes()))["version"] == "4"
    (model_dir / "v4.tflite").unlink()
    assert (model_dir / "tiny.tflite").read_bytes() == _model_bytes(model_dir)
    assert sorted(p.name for p in model_dir.iterdir()) == ["labels.txt", "tiny.tflite",
                                                           "tiny_metadata.tflite"]
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_cli_metadata_warns_of_a_name_given_to_two_classes(model_dir):
    """As effkit build warns (apps and eval cannot tell such classes apart)."""
    twice = [LABELS[0], *LABELS[1:-1], LABELS[0]]
    (model_dir / "twice.txt").write_text("\n".join(twice) + "\n", encoding="utf-8")
    args = [str(model_dir / "tiny.tflite"), "--labels", str(model_dir / "twice.txt")]
    result = _cli(*args)
    assert result.exit_code == 0, result.stderr
    assert "label(s) name more than one class" in result.stderr  # LABELS has two cranes too
    assert f"'{LABELS[0]}' on lines 1, {len(LABELS)}" in result.stderr
    doc = json.loads(_cli(*args, "--force", "--json").stdout)
    assert len(doc["warnings"]) == 1 and "more than one class" in doc["warnings"][0]


def _model_bytes(model_dir: Path) -> bytes:
    return (model_dir / "tiny.tflite").read_bytes()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_cli_metadata_refuses_to_overwrite_without_force(model_dir):
    out = model_dir / "out.tflite"
    out.write_bytes(b"user data")
    args = [str(model_dir / "tiny.tflite"), "--labels", str(model_dir / "labels.txt"),
            "--out", str(out)]
    result = _cli(*args)
    assert result.exit_code == 1
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert out.read_bytes() == b"user data"
    # --force replaces a model, never a user's other file that has the name
    result = _cli(*args, "--force")
    assert result.exit_code == 1 and "is not a TFLite model, so --force does not replace it" in result.stderr
    assert out.read_bytes() == b"user data"
    out.write_bytes((model_dir / "tiny.tflite").read_bytes())
    result = _cli(*args, "--force", "--mean", "0", "--std", "255", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["output"] == str(out) and report["labels"] == 5
    assert report["replaced_metadata"] is False
    assert normalization(out.read_bytes()) == ((0.0,), (255.0,))


def test_cli_metadata_in_place_with_force_and_replace(model_dir):
    model = model_dir / "tiny.tflite"
    args = [str(model), "--labels", str(model_dir / "labels.txt"), "--out", str(model)]
    assert _cli(*args).exit_code == 1
    result = _cli(*args, "--force", "--json", "--mean", "1", "--mean", "2", "--mean", "3",
                  "--std", "4", "--std", "5", "--std", "6")
    assert result.exit_code == 0, result.stderr
    assert normalization(model.read_bytes()) == ((1.0, 2.0, 3.0), (4.0, 5.0, 6.0))
    result = _cli(*args, "--force", "--json")
    assert json.loads(result.stdout)["replaced_metadata"] is True
    assert normalization(model.read_bytes()) == ((127.0,), (128.0,))
    assert [p.name for p in model_dir.iterdir() if p.name.startswith(".")] == []


def test_cli_metadata_bad_inputs(model_dir):
    model, labels = str(model_dir / "tiny.tflite"), str(model_dir / "labels.txt")
    (model_dir / "four.txt").write_text("a\nb\nc\nd\n", encoding="utf-8")
    (model_dir / "notes.tflite").write_text("hello", encoding="utf-8")
    shutil.copy(model, model_dir / "tab\tname\u202e.tflite")  # a name from a file system
    cases = [
        ((str(model_dir / "missing.tflite"), "--labels", labels), 1, "does not exist"),
        ((str(model_dir / "notes.tflite"), "--labels", labels), 1, "not a TFLite model"),
        ((model, "--labels", str(model_dir / "four.txt")), 1, "4 labels but the model has 5"),
        ((model, "--labels", str(model_dir / "nope.txt")), 1, "does not exist"),
        ((model, "--labels", labels, "--mean", "1", "--mean", "2"), 2, "--std"),
        ((model, "--labels", labels, "--mean", "1", "--mean", "2", "--std", "1", "--std", "2"), 2,
         "normalization has 2 mean and std values; RGB images take 1 (for every channel) or 3 (one per "
         "channel). Give --mean and --std once, or 3 times"),
        ((model, "--labels", labels, *["--mean", "1", "--std", "2"] * 4), 2, "normalization has 4 mean"),
        ((str(model_dir / "tab\tname\u202e.tflite"), "--labels", labels), 2,
         "contains U+0009 (control character) at position 3. Pass --name NAME: without it the model is "
         "named after its file"),
        ((model, "--labels", labels, "--std", "0"), 2, "std is 0"),
        ((model, "--labels", labels, "--std", "1e-46"), 2, "too small for the float32"),
        ((model, "--labels", labels, "--out", str(model_dir / "x.txt")), 1,
         f"does not end in .tflite (a TFLite model). Name it '{model_dir / 'x.tflite'}'"),
        ((model, "--labels", labels, "--out", str(model_dir / "no" / "x.tflite")), 1,
         "does not exist"),
        ((model, "--labels", labels, "--out", str(model_dir)), 1, "is a folder"),
        ((model, "--labels", labels, "--name", ""), 2, "name is empty"),
        # the fields build refuses are refused here too (outside walk: written as given)
        ((model, "--labels", labels, "--author", "a\tb"), 2, "the author 'a\\tb' contains U+0009"),
        ((model, "--labels", labels, "--author", ""), 2, "author is empty"),
        ((model, "--labels", labels, "--description", "d\u202eevil"), 2, "U+202E"),
        ((model, "--labels", labels, "--license", "x" * 1001), 2, "1001 characters long"),
        ((model, "--labels", labels, "--version", "v\x01"), 2, "model version"),
    ]
    for args, code, message in cases:
        result = _cli(*args)
        assert result.exit_code == code, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "four.txt", "labels.txt", "notes.tflite", "tab\tname\u202e.tflite", "tiny.tflite"]


def test_cli_metadata_warns_of_a_std_on_the_0_to_1_scale(model_dir):
    # ImageNet's std for 0..1 pixels, where metadata normalizes 0..255: written, with a warning
    out = model_dir / "imagenet.tflite"
    result = _cli(str(model_dir / "tiny.tflite"), "--labels", str(model_dir / "labels.txt"),
                  "--mean", "0.485", "--std", "0.229", "--out", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    assert "std 0.229 is below 1" in result.stderr and "--std 58.4" in result.stderr
    assert json.loads(result.stdout)["warnings"][-1] == result.stderr.split("warning: ")[-1].strip()
    assert normalization(out.read_bytes()) == ((pytest.approx(0.485),), (pytest.approx(0.229),))


def test_cli_metadata_help():
    result = CliRunner().invoke(app, ["metadata", "--help"])
    assert result.exit_code == 0
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    for option in ("--labels", "--mean", "--std", "--out", "--force", "--json"):
        assert option in text


def test_a_uint8_input_quantized_for_other_pixels_than_the_normalization_is_warned_of(tmp_path):
    """A uint8 model of another maker whose input reads 0..1 (scale 1/255, zero point 0) got
    the default (x - 127) / 128 without a word: MediaPipe and the Task Library feed such an
    input the pixels as they are, effkit's eval normalizes then quantizes, and they gave
    100% and 17% on one model (outside walk). metadata and eval now say so; a matching
    normalization, as effkit's own builds pin it, gives no word."""
    from effkit.pipeline.convert import ConvertOptions, convert

    calib = np.random.default_rng(0).uniform(0, 1, size=(16, 16, 16, 3)).astype(np.float32)
    model = tmp_path / "zero_one.tflite"
    model.write_bytes(convert(tiny_keras_classifier(5), ConvertOptions(quant="int8", io="uint8"), calib))
    labels = tmp_path / "l5.txt"
    labels.write_text("a\nb\nc\nd\ne\n")
    cli = CliRunner()
    said = cli.invoke(app, ["metadata", str(model), "--labels", str(labels), "-o",
                            str(tmp_path / "d.tflite")])
    assert said.exit_code == 0, said.output
    flat = " ".join(said.stderr.split())
    assert "the uint8 input's quantization (scale 0.00392" in flat and "zero point 0)" in flat, flat
    assert "give it --mean 0 --std 255" in flat, flat
    data = tmp_path / "data" / "a"
    data.mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (20, 20), (90, 120, 200)).save(data / "x.png")
    shown = cli.invoke(app, ["eval", str(tmp_path / "d.tflite"), "--data", str(tmp_path / "data")])
    assert shown.exit_code == 0 and "MediaPipe and the Task Library feed" in " ".join(shown.stderr.split())
    quiet = cli.invoke(app, ["metadata", str(model), "--labels", str(labels), "--mean", "0",
                             "--std", "255", "-o", str(tmp_path / "ok.tflite")])
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr, quiet.stderr
    again = cli.invoke(app, ["eval", str(tmp_path / "ok.tflite"), "--data", str(tmp_path / "data")])
    assert again.exit_code == 0 and "note" not in again.stderr, again.stderr


def test_metadata_the_known_readers_refuse_is_warned_of(tmp_path):
    """An int8 input and per-channel normalization: effkit's apps and eval read both, but
    MediaPipe 1.2.3's ImageClassifier refuses both and the Task Library the int8 input
    (checked in side environments): attaching such metadata said nothing."""
    from effkit.pipeline.convert import ConvertOptions, convert

    calib = np.random.default_rng(0).uniform(-1, 1, size=(8, 16, 16, 3)).astype(np.float32)
    int8 = tmp_path / "int8.tflite"
    int8.write_bytes(convert(tiny_keras_classifier(5), ConvertOptions(quant="int8", io="int8"), calib))
    floaty = tmp_path / "f.tflite"
    floaty.write_bytes(convert(tiny_keras_classifier(5), ConvertOptions(quant="float32")))
    labels = tmp_path / "l5.txt"
    labels.write_text("a\nb\nc\nd\ne\n")
    cli = CliRunner()
    said = cli.invoke(app, ["metadata", str(int8), "--labels", str(labels), "-o",
                            str(tmp_path / "a.tflite")])
    assert said.exit_code == 0 and "the model's int8 input is refused by MediaPipe" in " ".join(
        said.stderr.split()), said.stderr
    per = cli.invoke(app, ["metadata", str(floaty), "--labels", str(labels), "--mean", "120", "--mean", "115",
                           "--mean", "100", "--std", "60", "--std", "60", "--std", "60",
                           "-o", str(tmp_path / "b.tflite"), "--json"])
    assert per.exit_code == 0, per.output
    assert any("refuses per-channel normalization" in w for w in json.loads(per.stdout)["warnings"])
    plain = cli.invoke(app, ["metadata", str(floaty), "--labels", str(labels), "-o",
                             str(tmp_path / "c.tflite")])
    assert plain.exit_code == 0 and "warning" not in plain.stderr, plain.stderr
