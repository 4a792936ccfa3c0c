"""One training step seen from one layer, in the primer's notation and with zennet's numbers.

The primer keeps one sample per column: for layer l, Z = W·A_prev + b, A = g(Z),
dW = (1/m)·dZ·A_prevᵀ, db = (1/m)·Σ dZ, then the update. zennet keeps one sample per row
and its mean loss puts the 1/m inside ∂L/∂Z, so the view shows the primer's arrays as
zennet's transposed, and the primer's dZ as m·∂L/∂Z. Every number comes from the step
zennet ran: A_prev and Z from forward hooks, ∂L/∂Z kept by ``retain_grad``, dW and db
read from ``weight.grad`` and ``bias.grad``, the update as W after the optimizer's step
minus W before. Each formula is then checked on those numbers (max |left − right|).
"""

import numpy as np

from zennet import functional as F
from zennet.jobs.playground.config import OPTIMIZERS
from zennet.nn.linear import Linear
from zennet.tensor import Tensor

SHOWN_SAMPLES = 8  # columns of the (·, m) arrays sent to the page


def capture_step(session, x, y, layer):
    """Run one step of ``session`` on (x, y) and return layer ``layer``'s view (a dict)."""
    model = session.model
    linears = [i for i, m in enumerate(model) if isinstance(m, Linear)]
    if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= len(linears):
        raise ValueError(f"layer must be a number from 1 to {len(linears)}; got {layer!r}.")
    index = linears[layer - 1]
    linear = model[index]
    seen = {}

    def on_linear(module, inputs, out):
        seen["a_prev"] = np.array(inputs[0].numpy())  # (m, in)
        out.retain_grad()
        seen["z"] = out  # (m, out)

    hooks = [linear.register_forward_hook(on_linear)]
    if index + 1 < len(model):
        hooks.append(model[index + 1].register_forward_hook(_keep(seen, "a")))
    try:
        model.train()
        out = model(Tensor(x))  # forward propagation
        loss = session.loss_of(out, y)  # the loss
        session.optimizer.zero_grad()
        loss.backward()  # back-propagation
        w_old, b_old = linear.weight.numpy().copy(), linear.bias.numpy().copy()
        session.optimizer.step()  # the update
    finally:
        for hook in hooks:
            hook.remove()
    if "a" not in seen:  # the output layer: its g is the loss's own link
        seen["a"], seen["g"] = _link(session.config.loss, seen["z"])
    else:
        seen["g"] = f"{session.config.activation}(Z)"
    arrays = _primer_arrays(seen, linear, w_old, b_old, len(x))
    view = _view(arrays, session, layer, len(linears), loss.item())
    session.last_step = {**arrays, "layer": layer, "m": len(x)}
    return view


def _keep(seen, key):
    def hook(module, inputs, out):
        seen[key] = np.array(out.numpy())

    return hook


def _link(loss, z):
    """A of the output layer as the loss reads Z, and its name."""
    if loss == "cross_entropy":
        return F.softmax(z.detach(), dim=1).numpy(), "softmax(Z) (inside the loss)"
    if loss == "bce_with_logits":
        return F.sigmoid(z.detach()).numpy(), "σ(Z) (inside the loss)"
    return z.numpy().copy(), "Z (mse reads the output as it is)"


def _primer_arrays(seen, linear, w_old, b_old, m):
    """The step's arrays in the primer's layout: one sample per column."""
    dz_mean = seen["z"].grad.numpy()  # ∂L/∂Z of the mean loss, (m, out)
    return {
        "A_prev": seen["a_prev"].T,  # (in, m)
        "W": w_old,  # (out, in)
        "b": b_old[:, None],  # (out, 1)
        "Z": seen["z"].numpy().T,  # (out, m)
        "A": np.asarray(seen["a"]).T,  # (out, m)
        "dZ": m * dz_mean.T,  # (out, m): the primer's dZ, without the 1/m
        "dW": linear.weight.grad.numpy().copy(),  # (out, in): zennet's weight.grad
        "db": linear.bias.grad.numpy()[:, None].copy(),  # (out, 1)
        "W_new": linear.weight.numpy().copy(),
        "b_new": linear.bias.numpy()[:, None].copy(),
        "g": seen["g"],
    }


def _view(arrays, session, layer, layers, loss):
    a = arrays
    m = a["Z"].shape[1]
    checks = {
        "Z = W·A_prev + b": a["W"] @ a["A_prev"] + a["b"] - a["Z"],
        "dW = (1/m)·dZ·A_prevᵀ": a["dZ"] @ a["A_prev"].T / m - a["dW"],
        "db = (1/m)·Σ dZ": a["dZ"].sum(axis=1, keepdims=True) / m - a["db"],
    }
    config = session.config
    if config.optimizer == "sgd":  # plain SGD: the update is exactly −α·(dW + λ·W)
        expected = -config.lr * (a["dW"] + config.l2 * a["W"])
        checks["W_new − W = −α·(dW + λ·W)"] = a["W_new"] - a["W"] - expected
    shown = {k: v for k, v in a.items() if k != "g"}
    for key in ("A_prev", "Z", "A", "dZ"):
        shown[key] = shown[key][:, :SHOWN_SAMPLES]
    shown["update"] = a["W_new"] - a["W"]
    shown["b_update"] = a["b_new"] - a["b"]
    return {
        "layer": layer,
        "layers": layers,
        "m": m,
        "shown_samples": min(m, SHOWN_SAMPLES),
        "loss": loss,
        "g": a["g"],
        "update_rule": OPTIMIZERS[config.optimizer][2],
        "lr": config.lr,
        "l2": config.l2,
        "arrays": {k: np.asarray(v, dtype=np.float64).tolist() for k, v in shown.items()},
        "checks": {k: float(np.max(np.abs(v), initial=0.0)) for k, v in checks.items()},
    }
