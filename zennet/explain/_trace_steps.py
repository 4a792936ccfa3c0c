"""The formulas of :func:`zennet.explain.trace.trace_step`, one builder per layer kind.

Each builder recomputes its formula in NumPy from what the layer recorded and checks it
against the array zennet computed (the output, ``weight.grad``, the input's gradient).
Names follow the primer: layer l maps A(l−1) to Z(l) = ... and A(l) = g(Z(l)).
"""

from dataclasses import dataclass, field

import numpy as np

from zennet.nn.activation import LeakyReLU, ReLU, Sigmoid, Tanh


@dataclass
class TraceStep:
    """One formula of the step: zennet's row form, the primer's column form, the shapes,
    the arrays it produced (``values``) and, per check, (max |formula − zennet|, ok)."""

    phase: str  # "forward", "loss", "backward" or "update"
    layer: str
    formula: str
    primer: str
    shapes: str = ""
    primer_shapes: str = ""
    values: dict = field(default_factory=dict)
    checks: dict = field(default_factory=dict)


def _check(formula_value, zennet_value):
    """(max |difference|, ok): ok within float32 rounding of the values' size."""
    formula_value = np.asarray(formula_value)
    zennet_value = np.asarray(getattr(zennet_value, "data", zennet_value))  # Tensor or array
    diff = float(np.max(np.abs(formula_value - zennet_value), initial=0.0))
    scale = 1.0 + float(np.max(np.abs(zennet_value), initial=0.0))
    return diff, diff <= 1e-5 * scale


def _shape(array, transpose=False):
    shape = np.shape(array)
    return str(tuple(reversed(shape)) if transpose else shape)


# ------------------------------------------------------------------------- Linear


def linear_forward(layer, rec, a, z, l):
    """Z = A·Wᵀ + b  (primer: Z = W·A + b)."""
    x, w = rec.input.data, layer.weight.data  # x (m, in), w (out, in)
    b = None if layer.bias is None else layer.bias.data
    value = x @ w.T + (0 if b is None else b)  # (m, out)
    plus = "" if b is None else f" + b{l}"
    rows_b = "" if b is None else f" {_shape(b)}"
    columns_b = "" if b is None else f" ({len(b)}, 1)"
    # copies: the update step changes the parameters in place afterwards
    values = {f"W{l}": w.copy(), **({} if b is None else {f"b{l}": b.copy()}), z: value}
    step = TraceStep(
        "forward", f"layer {l}: {layer!r}", f"{z} = {a}·W{l}ᵀ{plus}", f"{z} = W{l}·{a}{plus}"
    )
    step.shapes = f"{a} {_shape(x)} · W{l}ᵀ {_shape(w, True)}{plus}{rows_b} → {z} {_shape(value)}"
    step.primer_shapes = (
        f"W{l} {_shape(w)} · {a} {_shape(x, True)}{plus}{columns_b} → {z} {_shape(value, True)}"
    )
    step.values = values
    step.checks = {f"{z} equals the layer's output": _check(value, rec.output.data)}
    return [step]


