"""LiteRT's CompiledModel API (what the generated Android app runs) against the Interpreter
(what effkit evaluates, benchmarks and writes the app's golden vectors with).

The Android app moved from the 1.4 ``Interpreter`` to LiteRT 2.x's ``CompiledModel``
(``--android-runtime compiled-model``, issue 21). Its numbers stay effkit's numbers only
if both APIs give the same uint8 scores for the same input tensor: checked here with
ai-edge-litert's own Python ``CompiledModel`` on the CPU, on real lite0 int8 and float32
builds, for the app's golden test card and imagenet-dev photos. The input is written the way
the app writes it (``TensorBuffer.writeInt8``: the uint8 tensor's bytes, unchanged) and
also as uint8; the output is read both ways too.
"""

from __future__ import annotations

import numpy as np
import pytest
from _lite0_builds import eval_images, lite0_builds

pytestmark = pytest.mark.slow  # builds the real lite0 (shared with test_eval; about a minute on 2 cores)


@pytest.fixture(scope="module")
def lite0(tmp_path_factory, photo_dir) -> bytes:
    return (lite0_builds(tmp_path_factory, photo_dir)["int8"] / "model.tflite").read_bytes()


@pytest.fixture(scope="module")
def golden_pixels(photo_dir) -> list[tuple[str, np.ndarray]]:
    """The app's golden test card (what its unit and device tests classify) and photos,
    each cropped and resized as effkit and the app do."""
    from PIL import Image

    from effkit.apps.android import golden_frame
    from effkit.model.preprocess import crop_and_resize, load_image
    from effkit.model.variants import get_variant

    res = get_variant("lite0").resolution
    card = crop_and_resize(Image.fromarray(golden_frame()), res)
    photos = [(p.name, load_image(p, res)) for p in eval_images(photo_dir, 12)]
    return [("golden test card", card), *photos]


def _compiled_cpu(data: bytes):
    from ai_edge_litert.compiled_model import CompiledModel
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator

    return CompiledModel.from_buffer(data, hardware_accel=HardwareAccelerator.CPU)


def _run(model, tensor: np.ndarray, n_out: int, out_dtype) -> np.ndarray:
    inputs = model.create_input_buffers(0)
    outputs = model.create_output_buffers(0)
    inputs[0].write(tensor)
    model.run_by_index(0, inputs, outputs)
    return np.asarray(outputs[0].read(n_out, out_dtype))


def test_compiled_model_on_cpu_gives_the_interpreters_uint8_scores(lite0, golden_pixels):
    from ai_edge_litert import __version__ as litert_version

    from effkit.analysis.evaluate import TFLiteClassifier

    assert tuple(int(v) for v in litert_version.split(".")[:2]) >= (2, 3), litert_version
    clf = TFLiteClassifier(lite0)
    assert clf.input["dtype"] == np.uint8 and clf.output["dtype"] == np.uint8
    n_out = clf.num_classes
    model = _compiled_cpu(lite0)
    tops = set()
    for name, pixels in golden_pixels:
        tensor = clf._prepare(pixels)[None]  # uint8 (1, R, R, 3), effkit's own quantization
        want = clf.raw(pixels).reshape(-1)
        # As the app does it: the uint8 bytes written and read through the int8 API.
        as_bytes = _run(model, tensor.view(np.int8), n_out, np.int8).view(np.uint8)
        assert as_bytes.dtype == np.uint8 and as_bytes.shape == want.shape, name
        assert np.array_equal(as_bytes, want), (
            f"{name}: {int((as_bytes != want).sum())} of {n_out} uint8 scores differ, "
            f"max {int(np.abs(as_bytes.astype(int) - want.astype(int)).max())}")
        # And through the uint8 API: the same bytes.
        assert np.array_equal(_run(model, tensor, n_out, np.uint8), want), name
        tops.add(int(np.argmax(want)))
    assert len(tops) >= 4, "the images (four subjects and a test card) should not all score alike"


def test_compiled_model_on_cpu_gives_the_interpreters_float_scores(tmp_path_factory, photo_dir,
                                                                    golden_pixels):
    """The float32 build (--quant float32), which the app feeds with writeFloat: the same
    scores as the Interpreter, to the bit (the app's README says so of every build)."""
    from effkit.analysis.evaluate import TFLiteClassifier

    data = (lite0_builds(tmp_path_factory, photo_dir)["float32"] / "model.tflite").read_bytes()
    clf = TFLiteClassifier(data)
    assert clf.input["dtype"] == np.float32 and clf.output["dtype"] == np.float32
    model = _compiled_cpu(data)
    for name, pixels in golden_pixels:
        got = _run(model, clf._prepare(pixels)[None], clf.num_classes, np.float32)
        assert np.array_equal(got, clf.raw(pixels).reshape(-1)), name


def test_compiled_model_catches_a_changed_input_byte(lite0, golden_pixels):
    """Not vacuous: the CompiledModel's scores follow the input it is given (a quarter of
    the test card's bytes changed moves its uint8 scores)."""
    from effkit.analysis.evaluate import TFLiteClassifier

    clf = TFLiteClassifier(lite0)
    _, card = golden_pixels[0]
    tensor = clf._prepare(card)[None]
    model = _compiled_cpu(lite0)
    base = _run(model, tensor, clf.num_classes, np.uint8)
    changed = tensor.copy()
    changed.reshape(-1)[: changed.size // 4] ^= 0x40  # a quarter of the image, clearly different
    assert not np.array_equal(_run(model, changed, clf.num_classes, np.uint8), base)
