"""Transfer learning on the user's own images (``effkit train``).

A folder with one sub-folder per class becomes a classifier in two phases: a new head
on the frozen pretrained backbone, then (optionally) the whole network at a lower
learning rate. Batch normalization stays in inference mode throughout: the backbone is
called with ``training=False``, so its moving statistics keep their ImageNet values and
drop-connect is off; in the fine-tuning phase its weights (BN gamma/beta included) learn.

Data:

* Class names are the sub-folder names in sorted (code point) order; they become the
  labels, one per line, in that order. Images may sit deeper inside a class folder.
* Every image is decoded once up front; unreadable files are skipped and counted.
  Images directly in the data folder belong to no class and are ignored (listed).
* Validation: ``--val DIR`` (same class folder names, a subset is allowed), or a
  stratified, seeded split of each class (at least one image of each class on each side).
* Validation images are preprocessed exactly as at inference (``effkit.model.preprocess.load_image``:
  central crop, bicubic resize, ``(x - mean) / std``). Training images get a random crop
  (25-100 % of the area, aspect 3/4-4/3), a horizontal flip and brightness/contrast
  jitter; augmentation is seeded per (seed, epoch, image), so a resumed run sees the
  same images as an uninterrupted one. The backbone runs on every step (no feature cache:
  cached features would freeze the augmentation).

Outputs in ``OUT``: ``model.weights.h5`` (the full model with its head, the layout
``effkit.model.network.build_model(variant, num_classes=N)`` has), ``labels.txt`` and ``train.json``.
While training, ``OUT/checkpoints/`` holds the state after every epoch (weights, optimizer,
history); ``resume=True`` continues from there; it is removed once training finishes.

Several GPUs: ``tf.distribute.MirroredStrategy``; ``TF_CONFIG`` set:
``MultiWorkerMirroredStrategy`` (see docs/training.md); a GPU: mixed float16 precision
(the head stays float32). ``batch_size`` is the global batch over all replicas.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from effkit.core.manifest import BUILD_OUTPUT, LABELS_FILE, read_document
from effkit.core.outputs import Ownership, check_output_dir, json_bytes, remove_output, write_file_atomic
from effkit.core.progress import TickFn
from effkit.errors import DataError, OutputError, UsageError, check_whole, keyword_checked, wrong_type
from effkit.model.variants import Variant, get_variant
from effkit.training.checkpoints import (
    CHECKPOINT_DIR,
    STATE_NAME,
    EpochRecord,
    _Checkpoints,
    _save_weights_atomic,
    _State,
)
from effkit.training.data import (
    TrainData,
    make_dataset,
    scan,
)
from effkit.training.network import (
    Placement,
    _optimizer,
    _Steps,
    _training_model,
    build_classifier,
    choose_strategy,
    is_chief_worker,
)

LABELS_NAME = LABELS_FILE  # as a build names its labels file (the app README says so)
WEIGHTS_NAME = "model.weights.h5"
SUMMARY_NAME = "train.json"


def train_written(folder: Path) -> frozenset[str] | None:
    """What training wrote into ``folder``: when its train.json is effkit's, or an
    interrupted run left its checkpoints' state.json (else None)."""
    folder = Path(folder)
    try:
        if "effkit_train" not in read_document(folder / SUMMARY_NAME, "training summary", ""):
            return None
    except DataError:
        try:
            read_document(folder / CHECKPOINT_DIR / STATE_NAME, "training state", "")
        except DataError:
            return None
    return frozenset({SUMMARY_NAME, WEIGHTS_NAME, LABELS_NAME, f"{CHECKPOINT_DIR}/"})


# 'effkit train --force' overwrites its own files in an earlier training's folder, and
# keeps any other
TRAIN_OUTPUT = Ownership("training output", SUMMARY_NAME, train_written, replaces_folder=False)
PHASES = ("head", "fine_tune")


# --------------------------------------------------------------------------- settings


DEFAULT_VAL_SPLIT = 0.2


