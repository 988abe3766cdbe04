"""tflite-support 0.4.4 Task Library ImageClassifier on an effkit model: run in the Task
Library side environment (Python 3.11, protobuf<4; it does not load next to TensorFlow 2.21).

argv: MODEL IMAGE.npy [IMAGE.npy ...] (uint8 HxWx3). Prints one JSON line: a list (one per
image) of {index: [category_name, score]} over every class. The C++ Task library reads the
labels and the normalization from the model's metadata by itself.
"""

import json
import sys

import numpy as np
from tensorflow_lite_support.python.task.core import base_options
from tensorflow_lite_support.python.task.processor.proto import classification_options_pb2
from tensorflow_lite_support.python.task.vision import image_classifier
from tensorflow_lite_support.python.task.vision.core import tensor_image

options = image_classifier.ImageClassifierOptions(
    base_options=base_options.BaseOptions(file_name=sys.argv[1]),
    classification_options=classification_options_pb2.ClassificationOptions(max_results=-1))
classifier = image_classifier.ImageClassifier.create_from_options(options)
results = []
for path in sys.argv[2:]:
    image = tensor_image.TensorImage.create_from_array(np.load(path))
    categories = classifier.classify(image).classifications[0].categories
    results.append({c.index: [c.category_name, c.score] for c in categories})
print(json.dumps(results))
