"""Adadelta, Rprop and ASGD, as torch.optim computes them (state names as PyTorch's)."""

import numpy as np

from zennet.backend import array_module
from zennet.optim.optimizer import Optimizer, refuse_torch_flags
from zennet.optim.registry import OPTIMIZERS


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps in the units of the parameter, from running means of
    squared gradients (v) and of squared updates (u)::

        v ← ρ v + (1 − ρ) g²,   Δ = √(u + ε)/√(v + ε) · g,   u ← ρ u + (1 − ρ) Δ²,   θ ← θ − η Δ
    """

    non_negative = ("lr", "rho", "eps", "weight_decay")

    def __init__(
        self,
        params,
        lr=1.0,
        rho=0.9,
        eps=1e-6,
        weight_decay=0.0,
        foreach=None,
        *,
        capturable=False,
        maximize=False,
        differentiable=False,
    ):
        refuse_torch_flags("Adadelta", capturable, differentiable)
        if not 0 <= rho <= 1:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {rho}.")
        options = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, options)

    def _init_state(self, param, group):
        xp = array_module(param)
        return {"step": 0, "square_avg": xp.zeros_like(param), "acc_delta": xp.zeros_like(param)}

    def _update(self, param, grad, state, group):
        xp = array_module(param)
        state["step"] += 1
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * grad * grad
        delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * grad
        u *= rho
        u += (1 - rho) * delta * delta
        param -= group["lr"] * delta


class Rprop(Optimizer):
    """Rprop (Riedmiller & Braun, 1993): only the gradient's sign is used; each parameter's
    step size grows by η+ while the sign holds and shrinks by η− when it flips (and that
    step is skipped)::

        s ← clamp(s · (η+ if g·g_prev > 0, η− if < 0, 1 if 0), step_min, step_max)
        g ← 0 where the sign flipped;   θ ← θ − sign(g) · s;   g_prev ← g
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        etas=(0.5, 1.2),
        step_sizes=(1e-6, 50),
        *,
        capturable=False,
        foreach=None,
        maximize=False,
        differentiable=False,
    ):
        refuse_torch_flags("Rprop", capturable, differentiable)
        if not 0 < etas[0] < 1 < etas[1]:
            raise ValueError(f"Rprop: etas must satisfy 0 < etaminus < 1 < etaplus, got {etas}.")
        options = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize)
        super().__init__(params, options)

    def _init_state(self, param, group):
        xp = array_module(param)
        return {
            "step": 0,
            "prev": xp.zeros_like(param),
            "step_size": xp.full_like(param, group["lr"]),
        }

    def _update(self, param, grad, state, group):
        xp = array_module(param)
        state["step"] += 1
        minus, plus = group["etas"]
        low, high = group["step_sizes"]
        agreement = xp.sign(grad * state["prev"])
        factor = xp.where(agreement > 0, plus, xp.where(agreement < 0, minus, 1.0))
        size = state["step_size"]
        xp.clip(size * factor.astype(size.dtype), low, high, out=size)
        grad = xp.where(agreement < 0, 0, grad).astype(param.dtype)
        param -= xp.sign(grad) * size
        state["prev"][...] = grad


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky, 1992) with PyTorch's decaying step and averaging::

        θ ← θ (1 − λ η_t) − η_t g;   ax ← ax + μ_t (θ − ax)
        η_{t+1} = lr / (1 + λ lr t)^α,   μ_{t+1} = 1 / max(1, t − t0)

    The average ``ax`` is in ``optimizer.state[p]["ax"]``.
    """

    non_negative = ("lr", "lambd", "weight_decay")

    def __init__(
        self,
        params,
        lr=1e-2,
        lambd=1e-4,
        alpha=0.75,
        t0=1e6,
        weight_decay=0.0,
        foreach=None,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        refuse_torch_flags("ASGD", capturable, differentiable)
        options = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay)
        super().__init__(params, dict(options, maximize=maximize))

    def _init_state(self, param, group):
        xp = array_module(param)
        return {"step": 0, "eta": _scalar(group["lr"]), "mu": 1.0, "ax": xp.zeros_like(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        t, lr, lambd = state["step"], group["lr"], group["lambd"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        eta = state["eta"]
        param *= 1 - lambd * eta
        param -= eta * grad
        ax = state["ax"]
        if state["mu"] != 1:
            ax += (param - ax) * state["mu"]
        else:
            ax[...] = param
        state["eta"] = _scalar(lr / (1 + lambd * lr * t) ** group["alpha"])
        state["mu"] = _scalar(1 / max(1, t - group["t0"]))


def _scalar(value):
    """A float rounded to float32: PyTorch keeps ASGD's eta and mu as default-dtype
    (float32) tensors, whatever the parameters' dtype."""
    return float(np.float32(value))


OPTIMIZERS.register("adadelta", Adadelta, "Adadelta: steps from running means, lr 1")
OPTIMIZERS.register("rprop", Rprop, "Rprop: sign-based steps that grow and shrink (full batch)")
OPTIMIZERS.register("asgd", ASGD, "averaged stochastic gradient descent")
