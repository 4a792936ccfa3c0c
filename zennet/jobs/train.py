"""``zennet train``: train a preset on a data set in a run directory of its own.

Everything is checked (names, numbers, the data, the model, the optimizer, the
augmentation, the output directory) before anything is written; the run then writes
into its own directory, checkpointing every epoch and every minute, and ``runs/latest``
moves to it only once it has a checkpoint. ``--resume DIR`` continues the run in DIR with
its own settings: more ``--epochs`` extend it, a conflicting setting is an error, and a
finished run says so and is left as it is.
"""

import functools
import json
from pathlib import Path

import numpy as np

import zennet.functional as F
from zennet.data import datasets
from zennet.data.augment import parse_augmentation
from zennet.data.datasets.registry import DATASETS
from zennet.distributed import training as ranks
from zennet.distributed.group import is_main_process
from zennet.io import load_checkpoint
from zennet.jobs import runs
from zennet.jobs.runs import CHECKPOINT, CONFIG, HISTORY, MODEL, RESULTS
from zennet.jobs.speech import train_ctc_model
from zennet.jobs.text import is_text_data, train_language_model_job
from zennet.jobs.textcls import is_text_classification_data, train_text_classifier_job
from zennet.jobs.translate import is_translation_data, train_translator_job
from zennet.models import MODELS, adapt, build_model, image_shape
from zennet.optim import OPTIMIZERS
from zennet.optim import get as get_optimizer
from zennet.random import manual_seed
from zennet.training.callbacks import Callback, CSVLogger, ModelCheckpoint
from zennet.training.metrics import confusion_matrix
from zennet.training.plots import plot_confusion_matrix, plot_history
from zennet.training.trainer import Trainer

DEFAULTS = {
    "data": "digits",
    "model": "mlp",
    "batch_size": 32,
    "optimizer": "adam",
    "lr": None,  # the optimizer's own default
    "seed": 0,
    "augment": None,
    "label_smoothing": 0.1,  # README: every seed 0-9 >= 97 % on the digits with it
}
DEFAULT_EPOCHS = {"digits": 40, "fashion-mnist": 10, "spoken-digits": 8, "spoken-languages": 10}
CHECKPOINT_SECONDS = 60  # a checkpoint inside an epoch at least this often
CURVES, CONFUSION = "training_curves.png", "confusion_matrix.png"


def train(
    data=None,
    model=None,
    epochs=None,
    batch_size=None,
    optimizer=None,
    lr=None,
    seed=None,
    out=None,
    resume=None,
    verbose=1,
    augment=None,
    label_smoothing=None,
    log=print,
    callbacks=(),
    checkpoint_seconds=None,
    steps=None,
):
    """Train a preset on a data set; returns a dict with the test metrics ("test_loss",
    "test_accuracy"), the run directory ("run"), the files written ("files") and, when
    training did not end normally, "stopped" (the loss went NaN/Inf), "interrupted"
    (Ctrl-C) or "finished" (a resumed run that had nothing left to do): messages to print.

    Settings left None take ``DEFAULTS`` (and ``DEFAULT_EPOCHS`` of the data set). ``out``
    is the new run's directory (default: a new ``runs/run-...``, which ``runs/latest``
    then points to); ``resume`` the directory of a run to continue. ``augment`` is a
    zennet.data.augment spec such as ``"rotate=10,scale=0.1"``. ``log`` prints the
    progress lines when ``verbose``; ``callbacks`` join the run's own. A checkpoint is
    saved after every epoch and, inside an epoch, every ``checkpoint_seconds`` (default
    ``CHECKPOINT_SECONDS``). Text (``--data fortunes`` or ``text:PATH``) trains a language
    model, sentence pairs (``--data numbers-fr``) a translator, labelled texts (``--data
    debian-packages``) a text classifier, for ``steps`` steps instead.
    """
    given = {"data": data, "model": model, "batch_size": batch_size, "optimizer": optimizer,
             "lr": lr, "seed": seed, "augment": augment,
             "label_smoothing": label_smoothing}  # fmt: skip
    given = {k: v for k, v in given.items() if v is not None}
    ranks.join_if_launched()  # under mpiexec: one rank of several (docs/distributed.md)
    verbose = verbose if is_main_process() else 0  # rank 0 alone reports and writes
    _check_positive(epochs=epochs, batch_size=batch_size)
    if checkpoint_seconds is not None and not checkpoint_seconds >= 0:
        raise ValueError(f"--checkpoint-every must be >= 0 seconds, got {checkpoint_seconds}.")
    say = log if verbose else (lambda *args, **kwargs: None)
    if resume is not None:
        if out is not None:
            raise ValueError("--resume continues a run in its own directory; drop --out.")
        run_dir, config = runs.read_run(resume)
        config = _resumed_config(resume, config, given, epochs)
    else:
        run_dir, config = None, {**DEFAULTS, **given}
        if model is None:  # the data set's own preset (spoken-digits: speech-cnn), else mlp
            entry = DATASETS.get(config["data"]) if config["data"] in DATASETS else None
            config["model"] = getattr(entry, "default_model", DEFAULTS["model"])
            config["model"] = "gpt" if is_text_data(config["data"]) else config["model"]
        if _is_sequence_data(config["data"]) or steps:
            return _train_sequence_model(config, epochs, steps, batch_size, out, verbose, log)
        config["epochs"] = epochs or DEFAULT_EPOCHS.get(config["data"], 10)
        if getattr(MODELS.get(config["model"]), "ctc", False):  # label sequences: jobs/speech.py
            settings = [config[k] for k in ("data", "model", "epochs", "batch_size", "lr", "seed")]
            return train_ctc_model(*settings, out, verbose)
        if out is not None:
            runs.check_new_run_dir(out)
    if resume is not None:
        done = int(load_checkpoint(run_dir / CHECKPOINT)["epoch"])
        if done >= config["epochs"] and (run_dir / RESULTS).exists():
            results = json.loads((run_dir / RESULTS).read_text())
            results = {k: v for k, v in results.items() if k.startswith("test_")}
            return {**results, "run": str(run_dir), "files": [],
                    "finished": _finished(run_dir, done)}  # fmt: skip
    setup = _setup(config, say)  # checks the rest: data, model, optimizer, augmentation
    if not is_main_process():  # rank 0 alone makes and writes the run directory
        place = run_dir if resume is not None else Path(out or runs.RUNS)
        return _fit(setup, config, place, resume is not None, 0, list(callbacks))
    if resume is None:
        run_dir = runs.new_run_dir(out)
    runs.write_json(run_dir / CONFIG, config)
    say(f"run directory: {run_dir}")
    every = CHECKPOINT_SECONDS if checkpoint_seconds is None else checkpoint_seconds
    callbacks = [
        ModelCheckpoint(run_dir / CHECKPOINT, every_seconds=every),
        _PointLatest(run_dir),
        CSVLogger(run_dir / HISTORY, append=resume is not None),
        *callbacks,
    ]
    return _fit(setup, config, run_dir, resume is not None, verbose, callbacks)


