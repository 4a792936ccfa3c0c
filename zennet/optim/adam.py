"""Adam and AdamW: gradient descent with per-parameter step sizes from running moments."""

import numpy as np

from zennet.backend import array_module
from zennet.kernels import adam_all, dense_flat, kernel
from zennet.optim.optimizer import Optimizer, _is_number
from zennet.optim.registry import OPTIMIZERS


def adam_update(
    param,
    grad,
    exp_avg,
    exp_avg_sq,
    *,
    step,
    lr,
    beta1,
    beta2,
    eps,
    weight_decay=0.0,
    decoupled_weight_decay=False,
    max_exp_avg_sq=None,
    work=None,
):
    """One Adam step on arrays (t = ``step``, counted from 1), in place on ``param`` and
    the moments ``exp_avg`` (m) and ``exp_avg_sq`` (v)::

        g ← g + λ θ                     Adam's weight decay (an L2 penalty), or
        θ ← θ (1 - η λ)                 AdamW's decoupled weight decay
        m ← β1 m + (1 - β1) g           first moment: a running mean of g
        v ← β2 v + (1 - β2) g²          second moment: a running mean of g²
        v̂ ← max(v̂, v)                   AMSGrad (``max_exp_avg_sq`` = v̂), used for v below
        denom = √v / √(1 - β2^t) + ε
        θ ← θ - η / (1 - β1^t) · m / denom

    The order of operations is PyTorch's but for the bias correction of v, which is folded
    into the step size (one pass fewer); results agree to rounding. With compiled kernels
    (zennet.kernels) the same formula runs as one loop over the parameter. NumPy's path
    needs a scratch array like ``param``: ``work``, or ``work(param)`` when it is a
    function (the optimizer's workspace, asked for only then), else a new one.
    """
    fused = max_exp_avg_sq is None and kernel("adam", param, grad, exp_avg, exp_avg_sq)
    flat = fused and dense_flat(param, grad, exp_avg, exp_avg_sq)
    if flat:
        options = (step, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay)
        fused(*flat, *_in_precision(_kernel_scalars(*options), param.dtype))
        return
    root_correction = (1 - beta2**step) ** 0.5
    step_size = lr * root_correction / (1 - beta1**step)
    xp = array_module(param)
    work = xp.empty_like(param) if work is None else work(param) if callable(work) else work
    if weight_decay and decoupled_weight_decay:
        param *= 1 - lr * weight_decay
    elif weight_decay:
        grad = grad + weight_decay * param
    exp_avg *= beta1
    exp_avg += xp.multiply(grad, 1 - beta1, out=work)
    exp_avg_sq *= beta2
    xp.multiply(grad, grad, out=work)
    work *= 1 - beta2
    exp_avg_sq += work
    if max_exp_avg_sq is not None:
        exp_avg_sq = xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
    # η/(1-β1^t) · m / (√v/c + ε) = η c/(1-β1^t) · m / (√v + ε c), c = √(1-β2^t):
    # the same value with one pass fewer over the parameter.
    denom = xp.sqrt(exp_avg_sq, out=work)
    denom += eps * root_correction
    update = xp.divide(exp_avg, denom, out=work)
    update *= -step_size
    param += update


def _kernel_scalars(step, lr, beta1, beta2, eps, weight_decay, decoupled_weight_decay):
    """The eight scalars of zennet.kernels.adam for step t = ``step`` (adam_update's formula)."""
    root_correction = (1 - beta2**step) ** 0.5
    step_size = lr * root_correction / (1 - beta1**step)
    decoupled = decoupled_weight_decay
    return (
        beta1, 1 - beta1, beta2, 1 - beta2, step_size, eps * root_correction,
        0 if decoupled else weight_decay, 1 - lr * weight_decay if decoupled else 1,
    )  # fmt: skip


_SCALARS = {}  # the last few scalar tuples of adam_update's kernel, in their dtypes


