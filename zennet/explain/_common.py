"""What every attribution method shares: checking inputs and targets, running the model in
eval mode with its parameters frozen, and the gradient of the target score in batches."""

import contextlib

import numpy as np

from zennet.autograd import no_grad
from zennet.backend import get_default_dtype
from zennet.nn.activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh
from zennet.tensor import Tensor

ACTIVATIONS = (ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus)  # A = g(Z) layers


def as_batch(name, x):
    """``x`` (an ndarray or Tensor of N samples) as a floating ndarray; ints become float32."""
    array = np.asarray(x.data if isinstance(x, Tensor) else x)
    if array.dtype.kind != "f":
        array = array.astype(get_default_dtype())
    if array.ndim < 2:
        raise ValueError(
            f"{name}: x must be a batch (N, ...) of samples, got shape {array.shape}. "
            f"Add the batch dimension for one sample: x[None]."
        )
    return array


def as_targets(name, target, n, scores=None):
    """One class index per sample: an int (the same for all), an array of N ints, or None
    (each sample's predicted class, from ``scores``)."""
    if target is None:
        if scores is None:
            raise ValueError(f"{name}: target is None and there are no scores to pick it from.")
        return scores.argmax(axis=1)
    target = np.asarray(target.data if isinstance(target, Tensor) else target)
    if target.dtype.kind not in "iu" or target.ndim > 1:
        raise ValueError(
            f"{name}: target must be an int class index or an array of N ints, got {target!r}."
        )
    if target.ndim == 0:
        return np.full(n, int(target), dtype=np.int64)
    if target.shape != (n,):
        raise ValueError(
            f"{name}: target has {target.shape[0]} entries but x has {n} samples; give one "
            f"class index per sample, or a single int for all."
        )
    return target.astype(np.int64)


def check_scores(name, scores, targets):
    """The model must return (N, classes) scores and each target must be one of the classes."""
    if scores.ndim != 2:
        raise ValueError(
            f"{name}: the model returned scores of shape {scores.shape}; expected (N, classes). "
            f"Explain a classifier (logits per class), or wrap the model so it returns them."
        )
    bad = (targets < 0) | (targets >= scores.shape[1])
    if bad.any():
        raise ValueError(
            f"{name}: target {int(targets[bad][0])} is not a class of this model, which has "
            f"{scores.shape[1]} classes (0..{scores.shape[1] - 1})."
        )


@contextlib.contextmanager
def eval_mode(model):
    """Run ``model`` in eval mode; give every sub-module its own mode back afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, mode in modes:
            object.__setattr__(m, "training", mode)


@contextlib.contextmanager
def inspecting(model):
    """Run ``model`` in eval mode with its parameters frozen; restore both afterwards.

    Frozen parameters keep the user's ``.grad`` untouched and skip the weight gradients
    that an attribution does not need.
    """
    flags = [(p, p.requires_grad) for p in model.parameters()]
    for p, _ in flags:
        p.requires_grad_(False)
    try:
        with eval_mode(model):
            yield model
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


def scores_of(model, x, batch_size=256):
    """The model's (N, classes) outputs for an ndarray batch, without a graph, in batches."""
    with no_grad():
        parts = [
            np.asarray(model(Tensor(x[i : i + batch_size])).data)
            for i in range(0, len(x), batch_size)
        ]
    return np.concatenate(parts)


def target_gradients(name, model, x, targets, batch_size=256):
    """d score[n, targets[n]] / d x[n] for every row of ``x``, ``batch_size`` rows a pass.

    The samples do not interact in eval mode, so the gradient of the sum of the target
    scores gives each row the gradient of its own score. Returns (gradients, scores).
    """
    grads, scores = np.empty_like(x), np.empty(len(x), dtype=x.dtype)
    for start in range(0, len(x), batch_size):
        rows = slice(start, start + batch_size)
        xt = Tensor(x[rows].copy(), requires_grad=True)
        out = model(xt)
        check_scores(name, np.asarray(out.data), targets[rows])
        picked = out[np.arange(len(xt.data)), targets[rows]]  # (rows,)
        if picked.requires_grad:  # False for a model that ignores its input
            picked.sum().backward()
        grads[rows] = 0 if xt.grad is None else xt.grad.data
        scores[rows] = picked.data
    return grads, scores