def _train_sequence_model(config, epochs, steps, batch_size, out, verbose, log):
    """A language model (jobs/text.py) or a translator (jobs/translate.py), trained for
    ``steps`` steps."""
    if epochs is not None:
        raise ValueError("language models and translators train for --steps N, not --epochs.")
    pairs = is_translation_data(config["data"])
    job = train_translator_job if pairs else train_language_model_job
    defaults = (64, 2e-3) if pairs else (16, 1e-3)  # batch size, learning rate
    if is_text_classification_data(config["data"]):
        job, defaults = train_text_classifier_job, (64, 2e-3)
    settings = [config["data"], config["model"], steps, batch_size or defaults[0]]
    settings += [config["lr"] or defaults[1], config["seed"], out or runs.new_run_dir()]
    return job(*settings, verbose=verbose, log=log)


def _is_sequence_data(spec):
    """Text, sentence pairs or labelled texts: trained for --steps by their own jobs."""
    return is_text_data(spec) or is_translation_data(spec) or is_text_classification_data(spec)


def _check_positive(**numbers):
    for name, value in numbers.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):  # fmt: skip
            raise ValueError(
                f"--{name.replace('_', '-')} must be a positive whole number, got {value!r}."
            )


def _resumed_config(path, config, given, epochs):
    """The settings of a resumed run: its own; a different one given is an error naming
    both values; more --epochs extend it (as Keras's initial_epoch does)."""
    for key, value in given.items():
        if value != config.get(key):
            option = "--" + key.replace("_", "-")
            raise ValueError(
                f"{option} {value} conflicts with the run in {path}, which was started with "
                f"{option} {config.get(key)}; a resumed run keeps its settings (start a new "
                f"run to change them)."
            )
    if epochs is not None:
        config = {**config, "epochs": epochs}
    return config


def _finished(run_dir, done):
    return (
        f"the run in {run_dir} is finished: it trained all {done} epochs and its results are "
        f"in {run_dir / RESULTS}; give --epochs N with N > {done} to train it further."
    )


def _setup(config, say):
    """Everything the run needs, built and checked before anything is written."""
    preset = MODELS.get(config["model"])
    OPTIMIZERS.get(config["optimizer"])
    say(f"loading data set {config['data']} ...", flush=True)
    flat = not getattr(preset, "takes_images", False)
    (x_train, y_train), (x_test, y_test) = datasets.load(config["data"], flat=flat)
    manual_seed(config["seed"])
    num_classes = int(max(y_train.max(), y_test.max()) + 1)
    net = adapt(build_model(config["model"], x_train.shape[1:], num_classes), x_train)
    names = _class_names(config["data"], num_classes)
    if names is not None:
        net.recipe["classes"] = names  # saved with the model: predict prints "spanish", not 3
    optimizer = get_optimizer(config["optimizer"], net.parameters(), lr=config["lr"])
    augmentation = _augmentation(config["augment"], x_train.shape[1:], num_classes)
    say(
        f"training {config['model']} ({sum(p.data.size for p in net.parameters()):,} "
        f"parameters) on {len(x_train):,} {config['data']} samples of shape "
        f"{tuple(x_train.shape[1:])} (a tenth held out for validation), {config['epochs']} "
        f"epochs"
    )
    smoothing = config.get("label_smoothing", 0.0)  # runs of older zennets: none
    if not 0 <= smoothing < 1:
        raise ValueError(f"--label-smoothing must be in [0, 1), got {smoothing}.")
    loss = functools.partial(F.cross_entropy, label_smoothing=smoothing)
    trainer = Trainer(ranks.wrap(net), optimizer, loss, ["accuracy"])
    return trainer, (x_train, y_train), (x_test, y_test), augmentation, num_classes


