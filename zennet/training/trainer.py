"""Trainer: Keras's fit / evaluate / predict around a zennet model, with PyTorch's loop inside.

One training step is the primer's cycle, in five lines (see ``_train_step``)::

    out = model(x)                 # forward propagation
    loss = loss_fn(out, y)         # the loss
    optimizer.zero_grad()
    loss.backward()                # back-propagation
    optimizer.step()               # parameter update
"""

import math
import sys

import numpy as np

from zennet import optim
from zennet.autograd import no_grad
from zennet.data import DataLoader, TensorDataset
from zennet.distributed import training as ranks
from zennet.distributed.group import is_main_process
from zennet.io import load_checkpoint, save_checkpoint
from zennet.nn.losses import get_loss
from zennet.random import get_rng, get_rng_state, set_rng_state
from zennet.tensor import Tensor
from zennet.training.callbacks import CallbackList, TerminateOnNaN
from zennet.training.history import History
from zennet.training.metrics import get_metric


class Trainer:
    """Train, evaluate and use a model: ``Trainer(model, "adam", "cross_entropy", ["accuracy"])``.

    ``fit`` takes arrays (x, y) or a DataLoader and returns a :class:`History`; it puts
    the model in train mode for training and eval mode for validation itself.
    """

    def __init__(self, model, optimizer="adam", loss="cross_entropy", metrics=("accuracy",)):
        self.model = model
        if isinstance(optimizer, str):
            optimizer = optim.get(optimizer, model.parameters())
        self.optimizer = optimizer
        self.loss_fn = get_loss(loss)
        self.metrics = [get_metric(m) for m in (metrics or ())]
        self.history = History()
        self.epoch = 0  # epochs completed
        self.seed = None
        self.stop_training = False
        self.stop_reason = None
        self.current_epoch = 0
        self.progress = None  # the epoch in progress: batches done, running loss, outputs

    # ------------------------------------------------------------------ data

    def _loader(self, x, y=None, batch_size=32, shuffle=False, augment=None, train=False):
        """A DataLoader over (x, y), checked once; a DataLoader given as x is used as it is."""
        if isinstance(x, DataLoader):
            return x
        if y is None:
            raise ValueError("Trainer: give targets y with the inputs x, or pass a DataLoader.")
        x, y = _array(x), _array(y)
        if len(x) != len(y):
            raise ValueError(
                f"Trainer: x has {len(x)} samples but y has {len(y)}; they must match."
            )
        if len(x) == 0:
            raise ValueError("Trainer: got an empty data set (0 samples).")
        if ranks.ddp_of(self.model):  # each rank its shard (zennet/distributed/training.py)
            if train:
                return ranks.training_loader(
                    TensorDataset(x, y), batch_size, shuffle, self.seed, augment
                )
            return ranks.evaluation_loader(TensorDataset(x, y), batch_size)
        return DataLoader(
            TensorDataset(x, y),
            batch_size=batch_size,
            shuffle=shuffle,
            seed=self.seed,
            transform=augment,
        )

    @staticmethod
    def _split(x, y, validation_split):
        """Keras's validation_split: the last fraction of the samples, taken before shuffling."""
        if not 0 < validation_split < 1:
            raise ValueError(f"validation_split must be in (0, 1), got {validation_split}.")
        x, y = _array(x), _array(y)
        n_val = max(1, int(round(len(x) * validation_split)))
        return (x[:-n_val], y[:-n_val]), (x[-n_val:], y[-n_val:])

    # ------------------------------------------------------------------- fit

    def fit(
        self,
        x=None,
        y=None,
        epochs=1,
        batch_size=32,
        validation_data=None,
        validation_split=0.0,
        callbacks=(),
        verbose=1,
        shuffle=True,
        seed=None,
        resume_from=None,
        terminate_on_nan=True,
        augment=None,
    ):
        """Train for ``epochs`` epochs (counting those of a checkpoint in ``resume_from``).

        ``augment(x, y, rng) -> (x, y)`` changes each training batch (zennet.data.augment);
        validation data is never augmented.

        Returns the History: ``history.history["loss"]``, ``["val_accuracy"]``, ...
        """
        if validation_split and validation_data is None:
            (x, y), validation_data = self._split(x, y, validation_split)
        if validation_data is not None:
            validation_data = self._validation_loader(validation_data, batch_size)
        if resume_from is not None:
            self.load_checkpoint(resume_from)
        elif seed is not None or self.seed is None:
            self.seed = int(seed) if seed is not None else int(get_rng().integers(2**31))
        verbose = verbose if is_main_process() else 0  # rank 0 alone prints
        callbacks = list(callbacks or [])
        if terminate_on_nan and not any(isinstance(c, TerminateOnNaN) for c in callbacks):
            callbacks.insert(0, TerminateOnNaN())
        hooks = CallbackList(callbacks, self)
        self.stop_training, self.stop_reason = False, None
        loader = self._loader(x, y, batch_size, shuffle, augment, train=True)  # one per fit
        hooks.on_train_begin({})
        for epoch in range(self.epoch, epochs):
            self.current_epoch = epoch
            hooks.on_epoch_begin(epoch, {})
            start = self.progress["batch"] if self.progress else 0  # resumed inside the epoch
            if hasattr(loader, "set_epoch"):
                loader.set_epoch(epoch, start)  # the same batches as an uninterrupted run
            if ranks.ddp_of(self.model):
                ranks.seed_epoch(self.seed, epoch)  # each rank its own dropout masks
            logs = self._run_epoch(loader, hooks, epoch, epochs, verbose)
            if self.stop_reason is not None:  # the loss went NaN: this epoch did not complete
                break
            if validation_data is not None:
                val, _ = self._evaluate_loader(validation_data)
                logs.update({f"val_{k}": v for k, v in val.items()})
            logs["lr"] = self.optimizer.param_groups[0]["lr"]
            self.history.append(epoch, logs)
            self.epoch = epoch + 1
            hooks.on_epoch_end(epoch, logs)
            if verbose:
                _print_epoch(epoch, epochs, logs)
            if self.stop_training:
                break
        hooks.on_train_end({})
        if self.stop_reason and verbose:
            print(self.stop_reason, file=sys.stderr)
        return self.history

    def _validation_loader(self, validation_data, batch_size):
        if isinstance(validation_data, DataLoader):
            return validation_data
        xv, yv = validation_data
        return self._loader(xv, yv, batch_size=max(batch_size, 256))

    def _run_epoch(self, loader, hooks, epoch, epochs, verbose):
        """Train on every batch of one epoch (from the batch a checkpoint stopped at, when
        resumed inside it); ``self.progress`` follows, so a checkpoint taken between batches
        can continue the epoch exactly."""
        self.model.train()
        progress = self.progress or {"batch": 0, "total": 0.0, "count": 0}
        outputs, targets = list(progress.get("outputs", [])), list(progress.get("targets", []))
        self.progress = {**progress, "outputs": outputs, "targets": targets}
        bar = _progress(loader, epoch, epochs, verbose, progress["batch"])
        for batch, (xb, yb) in enumerate(bar, start=progress["batch"]):
            hooks.on_batch_begin(batch, {})
            out, loss = self._train_step(xb, yb)
            if loss is None:  # not finite: stop before the update
                hooks.on_batch_end(batch, {"loss": float("nan")})
                break
            n, p = len(xb), self.progress
            p["batch"], p["total"], p["count"] = batch + 1, p["total"] + loss * n, p["count"] + n
            if self.metrics:
                outputs.append(out)
                targets.append(yb.data)
            hooks.on_batch_end(batch, {"loss": loss})
            if bar is not loader:
                bar.set_postfix(loss=f"{p['total'] / p['count']:.4f}", refresh=False)
            if self.stop_training:
                break
        if bar is not loader:
            bar.close()
        total, count = self.progress["total"], self.progress["count"]
        if ranks.ddp_of(self.model):
            total, count, targets, outputs = ranks.gather_epoch(total, count, targets, outputs)
        logs = {"loss": total / max(count, 1)}
        logs.update(self._metric_values(targets, outputs))
        self.progress = None
        return logs

    def _train_step(self, xb, yb):
        """One step of the primer's cycle; returns (output array, loss) or (None, None) on NaN."""
        out = self.model(xb)
        loss = self.loss_fn(out, yb)
        value = loss.item()
        ddp = ranks.ddp_of(self.model)
        if ddp:  # every rank must take the same decision on a NaN below
            value = ranks.mean_over_ranks(value)
        if not math.isfinite(value):
            self.stop_reason = self.stop_reason or f"loss became {value}"
            return None, None
        self.optimizer.zero_grad()
        loss.backward()
        if ddp:
            ddp.sync_gradients()
        self.optimizer.step()
        return out.data, value

    # -------------------------------------------------------------- evaluate

    def evaluate(self, x, y=None, batch_size=256, verbose=0, return_outputs=False):
        """Loss and metrics on (x, y) or a DataLoader, in eval mode: ``{"loss": ..., ...}``;
        with ``return_outputs`` also the model's outputs: ``(logs, outputs)``, so that a
        caller that needs predictions too runs the data through the model once."""
        logs, outputs = self._evaluate_loader(self._loader(x, y, batch_size))
        if verbose:
            print(" ".join(f"{k}={v:.4f}" for k, v in logs.items()))
        return (logs, outputs) if return_outputs else logs

    def _evaluate_loader(self, loader):
        """(logs, outputs array) of one pass over ``loader`` in eval mode."""
        self.model.eval()
        total, count, outputs, targets = 0.0, 0, [], []
        with no_grad():
            for xb, yb in loader:
                out = self.model(xb)
                total += self.loss_fn(out, yb).item() * len(xb)
                count += len(xb)
                outputs.append(out.data)
                targets.append(yb.data)
        if ranks.ddp_of(self.model):
            total, count, targets, outputs = ranks.gather_epoch(total, count, targets, outputs)
        logs = {"loss": total / max(count, 1)}
        logs.update(self._metric_values(targets, outputs))
        return logs, np.concatenate(outputs) if outputs else np.empty((0,))

    def _metric_values(self, targets, outputs):
        if not self.metrics or not outputs:
            return {}
        y_true, y_pred = np.concatenate(targets), np.concatenate(outputs)
        if y_true.ndim == 2 and y_true.shape == y_pred.shape and y_true.shape[1] > 1:
            y_true = y_true.argmax(axis=1)  # soft labels (mixup, cutmix): their largest class
        return {name: fn(y_true, y_pred) for name, fn in self.metrics}

    def predict(self, x, batch_size=256):
        """The model's outputs for x (an array, a Tensor or a DataLoader), in eval mode."""
        self.model.eval()
        if isinstance(x, DataLoader):
            batches = (batch[0] for batch in x)
        else:
            x = _array(x)
            if x.dtype == np.float64:
                x = x.astype(np.float32)
            batches = (Tensor(x[i : i + batch_size]) for i in range(0, len(x), batch_size))
        with no_grad():
            return np.concatenate([self.model(xb).data for xb in batches])

    # ----------------------------------------------------------- checkpoints

    def save_checkpoint(self, path, weights_only=False):
        """Write a checkpoint atomically: everything needed to resume exactly (weights,
        optimizer, epoch, history, RNG, seed) or, with ``weights_only``, the weights alone.
        A model built by ``zennet.models.build_model`` also leaves its recipe, so
        ``models.load_model(path)`` rebuilds it."""
        if not is_main_process():
            return
        model = ranks.unwrap(self.model)  # no "module." prefix: resumable with any world size
        extra = {"seed": self.seed, "history_epochs": self.history.epoch}
        if getattr(model, "recipe", None) is not None:
            extra["recipe"] = model.recipe
        if self.progress and self.progress["batch"] and not weights_only:  # inside an epoch
            p = self.progress
            extra["progress"] = {"batch": p["batch"], "total": p["total"], "count": p["count"]}
            if p["outputs"]:
                extra["progress"]["outputs"] = np.concatenate(p["outputs"])
                extra["progress"]["targets"] = np.concatenate(p["targets"])
        if weights_only:
            save_checkpoint(path, model.state_dict(), extra=extra)
            return
        save_checkpoint(
            path,
            model_state=model.state_dict(),
            optimizer_state=self.optimizer.state_dict(),
            epoch=self.epoch,
            history=self.history.history,
            rng_state=get_rng_state(),
            extra=extra,
        )

    def load_checkpoint(self, path):
        """Restore a checkpoint written by :meth:`save_checkpoint`; fit() then continues it.

        All or nothing: a file that does not fit this trainer (another model or optimizer,
        damaged contents, a weights-only file) raises ValueError and leaves the trainer as
        it was.
        """
        state = load_checkpoint(path)
        previous = self.optimizer.state_dict()
        try:
            if state["optimizer_state"] is None:
                raise ValueError("it holds the weights only, not a training state")
            extra = state["extra"] or {}
            epoch, seed = int(state["epoch"]), extra.get("seed")
            history = History(state["history"], extra.get("history_epochs"))
            type(get_rng().bit_generator)().state = state["rng_state"]  # checks it, sets nothing
            self.optimizer.load_state_dict(state["optimizer_state"])
            ranks.unwrap(self.model).load_state_dict(state["model_state"])  # checks every key
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
            self.optimizer.load_state_dict(previous)
            raise ValueError(
                f"Trainer.load_checkpoint: {path} does not fit this trainer ({err}); nothing "
                f"was changed. Load it into the model and optimizer it was saved from."
            ) from err
        self.epoch, self.seed, self.history = epoch, seed, history
        self.progress = _progress_state(extra.get("progress"))
        set_rng_state(state["rng_state"])


def _array(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _progress_state(saved):
    """The ``progress`` of a checkpoint taken inside an epoch, as ``_run_epoch`` keeps it."""
    if not saved:
        return None
    state = {"batch": int(saved["batch"]), "total": float(saved["total"])}
    state["count"] = int(saved["count"])
    if "outputs" in saved:
        state["outputs"], state["targets"] = [saved["outputs"]], [saved["targets"]]
    return state


def _progress(loader, epoch, epochs, verbose, start=0):
    """A tqdm bar over the loader when verbose and writing to a terminal or a Jupyter
    notebook (``tqdm.auto`` picks the notebook's widget there); else the loader."""
    if not verbose or not (sys.stderr.isatty() or _in_notebook()):
        return loader
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return loader
    return tqdm(
        loader,
        desc=f"Epoch {epoch + 1}/{epochs}",
        total=len(loader),
        initial=start,
        leave=False,
        unit="batch",
    )


def _in_notebook():
    """True inside a Jupyter kernel (IPython imported and running a kernel)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def _print_epoch(epoch, epochs, logs):
    numbers = " ".join(f"{k}={v:.4f}" for k, v in logs.items())
    print(f"Epoch {epoch + 1}/{epochs} {numbers}", flush=True)
