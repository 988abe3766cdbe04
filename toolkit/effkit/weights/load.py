"""The one way in: what the user passed as weights -> a resolved source -> a loaded model.

``resolve_weights(variant, source)`` turns ``None`` (the bundled ``.pth`` or, for lite3/4,
Google's checkpoint), ``"official"`` (fetched once into the cache by
``effkit.weights.fetch``), ``"random"``, an official checkpoint folder or prefix, a
``.pth`` or a ``.weights.h5``/``.keras`` file into a :class:`WeightsSource` (kind, path,
class count, sha256; read once). ``load_weights`` puts it onto a Keras model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from effkit.model.variants import Variant
from effkit.weights.files import LocalSource, WeightsSource, identify, is_official, locate

if TYPE_CHECKING:
    import keras

    from effkit.weights.assign import WeightsInfo


def _locate(variant: Variant, source: str | Path | None) -> LocalSource:
    if (source is None and variant.pth_package is None) or (source is not None and is_official(source)):
        from effkit.weights.fetch import ensure_official

        return LocalSource("official-ckpt", ensure_official(variant))
    return locate(variant, source)


def resolve_weights(variant: Variant, source: str | Path | WeightsSource | None) -> WeightsSource:
    """Resolve ``source`` for ``variant``: WeightsError for anything ``load_weights`` rejects."""
    if isinstance(source, WeightsSource):
        return source
    return identify(_locate(variant, source))


def resolve_source(variant: Variant, source: str | Path | None) -> tuple[str, Path | None]:
    """(kind, path) for a ``load_weights`` source without reading any weights."""
    s = _locate(variant, source)
    return s.kind, s.path


def load_weights(
    model: keras.Model, variant: Variant, source: str | Path | WeightsSource | None = None, *,
    use_ema: bool = True,
) -> WeightsInfo:
    """Load ``source`` into ``model`` (built by ``effkit.model.network.build_model``).

    ``source`` is what the user passed, or a ``WeightsSource`` already resolved (a build
    plan's: then nothing is looked up or read twice). See ``effkit.weights.assign.load_resolved``.
    """
    from effkit.weights.assign import load_resolved

    return load_resolved(model, variant, resolve_weights(variant, source), use_ema=use_ema)


def num_classes_of(source: str | Path | None) -> int | None:
    """Classes of the top a ``load_weights`` source holds; None when it has no top.

    ``None`` or ``"official"`` (the bundled or official ImageNet weights) -> 1000; ``"random"`` -> None;
    a ``.pth`` or checkpoint -> the size of its dense layer; a Keras file ->
    ``keras_num_classes``. Build the model with this ``num_classes`` (or with the
    label count when None). Raises ``WeightsError`` for sources ``load_weights`` rejects.
    """
    if source is None or is_official(source):
        return 1000
    from effkit.model.variants import VARIANTS

    # The variant only matters for source None (which bundled file).
    return resolve_weights(next(iter(VARIANTS.values())), source).num_classes
