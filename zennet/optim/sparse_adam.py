"""SparseAdam: Adam that moves only the rows a step's gradient touched (torch.optim's)."""

from zennet.backend import array_module
from zennet.optim.adam import Adam
from zennet.optim.optimizer import Optimizer
from zennet.optim.registry import OPTIMIZERS


def touched(grad):
    """The entries a sparse gradient would hold: a boolean mask over dim 0, True where the
    slice grad[i] is not all zero (an embedding row that was looked up); for a 1-d or 0-d
    gradient, the nonzero entries."""
    xp = array_module(grad)
    if grad.ndim < 2:
        return grad != 0
    return xp.any(grad.reshape(grad.shape[0], -1) != 0, axis=1)


def sparse_adam_update(param, grad, exp_avg, exp_avg_sq, *, step, lr, beta1, beta2, eps):
    """One SparseAdam step (t = ``step``, every step counted), in place, on the touched
    entries S only (:func:`touched`); the others, moments included, stay as they are::

        m_S ← m_S + (1 - β1)(g_S - m_S)
        v_S ← v_S + (1 - β2)(g_S² - v_S)
        θ_S ← θ_S - η √(1 - β2^t) / (1 - β1^t) · m_S / (√v_S + ε)

    PyTorch's order of operations (torch.optim._functional.sparse_adam).
    """
    xp = array_module(param)
    rows = touched(grad)
    if not xp.any(rows):
        return
    g = grad[rows]
    m_old, v_old = exp_avg[rows], exp_avg_sq[rows]
    m = (g - m_old) * (1 - beta1) + m_old
    v = (g * g - v_old) * (1 - beta2) + v_old
    exp_avg[rows], exp_avg_sq[rows] = m, v
    step_size = lr * (1 - beta2**step) ** 0.5 / (1 - beta1**step)
    param[rows] += -step_size * (m / (xp.sqrt(v) + eps))


class SparseAdam(Adam):
    """SparseAdam (torch.optim.SparseAdam): Adam's moments and step on the entries the
    gradient touched, the rest untouched, as for ``nn.Embedding(sparse=True)``.

    zennet's gradients are dense: "touched" is the rows whose gradient is not all zero
    (entries, for a 1-d parameter), which are the rows PyTorch's sparse gradient of an
    embedding holds unless a looked-up row's gradient is exactly zero (PyTorch then still
    decays its moments; zennet leaves it). The step count grows every step, as PyTorch's.
    State per parameter: "step", "exp_avg", "exp_avg_sq".
    """

    non_negative = ("lr", "eps")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize)
        Optimizer.__init__(self, params, defaults)  # Adam's checks of betas, not its options

    def _check_group(self, group):
        super()._check_group(group)
        for name in ("lr", "eps"):
            if not group[name] > 0:
                raise ValueError(f"SparseAdam: {name} must be > 0, got {group[name]}.")

    def _init_state(self, param, group):
        xp = array_module(param)
        return {"step": 0, "exp_avg": xp.zeros_like(param), "exp_avg_sq": xp.zeros_like(param)}

    def _update(self, param, grad, state, group):
        state["step"] += 1
        beta1, beta2 = group["betas"]
        options = dict(lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"])
        moments = state["exp_avg"], state["exp_avg_sq"]
        sparse_adam_update(param, grad, *moments, step=state["step"], **options)


OPTIMIZERS.register("sparse_adam", SparseAdam, "Adam on the rows a gradient touched")
