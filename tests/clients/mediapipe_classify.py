"""MediaPipe Tasks ImageClassifier on an effkit model: run in the MediaPipe side environment.

argv: MODEL JOBS.json. JOBS is a list of {"image": PATH (.npy uint8 HxWx3 or an image file),
"roi": [left, top, right, bottom] as fractions of the image, or null}. Prints one JSON line:
a list (one per job) of {index: [category_name, score]} over every class. MediaPipe reads the
labels and the normalization from the model's metadata by itself: nothing else is passed.
"""

import json
import sys

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import vision
from mediapipe.tasks.python.components.containers import rect
from mediapipe.tasks.python.core import base_options

options = vision.ImageClassifierOptions(
    base_options=base_options.BaseOptions(model_asset_path=sys.argv[1]))
classifier = vision.ImageClassifier.create_from_options(options)
results = []
for job in json.load(open(sys.argv[2], encoding="utf-8")):
    if job["image"].endswith(".npy"):
        image = mp.Image(image_format=mp.ImageFormat.SRGB,
                         data=np.ascontiguousarray(np.load(job["image"])))
    else:
        image = mp.Image.create_from_file(job["image"])
    roi = None
    if job["roi"] is not None:
        left, top, right, bottom = job["roi"]
        roi = vision.ImageProcessingOptions(region_of_interest=rect.RectF(
            left=left, top=top, right=right, bottom=bottom))
    categories = classifier.classify(image, roi).classifications[0].categories
    results.append({c.index: [c.category_name, c.score] for c in categories})
print(json.dumps(results))
