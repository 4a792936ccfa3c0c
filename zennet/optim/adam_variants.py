"""Adam's relatives, as torch.optim computes them: Adamax (infinity norm), NAdam
(Nesterov momentum), RAdam (variance rectification). State per parameter uses
PyTorch's names ("step", "exp_avg", "exp_inf" / "exp_avg_sq", "mu_product")."""

import math

from zennet.backend import array_module
from zennet.optim.adam import Adam
from zennet.optim.optimizer import refuse_torch_flags
from zennet.optim.registry import OPTIMIZERS


class _AdamFamily(Adam):
    """Adam's arguments and checks; subclasses give their own state and update."""

    def __init__(self, params, lr, betas, eps, weight_decay, flags, decoupled=False, **extra):
        refuse_torch_flags(type(self).__name__, flags["capturable"], flags["differentiable"])
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            maximize=flags["maximize"],
            decoupled_weight_decay=decoupled,
        )
        for group in [self.defaults] + self.param_groups:
            group.pop("amsgrad", None)
            for key, value in extra.items():
                group.setdefault(key, value)

    def _decay(self, param, grad, group):
        """Weight decay: decoupled (θ ← θ(1 − ηλ)) or added to the gradient (g + λθ)."""
        lr, wd = group["lr"], group["weight_decay"]
        if wd and group.get("decoupled_weight_decay"):
            param *= 1 - lr * wd
        elif wd:
            grad = grad + wd * param
        return grad


class Adamax(_AdamFamily):
    """Adamax (Kingma & Ba, 2015, §7.1): Adam with the infinity norm for the second moment::

    m ← β1 m + (1 − β1) g,   u ← max(β2 u, |g| + ε),   θ ← θ − η/(1 − β1^t) · m/u
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        foreach=None,
        *,
        maximize=False,
        differentiable=False,
        capturable=False,
    ):
        flags = dict(maximize=maximize, capturable=capturable, differentiable=differentiable)
        super().__init__(params, lr, betas, eps, weight_decay, flags)

    def _init_state(self, param, group):
        xp = array_module(param)
        return {"step": 0, "exp_avg": xp.zeros_like(param), "exp_inf": xp.zeros_like(param)}

    def _update(self, param, grad, state, group):
        xp = array_module(param)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        grad = self._decay(param, grad, group)
        m, u = state["exp_avg"], state["exp_inf"]
        m += (grad - m) * (1 - beta1)
        xp.maximum(u * beta2, xp.abs(grad) + group["eps"], out=u)
        param -= group["lr"] / (1 - beta1 ** state["step"]) * m / u


class NAdam(_AdamFamily):
    """NAdam (Dozat, 2016): Adam with Nesterov momentum and a momentum schedule::

    μ_t = β1 (1 − ½·0.96^(t·ψ)),   Π_t = Π_{t−1} μ_t   (ψ = momentum_decay)
    m ← β1 m + (1 − β1) g,   v ← β2 v + (1 − β2) g²,   d = √(v/(1 − β2^t)) + ε
    θ ← θ − η(1 − μ_t)/(1 − Π_t) · g/d − η μ_{t+1}/(1 − Π_t μ_{t+1}) · m/d
    """

    def __init__(
        self,
        params,
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        flags = dict(maximize=maximize, capturable=capturable, differentiable=differentiable)
        options = dict(momentum_decay=momentum_decay)
        super().__init__(
            params, lr, betas, eps, weight_decay, flags, decoupled_weight_decay, **options
        )

    def _init_state(self, param, group):
        xp = array_module(param)
        zeros = xp.zeros_like
        return {"step": 0, "mu_product": 1.0, "exp_avg": zeros(param), "exp_avg_sq": zeros(param)}

    def _update(self, param, grad, state, group):
        xp = array_module(param)
        state["step"] += 1
        t, lr, psi = state["step"], group["lr"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        grad = self._decay(param, grad, group)
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (grad - m) * (1 - beta1)
        v *= beta2
        v += (1 - beta2) * grad * grad
        denom = xp.sqrt(v / (1 - beta2**t)) + group["eps"]
        param -= lr * (1 - mu) / (1 - state["mu_product"]) * grad / denom
        param -= lr * mu_next / (1 - state["mu_product"] * mu_next) * m / denom


class RAdam(_AdamFamily):
    """RAdam (Liu et al., 2020): Adam whose adaptive step is switched on only once the
    variance of v's estimate is tractable, and rectified::

        ρ∞ = 2/(1 − β2) − 1,   ρ_t = ρ∞ − 2t β2^t/(1 − β2^t)
        m̂ = m/(1 − β1^t);  ρ_t > 5: θ ← θ − η r_t m̂ √(1 − β2^t)/(√v + ε), else θ ← θ − η m̂
        r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        decoupled_weight_decay=False,
        *,
        foreach=None,
        maximize=False,
        capturable=False,
        differentiable=False,
    ):
        flags = dict(maximize=maximize, capturable=capturable, differentiable=differentiable)
        super().__init__(params, lr, betas, eps, weight_decay, flags, decoupled_weight_decay)

    def _init_state(self, param, group):
        xp = array_module(param)
        return {"step": 0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}

    def _update(self, param, grad, state, group):
        xp = array_module(param)
        state["step"] += 1
        t, lr = state["step"], group["lr"]
        beta1, beta2 = group["betas"]
        grad = self._decay(param, grad, group)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (grad - m) * (1 - beta1)
        v *= beta2
        v += (1 - beta2) * grad * grad
        corrected = m / (1 - beta1**t)
        correction2 = 1 - beta2**t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / correction2
        if rho_t > 5:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            param -= corrected * lr * (math.sqrt(correction2) / (xp.sqrt(v) + group["eps"])) * rect
        else:
            param -= corrected * lr


OPTIMIZERS.register("adamax", Adamax, "Adam with the infinity norm")
OPTIMIZERS.register("nadam", NAdam, "Adam with Nesterov momentum")
OPTIMIZERS.register("radam", RAdam, "Adam with a rectified warm-up of the adaptive step")
