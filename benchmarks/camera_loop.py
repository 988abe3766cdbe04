"""Host work per camera frame in the Coral app's live loop, today vs after, against the model.

The Edge TPU runs EfficientNet-Lite0 in 3.8 ms (Google's figure, Pixel 4 Edge TPU, in
tensorflow/tpu models/official/efficientnet/lite/README.md, next to 6.5 ms for the int8
model on the Pixel 4 CPU). Every millisecond the host spends turning a camera buffer into
the input tensor, and the output into the top classes, is added to it. The goal: host work
<= 25 % of the Edge TPU time.

That time is scaled to this machine with the CPU as the yardstick: Google's Edge TPU takes
3.8 / 6.5 of the Pixel 4 CPU's time for the same int8 model, so here it stands for
(this machine's CPU invoke of the int8 lite0, one thread) x 3.8 / 6.5. Host work is
measured on this machine's CPU too, so the ratio cancels the CPU's overall speed, not its
int8 speed relative to PIL's and OpenCV's work (a CPU without int8 dot-product instructions
stands the Edge TPU in at about 3x its time: docs/coral.md has both).

Paths timed, all through the rendered app's own coral_runtime (the real code):
- today: a 640x480 camera frame, PIL bicubic central crop + resize (the old frame_to_input,
  which is still the still-image path: coral_runtime.preprocess);
- after, Pi camera: picamera2 delivers the frame already cropped and scaled by the ISP (its
  work is not host work), so the host only makes it the input tensor;
- after, OpenCV source (USB webcam, video file): 640x480 BGR, central crop, then OpenCV
  bilinear (a 420x420 crop: under 2x) and cvtColor to RGB;
- post-processing: dequantize the output, top-5 with labels (Classifier.top).
Frames are real photos from ../shared/data/imagenet-dev resized to 640x480 beforehand.
The model is a real effkit lite0 int8 build (``--model``, else built once into
~/.cache/effkit-bench). Run:

    .venv/bin/python benchmarks/camera_loop.py [--model model.tflite] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from shared_data import SHARED as _DATA  # benchmarks/ runs as scripts: their folder is on sys.path

SHARED = _DATA / "imagenet-dev"
CACHE = Path.home() / ".cache" / "effkit-bench" / "lite0-int8"
GOOGLE_TPU_MS, GOOGLE_CPU_MS = 3.8, 6.5  # Pixel 4, EfficientNet-Lite0 int8
GOAL = 0.25


def lite0_model() -> Path:
    """A real lite0 int8 build (8 calibration photos), made once."""
    model = CACHE / "model.tflite"
    if model.is_file():
        return model
    from effkit.model.preprocess import list_images
    from effkit.pipeline.build import BuildRequest, run_build

    with tempfile.TemporaryDirectory() as tmp:
        calib = Path(tmp) / "calibration"
        calib.mkdir()
        for p in list_images(SHARED)[10::60][:8]:
            (calib / p.name).symlink_to(p)
        run_build(BuildRequest(variant="lite0", target="cpu", out=CACHE, quant="int8",
                               calibration=calib, calibration_size=8))
    return model


def rendered_runtime(model: Path, folder: Path):
    """The rendered app's coral_runtime module, with ``model`` as its CPU model."""
    from effkit.analysis.evaluate import model_labels
    from effkit.apps.coral import render_coral_app
    from effkit.model.variants import get_variant

    app = render_coral_app(folder / "coral", model_name="camera loop", variant=get_variant("lite0"),
                           labels=model_labels(model.read_bytes()) or [], cpu_model=model,
                           edgetpu_model=None)
    spec = importlib.util.spec_from_file_location("coral_runtime_bench", app / "coral_runtime.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def per_call_ms(fn, items, repeats: int) -> float:
    """Median over ``repeats`` passes of the mean time of fn(item) over ``items``, in ms."""
    passes = []
    for _ in range(repeats):
        start = time.perf_counter()
        for item in items:
            fn(item)
        passes.append((time.perf_counter() - start) * 1000.0 / len(items))
    return statistics.median(passes)


def measure(model: Path, photos: int = 20, repeats: int = 15) -> dict:
    import cv2
    from PIL import Image

    from effkit.model.preprocess import list_images

    with tempfile.TemporaryDirectory() as tmp:
        rt = rendered_runtime(model, Path(tmp))
        clf = rt.load_classifier(cpu=True, num_threads=1)
        res = clf.resolution
        rgb = []
        for p in list_images(SHARED)[::25][:photos]:
            with Image.open(p) as image:
                rgb.append(np.asarray(image.convert("RGB").resize((640, 480), Image.BICUBIC)))
        bgr = [np.ascontiguousarray(f[:, :, ::-1]) for f in rgb]
        # What the ISP hands over for the Pi camera: the central crop, at the model's size.
        isp = [rt.frame_to_input(f, res) for f in rgb]
        inputs = [rt.make_input(rt.frame_to_input(f, res), clf.loaded.input, clf.setup.mean, clf.setup.std)
                  for f in rgb]
        interpreter, index = clf.loaded.interpreter, clf.loaded.input["index"]

        def to_tensor(pixels):
            interpreter.set_tensor(index, rt.make_input(pixels, clf.loaded.input, clf.setup.mean,
                                                        clf.setup.std))

        def today(frame):  # the old camera path: PIL bicubic, then the tensor
            to_tensor(rt.preprocess(Image.fromarray(np.ascontiguousarray(frame)), res))

        def pi_camera(frame):
            to_tensor(rt.frame_to_input(frame, res))

        def opencv(frame):
            to_tensor(rt.frame_to_input(frame, res, bgr=True))

        def invoke(tensor):
            interpreter.set_tensor(index, tensor)
            interpreter.invoke()

        raws = []
        for tensor in inputs:
            invoke(tensor)
            raws.append(interpreter.get_tensor(clf.loaded.output["index"]).copy())
        for _ in range(3):  # warm up every path
            today(rgb[0]), pi_camera(isp[0]), opencv(bgr[0]), clf.top(raws[0], 5)
        cv2.setNumThreads(1)  # one core, as the host loop gets on a busy Pi
        result = {
            "frames": len(rgb), "repeats": repeats, "resolution": res, "capture": "640x480",
            "host_today_ms": per_call_ms(today, rgb, repeats),
            "host_pi_camera_ms": per_call_ms(pi_camera, isp, repeats),
            "host_opencv_ms": per_call_ms(opencv, bgr, repeats),
            "post_ms": per_call_ms(lambda raw: clf.top(raw, 5), raws, repeats),
            "cpu_invoke_ms": per_call_ms(invoke, inputs, max(3, repeats // 3)),
            "cv2": cv2.__version__, "backend": clf.loaded.backend,
        }
    tpu_here = result["cpu_invoke_ms"] * GOOGLE_TPU_MS / GOOGLE_CPU_MS
    result["edgetpu_equivalent_ms"] = tpu_here
    for path in ("today", "pi_camera", "opencv"):
        host = result[f"host_{path}_ms"] + result["post_ms"]
        result[f"{path}_total_ms"] = host
        result[f"{path}_ratio"] = host / tpu_here
    result["goal_ratio"] = GOAL
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a lite0 int8 model.tflite (default: build one)")
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    r = measure(args.model or lite0_model(), args.photos, args.repeats)
    if args.json:
        print(json.dumps(r, indent=1))
        return 0
    print(f"lite0 int8 CPU invoke here (1 thread): {r['cpu_invoke_ms']:.2f} ms; "
          f"Edge TPU equivalent (x {GOOGLE_TPU_MS}/{GOOGLE_CPU_MS}): {r['edgetpu_equivalent_ms']:.2f} ms")
    print(f"post-processing (dequantize, top-5 with labels): {r['post_ms']:.3f} ms")
    print("path                         to tensor ms  + post = host ms   host / Edge TPU   goal")
    for path, name in (("today", "today (PIL bicubic 640x480)"), ("pi_camera", "Pi camera, ISP-scaled"),
                       ("opencv", "OpenCV 640x480, bilinear")):
        print(f"{name:28s} {r[f'host_{path}_ms']:12.3f} {r[f'{path}_total_ms']:15.3f} "
              f"{r[f'{path}_ratio']:14.1%}   <= {GOAL:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