def linear_backward(layer, rec, a, z, l):
    """dW = dZᵀ·A, db = Σ_rows dZ, dA = dZ·W  (primer: (1/m)·dZ·Aᵀ, (1/m)·Σ dZ, Wᵀ·dZ)."""
    dz, x, w = rec.leaf.grad.data, rec.input.data, layer.weight.data  # (m, out), (m, in)
    name = f"layer {l}: {layer!r}"
    dw = dz.T @ x  # (out, in)
    dw_step = TraceStep("backward", name, f"dW{l} = d{z}ᵀ·{a}", f"dW{l} = (1/m)·d{z}·{a}ᵀ")
    dw_step.shapes = f"d{z}ᵀ {_shape(dz, True)} · {a} {_shape(x)} → dW{l} {_shape(dw)}"
    dw_step.primer_shapes = f"d{z} {_shape(dz, True)} · {a}ᵀ {_shape(x)} → dW{l} {_shape(dw)}"
    dw_step.values = {f"dW{l}": dw}
    dw_step.checks = {f"dW{l} equals layer {l}'s weight.grad": _check(dw, layer.weight.grad)}
    steps = [dw_step]
    if layer.bias is not None:
        db = dz.sum(axis=0)  # (out,)
        step = TraceStep("backward", name, f"db{l} = Σ_rows d{z}", f"db{l} = (1/m)·Σ_columns d{z}")
        step.shapes = f"d{z} {_shape(dz)} → db{l} {_shape(db)}"
        step.primer_shapes = f"d{z} {_shape(dz, True)} → db{l} ({len(db)}, 1)"
        step.values = {f"db{l}": db}
        step.checks = {f"db{l} equals layer {l}'s bias.grad": _check(db, layer.bias.grad)}
        steps.append(step)
    if l > 1:  # the primer stops at dW1, db1: the input's gradient trains nothing
        da = dz @ w  # (m, in)
        step = TraceStep("backward", name, f"d{a} = d{z}·W{l}", f"d{a} = W{l}ᵀ·d{z}")
        step.shapes = f"d{z} {_shape(dz)} · W{l} {_shape(w)} → d{a} {_shape(da)}"
        step.primer_shapes = (
            f"W{l}ᵀ {_shape(w, True)} · d{z} {_shape(dz, True)} → d{a} {_shape(da, True)}"
        )
        step.values = {f"d{a}": da}
        step.checks = {f"d{a} equals autograd's gradient of the input": _check(da, rec.input.grad)}
        steps.append(step)
    return steps


def linear_update(layer, l, lr):
    """W ← W − α·dW, b ← b − α·db, applied to the layer's parameters."""
    steps = []
    for p, name in ((layer.weight, f"W{l}"), (layer.bias, f"b{l}")):
        if p is None:
            continue
        p.data -= lr * p.grad.data
        formula = f"{name} ← {name} − α·d{name}   (α = {lr})"
        step = TraceStep("update", f"layer {l}: {layer!r}", formula, formula)
        step.values = {f"{name} (new)": p.data.copy()}
        steps.append(step)
    return steps


# -------------------------------------------------------------------- activations

# g(Z) and g′ as text and in NumPy: (forward text, forward, derivative text, derivative)
ACTIVATIONS = {
    ReLU: ("max(0, {z})", lambda z, m: np.maximum(z, 0), "[{z} > 0]", lambda z, a, m: z > 0),
    LeakyReLU: (
        "{z} if {z} > 0 else s·{z}",
        lambda z, m: np.where(z > 0, z, m.negative_slope * z),
        "(1 if {z} > 0 else s)",
        lambda z, a, m: np.where(z > 0, 1.0, m.negative_slope),
    ),
    Sigmoid: (
        "1 / (1 + e^−{z})",
        lambda z, m: 1 / (1 + np.exp(-z)),
        "{a} ⊙ (1 − {a})",
        lambda z, a, m: a * (1 - a),
    ),
    Tanh: ("tanh({z})", lambda z, m: np.tanh(z), "(1 − {a}²)", lambda z, a, m: 1 - a * a),
}


def _activation(layer):
    generic = (type(layer).__name__.lower() + "({z})", None, "g′({z})", None)
    return ACTIVATIONS.get(type(layer), generic)


def activation_forward(layer, rec, z, a):
    """A = g(Z), elementwise (the same in both layouts)."""
    text, g, _, _ = _activation(layer)
    zv, av = rec.input.data, rec.output.data
    formula = f"{a} = " + text.format(z=z)
    step = TraceStep("forward", repr(layer), formula, formula, values={a: av})
    step.shapes = f"{z} {_shape(zv)} → {a} {_shape(av)}"
    step.primer_shapes = f"{z} {_shape(zv, True)} → {a} {_shape(av, True)}"
    if g is not None:
        step.checks = {f"{a} equals the layer's output": _check(g(zv, layer), av)}
    return [step]


