"""The Keras EfficientNet-Lite graph: sizes, layer names, official variable shapes, heads."""

from __future__ import annotations

import math

import numpy as np
import pytest

from effkit.errors import UsageError
from effkit.model.network import (
    FEATURES_LAYER,
    LOGITS_LAYER,
    OUTPUT_LAYER,
    add_head,
    block_layout,
    build_model,
    features_model,
    logits_model,
    trainable_params,
)
from effkit.model.variants import VARIANTS, get_variant, stage_repeats
from effkit.weights.assign import weight_slots


def _official_vars(official_ckpt, variant) -> dict[str, tuple[int, ...]]:
    path = official_ckpt / "vars" / f"{variant.official_name}.vars.tsv"
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]
    return {name: tuple(int(d) for d in shape.split(",")) for name, shape in rows}


# lite0/lite1 in the quick loop; the larger graphs (seconds each) only in the full suite.
@pytest.mark.parametrize("name", [n if n in ("lite0", "lite1") else pytest.param(n, marks=pytest.mark.slow)
                                  for n in VARIANTS])
def test_variant_matches_official_graph(name, official_ckpt):
    """Trainable parameters as published, and every official variable maps to a Keras
    variable of the same shape (official kernels are already in Keras layout)."""
    variant = get_variant(name)
    model = build_model(variant)
    assert trainable_params(model) == variant.trainable_params
    assert model.input_shape == (None, *variant.input_shape)
    assert model.output_shape == (None, 1000)

    official = _official_vars(official_ckpt, variant)
    layers = {layer.name: layer for layer in model.layers}
    mapped = {}
    for slot in weight_slots(variant):
        var = {w.name: w for w in layers[slot.layer].weights}[slot.var]
        mapped[f"{variant.official_name}/{slot.official}"] = tuple(var.shape)
    assert mapped == official
    # Every Keras variable is covered by exactly one official one.
    assert len(model.weights) == len(official)


def test_block_layout_follows_the_builder():
    lite4 = get_variant("lite4")
    blocks = block_layout(lite4)
    assert len(blocks) == sum(stage_repeats(lite4))
    # Stem and head are fixed; first block reads the 32-filter stem and has no expansion.
    assert blocks[0].filters_in == 32 and not blocks[0].has_expand
    assert [b.stride for b in blocks if b.stride == 2] == [2, 2, 2, 2]
    assert blocks[0].drop_rate == 0.0
    assert math.isclose(blocks[-1].drop_rate, 0.2 * (len(blocks) - 1) / len(blocks))
    assert not any(b.has_skip for b in blocks if b.stride == 2)


@pytest.fixture(scope="module")
def lite0():
    return build_model(get_variant("lite0"))


def test_layer_names_are_stable(lite0):
    names = {layer.name for layer in lite0.layers}
    for expected in ("image", "stem_conv", "stem_bn", "stem_relu", "block0_dwconv",
                     "block0_project_bn", "block1_expand_conv", "block2_drop", "block2_add",
                     "block15_project_conv", "head_conv", "head_bn", FEATURES_LAYER,
                     "top_dropout", LOGITS_LAYER, OUTPUT_LAYER):
        assert expected in names
    # Blocks 1 (stride 2) and 3 (24 -> 40 filters) have no skip connection.
    assert "block1_add" not in names and "block3_add" not in names


def test_outputs_probabilities_and_inference_is_deterministic(lite0):
    x = np.random.default_rng(0).uniform(-1, 1, (2, 224, 224, 3)).astype(np.float32)
    a = np.asarray(lite0(x, training=False))
    b = np.asarray(lite0(x, training=False))
    np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(a, b)  # dropout and drop-connect are off
    logits = np.asarray(logits_model(lite0)(x))
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(axis=1, keepdims=True), a, atol=1e-6)


def test_backbone_and_new_head(lite0):
    variant = get_variant("lite0")
    backbone = build_model(variant, include_top=False)
    assert backbone.output_shape == (None, 1280)
    assert trainable_params(backbone) == variant.trainable_params - (1280 * 1000 + 1000)
    assert LOGITS_LAYER not in {layer.name for layer in backbone.layers}

    clf = add_head(backbone, 7, dropout_rate=0.1)
    assert clf.output_shape == (None, 7)
    assert trainable_params(clf) == trainable_params(backbone) + 1280 * 7 + 7
    assert clf.get_layer("stem_conv") is backbone.get_layer("stem_conv")  # shared weights
    backbone.trainable = False
    assert trainable_params(clf) == 1280 * 7 + 7

    # A full model's backbone can take a new head too.
    other = add_head(features_model(lite0), 3)
    assert other.output_shape == (None, 3)
    assert other.get_layer("head_conv") is lite0.get_layer("head_conv")


def test_dropout_override_and_bad_head():
    model = build_model(get_variant("lite0"), num_classes=5, dropout_rate=0.5, name="mine")
    assert model.name == "mine"
    assert model.get_layer("top_dropout").rate == 0.5
    assert model.output_shape == (None, 5)
    with pytest.raises(UsageError, match="num_classes"):
        add_head(features_model(model), 0)
    with pytest.raises(UsageError, match="dropout"):
        add_head(features_model(model), 2, dropout_rate=1.0)
