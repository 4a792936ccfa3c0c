"""The jobs behind the command line: train, evaluate, predict, summary.

Each job is a plain function that returns its results, so the CLI only parses
arguments and prints, and tests call the jobs directly.
"""

import json
import os
from pathlib import Path

import numpy as np

from zennet import datasets
from zennet.models import PRESETS, adapt, build_model, load_model, save_model
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
    if path.suffix == ".npz" and path.exists():
        with np.load(path, allow_pickle=False) as f:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
            if missing:
                raise ValueError(f"{path}: the .npz file lacks the arrays {sorted(missing)}.")
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    raise ValueError(
        f"Unknown data set {spec!r}: use 'digits', 'fashion-mnist', a directory of IDX files "
        f"or an .npz file with x_train, y_train, x_test and y_test."
    )


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
):
    """Train a preset on a data set, checkpointing every epoch under ``out``; returns a dict
    with the test metrics ("test_loss", "test_accuracy"), the paths written and any stop reason.

    With ``resume`` the run recorded in ``out`` continues from its last checkpoint.
    """
    out = Path(out)
    if model not in PRESETS:
        raise ValueError(f"Unknown model {model!r}; choose from {sorted(PRESETS)}.")
    config = _run_config(
        out,
        resume,
        data=data,
        model=model,
        batch_size=batch_size,
        optimizer=optimizer,
        lr=lr,
        seed=seed,
        epochs=epochs or DEFAULT_EPOCHS.get(data, 10),
    )
    manual_seed(config["seed"])
    (x_train, y_train), (x_test, y_test) = load_data(config["data"], config["model"] == "cnn")
    num_classes = int(max(y_train.max(), y_test.max()) + 1)
    net = adapt(build_model(config["model"], x_train.shape[1:], num_classes), x_train)
    trainer = Trainer(
        net,
        get_optimizer(config["optimizer"], net.parameters(), config["lr"]),
        "cross_entropy",
        ["accuracy"],
    )
    callbacks = [Checkpoint(out / CHECKPOINT), CSVLogger(out / HISTORY, append=resume)]
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
    )
    results = {f"test_{k}": v for k, v in trainer.evaluate(x_test, y_test).items()}
    save_model(net, out / MODEL, config["model"], x_train.shape[1:], num_classes)
    results["stopped"] = trainer.stop_reason
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
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(out, os.W_OK):
        raise PermissionError(f"--out {out}: the directory is not writable; choose another.")
    _write_text_atomic(path, json.dumps(settings, indent=2))
    return settings


def _write_text_atomic(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


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
        x = np.load(path, allow_pickle=False).astype(np.float32)
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