def activation_backward(layer, rec, z, a):
    """dZ = dA ⊙ g′(Z); without a NumPy g′ here the value is autograd's (and unchecked)."""
    _, _, text, g_prime = _activation(layer)
    da, zv, av = rec.leaf.grad.data, rec.input.data, rec.output.data
    autograd = rec.input.grad.data
    dz = autograd if g_prime is None else da * g_prime(zv, av, layer)
    formula = f"d{z} = d{a} ⊙ " + text.format(z=z, a=a)
    step = TraceStep("backward", repr(layer), formula, formula, values={f"d{z}": dz})
    step.shapes, step.primer_shapes = f"→ d{z} {_shape(dz)}", f"→ d{z} {_shape(dz, True)}"
    if g_prime is not None:
        step.checks = {f"d{z} equals autograd's gradient of the input": _check(dz, autograd)}
    return [step]


def flatten_forward(layer, rec, x, a):
    """A0 = X reshaped to one row per sample (the primer: one column per sample)."""
    xv, av = rec.input.data, rec.output.data
    step = TraceStep("forward", repr(layer), f"{a} = {x}.reshape(m, −1)", f"{a} = {x} as columns")
    step.shapes = f"{x} {_shape(xv)} → {a} {_shape(av)}"
    step.primer_shapes = f"→ {a} {_shape(av, True)}"
    step.values = {a: av}
    return [step]


def standardize_forward(layer, rec, x, a):
    """A = (X − μ) / (σ + ε) with the training data's per-feature mean and std."""
    xv, av = rec.input.data, rec.output.data
    value = (xv - layer.mean.data) / (layer.std.data + layer.eps)
    formula = f"{a} = ({x} − μ) / (σ + ε)"
    step = TraceStep("forward", repr(layer), formula, formula, values={a: av})
    step.shapes = f"{x} {_shape(xv)} − μ {_shape(layer.mean.data)} → {a} {_shape(av)}"
    step.primer_shapes = (
        f"{x} {_shape(xv, True)} − μ ({len(layer.mean.data)}, 1) → {a} {_shape(av, True)}"
    )
    step.checks = {f"{a} equals the layer's output": _check(value, av)}
    return [step]


# --------------------------------------------------------------------------- loss

LOSS_TEXTS = {  # (zennet L, primer L, zennet dZ, primer dZ)
    "cross_entropy": (
        "L = −(1/m)·Σ_n log softmax({z})[n, y_n]",
        "L = −(1/m)·Σ Y ⊙ log softmax({z})",
        "d{z} = (softmax({z}) − Y) / m",
        "d{z} = softmax({z}) − Y   (the 1/m comes in dW, db)",
    ),
    "mse": (
        "L = (1/(m·k))·Σ ({z} − Y)²",
        "L = (1/(m·k))·Σ ({z} − Y)²",
        "d{z} = 2·({z} − Y) / (m·k)",
        "d{z} = 2·({z} − Y) / k   (the 1/m comes in dW, db)",
    ),
}


def loss_steps(loss, rec, y, z, zennet_loss):
    """The loss L and its gradient d(output): (L, [loss step, first backward step])."""
    zv = rec.leaf.data  # the model's output (m, k)
    m = len(zv)
    if loss == "cross_entropy":
        shifted = zv - zv.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # log softmax
        y = np.asarray(y)
        value = -log_p[np.arange(m), y].mean()
        one_hot = np.eye(zv.shape[1], dtype=zv.dtype)[y]  # Y (m, k)
        dz = (np.exp(log_p) - one_hot) / m
    else:
        diff = zv - np.asarray(y, dtype=zv.dtype)
        value, dz = (diff**2).mean(), 2 * diff / diff.size
    texts = [t.format(z=z) for t in LOSS_TEXTS[loss]]
    loss_step = TraceStep("loss", loss, texts[0], texts[1], f"{z} {_shape(zv)} → L", "")
    loss_step.values = {"L": value}
    loss_step.checks = {"L equals zennet's loss": _check(value, zennet_loss)}
    grad_step = TraceStep("backward", loss, texts[2], texts[3], f"→ d{z} {_shape(dz)}")
    grad_step.primer_shapes = f"→ d{z} {_shape(dz, True)}"
    grad_step.values = {f"d{z}": dz}
    grad_step.checks = {f"d{z} equals autograd's gradient of the output": _check(dz, rec.leaf.grad)}
    return float(value), [loss_step, grad_step]