@keyword_checked("training.TrainConfig")
@dataclass(frozen=True)
class TrainConfig:
    """What to train and how. ``batch_size`` is global (over all replicas).

    ``fine_tune_learning_rate`` defaults to ``learning_rate / 100``. ``patience`` is the
    number of epochs without a better validation accuracy (ties broken by a lower
    validation loss) after which a phase stops early. ``weights`` is the backbone's
    source for ``effkit.weights.load.load_weights`` (None: the bundled ImageNet weights).
    """

    data: Path
    out: Path
    variant: str = "lite0"
    val: Path | None = None
    val_split: float | None = None  # None: DEFAULT_VAL_SPLIT without --val (``split``)
    epochs: int = 10
    fine_tune_epochs: int = 0
    batch_size: int = 32
    learning_rate: float = 5e-3
    fine_tune_learning_rate: float | None = None
    patience: int = 3
    dropout_rate: float = 0.2
    augment: bool = True
    weights: str | None = None
    seed: int = 0
    resume: bool = False
    force: bool = False
    mixed_precision: bool | None = None  # None: when a GPU is present

    def __post_init__(self) -> None:
        # "~/x" the home folder's, as the build planned after training takes it (a shell
        # leaves --out=~/x alone: the weights went to ./~/x and the build to $HOME/x)
        from effkit.errors import home_expanded

        for name in ("data", "out", "val"):
            object.__setattr__(self, name, home_expanded(getattr(self, name), f"--{name}"))

    @property
    def split(self) -> float:
        """The validation split in use: ``val_split``, else DEFAULT_VAL_SPLIT (given with
        --val, validate refuses it)."""
        return DEFAULT_VAL_SPLIT if self.val_split is None else self.val_split

    @property
    def fine_tune_lr(self) -> float:
        if self.fine_tune_learning_rate is not None:
            return self.fine_tune_learning_rate
        return self.learning_rate / 100

    def settings(self) -> dict:
        """Everything a checkpoint must agree with to be resumed."""
        return {
            "variant": get_variant(self.variant).name,
            "data": str(Path(self.data).resolve()),
            "val": str(Path(self.val).resolve()) if self.val else None,
            "val_split": None if self.val else self.split,
            "epochs": self.epochs, "fine_tune_epochs": self.fine_tune_epochs,
            "batch_size": self.batch_size, "learning_rate": self.learning_rate,
            "fine_tune_learning_rate": self.fine_tune_lr, "patience": self.patience,
            "dropout_rate": self.dropout_rate, "augment": self.augment,
            "weights": self.weights, "seed": self.seed,
        }


def _check_types(config: TrainConfig) -> None:
    """UsageError naming the first setting of the wrong type (the Python API takes
    anything: ``effkit.train(data, out=..., epochs="two")``); counts go through check_whole."""
    value: object
    for flag, value in (("--learning-rate", config.learning_rate), ("--val-split", config.val_split),
                        ("--fine-tune-learning-rate", config.fine_tune_learning_rate),
                        ("--dropout", config.dropout_rate)):
        optional = flag in ("--fine-tune-learning-rate", "--val-split")  # None: their defaults
        if not (value is None and optional) and (isinstance(value, bool)
                                                 or not isinstance(value, (int, float))):
            raise wrong_type(flag, value, "a number")
    for flag, value in (("--augment", config.augment), ("--resume", config.resume),
                        ("--force", config.force)):
        if not isinstance(value, bool):
            raise wrong_type(flag, value, "True or False")
    for flag, value in (("--data", config.data), ("--out", config.out), ("--val", config.val)):
        if value is not None and not isinstance(value, (str, os.PathLike)):
            raise wrong_type(flag, value, "a path")
    for flag, value in (("--variant", config.variant), ("--weights", config.weights)):
        if value is not None and not isinstance(value, str):
            raise wrong_type(flag, value, "text")


