"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from zennet.backend import array_module
from zennet.optim.optimizer import Optimizer
from zennet.optim.registry import OPTIMIZERS


def sgd_update(
    param,
    grad,
    momentum_buffer,
    *,
    lr,
    momentum=0.0,
    dampening=0.0,
    nesterov=False,
    weight_decay=0.0,
    work=None,
):
    """One SGD step on arrays, in place on ``param`` and ``momentum_buffer``::

        g ← g + λ θ                          weight decay λ (an L2 penalty ½ λ ‖θ‖²)
        b ← μ b + (1 - τ) g                  momentum μ, dampening τ; b = g at the first step
        g ← g + μ b  (Nesterov)   or   g ← b
        θ ← θ - η g

    Without momentum this is W ← W - α·dW. Returns the momentum buffer (None without
    momentum; a new array at the first step, when ``momentum_buffer`` is None).
    """
    xp = array_module(param)
    work = xp.empty_like(param) if work is None else work
    if weight_decay:
        grad = xp.add(grad, xp.multiply(param, weight_decay, out=work), out=work)
    if momentum:
        if momentum_buffer is None:
            momentum_buffer = grad.copy()
        else:
            momentum_buffer *= momentum
            momentum_buffer += grad if dampening == 0 else (1 - dampening) * grad
        if nesterov:
            grad = xp.add(grad, momentum * momentum_buffer, out=work)
        else:
            grad = momentum_buffer
    param += xp.multiply(grad, -lr, out=work)
    return momentum_buffer


class SGD(Optimizer):
    """Stochastic gradient descent: θ ← θ - η ∇L, optionally with (Nesterov) momentum.

    With the whole training set as one batch (full-batch SGD) this is exactly the
    primer's gradient descent, W ← W - α·dW, with the learning rate α = lr.

    >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    >>> loss.backward(); opt.step(); opt.zero_grad()

    State per parameter: "momentum_buffer" (only with momentum), as in PyTorch.
    """

    non_negative = ("lr", "momentum", "weight_decay")

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0.0,
        dampening=0.0,
        weight_decay=0.0,
        nesterov=False,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']} and dampening={group['dampening']}."
            )

    def _init_state(self, param, group):
        return {}

    def _update(self, param, grad, state, group):
        buffer = sgd_update(
            param,
            grad,
            state.get("momentum_buffer"),
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            nesterov=group["nesterov"],
            weight_decay=group["weight_decay"],
            work=self._workspace(param),
        )
        if buffer is not None:
            state["momentum_buffer"] = buffer


OPTIMIZERS.register("sgd", SGD, "stochastic gradient descent, optionally with (Nesterov) momentum")
