"""inspect_model and `effkit inspect` on real TensorFlow-converted models, checked by LiteRT."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest
from typer.testing import CliRunner

from effkit.analysis.inspect import inspect_model
from effkit.cli.main import app
from effkit.errors import ModelFileError
from effkit.metadata import MetadataInfo, create_for_inference, metadata_json
from effkit.metadata import metadata_schema_py_generated as fb
from effkit.metadata.info import ClassificationOutputInfo, InputImageInfo
from effkit.metadata.writer import build_metadata, populate_metadata

LABELS = ["zero", "one", "two"]


@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    """Real converter outputs: an 8x8 RGB classifier (float32, uint8 I/O) and a model with a
    custom op (BesselI0e, kept by allow_custom_ops)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(1)
    inp = keras.Input((8, 8, 3), batch_size=1)
    x = keras.layers.DepthwiseConv2D(3, activation="relu")(inp)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inp, keras.layers.Dense(len(LABELS), activation="softmax")(x))
    out = {"float32": tf.lite.TFLiteConverter.from_keras_model(model).convert()}

    def representative():
        rng = np.random.default_rng(0)
        for _ in range(4):
            yield [rng.uniform(-1, 1, (1, 8, 8, 3)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.uint8
    out["uint8"] = converter.convert()

    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
    def custom(x):
        return tf.math.bessel_i0e(x) + 1.0

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [custom.get_concrete_function()], custom)
    converter.allow_custom_ops = True
    out["custom"] = converter.convert()
    return out


def _with_metadata(model_bytes: bytes) -> bytes:
    return create_for_inference(model_bytes, model_info=MetadataInfo(name="tiny", author="[b]x[/b]"),
                                norm_mean=127.0, norm_std=128.0, labels=LABELS)


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_tensors_and_ops_agree_with_litert(models, dtype):
    from ai_edge_litert.interpreter import Interpreter

    info = inspect_model(models[dtype])
    interpreter = Interpreter(model_content=models[dtype])
    for ours, theirs in ((info["inputs"], interpreter.get_input_details()),
                         (info["outputs"], interpreter.get_output_details())):
        assert len(ours) == len(theirs) == 1
        assert ours[0]["name"] == theirs[0]["name"]
        assert ours[0]["shape"] == theirs[0]["shape"].tolist()
        assert ours[0]["dtype"] == np.dtype(theirs[0]["dtype"]).name
        scale, zero = theirs[0]["quantization"]
        if dtype == "uint8":
            assert ours[0]["quantization"] == {"scale": [pytest.approx(scale)],
                                               "zero_point": [zero]}
        else:
            assert ours[0]["quantization"] is None
    litert_ops = Counter(op["op_name"] for op in interpreter._get_ops_details())
    assert Counter(info["ops"]) == litert_ops
    assert info["operators"] == sum(litert_ops.values())
    assert info["custom_ops"] == {} and info["edgetpu"] is False
    assert info["size_bytes"] == len(models[dtype]) and info["subgraphs"] == 1
    assert re.fullmatch(r"\d+\.\d+\.\d+", info["tflite_min_runtime"] or "")
    assert info["has_metadata"] is False and info["metadata"] is None
    assert info["associated_files"] == [] and info["labels"] is None


def test_custom_ops_are_counted(models):
    info = inspect_model(models["custom"])
    assert info["custom_ops"] == {"BesselI0e": 1}
    assert info["ops"] == {"ADD": 1}
    assert info["edgetpu"] is False


def test_metadata_section(models):
    out = _with_metadata(models["uint8"])
    info = inspect_model(out)
    assert info["has_metadata"] is True and info["metadata_error"] is None
    assert info["metadata"] == json.loads(metadata_json(out))
    assert info["metadata"]["name"] == "tiny"
    assert info["associated_files"] == ["labels.txt"] and info["labels"] == 3
    assert info["label_names"] == list(LABELS)  # what eval's folder-name error points to
    assert info["normalization"] == {"mean": [127.0], "std": [128.0]}
    assert "TFLITE_METADATA" in info["metadata_entries"]
    json.dumps(info)  # JSON-ready


def test_inspect_metadata_matches_tflite_support_displayer(models, tmp_path):
    try:
        from tensorflow_lite_support.metadata.python import metadata as ref
    except Exception as exc:  # the full oracle tests live in test_metadata.py
        pytest.skip(f"tflite-support 0.4.4 is not importable ({exc})")
    path = tmp_path / "tiny.tflite"
    path.write_bytes(_with_metadata(models["float32"]))
    theirs = ref.MetadataDisplayer.with_model_file(str(path)).get_metadata_json()
    result = CliRunner().invoke(app, ["inspect", str(path), "--metadata-json"])
    assert result.exit_code == 0 and result.stdout == theirs
    result = CliRunner().invoke(app, ["inspect", str(path), "--json"])
    assert json.loads(result.stdout)["metadata"] == json.loads(theirs)


def test_metadata_with_nan_is_reported_not_fatal(models):
    metadata = build_metadata(models["float32"], model_info=MetadataInfo(name="nan"),
                              inputs=[InputImageInfo((127,), (128,))],
                              outputs=[ClassificationOutputInfo()])
    metadata.subgraphMetadata[0].outputTensorMetadata[0].stats.max = [float("nan")]
    out = populate_metadata(models["float32"], metadata, {"labels.txt": b"a\nb\nc\n"})
    info = inspect_model(out)
    assert info["has_metadata"] is True and info["metadata"] is None
    assert "nan" in info["metadata_error"]
    assert '"max": [\n              nan\n' in metadata_json(out)


def test_a_model_cut_off_in_its_packed_files_is_named_as_cut_off(models, tmp_path):
    """An interrupted copy ends the file inside the zip of packed files: the labels are
    reported as cut off (not as never attached), by inspect and by every reader."""
    from effkit.metadata.reader import labels_from_model

    whole = _with_metadata(models["uint8"])
    cut = whole[:-40]  # the archive's end record (22 bytes) and part of its directory
    info = inspect_model(cut)
    assert info["has_metadata"] is True
    assert "the model file is cut off: labels file 'labels.txt' is packed at byte" in \
        info["metadata_error"]
    with pytest.raises(ModelFileError, match="an interrupted copy or download"):
        labels_from_model(cut)
    path = tmp_path / "cut.tflite"
    path.write_bytes(cut)
    result = CliRunner().invoke(app, ["inspect", str(path)])
    assert result.exit_code == 0 and "is cut off" in result.stdout  # reported, not fatal


def test_corrupt_metadata_is_reported_not_fatal(models):
    empty = fb.ModelMetadataT()
    empty.subgraphMetadata = [fb.SubGraphMetadataT()]
    empty.subgraphMetadata[0].inputTensorMetadata = [fb.TensorMetadataT()]
    empty.subgraphMetadata[0].outputTensorMetadata = [fb.TensorMetadataT()]
    out = bytearray(populate_metadata(models["float32"], empty, {}))
    start = bytes(out).index(b"M001") - 4
    out[start + 4:start + 8] = b"M00X"
    info = inspect_model(bytes(out))
    assert info["has_metadata"] is True and "M001" in info["metadata_error"]


# --- effkit inspect -------------------------------------------------------------------------

def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_cli_inspect_json_and_tables(models, tmp_path):
    path = tmp_path / "tiny.tflite"
    path.write_bytes(_with_metadata(models["uint8"]))
    runner = CliRunner()
    result = runner.invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["model"] == str(path) and doc == {"model": str(path)} | inspect_model(
        path.read_bytes()) | {"weights": None,  # no build.json of its build beside it
                              "edgetpu_min_runtime_version": None}
    import effkit

    assert effkit.inspect(path).to_dict() == doc  # the API's document is the command's
    result = runner.invoke(app, ["inspect", str(path)])
    assert result.exit_code == 0, result.stderr
    text = _plain(result.stdout)
    for expected in ("Inputs and outputs", "uint8", "FULLY_CONNECTED", "TFLite metadata",
                     "labels.txt", "[b]x[/b]", "mean [127.0] std [128.0]"):
        assert expected in text, expected
    result = runner.invoke(app, ["inspect", str(path), "--metadata-json"])
    assert result.exit_code == 0 and result.stdout == metadata_json(path.read_bytes())


def test_inspect_names_the_tflite_and_the_edgetpu_runtime_apart(models, tmp_path):
    """The TFLite runtime a model needs ("1.14.0", the converter's metadata) and the Edge
    TPU runtime a coral build checked for (13, build.json) have two names, the same in
    inspect's JSON as in build.json."""
    from effkit.core.manifest import Artifact, Manifest

    path = tmp_path / "model.tflite"
    path.write_bytes(_with_metadata(models["uint8"]))
    Manifest(variant="lite0", target="coral", quantization={"mode": "int8", "io": "uint8"},
             artifacts=(Artifact.of(path, tmp_path),),
             edgetpu={"check": {"edgetpu_min_runtime_version": 13}, "compiled": False}
             ).write(tmp_path)
    result = CliRunner().invoke(app, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert re.fullmatch(r"\d+\.\d+\.\d+", doc["tflite_min_runtime"])
    assert doc["edgetpu_min_runtime_version"] == 13 and "min_runtime_version" not in doc
    text = _plain(CliRunner().invoke(app, ["inspect", str(path)]).stdout)
    rows = {" ".join(line.replace("│", " ").split()) for line in text.splitlines()}
    assert f"TFLite min runtime {doc['tflite_min_runtime']}" in rows
    assert "Edge TPU min runtime 13" in rows
    assert "labels 3: zero, one, two" in rows  # the names, as eval's folder-name error says


def test_cli_inspect_custom_op_model(models, tmp_path):
    path = tmp_path / "custom.tflite"
    path.write_bytes(models["custom"])
    result = CliRunner().invoke(app, ["inspect", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "BesselI0e (custom)" in _plain(result.stdout)


def test_cli_inspect_bad_inputs(models, tmp_path):
    plain = tmp_path / "plain.tflite"
    plain.write_bytes(models["float32"])
    (tmp_path / "text.tflite").write_text("not a model", encoding="utf-8")
    (tmp_path / "cut.tflite").write_bytes(models["uint8"][: len(models["uint8"]) * 2 // 3])
    cases = [
        ([str(tmp_path / "cut.tflite")], 1, f"{str(tmp_path / 'cut.tflite')!r} is a corrupt TFLite "
                                            "flatbuffer (it points past its own end: truncated"),
        ([str(tmp_path / "missing.tflite")], 1, "does not exist"),
        ([str(tmp_path / "text.tflite")], 1, "not a TFLite model"),
        ([str(tmp_path)], 1, "is a folder"),
        ([str(plain), "--json", "--metadata-json"], 2, "do not go together"),
        ([str(plain), "--metadata-json"], 1, "no TFLite metadata"),
    ]
    for args, code, message in cases:
        result = CliRunner().invoke(app, ["inspect", *args])
        assert result.exit_code == code, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_cli_inspect_help():
    result = CliRunner().invoke(app, ["inspect", "--help"])
    assert result.exit_code == 0
    assert "--json" in _plain(result.stdout) and "--metadata-json" in _plain(result.stdout)


def test_labels_that_do_not_match_the_outputs_are_warned_of(models, tmp_path):
    """Another writer's metadata with 3 labels on a model of another class count: inspect
    showed them without a word, and eval's error offered no way out (outside walk)."""
    metadata = build_metadata(models["float32"], model_info=MetadataInfo(name="three"),
                              inputs=[InputImageInfo((127,), (128,))],
                              outputs=[ClassificationOutputInfo()])
    odd = tmp_path / "odd.tflite"
    odd.write_bytes(populate_metadata(models["float32"], metadata, {"labels.txt": b"a\nb\nc\nd\ne\n"}))
    warning = (f"5 labels for {len(LABELS)} outputs: readers pair them with the wrong outputs; "
               "attach them again: effkit metadata MODEL --labels FILE --force")
    assert inspect_model(odd.read_bytes())["warnings"] == [warning]
    shown = CliRunner().invoke(app, ["inspect", str(odd)])
    assert shown.exit_code == 0 and warning in " ".join(shown.stderr.split())
    assert inspect_model(_with_metadata(models["float32"]))["warnings"] == []
    (tmp_path / "d" / "a").mkdir(parents=True)
    from PIL import Image

    Image.new("RGB", (10, 10)).save(tmp_path / "d" / "a" / "x.png")
    failed = CliRunner().invoke(app, ["eval", str(odd), "--data", str(tmp_path / "d")])
    assert failed.exit_code == 1 and "has 5 labels but the model has 3 outputs" in failed.stderr
    assert "pass --labels file with one label per output, or attach them again" in " ".join(
        failed.stderr.split()).lower()


def test_a_labels_file_with_a_byte_order_mark_is_warned_of(models, tmp_path):
    """Another writer's labels file that starts with a UTF-8 byte-order mark: effkit strips
    it, MediaPipe's ImageClassifier shows it in the first label (Session 22's walk)."""
    metadata = build_metadata(models["float32"], model_info=MetadataInfo(name="bom"),
                              inputs=[InputImageInfo((127,), (128,))],
                              outputs=[ClassificationOutputInfo()])
    text = "".join(f"{label}\n" for label in LABELS).encode()
    marked = populate_metadata(models["float32"], metadata, {"labels.txt": b"\xef\xbb\xbf" + text})
    info = inspect_model(marked)
    assert info["label_names"] == list(LABELS)
    (warning,) = info["warnings"]
    assert warning.startswith("the labels file 'labels.txt' starts with a byte-order mark, which "
                              "MediaPipe's ImageClassifier and the Task Library keep")
    assert "effkit metadata MODEL --labels FILE --force" in warning
    plain = populate_metadata(models["float32"], metadata, {"labels.txt": text})
    assert inspect_model(plain)["warnings"] == []
    # labels without normalization (other writers' uint8 classifiers): still warned of (the
    # review: the check had gone behind the normalization's)
    metadata.subgraphMetadata[0].inputTensorMetadata[0].processUnits = None
    bare = populate_metadata(models["float32"], metadata, {"labels.txt": b"\xef\xbb\xbf" + text})
    info = inspect_model(bare)
    assert info["normalization"] is None and len(info["warnings"]) == 1, info["warnings"]


def _calibrated(model_bytes: bytes, labels: bytes) -> bytes:
    """Metadata as tflite-support's writer makes it with score_calibration_md: a LOG
    ScoreCalibrationOptions on the output and its CSV as a TENSOR_AXIS_SCORE_CALIBRATION file."""
    metadata = build_metadata(model_bytes, model_info=MetadataInfo(name="cal"),
                              inputs=[InputImageInfo((127,), (128,))], outputs=[ClassificationOutputInfo()])
    out = metadata.subgraphMetadata[0].outputTensorMetadata[0]
    unit = fb.ProcessUnitT()
    unit.optionsType = fb.ProcessUnitOptions.ScoreCalibrationOptions
    unit.options = fb.ScoreCalibrationOptionsT()
    unit.options.scoreTransformation = fb.ScoreTransformationType.LOG
    unit.options.defaultScore = 0.0
    out.processUnits = [unit]
    calib = fb.AssociatedFileT()
    calib.name = "calib.csv"
    calib.type = fb.AssociatedFileType.TENSOR_AXIS_SCORE_CALIBRATION
    out.associatedFiles = [*(out.associatedFiles or []), calib]
    return populate_metadata(model_bytes, metadata, {"labels.txt": labels,
                                                     "calib.csv": b"0.2,1.0,-2.0\n1.0,1.0,3.0\n1.0,1.0,0.0"})


def test_what_other_readers_read_otherwise_is_warned_of(models, tmp_path):
    """Another writer's metadata that MediaPipe and the Task Library read otherwise than effkit
    (an outside walk, checked with both): score calibration they apply and effkit's eval does
    not, a labels file with CR LF, blank lines at its end or an empty label. inspect said
    nothing; eval gave other top classes than both clients without a word; effkit metadata
    dropped the calibration silently."""
    from effkit.analysis.evaluate import TFLiteClassifier

    messy = b"zero\r\n\r\ntwo\r\n\r\n\r\n"  # CR LF, label 2 empty, blank lines at the end
    model = _calibrated(models["float32"], messy)
    warnings = inspect_model(model)["warnings"]
    assert [w.split(":")[0].split(" (")[0] for w in warnings] == [
        "the labels file 'labels.txt' has Windows line ends",
        "the labels file 'labels.txt' ends with blank lines, which the Task Library counts as labels",
        "the labels file 'labels.txt' has empty labels",
        "the metadata holds score calibration"], warnings
    assert "(LOG transformation, file 'calib.csv')" in warnings[-1]
    assert "(line 2)" in warnings[2]
    assert TFLiteClassifier(model).scores_note.startswith(
        "its metadata holds score calibration (LOG transformation, file 'calib.csv'), which MediaPipe "
        "and the Task Library apply to the scores and effkit's eval and apps do not")
    assert TFLiteClassifier(_with_metadata(models["float32"])).scores_note is None
    # effkit metadata replaces it: the calibration goes, said
    (tmp_path / "m.tflite").write_bytes(model)
    (tmp_path / "l.txt").write_text("zero\none\ntwo\n")
    done = CliRunner().invoke(app, ["metadata", str(tmp_path / "m.tflite"), "--labels",
                                    str(tmp_path / "l.txt"), "--json"])
    assert done.exit_code == 0, done.stderr
    (dropped,) = json.loads(done.stdout)["warnings"]
    assert dropped.startswith("the model's score calibration (LOG transformation, file 'calib.csv') "
                              "is dropped with its old metadata")
    assert inspect_model((tmp_path / "m_metadata.tflite").read_bytes())["warnings"] == []
    # metadata it cannot read (what effkit metadata mends) is replaced, not written then failed
    # on (the review: the calibration was read after the file was written)
    broken = bytearray(model)
    start = bytes(broken).index(b"M001") - 4
    broken[start:start + 8] = b"\xff" * 8
    (tmp_path / "b.tflite").write_bytes(bytes(broken))
    mended = CliRunner().invoke(app, ["metadata", str(tmp_path / "b.tflite"), "--labels",
                                      str(tmp_path / "l.txt"), "--json"])
    assert mended.exit_code == 0, mended.stdout
    assert inspect_model((tmp_path / "b_metadata.tflite").read_bytes())["label_names"] == LABELS