def _class_names(data, num_classes):
    """The names of the classes of a registered data set (a list of str), or None."""
    names = getattr(DATASETS.get(data), "class_names", None) if data in DATASETS else None
    return list(names) if names is not None and len(names) == num_classes else None


def _augmentation(spec, sample_shape, num_classes):
    """The augmentation of ``--augment SPEC`` for samples of ``sample_shape``, or None.

    Flat samples of a square image's size (the digits as the mlp preset reads them) are
    augmented as (1, H, W) images and flattened back.
    """
    if not spec or spec == "none":
        return None
    flat = None if len(sample_shape) == 3 else image_shape(sample_shape, "--augment")
    return parse_augmentation(spec, num_classes=num_classes, image_shape=flat)


class _PointLatest(Callback):
    """Once the run's first checkpoint exists, point runs/latest to the run."""

    def __init__(self, run_dir):
        self.run_dir, self.done = Path(run_dir), False

    def _check(self):
        if not self.done and (self.run_dir / CHECKPOINT).exists():
            runs.point_latest_to(self.run_dir)
            self.done = True

    def on_batch_end(self, batch, logs=None):
        self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()


def _fit(setup, config, run_dir, resumed, verbose, callbacks):
    """Train, test and write the run's files; a Ctrl-C says what is left to resume."""
    try:
        return _fit_and_test(setup, config, run_dir, resumed, verbose, callbacks)
    except KeyboardInterrupt:
        return {"run": str(run_dir), "files": [], "interrupted": _interrupted(run_dir)}


def _fit_and_test(setup, config, run_dir, resumed, verbose, callbacks):
    trainer, (x_train, y_train), (x_test, y_test), augmentation, num_classes = setup
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # TerminateOnNaN
        trainer.fit(
            x_train,
            y_train,
            epochs=config["epochs"],
            batch_size=config["batch_size"],
            validation_split=0.1,
            callbacks=callbacks,
            verbose=verbose,
            seed=config["seed"],
            resume_from=run_dir / CHECKPOINT if resumed else None,
            augment=augmentation,
        )
    if trainer.stop_reason is not None:  # the loss went NaN/Inf: these weights are no model
        return {"run": str(run_dir), "files": [], "stopped": _stop_message(trainer, run_dir)}
    logs, outputs = trainer.evaluate(x_test, y_test, return_outputs=True)
    results = {f"test_{k}": v for k, v in logs.items()}
    if not is_main_process():
        return {**results, "run": str(run_dir), "files": []}
    trainer.save_checkpoint(run_dir / MODEL, weights_only=True)
    runs.write_json(run_dir / RESULTS, {"epochs": trainer.epoch, **results})
    names = [CONFIG, MODEL, CHECKPOINT, HISTORY, RESULTS]
    plotted = plot_history(trainer.history.history, run_dir / CURVES) and plot_confusion_matrix(
        confusion_matrix(y_test, outputs, num_classes),
        run_dir / CONFUSION,
        _class_names(config["data"], num_classes),
    )
    if plotted:
        names += [CURVES, CONFUSION]
    else:
        results["note"] = "matplotlib is not installed: no plots (pip install matplotlib)."
    return {**results, "run": str(run_dir), "files": [str(run_dir / n) for n in names]}


def _interrupted(run_dir):
    if (run_dir / CHECKPOINT).exists():
        return f"interrupted; continue with `zennet train --resume {run_dir}`."
    return (
        f"interrupted before the run's first checkpoint; nothing to resume in {run_dir} "
        f"(runs/latest still points to the run before)."
    )


def _stop_message(trainer, run_dir):
    """Why training stopped, and what is left to go back to."""
    if not (run_dir / CHECKPOINT).exists():
        return f"{trainer.stop_reason} No checkpoint was written before it."
    state = load_checkpoint(run_dir / CHECKPOINT)
    progress = (state["extra"] or {}).get("progress")
    when = f"after epoch {state['epoch']}"
    if progress:
        when = f"epoch {state['epoch'] + 1}, after batch {progress['batch']}"
    return (
        f"{trainer.stop_reason} The last good checkpoint, {run_dir / CHECKPOINT} ({when}), is "
        f"intact; {MODEL} was not written."
    )