def _in_precision(scalars, dtype):
    """``scalars`` as NumPy scalars of ``dtype`` (the kernel computes in the parameter's
    precision), made once for all parameters of a step: a conversion costs more than the
    update of a bias."""
    key = (scalars, dtype)
    found = _SCALARS.get(key)
    if found is None:
        if len(_SCALARS) > 64:
            _SCALARS.clear()
        found = _SCALARS[key] = tuple(dtype.type(s) for s in scalars)
    return found


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): each parameter moves by its gradient's running mean
    divided by the root of its running mean square, so steps are about ``lr`` in size
    whatever the gradient's scale. ``amsgrad`` uses the largest v seen so far.

    State per parameter, as in PyTorch: "step", "exp_avg", "exp_avg_sq" and, with
    amsgrad, "max_exp_avg_sq".
    """

    non_negative = ("lr", "eps", "weight_decay")

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        *,
        maximize=False,
        decoupled_weight_decay=False,
    ):
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group):
        super()._check_group(group)
        betas = group["betas"]
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(
                f"{self._name}: betas must be a pair (beta1, beta2), got {betas!r} "
                f"(typical values: betas=(0.9, 0.999))."
            )
        for i, beta in enumerate(betas):
            if not (_is_number(beta) and 0.0 <= beta < 1.0):
                raise ValueError(
                    f"{self._name}: betas[{i}] must be in [0, 1), got {beta} "
                    f"(typical values: betas=(0.9, 0.999))."
                )

    def _init_state(self, param, group):
        xp = array_module(param)
        state = {"step": 0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = xp.zeros_like(param)
        return state

    def _step_group(self, group):
        if not self._step_at_once(group):
            super()._step_group(group)

    def _step_at_once(self, group):
        """The group's step in one compiled call (zennet.kernels.adam_all), to the bits of
        the parameter-by-parameter step, where it can: Adam's own update (not a subclass's),
        no amsgrad or maximize, and every parameter with a gradient past its first step, at
        the same step count as the others, with itself, its gradient and moments what
        adam_update's kernel takes (the compiled kernels on; NumPy arrays of one float
        dtype, one shape and one dense layout), the dtype the same for all. Returns whether
        it did; else nothing has changed."""
        if type(self)._update is not Adam._update or group["amsgrad"] or group.get("maximize"):
            return False
        rows, states, step, dtype = [], [], None, None
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state.get(p)
            if state is None:  # its first step makes its state
                return False
            arrays = (p.data, p.grad.data, state["exp_avg"], state["exp_avg_sq"])
            if step is None:
                step, dtype = state["step"], arrays[0].dtype
            flat = kernel("adam", *arrays) and arrays[0].dtype == dtype and dense_flat(*arrays)
            if state["step"] != step or not flat:
                return False
            rows.append(flat)
            states.append(state)
        if not rows:
            return True
        for state in states:
            state["step"] = step + 1
        options = (group["lr"], *group["betas"], group["eps"], group["weight_decay"])
        scalars = _kernel_scalars(step + 1, *options, group["decoupled_weight_decay"])
        adam_all(rows, np.array(scalars, dtype))
        return True

    def _update(self, param, grad, state, group):
        state["step"] += 1
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = array_module(param).zeros_like(param)
        beta1, beta2 = group["betas"]
        adam_update(
            param,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            step=state["step"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            max_exp_avg_sq=state.get("max_exp_avg_sq") if group["amsgrad"] else None,
            work=self._workspace,  # called only on NumPy's path
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): θ ← θ (1 - η λ) before
    the Adam step, instead of adding λ θ to the gradient; weight_decay defaults to 1e-2."""

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        *,
        maximize=False,
    ):
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )


OPTIMIZERS.register("adam", Adam, "Adam: steps from running moments of the gradient")
OPTIMIZERS.register("adamw", AdamW, "Adam with decoupled weight decay")