def validate(config: TrainConfig) -> Variant:
    """Checks that need no data and no TensorFlow: flags, output folder."""
    _check_types(config)
    variant = get_variant(config.variant)
    check_whole(config.epochs, "--epochs", high=100_000, example=10)
    check_whole(config.fine_tune_epochs, "--fine-tune-epochs", low=0, high=100_000, example=5)
    check_whole(config.batch_size, "--batch-size", high=1 << 20, example=32)
    check_whole(config.patience, "--patience", high=100_000, example=3)
    check_whole(config.seed, "--seed", low=0, high=2**32 - 1, example=0)
    for flag, lr in (("--learning-rate", config.learning_rate),
                     ("--fine-tune-learning-rate", config.fine_tune_lr)):
        if not (lr > 0 and math.isfinite(lr)):
            raise UsageError(f"{flag} must be a positive, finite number (got {lr})",
                             f"pass e.g. {flag} 0.005")
    if not 0.0 <= config.dropout_rate < 1.0:
        raise UsageError(f"--dropout {config.dropout_rate} is outside [0, 1)", "pass e.g. --dropout 0.2")
    if config.val is None and not 0.0 < config.split < 1.0:
        raise UsageError(f"--val-split must be between 0 and 1 (got {config.split})",
                         f"pass e.g. --val-split {DEFAULT_VAL_SPLIT}, or a validation folder with --val DIR")
    if config.val is not None and config.val_split is not None:  # it was ignored
        raise UsageError("--val-split does not apply with --val: the validation images are "
                         "the --val folder's", "drop one of the two")
    if config.resume and config.force:
        raise UsageError("--resume and --force do not go together",
                         "--resume continues the run in --out, --force starts it over")
    if config.val is not None:
        data, val = Path(config.data).resolve(), Path(config.val).resolve()
        if val == data or data in val.parents or val in data.parents:
            relation = "is" if val == data else "is inside" if data in val.parents else "holds"
            raise UsageError(f"--val {str(config.val)!r} {relation} --data {str(config.data)!r}: "
                             "validation would score images training learns from",
                             "pass a separate folder with --val, or drop --val to split --data")
    out = Path(config.out).resolve()
    for flag, folder in (("--data", config.data), ("--val", config.val)):
        if folder is not None and (out == Path(folder).resolve()
                                   or Path(folder).resolve() in out.parents):
            where = "is" if out == Path(folder).resolve() else "is inside"
            raise UsageError(f"--out {str(config.out)!r} {where} {flag} {str(folder)!r}",
                             "its outputs would mix with the images: choose --out elsewhere")
    from effkit.weights.load import resolve_source

    resolve_source(variant, config.weights)  # lite3/4 without --weights, missing files
    if is_chief_worker():  # other workers of a cluster write to a temporary folder
        _check_out(config)
    return variant


def _check_out(config: TrainConfig) -> None:
    out = Path(config.out)
    state = out / CHECKPOINT_DIR / STATE_NAME
    if out.exists() and not out.is_dir():
        raise OutputError(f"output {str(out)!r} exists and is not a folder", "choose another --out")
    if config.resume:
        if not state.is_file():
            raise OutputError(f"nothing to resume: {str(state)!r} does not exist",
                              "run without --resume to start training")
    else:
        if out.is_dir() and any(out.iterdir()) and not config.force and state.is_file():
            raise OutputError(f"output folder {str(out)!r} is not empty",
                              "pass --resume to continue the interrupted run, or --force to start over")
        check_output_dir(out, config.force, owner=TRAIN_OUTPUT, renamed=False)  # written in place
    previous = _stale_build(out, config)
    if previous is not None:  # built from the weights this run replaces: removed with them
        check_output_dir(previous, True, owner=BUILD_OUTPUT)


def _stale_build(out: Path, config: TrainConfig) -> Path | None:
    """The build an earlier run's --build made in ``out``, which this run's weights replace:
    with --force, or with --resume (the train.json there is then always an earlier run's,
    whose --force restart was interrupted: a run writes train.json only when it ends)."""
    return _previous_build(out) if config.force or config.resume else None


def _previous_build(out: Path) -> Path | None:
    """The build folder an earlier 'train --build' wrote into ``out`` (train.json's
    ``build`` section names it), if it is still there."""
    try:
        section = read_document(out / SUMMARY_NAME, "training summary", "").get("build")
    except DataError:
        return None
    if not isinstance(section, dict) or not isinstance(section.get("out_dir"), str):
        return None
    folder = out / Path(section["out_dir"]).name  # always OUT/<variant>-<target>
    return folder if folder.is_dir() and not folder.is_symlink() else None


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainResult:
    out_dir: Path
    weights: Path
    labels: Path
    summary: dict  # the content of train.json
    data: TrainData  # the classes and the split trained on

    def to_dict(self) -> dict:
        import copy

        # the caller's to change: a shallow copy shared summary's nested dicts (outside walk)
        return copy.deepcopy(self.summary) | {"out_dir": str(self.out_dir),
                                              "weights": str(self.weights), "labels": str(self.labels)}


