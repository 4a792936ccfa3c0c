"""Follow one training step of an MLP, layer by layer, with the primer's formulas.

``trace_step`` runs zennet on a batch: forward hooks record each layer's input and
output, autograd computes every gradient, and each formula (Z = A·Wᵀ + b, A = g(Z), the
loss, dZ, dW = dZᵀ·A, db, dA) is then recomputed in NumPy from the recorded arrays and
compared with what zennet computed (the layer's output, ``weight.grad``, ``bias.grad``).

zennet keeps one sample per row (A is (m, n)); the primer one per column (A is (n, m)).
zennet's dZ also holds the 1/m of the mean loss, so its dW = dZᵀ·A is the primer's
(1/m)·dZ·Aᵀ: the same (out, in) matrix.
"""

from dataclasses import dataclass

import numpy as np

from zennet import functional as F
from zennet.autograd import no_grad
from zennet.explain._common import ACTIVATIONS, as_batch, eval_mode
from zennet.explain._trace_steps import (
    TraceStep,  # noqa: F401  (re-exported: a Trace's steps are TraceSteps)
    activation_backward,
    activation_forward,
    flatten_forward,
    linear_backward,
    linear_forward,
    linear_update,
    loss_steps,
    standardize_forward,
)
from zennet.nn.containers import Identity, Sequential
from zennet.nn.dropout import Dropout
from zennet.nn.flatten import Flatten
from zennet.nn.linear import Linear
from zennet.nn.preprocessing import Standardize
from zennet.tensor import Tensor

LOSSES = ("cross_entropy", "mse")


@dataclass
class Trace:
    """The steps in order (:class:`TraceStep`), the loss, and whether every check passed."""

    steps: list
    loss: float
    loss_name: str
    lr: float
    m: int
    updated: bool

    @property
    def verified(self):
        return all(ok for step in self.steps for _, ok in step.checks.values())

    def __str__(self):
        return format_trace(self)


def trace_step(model, x, y, loss="cross_entropy", lr=0.1, update=True):
    """Run one gradient-descent step of ``model`` on (x, y) and return its :class:`Trace`.

    ``model`` is a Sequential of Linear, activation (ReLU, LeakyReLU, Sigmoid, Tanh, ...),
    Flatten, Standardize, Dropout and Identity layers: the primer's MLP. ``loss`` is "cross_entropy"
    (y: N class indices) or "mse" (y shaped like the output). The step runs in eval mode,
    so dropout is off and the numbers are repeatable. Each parameter's ``.grad`` is
    replaced by this batch's gradient, and with ``update`` the parameters take the step
    W ← W − lr·dW, b ← b − lr·db.
    """
    layers = _check_model(model)
    if loss not in LOSSES:
        raise ValueError(f"trace_step: loss must be one of {LOSSES}, got {loss!r}.")
    x = as_batch("trace_step", x)
    with eval_mode(model):
        model.zero_grad()
        records, zennet_loss = _run(model, layers, x, y, loss)
    names = _names(layers)
    steps = []
    for layer, rec, (a, z, l) in zip(layers, records, names):
        steps += _forward(layer, rec, a, z, l)
    loss_value, loss_formulas = loss_steps(loss, records[-1], y, names[-1][1], zennet_loss)
    steps += loss_formulas
    for layer, rec, (a, z, l) in reversed(list(zip(layers, records, names))):
        steps += _backward(layer, rec, a, z, l)
    if update:
        with no_grad():
            for layer, (_, _, l) in zip(layers, names):
                if isinstance(layer, Linear):
                    steps += linear_update(layer, l, lr)
    return Trace(steps, loss_value, loss, lr, len(x), update)


def format_trace(trace, print_fn=None):
    """The trace as text: per step the layer, both forms of the formula with their shapes,
    the first 3 entries of each array, and each check. Printed too when ``print_fn`` is
    given (e.g. ``format_trace(trace, print)``)."""
    lines = [
        f"One training step on m={trace.m} samples: loss={trace.loss_name} "
        f"(L = {trace.loss:.6g}), lr={trace.lr}",
        "zennet: one sample per row, A (m, n), Z = A·Wᵀ + b.  primer (the textbook "
        "deep-learning course zennet follows, docs/math.md): one per column, A (n, m), "
        "Z = W·A + b.",
        "zennet's dZ holds the loss's 1/m, so dW = dZᵀ·A equals the primer's (1/m)·dZ·Aᵀ.",
    ]
    phase = layer = None
    for step in trace.steps:
        if step.phase != phase:
            phase, layer = step.phase, None
            lines += ["", phase.upper()]
        if step.layer != layer:
            layer = step.layer
            lines.append(f"  {layer}")
        lines.append(f"    zennet: {step.formula:<34} {step.shapes}".rstrip())
        lines.append(f"    primer: {step.primer:<34} {step.primer_shapes}".rstrip())
        lines += [f"      {_head(name, value)}" for name, value in step.values.items()]
        for what, (diff, ok) in step.checks.items():
            mark = "ok" if ok else "MISMATCH"
            lines.append(f"      check: {what} (max |diff| {diff:.1e}) {mark}")
    if not trace.updated:
        lines += ["", "(parameters left unchanged: update=False)"]
    lines += ["", "all checks passed" if trace.verified else "SOME CHECKS FAILED"]
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text


