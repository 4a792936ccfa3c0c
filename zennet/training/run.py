"""The jobs behind the command line: train, evaluate, predict, summary.

Each job is a plain function that returns its results, so the CLI only parses
arguments and prints, and tests call the jobs directly.
"""

import json
import os
from pathlib import Path

import numpy as np

from zennet import datasets
from zennet.data.augment import parse_augmentation
from zennet.io import atomic_write, load, load_npy
from zennet.models import PRESETS, adapt, build_model, image_shape, load_model, save_model
from zennet.random import manual_seed
from zennet.training.callbacks import CSVLogger
from zennet.training.metrics import confusion_matrix
from zennet.training.plots import plot_confusion_matrix, plot_history
from zennet.training.trainer import Checkpoint, Trainer, get_optimizer

DEFAULT_EPOCHS = {"digits": 40, "fashion-mnist": 10}
CHECKPOINT, CONFIG, MODEL, HISTORY = (
    "checkpoint.safetensors",
    "config.json",
    "model.safetensors",
    "history.csv",
)


def load_data(spec, image_layout=False):
    """((x_train, y_train), (x_test, y_test)) for "digits", "fashion-mnist", or a PATH:
    a directory of IDX files (Fashion-MNIST's names) or an .npz with x_train, y_train,
    x_test, y_test. Images come as (N, C, H, W) when ``image_layout`` else flat (N, D)."""
    if spec == "digits":
        return datasets.load_digits(flat=not image_layout)
    if spec in ("fashion-mnist", "fashion_mnist"):
        return datasets.load_fashion_mnist(flat=not image_layout)
    path = Path(spec)
    if path.is_dir():
        return datasets.load_fashion_mnist(path, flat=not image_layout)
    if path.suffix == ".npz":
        if not path.exists():
            raise FileNotFoundError(f"--data {path}: no such file.")
        return _checked_split(load(path), path)
    raise ValueError(
        f"Unknown data set {spec!r}: use 'digits', 'fashion-mnist', a directory of IDX files "
        f"or an .npz file with x_train, y_train, x_test and y_test."
    )


def _checked_split(arrays, path):
    """((x_train, y_train), (x_test, y_test)) from an .npz file's arrays, checked: inputs of
    finite numbers (integers become float32), integer labels >= 0, one label per input."""
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(arrays)
    if missing:
        raise ValueError(f"{path}: the .npz file lacks the arrays {sorted(missing)}.")
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim < 2 or len(x) == 0 or y.shape != (len(x),):
            raise ValueError(
                f"{path}: x_{split} {x.shape} and y_{split} {y.shape} must be (N, features...) "
                f"and (N,) with N > 0: one integer label per input."
            )
        if x.dtype.kind != "f":
            arrays[f"x_{split}"] = x = x.astype(np.float32)
        if not np.isfinite(x).all():
            bad = np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))
            raise ValueError(
                f"{path}: x_{split} holds NaN or Inf in {len(bad)} samples (the first is sample "
                f"{bad[0]}); remove or repair them before training."
            )
        if y.dtype.kind not in "iu" or y.min() < 0:
            raise ValueError(
                f"{path}: y_{split} must hold class labels, integers 0, 1, 2, ...; got dtype "
                f"{y.dtype} with values from {y.min()} to {y.max()}."
            )
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise ValueError(
            f"{path}: x_train {arrays['x_train'].shape} and x_test {arrays['x_test'].shape} "
            f"must hold inputs of the same shape."
        )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


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
    ``augment`` is a zennet.data.augment spec such as ``"translate=1,rotate=10"`` (see
    :func:`~zennet.data.augment.parse_augmentation`): it changes each training batch, drawn
    from the run's seeded generator, so a resumed run sees the batches it would have seen.
    """
    out = Path(out)
    if model not in PRESETS:
        raise ValueError(f"Unknown model {model!r}; choose from {sorted(PRESETS)}.")
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
    (x_train, y_train), (x_test, y_test) = load_data(config["data"], config["model"] == "cnn")
    num_classes = int(max(y_train.max(), y_test.max()) + 1)
    net = adapt(build_model(config["model"], x_train.shape[1:], num_classes), x_train)
    augmentation = _augmentation(config.get("augment"), x_train.shape[1:], num_classes)
    trainer = Trainer(
        net,
        get_optimizer(config["optimizer"], net.parameters(), config["lr"]),
        "cross_entropy",
        ["accuracy"],
    )
    callbacks = [Checkpoint(out / CHECKPOINT), CSVLogger(out / HISTORY, append=resume)]
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
    results = {f"test_{k}": v for k, v in trainer.evaluate(x_test, y_test).items()}
    save_model(net, out / MODEL, config["model"], x_train.shape[1:], num_classes)
    results["stopped"] = None
    results["files"] = [str(out / name) for name in (MODEL, CHECKPOINT, HISTORY)]
    predictions = trainer.predict(x_test)
    plots = [
        plot_history(trainer.history.history, out / "training_curves.png"),
        plot_confusion_matrix(
            confusion_matrix(y_test, predictions, num_classes), out / "confusion_matrix.png"
        ),
    ]
    if all(plots):
        results["files"] += [str(out / "training_curves.png"), str(out / "confusion_matrix.png")]
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
    atomic_write(path, lambda f: f.write(text.encode()), "zennet train")
    return settings


def evaluate(model_path, data="digits"):
    """Test loss and accuracy of a saved model on a data set's test split."""
    net, recipe = load_model(model_path)
    _, (x_test, y_test) = load_data(data, recipe["name"] == "cnn")
    _check_input_shape(recipe, x_test.shape[1:], data)
    logs = Trainer(net, optimizer=None, metrics=["accuracy"]).evaluate(x_test, y_test)
    return {f"test_{k}": v for k, v in logs.items()}


def predict(model_path, input_path):
    """(predicted classes, class probabilities) for an image file or a .npy array of inputs."""
    net, recipe = load_model(model_path)
    shape = tuple(recipe["input_shape"])
    x = _load_input(input_path, shape)
    scores = Trainer(net, optimizer=None).predict(x)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities = e / e.sum(axis=1, keepdims=True)
    return probabilities.argmax(axis=1), probabilities


def _load_input(path, shape):
    """Inputs shaped (N, *shape) from a .npy array or an image file (scaled to [0, 1])."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    if path.suffix == ".npy":
        x = load_npy(path).astype(np.float32)
    else:
        side = shape[-1] if len(shape) == 3 else int(round(np.sqrt(np.prod(shape))))
        x = datasets.load_image(path, size=(side, side))  # (1, H, W) in [0, 1]
    per_sample = int(np.prod(shape))
    if x.size % per_sample:
        raise ValueError(
            f"{path}: an input of shape {x.shape} does not fit the model's input shape {shape}."
        )
    return x.reshape((-1, *shape))


def summary(model_path):
    """The Keras-style summary table of a saved model."""
    net, recipe = load_model(model_path)
    return net.summary(tuple(recipe["input_shape"]), print_fn=None)


def _check_input_shape(recipe, shape, data):
    if tuple(recipe["input_shape"]) != tuple(shape):
        raise ValueError(
            f"the model expects inputs of shape {tuple(recipe['input_shape'])} but {data!r} has "
            f"{tuple(shape)}; evaluate it on the data set it was trained on."
        )
