"""Numerical faults: NaN/Inf is caught and named, never silently trained on; extreme
inputs give PyTorch's (finite) results.

* ``zn.detect_anomaly()`` names the first op whose forward output or backward gradient
  holds NaN/Inf; it is off by default and then checks nothing.
* A diverging ``zennet train`` stops with the epoch and batch, exits non-zero and leaves
  the checkpoint of the last complete epoch intact; a poisoned batch never reaches the
  weights.
* softmax, log_softmax, cross-entropy, sigmoid, BCE with logits, logsumexp, ... at ±1e4,
  and log/sqrt of tiny numbers, match PyTorch (inf where it gives inf) without overflow
  warnings.
"""

import re
import threading

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.autograd
import zennet.functional as F
from tests.helpers import compare
from tests.reliability.cli import run_cli
from zennet import nn
from zennet.io import load_checkpoint
from zennet.training import Callback, ModelCheckpoint, Trainer

# ---------------------------------------------------------------- detect_anomaly

NAN_EXPECTED = "ignore:.*encountered in:RuntimeWarning"  # NumPy's warning for the NaN we make


@pytest.mark.filterwarnings(NAN_EXPECTED)
def test_detect_anomaly_names_the_first_forward_op_that_made_nan():
    x = zn.tensor(np.array([-1.0, 2.0], np.float32), requires_grad=True)
    with zn.detect_anomaly(), pytest.raises(FloatingPointError, match=r"Log\.forward .*output"):
        zn.exp(zn.log(x) * 2)  # Log makes the NaN; Mul and Exp only pass it on


@pytest.mark.filterwarnings(NAN_EXPECTED)
def test_detect_anomaly_names_the_first_backward_op_that_made_inf():
    x = zn.tensor(np.array([0.0, 4.0], np.float32), requires_grad=True)
    with zn.detect_anomaly():
        y = (zn.sqrt(x) * 3).sum()  # finite forward; d sqrt(x)/dx = inf at 0
        with pytest.raises(FloatingPointError, match=r"Sqrt\.backward .*gradient of input 0"):
            y.backward()


@pytest.mark.filterwarnings(NAN_EXPECTED)
def test_detect_anomaly_also_catches_overflow():
    x = zn.tensor(np.array([100.0], np.float32), requires_grad=True)
    with zn.detect_anomaly(), pytest.raises(FloatingPointError, match=r"Exp\.forward"):
        zn.exp(x)


def count_checks(monkeypatch):
    calls = []
    real = zennet.autograd.check_finite
    monkeypatch.setattr(zennet.autograd, "check_finite", lambda *a: calls.append(a) or real(*a))
    return calls


def step(x):
    y = (zn.sqrt(x) * 3).sum()
    y.backward()
    return y


@pytest.mark.filterwarnings(NAN_EXPECTED)
def test_detect_anomaly_is_off_by_default_and_then_checks_nothing(monkeypatch):
    assert not zn.autograd.is_anomaly_enabled()
    calls = count_checks(monkeypatch)
    x = zn.tensor(np.array([0.0, 4.0], np.float32), requires_grad=True)
    step(x)  # an inf gradient passes silently, as in PyTorch
    assert np.isinf(x.grad.numpy()[0]) and calls == []
    with zn.detect_anomaly(), pytest.raises(FloatingPointError):
        step(zn.tensor(np.array([0.0, 4.0], np.float32), requires_grad=True))
    assert len(calls) >= 3  # forward of sqrt, mul, sum and the backward of some
    assert not zn.autograd.is_anomaly_enabled()  # restored after the error


def test_detect_anomaly_is_per_thread():
    seen = []
    with zn.detect_anomaly():
        thread = threading.Thread(target=lambda: seen.append(zn.autograd.is_anomaly_enabled()))
        thread.start()
        thread.join()
        assert zn.autograd.is_anomaly_enabled()
    assert seen == [False]


# ---------------------------------------------------------------- TerminateOnNaN