def _head(name, array):
    """``Z1[0, :3] = [0.1234, -0.5, 0.25]``: a few numbers from the start of an array."""
    array = np.asarray(array)
    if array.ndim == 0:
        return f"{name} = {float(array):.6g}"
    index = "[" + "0, " * (array.ndim - 1) + ":3]"
    first = array[(0,) * (array.ndim - 1)][:3]
    more = ", ..." if array.shape[-1] > 3 else ""
    numbers = ", ".join(f"{v + 0.0:.4g}" for v in first)  # + 0.0 prints -0.0 as 0
    return f"{name}{index} = [{numbers}{more}]"


# ------------------------------------------------------------------------ running


@dataclass
class _Record:
    """What one layer saw: input and output (leaf tensors with their gradients after
    backward), and the output Tensor inside this layer's own small graph."""

    input: Tensor
    output: Tensor
    leaf: Tensor


def _run(model, layers, x, y, loss):
    """Forward with hooks, then backward one layer at a time (as the primer's loop does).

    Each hook swaps the layer's output for a fresh leaf, so every layer has a graph of
    its own; the backward pass then walks the layers in reverse, handing each one the
    gradient its output received: output.backward(dA).
    """
    records = []

    def record(module, inputs, output):
        leaf = output.detach().requires_grad_(True)
        records.append(_Record(inputs[0], output, leaf))
        return leaf

    handles = [layer.register_forward_hook(record) for layer in layers]
    try:
        out = model(Tensor(x, requires_grad=True))
    finally:
        for handle in handles:
            handle.remove()
    if loss == "cross_entropy":
        value = F.cross_entropy(out, np.asarray(y))
    else:
        value = F.mse_loss(out, np.asarray(y, dtype=out.dtype))
    value.backward()
    for rec in reversed(records):
        if rec.leaf.grad is not None and rec.output.requires_grad:
            rec.output.backward(rec.leaf.grad)
    return records, value.item()


def _names(layers):
    """(input name, output name, layer number l) per layer: X → A0 → Z1 → A1 → Z2 → ...

    Flatten and Standardize before the first Linear prepare the input X; the last of them
    gives A0."""
    prepare = (Flatten, Standardize)
    first_linear = next(i for i, layer in enumerate(layers) if isinstance(layer, Linear))
    last_prepare = max(
        (i for i in range(first_linear) if isinstance(layers[i], prepare)), default=-1
    )
    names, current, l = [], "X" if last_prepare >= 0 else "A0", 0
    for i, layer in enumerate(layers):
        if isinstance(layer, Linear):
            l += 1
            out = f"Z{l}"
        elif isinstance(layer, ACTIVATIONS):
            out = f"A{l}"
        elif isinstance(layer, prepare) and i <= last_prepare:
            out = "A0" if i == last_prepare else "X"
        else:
            out = current
        names.append((current, out, l))
        current = out
    return names


def _forward(layer, rec, a, z, l):
    if isinstance(layer, Linear):
        return linear_forward(layer, rec, a, z, l)
    if isinstance(layer, ACTIVATIONS):
        return activation_forward(layer, rec, a, z)
    if isinstance(layer, Flatten):
        return flatten_forward(layer, rec, a, z)
    if isinstance(layer, Standardize):
        return standardize_forward(layer, rec, a, z)
    return []  # Dropout (off in eval mode) and Identity: A stays A


def _backward(layer, rec, a, z, l):
    if isinstance(layer, Linear):
        return linear_backward(layer, rec, a, z, l)
    if isinstance(layer, ACTIVATIONS):
        return activation_backward(layer, rec, a, z)
    return []  # Flatten, Standardize, Dropout, Identity: nothing to learn


def _check_model(model):
    supported = (Linear, *ACTIVATIONS, Flatten, Standardize, Dropout, Identity)
    if not isinstance(model, Sequential):
        raise ValueError(
            f"trace_step: expected an nn.Sequential MLP (Linear and activation layers), got "
            f"{type(model).__name__}."
        )
    layers = list(model.children())
    for i, layer in enumerate(layers):
        if not isinstance(layer, supported):
            raise ValueError(
                f"trace_step follows the primer's MLP: Linear, activation, Flatten, Standardize "
                f"and Dropout layers; layer {i} is {type(layer).__name__}. Trace an MLP instead."
            )
    if not any(isinstance(layer, Linear) for layer in layers):
        raise ValueError("trace_step: the model has no Linear layer; nothing to train.")
    return layers
