"""Callbacks: small classes whose hooks fit() calls, as in Keras.

Every hook gets ``logs``, a dict of the numbers known at that point ("loss",
"accuracy", "val_loss", ...). A callback reaches the trainer as ``self.trainer``
and stops training by setting ``self.trainer.stop_training = True``.
"""

import csv
import io
import math
import os
import time

import numpy as np


class Callback:
    trainer = None

    def set_trainer(self, trainer):
        self.trainer = trainer

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks, trainer):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_trainer(trainer)

    def __getattr__(self, hook):
        def call(*args, **kwargs):
            for cb in self.callbacks:
                getattr(cb, hook)(*args, **kwargs)

        return call


def _improved(mode, current, best, min_delta):
    return current < best - min_delta if mode == "min" else current > best + min_delta


def _mode_for(monitor, mode):
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}.")
    return "max" if any(k in monitor for k in ("acc", "f1", "precision", "recall", "r2")) else "min"


class _Monitor(Callback):
    """Shared by callbacks that watch one logged quantity for improvement."""

    def __init__(self, monitor, mode, min_delta=0.0):
        self.monitor, self.mode, self.min_delta = monitor, _mode_for(monitor, mode), min_delta
        self.best = math.inf if self.mode == "min" else -math.inf

    def _current(self, logs):
        if logs is None or self.monitor not in logs:
            available = sorted(logs or {})
            raise ValueError(
                f"{type(self).__name__}: monitor={self.monitor!r} is not in the logs {available}. "
                f"Monitor a logged key (val_* keys need validation data)."
            )
        return logs[self.monitor]

    def _check(self, logs):
        """True (and remember it) when the monitored value improved on the best so far."""
        current = self._current(logs)
        if _improved(self.mode, current, self.best, self.min_delta):
            self.best = current
            return True
        return False


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs;
    with ``restore_best_weights`` the model ends with the weights of its best epoch."""

    def __init__(
        self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto", restore_best_weights=False
    ):
        super().__init__(monitor, mode, min_delta)
        self.patience, self.restore_best_weights = patience, restore_best_weights
        self.wait, self.best_weights, self.best_epoch, self.stopped_epoch = 0, None, None, None

    def on_epoch_end(self, epoch, logs=None):
        if self._check(logs):
            self.wait, self.best_epoch = 0, epoch
            if self.restore_best_weights:
                self.best_weights = self.trainer.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.load_state_dict(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save a checkpoint after each epoch to ``filepath`` (``{epoch}`` and logged keys may
    appear in it, e.g. "model-{epoch:02d}-{val_loss:.3f}.safetensors"), as Keras does.

    The file is the one checkpoint format (``Trainer.save_checkpoint``, written atomically):
    by default the whole training state, which ``fit(resume_from=path)`` continues exactly;
    with ``save_weights_only`` the weights alone (and a preset's recipe, so
    ``zennet.models.load_model`` rebuilds the model). With ``save_best_only`` a file is
    written only when ``monitor`` improves.

    Inside long epochs, ``save_freq=N`` also saves after every N batches and
    ``every_seconds=T`` after the first batch that ends T seconds or more after the last
    save (full-state checkpoints only: they record where in the epoch training was, so a
    kill loses minutes, not the epoch).
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        every_seconds=None,
    ):
        super().__init__(monitor, mode)
        if save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive int, got "
                             f"{save_freq!r}.")  # fmt: skip
        within = save_freq != "epoch" or every_seconds is not None
        if within and (save_best_only or save_weights_only or "{" in str(filepath)):
            raise ValueError(
                "ModelCheckpoint: save_freq and every_seconds save the training state inside "
                "an epoch; use them without save_best_only, save_weights_only or a {pattern}."
            )
        self.filepath, self.save_best_only = str(filepath), save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq, self.every_seconds = save_freq, every_seconds
        self.saved = []
        self._last = time.monotonic()

    def on_batch_end(self, batch, logs=None):
        due_batches = self.save_freq != "epoch" and (batch + 1) % self.save_freq == 0
        due_time = (
            self.every_seconds is not None and time.monotonic() - self._last >= self.every_seconds
        )
        if (due_batches or due_time) and self.trainer.progress is not None:
            self._save(self.filepath)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_best_only and not self._check(logs):
            return
        self._save(self.filepath.format(epoch=epoch + 1, **(logs or {})))

    def _save(self, path):
        self.trainer.save_checkpoint(path, weights_only=self.save_weights_only)
        self._last = time.monotonic()
        self.saved.append(path)


class LearningRateScheduler(Callback):
    """Change the learning rate each epoch: ``schedule(epoch, lr) -> lr``, or any
    ``optim.lr_scheduler`` object (ReduceLROnPlateau gets ``monitor`` from the logs)."""

    def __init__(self, schedule, monitor="val_loss"):
        self.schedule, self.monitor = schedule, monitor

    def on_epoch_begin(self, epoch, logs=None):
        if callable(self.schedule) and not hasattr(self.schedule, "step"):
            for group in self.trainer.optimizer.param_groups:
                group["lr"] = float(self.schedule(epoch, group["lr"]))

    def on_epoch_end(self, epoch, logs=None):
        if not hasattr(self.schedule, "step"):
            return
        if type(self.schedule).__name__ == "ReduceLROnPlateau":
            logs = logs or {}
            key = self.monitor if self.monitor in logs else "loss"
            self.schedule.step(logs[key])
        else:
            self.schedule.step()


class TerminateOnNaN(Callback):
    """Stop training when the loss becomes NaN or Inf. fit() checks the loss before the
    optimizer's step, so a bad batch (a NaN input) never reaches the weights; after a
    divergence (a learning rate too high) the weights themselves may be the problem,
    so go back to the last checkpoint."""

    def __init__(self):
        self.message = None

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            epoch = self.trainer.current_epoch + 1
            self.message = (
                f"TerminateOnNaN: the loss became {loss} at epoch {epoch}, batch {batch + 1}; "
                f"training stopped before applying that batch's update. Lower the learning rate "
                f"or look for NaN/Inf in the inputs."
            )
            self.trainer.stop_training = True
            self.trainer.stop_reason = self.message


class CSVLogger(Callback):
    """Append one row per epoch (epoch and every logged key) to a CSV file.

    With ``append`` and a trainer resumed from a checkpoint, the file is first rewritten
    (atomically) from the checkpoint's history: rows of epochs lost in a crash are dropped,
    rows a crash kept from being written come back, so the file ends as if never stopped.
    """

    def __init__(self, filename, append=False):
        self.filename, self.append = str(filename), append
        self.keys = None

    def on_train_begin(self, logs=None):
        history = self.trainer.history if self.trainer is not None else None
        if self.append and history is not None and history.epoch:
            self.keys = sorted(history.history)
            rows = [
                [epoch] + [history.history[k][i] for k in self.keys]
                for i, epoch in enumerate(history.epoch)
            ]
            self._write(rows, mode="w")
        elif not self.append and os.path.exists(self.filename):
            os.remove(self.filename)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        self._write([[epoch] + [float(logs[k]) if k in logs else "" for k in self.keys]])

    def _write(self, rows, mode="a"):
        """Add rows (a header first in a new file); mode "w" replaces the file atomically."""
        from zennet.io import atomic_write

        text = io.StringIO()
        writer = csv.writer(text)
        if mode == "w" or not os.path.exists(self.filename):
            writer.writerow(["epoch"] + self.keys)
        writer.writerows(rows)
        if mode == "w":
            atomic_write(self.filename, lambda f: f.write(text.getvalue().encode()), "CSVLogger")
        else:
            with open(self.filename, "a", newline="") as f:
                f.write(text.getvalue())
