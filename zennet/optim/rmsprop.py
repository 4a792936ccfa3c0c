"""RMSprop: divide each gradient by the root of its running mean square."""

from zennet.backend import array_module
from zennet.optim.optimizer import Optimizer
from zennet.optim.registry import OPTIMIZERS


def rmsprop_update(
    param,
    grad,
    square_avg,
    *,
    lr,
    alpha,
    eps,
    weight_decay=0.0,
    momentum=0.0,
    grad_avg=None,
    momentum_buffer=None,
    work=None,
):
    """One RMSprop step on arrays, in place on ``param`` and the running averages::

    g ← g + λ θ                     weight decay λ
    s ← α s + (1 - α) g²            running mean square (``square_avg``)
    ḡ ← α ḡ + (1 - α) g             centered (``grad_avg`` given): running mean
    a = √(s - ḡ²) + ε   (centered)   or   a = √s + ε
    b ← μ b + g / a,  θ ← θ - η b   with momentum μ (``momentum_buffer``), else
    θ ← θ - η g / a
    """
    xp = array_module(param)
    work = xp.empty_like(param) if work is None else work
    if weight_decay:
        grad = grad + weight_decay * param
    square_avg *= alpha
    xp.multiply(grad, grad, out=work)
    work *= 1 - alpha
    square_avg += work
    if grad_avg is not None:
        grad_avg *= alpha
        grad_avg += xp.multiply(grad, 1 - alpha, out=work)
        xp.subtract(square_avg, xp.multiply(grad_avg, grad_avg, out=work), out=work)
        avg = xp.sqrt(work, out=work)
    else:
        avg = xp.sqrt(square_avg, out=work)
    avg += eps
    step = xp.divide(grad, avg, out=work)
    if momentum:
        momentum_buffer *= momentum
        momentum_buffer += step
        step = xp.multiply(momentum_buffer, -lr, out=work)
    else:
        step *= -lr
    param += step


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012): θ ← θ - η g / (√(running mean of g²) + ε).

    ``centered`` subtracts the squared running mean of g (an estimate of the variance);
    ``momentum`` accumulates the scaled steps. State per parameter, as in PyTorch: "step",
    "square_avg", and "momentum_buffer" / "grad_avg" when those options are on.
    """

    non_negative = ("lr", "alpha", "eps", "weight_decay", "momentum")

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        momentum=0.0,
        centered=False,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        xp = array_module(param)
        state = {"step": 0, "square_avg": xp.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = xp.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = xp.zeros_like(param)
        return state

    def _update(self, param, grad, state, group):
        state["step"] += 1
        rmsprop_update(
            param,
            grad,
            state["square_avg"],
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            grad_avg=state.get("grad_avg") if group["centered"] else None,
            momentum_buffer=state.get("momentum_buffer"),
            work=self._workspace(param),
        )


OPTIMIZERS.register("rmsprop", RMSprop, "RMSprop: steps divided by the running RMS of g")
