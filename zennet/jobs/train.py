"""``zennet train``: train a preset on a data set, checkpointing under a run directory."""

import json
import os
from pathlib import Path

import numpy as np

from zennet.data import datasets
from zennet.data.augment import parse_augmentation
from zennet.data.datasets.registry import DATASETS
from zennet.distributed import training as ranks
from zennet.distributed.group import is_main_process
from zennet.io import atomic_write
from zennet.jobs.speech import train_ctc_model
from zennet.models import MODELS, adapt, build_model, image_shape
from zennet.optim import OPTIMIZERS
from zennet.optim import get as get_optimizer
from zennet.random import manual_seed
from zennet.training.callbacks import CSVLogger, ModelCheckpoint
from zennet.training.metrics import confusion_matrix
from zennet.training.plots import plot_confusion_matrix, plot_history
from zennet.training.trainer import Trainer

DEFAULT_EPOCHS = {"digits": 40, "fashion-mnist": 10, "spoken-digits": 8, "spoken-languages": 10}
CHECKPOINT, CONFIG, MODEL, HISTORY = (
    "checkpoint.safetensors",
    "config.json",
    "model.safetensors",
    "history.csv",
)
CURVES, CONFUSION = "training_curves.png", "confusion_matrix.png"


def train(
    data="digits",
    model="mlp",
    epochs=None,
    batch_size=32,
    optimizer="adam",
    lr=None,
    seed=0,
    out="runs/latest",
    resume=False,
    verbose=1,
    augment=None,
):
    """Train a preset on a data set, checkpointing every epoch under ``out``; returns a dict
    with the test metrics ("test_loss", "test_accuracy"), the paths written and any stop reason.

    With ``resume`` the run recorded in ``out`` continues from its last checkpoint.
    ``augment`` is a zennet.data.augment spec such as ``"rotate=10,scale=0.1"`` (see
    :func:`~zennet.data.augment.parse_augmentation`): it changes each training batch, drawn
    from the run's seeded generators, so a resumed run sees the batches it would have seen.
    """
    out = Path(out)
    ranks.join_if_launched()  # under mpiexec: one rank of several (docs/distributed.md)
    if model is None:  # the data set's own preset (spoken-digits: speech-cnn), else the MLP
        model = getattr(DATASETS.get(data), "default_model", "mlp") if data in DATASETS else "mlp"
    if getattr(MODELS.get(model), "ctc", False):  # label sequences: zennet/jobs/speech.py
        return train_ctc_model(data, model, epochs or 10, batch_size, lr, seed, out, verbose)
    OPTIMIZERS.get(optimizer)
    for name, value in (("epochs", epochs), ("batch-size", batch_size)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"--{name} must be a positive whole number, got {value!r}.")
    config = _run_config(
        out,
        resume,
        data=data,
        model=model,
        batch_size=batch_size,
        optimizer=optimizer,
        lr=lr,
        seed=seed,
        epochs=DEFAULT_EPOCHS.get(data, 10) if epochs is None else epochs,
        augment=augment,
    )
    manual_seed(config["seed"])
    flat = not getattr(MODELS.get(config["model"]), "takes_images", False)
    (x_train, y_train), (x_test, y_test) = datasets.load(config["data"], flat=flat)
    num_classes = int(max(y_train.max(), y_test.max()) + 1)
    net = adapt(build_model(config["model"], x_train.shape[1:], num_classes), x_train)
    augmentation = _augmentation(config.get("augment"), x_train.shape[1:], num_classes)
    trainer = Trainer(
        ranks.wrap(net),
        get_optimizer(config["optimizer"], net.parameters(), lr=config["lr"]),
        "cross_entropy",
        ["accuracy"],
    )
    callbacks = [ModelCheckpoint(out / CHECKPOINT), CSVLogger(out / HISTORY, append=resume)]
    callbacks = callbacks if is_main_process() else []  # rank 0 alone writes
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # TerminateOnNaN reports
        trainer.fit(
            x_train,
            y_train,
            epochs=config["epochs"],
            batch_size=config["batch_size"],
            validation_split=0.1,
            callbacks=callbacks,
            verbose=verbose,
            seed=config["seed"],
            resume_from=out / CHECKPOINT if resume else None,
            augment=augmentation,
        )
    if trainer.stop_reason is not None:  # the loss went NaN/Inf: these weights are no model
        return {"stopped": _stop_message(trainer, out), "files": []}
    logs, outputs = trainer.evaluate(x_test, y_test, return_outputs=True)
    results = {f"test_{k}": v for k, v in logs.items()}
    if not is_main_process():
        return {**results, "stopped": None, "files": []}
    trainer.save_checkpoint(out / MODEL, weights_only=True)
    results["stopped"] = None
    results["files"] = [str(out / name) for name in (MODEL, CHECKPOINT, HISTORY)]
    plots = [
        plot_history(trainer.history.history, out / CURVES),
        plot_confusion_matrix(confusion_matrix(y_test, outputs, num_classes), out / CONFUSION),
    ]
    if all(plots):
        results["files"] += [str(out / CURVES), str(out / CONFUSION)]
    else:
        results["note"] = "matplotlib is not installed: no plots (pip install matplotlib)."
    return results


def _stop_message(trainer, out):
    """Why training stopped, and what is left to go back to."""
    if trainer.epoch == 0:
        kept = "No epoch completed, so no checkpoint was written."
    else:
        kept = (
            f"The last good checkpoint, {out / CHECKPOINT} (after epoch {trainer.epoch}), is "
            f"intact; {MODEL} was not written."
        )
    return f"{trainer.stop_reason} {kept}"


def _augmentation(spec, sample_shape, num_classes):
    """The augmentation of ``--augment SPEC`` for samples of ``sample_shape``, or None.

    Flat samples of a square image's size (the digits as the mlp preset reads them) are
    augmented as (1, H, W) images and flattened back.
    """
    if not spec or spec == "none":
        return None
    flat = None if len(sample_shape) == 3 else image_shape(sample_shape, "--augment")
    return parse_augmentation(spec, num_classes=num_classes, image_shape=flat)


def _run_config(out, resume, **settings):
    """The run's settings: saved to out/config.json for a new run, read back to resume one."""
    path = out / CONFIG
    if resume:
        if not (out / CHECKPOINT).exists() or not path.exists():
            raise FileNotFoundError(
                f"--resume {out}: no interrupted run there ({CHECKPOINT} and {CONFIG} are "
                f"written by `zennet train --out {out}`)."
            )
        return json.loads(path.read_text())
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        blocker = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file" if blocker else err.strerror or err
        raise OSError(f"--out {out}: cannot create the directory ({why}); choose another.") from err
    if not os.access(out, os.W_OK):
        raise PermissionError(f"--out {out}: the directory is not writable; choose another.")
    text = json.dumps(settings, indent=2)
    if is_main_process():
        atomic_write(path, lambda f: f.write(text.encode()), "zennet train")
    return settings
