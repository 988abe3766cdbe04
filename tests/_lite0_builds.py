"""Real lite0 builds shared by test_eval, test_bench and test_report.

Built once per test session through the lead's pipeline (``effkit.pipeline.build.run_build``)
into pytest's session temp folder: int8 (calibrated on 8 photos, none of
them among the evaluation images below) and float32. About a minute on 2 cores.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import link_all

from effkit.model.preprocess import list_images


def eval_images(photo_dir: Path, count: int = 25) -> list[Path]:
    """``count`` photos spread over the classes: every other file, class by class in turn."""
    every_other = list_images(photo_dir)[::2]  # sorted by name: by class, then by view
    return sorted(every_other, key=lambda p: (p.name.split("_", 2)[2], p.name))[:count]


def calibration_images(photo_dir: Path) -> list[Path]:
    return list_images(photo_dir)[1::6][:8]  # odd files: disjoint from eval_images


def lite0_builds(tmp_path_factory, photo_dir: Path) -> dict[str, Path]:
    """{"int8": build folder, "float32": build folder}; built on first use in the session."""
    from effkit.pipeline.build import BuildRequest, run_build

    root = tmp_path_factory.getbasetemp() / "lite0-builds"
    calib = root / "calibration"
    if not calib.is_dir():
        link_all(calibration_images(photo_dir), calib)
    out = {}
    for quant in ("int8", "float32"):
        folder = root / quant
        if not (folder / "build.json").is_file():
            run_build(BuildRequest(
                variant="lite0", target="cpu", out=folder, quant=quant,
                calibration=calib if quant == "int8" else None,
                calibration_size=8 if quant == "int8" else None))
        out[quant] = folder
    return out


def copy_build(src: Path, dst: Path) -> Path:
    """A private copy of a build folder (tests that --save into it must not share one)."""
    shutil.copytree(src, dst)
    return dst