@dataclass(frozen=True)
class Callbacks:
    """Optional progress hooks (all run on the training thread)."""

    on_scan: TickFn | None = None  # (done, total) images checked
    on_start: Callable[[dict], None] | None = None  # data/placement summary, before epoch 1
    on_batch: Callable[[str, int, int, int], None] | None = None  # phase, epoch, done, total
    on_epoch: Callable[[EpochRecord], None] | None = None


def _improves(val_acc: float, val_loss: float, best: dict | None) -> bool:
    if best is None:
        return True
    return val_acc > best["val_accuracy"] or (
        val_acc == best["val_accuracy"] and val_loss < best["val_loss"])


def _seed_dropout(model, seed: int, phase: str, epoch: int) -> None:
    """Set each random layer's generator (dropout) to a state that depends only on the seed,
    the phase and the epoch, as the augmentation does: a resumed run then draws the same
    dropout masks as an uninterrupted one. (The generators' states are not among the
    weights a checkpoint saves, so without this a resumed run started them over.)"""
    import zlib

    import numpy as np

    generators = [v for v in model.non_trainable_variables if v.path.endswith("seed_generator_state")]
    for i, state in enumerate(generators):
        value = zlib.crc32(f"{seed}/{phase}/{epoch}/{i}".encode()) & 0x7FFFFFFF
        state.assign(np.asarray([value, 0], dtype=state.dtype))


def _phases(config: TrainConfig) -> list[tuple[str, int, float]]:
    out = [("head", config.epochs, config.learning_rate)]
    if config.fine_tune_epochs:
        out.append(("fine_tune", config.fine_tune_epochs, config.fine_tune_lr))
    return out


