"""What a per-layer quantization report runs on: a folder of images, or the calibration
set of the build a model belongs to (``BuildInfo``, read from its ``build.json``)."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from effkit.core.progress import TickFn
from effkit.errors import DataError, UsageError, check_whole

DEFAULT_IMAGES = 32  # images a report runs on unless told otherwise

# --------------------------------------------------------------------------- inputs


def inputs_for(model: Path, data: Path | None, limit: int = DEFAULT_IMAGES,
               progress: TickFn | None = None) -> tuple[np.ndarray, dict]:
    """The inputs to compare on, and where they came from.

    ``data``: up to ``limit`` images of the folder (spread over it), preprocessed with
    the model's own resolution and normalization. Without it: the calibration set of
    the build the model belongs to (``build.json`` beside it): the same folder, or the
    same distilled set (shipped with effkit, cached, or distilled again: effkit.calibration.sets).
    """
    from effkit.calibration import sets as calib

    check_whole(limit, "--limit", high=10**9, example=DEFAULT_IMAGES)  # as eval's --limit
    if data is not None:
        return inputs_for_folder(model, data, limit, progress, what="--data folder")
    build = BuildInfo.beside(Path(model))
    inputs, source = build.calibration(progress)
    chosen = calib.pick_evenly(list(range(len(inputs))), limit)
    return inputs[chosen], source | {"count": len(chosen)}


def inputs_for_folder(model: bytes | Path, folder: Path, limit: int = DEFAULT_IMAGES,
                      progress: TickFn | None = None, variant: str = "lite0",
                      what: str = "image folder") -> tuple[np.ndarray, dict]:
    """Up to ``limit`` images of ``folder`` (spread over it, as calibration picks them),
    at the model's resolution with the normalization in its metadata."""
    from effkit.analysis.evaluate import TFLiteClassifier
    from effkit.calibration import sets as calib
    from effkit.model.variants import get_variant

    clf = TFLiteClassifier(model, xnnpack=False)  # only its input size and normalization are read
    prep = dataclasses.replace(get_variant(variant), resolution=clf.resolution)
    s = calib.from_folder(folder, prep, limit, progress, what, norm=(clf.mean, clf.std))
    return s.inputs, {"source": "folder", "path": str(Path(folder).resolve()), "count": s.count,
                      "skipped": s.skipped}


