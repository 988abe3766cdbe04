"""The EfficientNet-Lite network as a Keras 3 functional model.

Same graph as Google's official builder (tensorflow/tpu, models/official/
efficientnet/lite/efficientnet_lite_builder.py with efficientnet_model.py):
stem 3x3/2 conv with 32 filters (not scaled), MBConv blocks without
squeeze-and-excite, ReLU6, head 1x1 conv with 1280 filters (not scaled), first
and last stages' repeats not scaled, batch norm epsilon 1e-3, TF 'SAME' padding,
identity skip when stride is 1 and input and output filters are equal (with
drop-connect in training only), global average pool, dropout, dense, softmax.

The input is the normalized float image ``(R, R, 3)``: ``(pixels - 127) / 128``
(see ``effkit.model.preprocess.normalize``); the output holds class probabilities.

Layer names are an API (weight porting looks layers up by name). With ``i`` the
block index over the whole network (``blocks_i`` in the official checkpoint,
``_blocks.i`` in the PyTorch port)::

    image                                   input
    stem_conv, stem_bn, stem_relu
    block{i}_expand_conv, block{i}_expand_bn, block{i}_expand_relu   (expand ratio != 1)
    block{i}_dwconv, block{i}_dwconv_bn, block{i}_dwconv_relu
    block{i}_project_conv, block{i}_project_bn
    block{i}_drop, block{i}_add                                   (blocks with a skip)
    head_conv, head_bn, head_relu
    avg_pool                                pooled features (1280); the backbone output
    top_dropout, logits, predictions        the classification top (include_top=True)

This module imports Keras lazily, so ``block_layout`` is cheap to call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from effkit.errors import UsageError
from effkit.model.variants import Variant, round_filters, stage_repeats

if TYPE_CHECKING:
    import keras

# Survival probability of the last block's residual branch (official ``survival_prob``).
DEFAULT_DROP_CONNECT_RATE = 0.2
INPUT_NAME = "image"
FEATURES_LAYER = "avg_pool"
LOGITS_LAYER = "logits"
OUTPUT_LAYER = "predictions"
TOP_LAYERS = ("top_dropout", LOGITS_LAYER, OUTPUT_LAYER)


@dataclass(frozen=True)
class BlockSpec:
    """One MBConv block after width and depth scaling."""

    index: int
    stage: int
    kernel_size: int
    stride: int
    expand_ratio: int
    filters_in: int
    filters_out: int
    drop_rate: float

    @property
    def has_expand(self) -> bool:
        return self.expand_ratio != 1

    @property
    def has_skip(self) -> bool:
        return self.stride == 1 and self.filters_in == self.filters_out

    @property
    def expanded_filters(self) -> int:
        return self.filters_in * self.expand_ratio


def block_layout(
    variant: Variant, *, drop_connect_rate: float = DEFAULT_DROP_CONNECT_RATE
) -> list[BlockSpec]:
    """Every MBConv block of ``variant`` in order, as the official builder lays them out.

    The first block's input is the (fixed) stem; the drop-connect rate grows
    linearly from 0 at block 0 to ``drop_connect_rate`` (official ``1 - survival_prob``).
    """
    repeats = stage_repeats(variant)
    total = sum(repeats)
    blocks: list[BlockSpec] = []
    channels = round_filters(variant.stem_filters, variant, fixed=True)
    for stage, (spec, count) in enumerate(zip(variant.stages, repeats, strict=True)):
        filters_out = round_filters(spec.filters_out, variant)
        for r in range(count):
            index = len(blocks)
            blocks.append(BlockSpec(
                index=index, stage=stage, kernel_size=spec.kernel_size,
                stride=spec.stride if r == 0 else 1, expand_ratio=spec.expand_ratio,
                filters_in=channels, filters_out=filters_out,
                drop_rate=drop_connect_rate * index / total,
            ))
            channels = filters_out
    return blocks


def _conv_init() -> keras.initializers.Initializer:
    import keras

    # Official conv_kernel_initializer: normal(0, sqrt(2 / fan_out)).
    return keras.initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal")


def _dense_init() -> keras.initializers.Initializer:
    import keras

    # Official dense_kernel_initializer: uniform(-1/sqrt(units), 1/sqrt(units)).
    return keras.initializers.VarianceScaling(1.0 / 3.0, "fan_out", "uniform")


def batch_norm_after(conv_name: str) -> str:
    """The batch norm that reads a convolution's output: ``X_conv`` -> ``X_bn``,
    ``X_dwconv`` -> ``X_dwconv_bn`` (bias correction moves its mean)."""
    return (conv_name.removesuffix("_conv") if conv_name.endswith("_conv") else conv_name) + "_bn"


def _conv_bn_relu(x, filters: int, kernel: int, stride: int, prefix: str, variant: Variant, *,
                  relu: bool = True):
    import keras
    from keras import layers

    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False,
                      kernel_initializer=_conv_init(), name=f"{prefix}_conv")(x)
    x = layers.BatchNormalization(epsilon=variant.batch_norm_epsilon,
                                  momentum=variant.batch_norm_momentum,
                                  name=batch_norm_after(f"{prefix}_conv"))(x)
    if relu:
        x = layers.Activation(keras.activations.relu6, name=f"{prefix}_relu")(x)
    return x


def _mbconv(x, block: BlockSpec, variant: Variant):
    import keras
    from keras import layers

    p = f"block{block.index}"
    inputs = x
    if block.has_expand:
        x = _conv_bn_relu(x, block.expanded_filters, 1, 1, f"{p}_expand", variant)
    x = layers.DepthwiseConv2D(block.kernel_size, strides=block.stride, padding="same",
                               use_bias=False, depthwise_initializer=_conv_init(),
                               name=f"{p}_dwconv")(x)
    x = layers.BatchNormalization(epsilon=variant.batch_norm_epsilon,
                                  momentum=variant.batch_norm_momentum,
                                  name=batch_norm_after(f"{p}_dwconv"))(x)
    x = layers.Activation(keras.activations.relu6, name=f"{p}_dwconv_relu")(x)
    x = _conv_bn_relu(x, block.filters_out, 1, 1, f"{p}_project", variant, relu=False)
    if block.has_skip:
        if block.drop_rate > 0:
            # Drop-connect: drops the whole residual branch per sample, training only.
            x = layers.Dropout(block.drop_rate, noise_shape=(None, 1, 1, 1), name=f"{p}_drop")(x)
        x = layers.Add(name=f"{p}_add")([x, inputs])
    return x


def build_model(
    variant: Variant,
    *,
    num_classes: int = 1000,
    include_top: bool = True,
    dropout_rate: float | None = None,
    name: str | None = None,
    drop_connect_rate: float = DEFAULT_DROP_CONNECT_RATE,
) -> keras.Model:
    """Build EfficientNet-Lite ``variant`` with random weights (see ``effkit.weights.load``).

    Args:
        variant: the variant (``effkit.model.variants.get_variant("lite0")``).
        num_classes: size of the softmax output (ignored without the top).
        include_top: ``False`` returns the backbone, whose output is the pooled
            1280-d features (layer ``avg_pool``); put a head on with ``add_head``.
        dropout_rate: dropout before the dense layer; the variant's by default.
        name: model name; ``efficientnet_<variant>`` by default.
        drop_connect_rate: largest drop-connect rate (last block), training only.

    Example:
        >>> model = build_model(get_variant("lite0"))
        >>> probs = model(normalize(pixels, 127, 128)[None])   # (1, 1000)
    """
    import keras
    from keras import layers

    name = name or f"efficientnet_{variant.name}"
    inputs = keras.Input(shape=variant.input_shape, name=INPUT_NAME)
    x = _conv_bn_relu(inputs, round_filters(variant.stem_filters, variant, fixed=True), 3, 2,
                      "stem", variant)
    for block in block_layout(variant, drop_connect_rate=drop_connect_rate):
        x = _mbconv(x, block, variant)
    x = _conv_bn_relu(x, round_filters(variant.head_filters, variant, fixed=True), 1, 1, "head",
                      variant)
    x = layers.GlobalAveragePooling2D(name=FEATURES_LAYER)(x)
    backbone = keras.Model(inputs, x, name=name if not include_top else f"{name}_backbone")
    if not include_top:
        return backbone
    rate = variant.dropout_rate if dropout_rate is None else dropout_rate
    return add_head(backbone, num_classes, dropout_rate=rate, name=name)


def add_head(
    backbone: keras.Model,
    num_classes: int,
    *,
    dropout_rate: float = 0.2,
    name: str | None = None,
) -> keras.Model:
    """Put a new classification top (dropout, dense ``logits``, softmax) on a backbone.

    ``backbone`` is a model whose output is the pooled features: one built with
    ``include_top=False``, or ``features_model(model)`` of a full one. Its layers
    (and weights) are shared, so freeze them with ``backbone.trainable = False``.
    """
    import keras
    from keras import layers

    if num_classes < 1:
        raise UsageError(f"num_classes must be at least 1, not {num_classes}",
                         "pass the number of labels")
    if not 0.0 <= dropout_rate < 1.0:
        raise UsageError(f"dropout rate {dropout_rate} is outside [0, 1)", "pass e.g. 0.2")
    x = layers.Dropout(dropout_rate, name="top_dropout")(backbone.output)
    x = layers.Dense(num_classes, kernel_initializer=_dense_init(), name=LOGITS_LAYER)(x)
    outputs = layers.Activation("softmax", name=OUTPUT_LAYER)(x)
    return keras.Model(backbone.input, outputs,
                       name=name or backbone.name.removesuffix("_backbone"))


def features_model(model: keras.Model) -> keras.Model:
    """The backbone of a model built here: input to pooled features, weights shared."""
    import keras

    return keras.Model(model.input, model.get_layer(FEATURES_LAYER).output,
                       name=f"{model.name}_backbone")


def logits_model(model: keras.Model) -> keras.Model:
    """Input to pre-softmax logits of a model built with a top, weights shared."""
    import keras

    return keras.Model(model.input, model.get_layer(LOGITS_LAYER).output,
                       name=f"{model.name}_logits")


def trainable_params(model: keras.Model) -> int:
    """Number of trainable scalars (the figure ``Variant.trainable_params`` holds)."""
    import math

    return sum(math.prod(w.shape) for w in model.trainable_weights)