@contextlib.contextmanager
def _worker_dirs(config: TrainConfig, placement: Placement) -> Iterator[tuple[Path, Path]]:
    """(checkpoint dir to read, dir to write): non-chief workers write to a temporary dir."""
    read_dir = Path(config.out) / CHECKPOINT_DIR
    if placement.chief:
        yield read_dir, read_dir
        return
    tmp = Path(tempfile.mkdtemp(prefix="effkit-train-worker-"))
    try:
        yield read_dir, tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def train(config: TrainConfig, callbacks: Callbacks | None = None) -> TrainResult:
    """Train, checkpoint every epoch, and write model.weights.h5, labels.txt, train.json.
    Python's and numpy's global random generators are left as they were (the run seeds
    them with ``config.seed``, as Keras does)."""
    import random

    import numpy as np

    python_state, numpy_state = random.getstate(), np.random.get_state()
    try:
        return _train(config, callbacks)
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def _train(config: TrainConfig, callbacks: Callbacks | None) -> TrainResult:
    cb = callbacks or Callbacks()
    variant = validate(config)
    started = time.time()
    data = scan(config.data, val=config.val, val_split=config.split, seed=config.seed,
                progress=cb.on_scan)
    given = config.batch_size
    if config.batch_size > len(data.train):  # a batch beyond the data only allocates memory
        config = replace(config, batch_size=len(data.train))

    from effkit.core.native_log import import_tensorflow_quietly

    import_tensorflow_quietly()  # the CLI's and the API's training alike
    import keras

    strategy, placement = choose_strategy(config.mixed_precision)
    out = Path(config.out)
    with _worker_dirs(config, placement) as (read_dir, write_dir):
        ckpt = _Checkpoints(read_dir, write_dir)
        if config.resume:
            state = ckpt.load()
            _check_resumable(state, config, data, given_batch_size=given)
        else:
            if placement.chief and read_dir.exists():
                shutil.rmtree(read_dir)  # --force: a previous run's checkpoints
            state = _State(settings=config.settings(), data=data.fingerprint())
        if cb.on_start:
            cb.on_start({"classes": list(data.classes), "counts": data.counts(),
                         "skipped": len(data.skipped), "ignored": len(data.ignored),
                         "warnings": [*data.warnings, *_settings_warnings(config)],
                         "placement": asdict(placement), "resumed": _resume_point(state)})

        keras.utils.set_random_seed(config.seed)  # train() puts the caller's generators back
        with strategy.scope():
            model, backbone, winfo = build_classifier(
                variant, len(data.classes), weights=config.weights,
                dropout_rate=config.dropout_rate, mixed_precision=placement.mixed_precision)
            train_model = _training_model(model, backbone)
        val_ds = make_dataset(data.val, variant, batch_size=config.batch_size, training=False)

        steps = None  # stays None when resuming a run stopped after its last epoch
        for phase, epochs, lr in _phases(config):
            if phase in state.done:
                continue
            with strategy.scope():
                optimizer = _optimizer(train_model, backbone, phase, lr, placement.mixed_precision)
            steps = _Steps(strategy, train_model, optimizer, config.batch_size)
            if state.phase == phase and state.epoch > 0 and state.last:
                ckpt.load_weights(model, state.last["weights"])
                ckpt.load_optimizer(optimizer, state.last["optimizer"])
            elif state.best:  # a new phase starts from the best model so far
                ckpt.load_weights(model, state.best["file"])
            first = state.epoch if state.phase == phase else 0
            state.phase = phase
            if first == 0:
                state.wait = 0
            for epoch in range(first, epochs):
                _seed_dropout(train_model, config.seed, phase, epoch)
                record = _run_epoch(steps, data, variant, config, phase, epoch, epochs, lr,
                                    val_ds, cb.on_batch)
                tag = f"{phase}-{epoch + 1:03d}"
                if _improves(record.val_accuracy, record.val_loss, state.best):
                    record = replace(record, best=True)
                    state.best = {"val_accuracy": record.val_accuracy, "val_loss": record.val_loss,
                                  "phase": phase, "epoch": epoch + 1,
                                  "file": ckpt.save_weights(model, f"best-{tag}.weights.h5")}
                    state.wait = 0
                else:
                    state.wait += 1
                state.last = {"weights": ckpt.save_weights(model, f"last-{tag}.weights.h5"),
                              "optimizer": ckpt.save_optimizer(optimizer, f"last-{tag}.opt.npz")}
                state.epoch = epoch + 1
                state.history.append(asdict(record))
                stop = state.wait >= config.patience or epoch + 1 == epochs
                if stop:
                    state.done.append(phase)
                ckpt.commit(state)
                if cb.on_epoch:
                    cb.on_epoch(record)
                if stop:
                    break

        assert state.best is not None  # at least one epoch ran
        ckpt.load_weights(model, state.best["file"])
        if steps is None:  # evaluation only: no optimizer
            steps = _Steps(strategy, train_model, None, config.batch_size)
        final_loss, final_acc = steps.run(val_ds, training=False)
        summary = _summary(config, variant, data, placement, state, winfo,
                           float(final_acc), float(final_loss), time.time() - started)
        if placement.chief:
            previous = _stale_build(out, config)
            if previous is not None:  # a model of the weights replaced now
                remove_output(previous, BUILD_OUTPUT, "built from the weights this run replaced")
            _write_outputs(out, model, data.classes, summary)
            shutil.rmtree(read_dir, ignore_errors=True)
    return TrainResult(out, out / WEIGHTS_NAME, out / LABELS_NAME, summary, data)


def _settings_warnings(config: TrainConfig) -> list[str]:
    """What trains but cannot learn much, as the data's warnings are kept (train.json)."""
    from effkit.weights.files import weights_word

    if weights_word(config.weights) == "random" and not config.fine_tune_epochs:
        return ["--weights random with no --fine-tune-epochs trains only a head on a frozen "
                "backbone of random weights, which never learns features: add "
                "--fine-tune-epochs N, or start from pretrained weights"]
    return []


def _resume_point(state: _State) -> dict | None:
    if not state.history:
        return None
    return {"phase": state.phase, "epoch": state.epoch, "done": list(state.done)}


# The settings a checkpoint keeps, as the flags that set them (the API says its keywords).
SETTING_FLAGS = {"variant": "--variant", "data": "--data", "val": "--val", "val_split": "--val-split",
                 "epochs": "--epochs", "fine_tune_epochs": "--fine-tune-epochs",
                 "batch_size": "--batch-size", "learning_rate": "--learning-rate",
                 "fine_tune_learning_rate": "--fine-tune-learning-rate", "patience": "--patience",
                 "dropout_rate": "--dropout", "augment": "--augment", "weights": "--weights",
                 "seed": "--seed"}