@dataclass(frozen=True)
class BuildInfo:
    """What ``build.json`` says about a model's build: enough to redo its calibration
    set and its Keras model (for the default data and for ``--keep-float``)."""

    folder: Path
    manifest: dict

    @classmethod
    def beside(cls, model: Path, *, needed_for: str = "there is no calibration set to reuse",
               hint: str = "pass --data DIR with images") -> BuildInfo:
        """The build ``model`` is in. ``needed_for`` and ``hint``: what is missing without
        it (default: its calibration set, for want of --data) and what to do."""
        path = Path(model).parent / "build.json"
        if not os.path.lexists(path):  # anything else there: the reader says what it is
            raise UsageError(f"{str(model)!r} is not in an effkit build folder (no build.json beside "
                             f"it), so {needed_for}", hint)
        from effkit.core.manifest import read_document

        doc = read_document(path, "build manifest", hint)
        if not isinstance(doc.get("variant"), str):
            raise DataError(f"{str(path)!r} is not an effkit build manifest", hint)
        return cls(path.parent, doc)

    @property
    def variant(self):
        from effkit.model.variants import get_variant

        return get_variant(self.manifest["variant"])

    @property
    def target(self) -> str | None:
        return self.manifest.get("target")

    def keras_model(self):
        """The build's network with its weights (TensorFlow: seconds)."""
        from effkit.core.native_log import import_tensorflow_quietly
        from effkit.model.network import build_model
        from effkit.weights.load import load_weights

        weights = self.manifest.get("weights") or {}
        if weights.get("kind") == "random":
            raise DataError("the build has random weights, which cannot be loaded again",
                            "build with real weights")
        source = self.weights_source()
        import_tensorflow_quietly()
        model = build_model(self.variant, num_classes=int(self.manifest.get("num_classes") or 1000))
        load_weights(model, self.variant, source)
        return model

    def weights_source(self):
        """The weights the build read, found again and checked by sha256 (a WeightsSource;
        the path as recorded for other kinds). ``build.json`` keeps the path as it was
        given: a relative one is looked up from the current folder, then from each folder
        above the build (where the build may have run), and only the file with the
        recorded sha256 is taken: a path that now holds other weights (a retrained
        ``effkit train --force``) was used without a word."""
        from effkit.core.manifest import sha256_files
        from effkit.weights.load import resolve_weights

        weights = self.manifest.get("weights") or {}
        path, recorded = weights.get("path"), weights.get("sha256")
        if not path or weights.get("kind") not in ("keras", "pth") or not isinstance(recorded, str):
            return path
        given = Path(path)
        places = [given] if given.is_absolute() else [given, *(above / given for above in
                                                              self.folder.absolute().parents)]
        for place in places:  # hashed first: a damaged file of that name is passed over
            try:
                same = place.is_file() and sha256_files([place]) == recorded
            except OSError:
                same = False
            if same:
                return resolve_weights(self.variant, place)
        raise DataError(f"the weights the build read ({path!r}, sha256 {recorded[:12]}...) are not "
                        "there any more, or hold other weights now",
                        "run from the folder the build ran in, with the weights it read, or build again")

    @property
    def calibration_folder(self) -> Path | None:
        """The folder of images the build calibrated on (None: distilled, or none)."""
        cal = self.manifest.get("calibration") or {}
        if cal.get("source") != "folder":
            return None
        detail = cal.get("detail")  # an object since build.json records it as one; text before
        return Path((detail.get("path") if isinstance(detail, dict) else detail) or "")

    @property
    def calibrated_on_training_split(self) -> bool:
        """``effkit train --build``: int8 calibrated on training images held in memory."""
        return (self.manifest.get("calibration") or {}).get("source") == "training split"

    def calibration(self, progress: TickFn | None = None) -> tuple[np.ndarray, dict]:
        """The build's whole calibration set (normalized float inputs) and its source:
        the same folder, or the same distilled set (effkit's cache, else distilled again
        from the same weights and settings: the same set up to the last bits of the CPU's
        multi-threaded float sums)."""
        from effkit.calibration import sets as calib

        cal = self.manifest.get("calibration") or {}
        detail = cal.get("detail")
        variant = self.variant
        folder = self.calibration_folder
        if folder is not None:
            if not folder.is_dir():
                raise DataError(f"the build's calibration folder {str(folder)!r} is gone",
                                "pass --data DIR with images")
            s = calib.from_folder(folder, variant, int(cal.get("count") or calib.DEFAULT_FOLDER_SIZE),
                                  progress)
            return s.inputs, {"source": "build calibration folder", "path": str(folder),
                              "count": s.count, "skipped": s.skipped}
        if self.calibrated_on_training_split:
            raise DataError("the build calibrated on images of its training split ('effkit train "
                            "--build'), which build.json does not list to read back",
                            "pass --data DIR with images (the training folder, say)")
        if cal.get("source") != "distilled":
            raise UsageError("the build has no calibration set (a float build?)",
                             "pass --data DIR with images")
        try:
            settings = calib.DistillSettings(**(detail if isinstance(detail, dict)
                                                else json.loads(detail or "{}")))
        except (TypeError, ValueError):
            raise DataError("the build's distillation settings cannot be read", "pass --data DIR") from None
        # The shipped set, the cache, or distilled again: effkit.calibration.sets looks in that order.
        found = calib.distilled(self.keras_model(), variant, settings, progress)
        return found.inputs, {"source": "build distilled set", "path": found.cache,
                              "origin": found.origin, "skipped": 0, "count": found.count}
