"""Independent clients read effkit's models by themselves: MediaPipe Tasks' ImageClassifier
and tflite-support's Task Library ImageClassifier take labels and normalization from the
model's own metadata (nothing else is passed to them) and must give LiteRT's scores.

Both run in side environments (their protobuf/OpenCV pins do not install next to
TensorFlow 2.21) that ``scripts/test.sh`` makes: EFFKIT_MEDIAPIPE_PYTHON (mediapipe 1.2.x)
and EFFKIT_TASK_PYTHON (Python 3.11, tflite-support 0.4.4). The models are the session's real
lite0 builds, int8 (uint8 in/out) and float32.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from _lite0_builds import eval_images, lite0_builds

from effkit.model.preprocess import center_crop_box, load_image, normalize

pytestmark = pytest.mark.slow
CLIENTS = Path(__file__).parent / "clients"
RESOLUTION = 224  # lite0
COUNT = 10


def _side_python(variable: str, how: str) -> str:
    python = os.environ.get(variable)
    if not python:
        if os.environ.get("CI"):
            pytest.fail(f"{variable} is not set in CI: scripts/test.sh makes that environment")
        pytest.skip(f"set {variable} to a Python with {how} (scripts/test.sh makes one)")
    return python


@pytest.fixture(scope="module")
def builds(tmp_path_factory, photo_dir) -> dict[str, Path]:
    return lite0_builds(tmp_path_factory, photo_dir)


@pytest.fixture(scope="module")
def photos(photo_dir) -> list[Path]:
    return eval_images(photo_dir, COUNT)


@pytest.fixture(scope="module")
def cropped(photos, tmp_path_factory) -> list[Path]:
    """effkit's own preprocessing (central crop, bicubic resize) saved as uint8 arrays: a
    client given an image already at the model's resolution resizes nothing, so its scores
    must equal LiteRT's exactly."""
    folder = tmp_path_factory.mktemp("cropped")
    out = []
    for i, photo in enumerate(photos):
        np.save(folder / f"{i}.npy", load_image(photo, RESOLUTION))
        out.append(folder / f"{i}.npy")
    return out


def litert_scores(model: Path, pixels: np.ndarray) -> np.ndarray:
    """Probabilities from LiteRT's Interpreter, with the normalization applied by hand."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(model))
    interpreter.allocate_tensors()
    detail, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    x = pixels[None] if detail["dtype"] == np.uint8 else normalize(pixels, 127.0, 128.0)[None]
    interpreter.set_tensor(detail["index"], x.astype(detail["dtype"]))
    interpreter.invoke()
    scores = interpreter.get_tensor(out["index"])[0].astype(np.float64)
    if out["dtype"] == np.uint8:
        scale, zero = out["quantization"]
        scores = (scores - zero) * scale
    return scores


def run_client(python: str, script: str, *args: str) -> list[dict[int, tuple[str, float]]]:
    run = subprocess.run([python, str(CLIENTS / script), *args],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads(run.stdout.strip().splitlines()[-1])
    return [{int(i): (name, score) for i, (name, score) in row.items()} for row in rows]


def assert_same_as_litert(found, model: Path, cropped: list[Path]) -> None:
    names = (model.parent / "labels.txt").read_text(encoding="utf-8").splitlines()
    for row, path in zip(found, cropped, strict=True):
        scores = litert_scores(model, np.load(path))
        assert len(row) == len(names) == scores.size
        assert {i: name for i, (name, _) in row.items()} == dict(enumerate(names))
        got = np.array([row[i][1] for i in range(scores.size)])
        # uint8 outputs are dequantized identically; float32 runs the same kernels
        np.testing.assert_allclose(got, scores, atol=1e-6, rtol=0)


@pytest.mark.parametrize("quant", ("int8", "float32"))
def test_mediapipe_reads_labels_and_normalization_from_the_metadata(builds, cropped, quant,
                                                                    tmp_path):
    python = _side_python("EFFKIT_MEDIAPIPE_PYTHON", "mediapipe 1.2.x")
    model = builds[quant] / "model.tflite"
    jobs = tmp_path / "jobs.json"
    jobs.write_text(json.dumps([{"image": str(p), "roi": None} for p in cropped]))
    assert_same_as_litert(run_client(python, "mediapipe_classify.py", str(model), str(jobs)),
                          model, cropped)


@pytest.mark.parametrize("quant", ("int8", "float32"))
def test_mediapipe_on_whole_photos_with_effkits_crop_as_region_of_interest(builds, photos,
                                                                         quant, tmp_path):
    """A user's MediaPipe app gives the whole photo and the central crop as a region of
    interest; MediaPipe resizes with its own filter, so the classes (not the exact scores)
    must be effkit's: the same top-1 on every photo and the top-5 overlapping."""
    from PIL import Image

    python = _side_python("EFFKIT_MEDIAPIPE_PYTHON", "mediapipe 1.2.x")
    model = builds[quant] / "model.tflite"
    jobs = []
    for photo in photos:
        with Image.open(photo) as img:
            w, h = img.size
        left, top, right, bottom = center_crop_box(w, h, RESOLUTION)
        jobs.append({"image": str(photo), "roi": [left / w, top / h, right / w, bottom / h]})
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    found = run_client(python, "mediapipe_classify.py", str(model), str(tmp_path / "jobs.json"))
    same_top1 = 0
    for row, photo in zip(found, photos, strict=True):
        ours = litert_scores(model, load_image(photo, RESOLUTION))
        theirs = np.array([row[i][1] for i in range(ours.size)])
        same_top1 += int(np.argmax(theirs) == np.argmax(ours))
        assert len(set(np.argsort(-ours)[:5]) & set(np.argsort(-theirs)[:5])) >= 3, photo.name
    assert same_top1 >= COUNT - 1, f"{same_top1}/{COUNT} photos with effkit's top-1"


@pytest.mark.parametrize("quant", ("int8", "float32"))
def test_task_library_reads_labels_and_normalization_from_the_metadata(builds, cropped, quant):
    python = _side_python("EFFKIT_TASK_PYTHON", "tflite-support 0.4.4 and protobuf<4")
    model = builds[quant] / "model.tflite"
    found = run_client(python, "task_library_classify.py", str(model), *map(str, cropped))
    assert_same_as_litert(found, model, cropped)