def _check_resumable(state: _State, config: TrainConfig, data: TrainData,
                     given_batch_size: int | None = None) -> None:
    """UsageError naming the first flag that differs from the checkpoint's run (``config``
    with the batch size cut to the training split; ``given_batch_size`` the one given, which
    is what the message shows: it named the cut size, a value the user never passed)."""
    now = config.settings()
    changed = [k for k in sorted(set(now) | set(state.settings))
               if now.get(k) != state.settings.get(k)]
    if state.data_format is None:  # an effkit before the key: either form
        data_changed = state.data not in (data.fingerprint(), data.fingerprint(files=False))
    else:
        data_changed = state.data != data.fingerprint(files=state.data_format >= 2)
    # the batch size is cut to the training split's size: with other images it changes too,
    # and the images, not a flag the user never gave, are what to name
    flags = [k for k in changed if not (k == "batch_size" and data_changed)]
    if flags:
        k = flags[0]
        shown = repr(now.get(k))
        if k == "batch_size" and given_batch_size not in (None, now.get(k)):
            shown = f"{given_batch_size!r} (cut to {now.get(k)!r}, the training split's size)"
        raise UsageError(f"cannot resume: {SETTING_FLAGS.get(k, k)} was {state.settings.get(k)!r}, "
                         f"now {shown}", "resume with the same flags, or start over with --force")
    if data_changed:
        raise DataError("cannot resume: the images or the train/validation split changed "
                        "since the checkpoint", "restore the data, or start over with --force")


def _run_epoch(steps: _Steps, data: TrainData, variant: Variant, config: TrainConfig,
               phase: str, epoch: int, epochs: int, lr: float, val_ds, on_batch) -> EpochRecord:
    start = time.perf_counter()
    train_ds = make_dataset(data.train, variant, batch_size=config.batch_size, training=True,
                            augment=config.augment, seed=config.seed,
                            epoch=epoch + (1000 if phase == "fine_tune" else 0))
    # one bar per epoch over its training and then its validation batches (the validation
    # pass of a large split takes tens of seconds: a bar standing still at the end looked stuck)
    trained = math.ceil(len(data.train) / config.batch_size)
    total = trained + math.ceil(len(data.val) / config.batch_size)
    progress = (lambda done: on_batch(phase, epoch + 1, done, total)) if on_batch else None
    loss, acc = steps.run(train_ds, training=True, on_batch=progress)
    val_loss, val_acc = steps.run(val_ds, training=False, on_batch=progress and (
        lambda done: progress(trained + done)))
    return EpochRecord(phase=phase, epoch=epoch + 1, epochs=epochs, loss=loss, accuracy=acc,
                       val_loss=val_loss, val_accuracy=val_acc, learning_rate=lr,
                       seconds=round(time.perf_counter() - start, 2))


def _summary(config: TrainConfig, variant: Variant, data: TrainData, placement: Placement,
             state: _State, winfo, val_acc: float, val_loss: float, seconds: float) -> dict:
    from effkit.core.manifest import versions

    best = dict(state.best or {})
    best.pop("file", None)
    return {
        "effkit_train": 1,
        "versions": versions(),
        "variant": variant.name,
        "classes": list(data.classes),
        "num_classes": len(data.classes),
        "class_counts": data.counts(),
        "train_images": len(data.train),
        "val_images": len(data.val),
        "val_source": str(config.val) if config.val else f"split {config.split} (seed {config.seed})",
        "skipped": list(data.skipped),
        "ignored": list(data.ignored),
        "warnings": [*data.warnings, *_settings_warnings(config)],
        "settings": config.settings(),
        "backbone_weights": winfo.description,
        "placement": asdict(placement),
        "history": list(state.history),
        "best": best,
        "val_accuracy": round(val_acc, 6),
        "val_loss": round(val_loss, 6),
        "seconds": round(seconds, 1),
        "outputs": {"weights": WEIGHTS_NAME, "labels": LABELS_NAME},
    }


def _write_outputs(out: Path, model, classes: Sequence[str], summary: dict) -> None:
    from effkit.model.labels import Labels

    out.mkdir(parents=True, exist_ok=True)
    _save_weights_atomic(model, out / WEIGHTS_NAME)
    write_file_atomic(out / LABELS_NAME, Labels(tuple(classes)).to_bytes(), force=True)
    write_summary(out, summary)


def write_summary(out: Path, summary: dict) -> None:
    write_file_atomic(Path(out) / SUMMARY_NAME, json_bytes(summary, default=str), force=True)