def test_a_diverging_zennet_train_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    """SGD at lr 5 diverges on digits: the loss is NaN in epoch 3 (deterministic with seed 0)."""
    out = tmp_path / "run"
    args = ["--optimizer", "sgd", "--lr", "5", "--epochs", "6", "--quiet", "--out", out]
    result = run_cli("train", *args)
    assert result.returncode == 3
    (line,) = result.stderr.strip().splitlines()  # one line, no traceback, no NumPy warnings
    epoch, batch = map(int, re.search(r"at epoch (\d+), batch (\d+);", line).groups())
    assert epoch >= 2, "pick a learning rate that diverges after the first epoch"
    assert f"checkpoint.safetensors (after epoch {epoch - 1}), is intact" in line
    assert not (out / "model.safetensors").exists()
    state = load_checkpoint(out / "checkpoint.safetensors")
    assert state["epoch"] == epoch - 1
    assert all(np.isfinite(w).all() for w in state["model_state"].values())
    rows = (out / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + epoch - 1


def test_a_poisoned_batch_stops_training_before_it_reaches_the_weights(tmp_path):
    """A NaN appears in the data during epoch 2: fit stops at its batch; the weights are
    those before that batch, the checkpoint those after epoch 1."""
    (x, y), _ = zn.datasets.load_digits()
    x = x.astype(np.float32)  # the loader then hands out rows of this very array
    zn.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    snapshots = {}

    class Poison(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                x[123, 5] = np.nan

        def on_batch_begin(self, batch, logs=None):
            snapshots["before"] = model.state_dict()

        def on_epoch_end(self, epoch, logs=None):
            snapshots["epoch_end"] = model.state_dict()

    trainer = Trainer(model, "adam")
    path = tmp_path / "checkpoint.safetensors"
    trainer.fit(
        x, y, epochs=3, batch_size=64, verbose=0, callbacks=[Poison(), ModelCheckpoint(path)]
    )
    assert re.match(
        r"TerminateOnNaN: the loss became nan at epoch 2, batch \d+;", trainer.stop_reason
    )
    assert trainer.epoch == 1 and len(trainer.history.epoch) == 1
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots["before"][key])
    saved = load_checkpoint(path)
    assert saved["epoch"] == 1
    for key, value in saved["model_state"].items():
        np.testing.assert_array_equal(value, snapshots["epoch_end"][key])


# ---------------------------------------------------------------- extreme inputs

BIG = np.array([[1e4, -1e4, 0.0, 3.0], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, 1e4, 1e4]], np.float32)
LABELS = np.array([1, 0, 3])
MULTI = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 1, 0, 0]], np.float32)
PROBS = MULTI / MULTI.sum(1, keepdims=True)


def zt(a):
    return zn.tensor(a)


def tt(a):
    return torch.tensor(a)


EXTREME = {
    "softmax": (lambda x: F.softmax(x, 1), lambda x: torch.softmax(x, 1)),
    "log_softmax": (lambda x: F.log_softmax(x, 1), lambda x: torch.log_softmax(x, 1)),
    "cross_entropy": (
        lambda x: F.cross_entropy(x, zt(LABELS), reduction="none"),
        lambda x: torch.nn.functional.cross_entropy(x, tt(LABELS), reduction="none"),
    ),
    "cross_entropy smoothed": (
        lambda x: F.cross_entropy(x, zt(LABELS), label_smoothing=0.1),
        lambda x: torch.nn.functional.cross_entropy(x, tt(LABELS), label_smoothing=0.1),
    ),
    "cross_entropy probabilities": (
        lambda x: F.cross_entropy(x, zt(PROBS)),
        lambda x: torch.nn.functional.cross_entropy(x, tt(PROBS)),
    ),
    "nll_loss of log_softmax": (
        lambda x: F.nll_loss(F.log_softmax(x, 1), zt(LABELS)),
        lambda x: torch.nn.functional.nll_loss(torch.log_softmax(x, 1), tt(LABELS)),
    ),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
    "softplus": (F.softplus, torch.nn.functional.softplus),
    "binary_cross_entropy_with_logits": (
        lambda x: F.binary_cross_entropy_with_logits(x, zt(MULTI), reduction="none"),
        lambda x: torch.nn.functional.binary_cross_entropy_with_logits(
            x, tt(MULTI), reduction="none"
        ),
    ),
    "binary_cross_entropy_with_logits pos_weight": (
        lambda x: F.binary_cross_entropy_with_logits(
            x, zt(MULTI), pos_weight=zt(np.full(4, 3.0, np.float32))
        ),
        lambda x: torch.nn.functional.binary_cross_entropy_with_logits(
            x, tt(MULTI), pos_weight=torch.full((4,), 3.0)
        ),
    ),
    "binary_cross_entropy of sigmoid": (  # both clamp log(0) to -100
        lambda x: F.binary_cross_entropy(F.sigmoid(x), zt(MULTI), reduction="none"),
        lambda x: torch.nn.functional.binary_cross_entropy(
            torch.sigmoid(x), tt(MULTI), reduction="none"
        ),
    ),
    "logsumexp dim 1": (lambda x: zn.logsumexp(x, 1), lambda x: torch.logsumexp(x, 1)),
    "logsumexp dim 0": (lambda x: zn.logsumexp(x, 0), lambda x: torch.logsumexp(x, 0)),
    "gelu": (F.gelu, torch.nn.functional.gelu),
    "elu": (F.elu, torch.nn.functional.elu),
    "silu": (F.silu, torch.nn.functional.silu),
}


@pytest.mark.filterwarnings("error")  # no overflow inside the stable formulas either
@pytest.mark.parametrize("name", list(EXTREME))
@pytest.mark.parametrize("sign", [1, -1])
def test_extreme_inputs_give_pytorchs_finite_results(name, sign):
    ours, theirs = EXTREME[name]
    out = compare(ours, sign * BIG, torch_fn=theirs, gradcheck=False)
    assert np.isfinite(out.numpy()).all()  # the gradients equal PyTorch's finite ones


@pytest.mark.filterwarnings(NAN_EXPECTED)
@pytest.mark.parametrize("fn", ["log", "sqrt"])
def test_log_and_sqrt_of_tiny_numbers_match_pytorch(fn):
    tiny = np.array([1e-45, 1e-38, 1e-30, 1.0, 0.0], np.float32)  # a subnormal, ..., zero
    out = compare(getattr(zn, fn), tiny, torch_fn=getattr(torch, fn), gradcheck=False)
    assert np.isfinite(out.numpy()[:4]).all()  # only log(0) = -inf, as PyTorch
