"""Adagrad: step sizes that shrink with the sum of each parameter's squared gradients."""

from zennet.backend import array_module
from zennet.optim.optimizer import Optimizer
from zennet.optim.registry import OPTIMIZERS


def adagrad_update(
    param, grad, state_sum, *, step, lr, lr_decay=0.0, eps=1e-10, weight_decay=0.0, work=None
):
    """One Adagrad step on arrays (t = ``step``, from 1), in place on ``param`` and ``state_sum``::

    g ← g + λ θ                     weight decay λ
    η_t = η / (1 + (t - 1) · lr_decay)
    G ← G + g²                      the sum of squared gradients (``state_sum``)
    θ ← θ - η_t g / (√G + ε)
    """
    xp = array_module(param)
    work = xp.empty_like(param) if work is None else work
    if weight_decay:
        grad = grad + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    state_sum += xp.multiply(grad, grad, out=work)
    std = xp.sqrt(state_sum, out=work)
    std += eps
    update = xp.divide(grad, std, out=work)
    update *= -clr
    param += update


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): each parameter's step is divided by the root of the
    sum of its squared gradients, so rarely updated parameters keep larger steps.

    State per parameter, as in PyTorch (created at construction): "step" and "sum"
    (starting at ``initial_accumulator_value``).
    """

    non_negative = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
        *,
        maximize=False,
    ):
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p.data, group)

    def _init_state(self, param, group):
        xp = array_module(param)
        return {"step": 0, "sum": xp.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        adagrad_update(
            param,
            grad,
            state["sum"],
            step=state["step"],
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            work=self._workspace(param),
        )


OPTIMIZERS.register("adagrad", Adagrad, "Adagrad: steps shrink with past squared gradients")
