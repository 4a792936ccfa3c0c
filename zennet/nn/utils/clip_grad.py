"""Gradient clipping, applied between ``loss.backward()`` and ``optimizer.step()``.

    total = ‖(‖g_1‖_p, ..., ‖g_k‖_p)‖_p        (the p-norm of all gradients as one vector)
    g_i ← g_i · min(1, max_norm / (total + 1e-6))

Both functions change ``p.grad`` in place and skip parameters without a gradient.
"""

import numpy as np

from zennet.backend import array_module
from zennet.tensor import Tensor


def _grads(op, parameters):
    """The gradient arrays of ``parameters`` (a Tensor or an iterable of them)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif hasattr(parameters, "named_parameters"):
        raise TypeError(f"{op}: got a Module; pass model.parameters() instead.")
    return [p.grad.data for p in parameters if p.grad is not None]


def _vector_norm(x, norm_type):
    """‖x‖_p of all elements of ``x``: p = inf is max |x|, -inf min |x|, 0 the count of x ≠ 0."""
    x, xp = x.ravel(), array_module(x)
    if norm_type == 2:
        return xp.sqrt(xp.dot(x, x))
    if norm_type == float("inf"):
        return xp.abs(x).max(initial=0)
    if norm_type == float("-inf"):
        return xp.abs(x).min()
    if norm_type == 0:
        return xp.asarray((x != 0).sum(), dtype=x.dtype)
    return (xp.abs(x) ** norm_type).sum() ** (1 / norm_type)


def get_total_norm(grads, norm_type=2.0):
    """The norm of all ``grads`` (arrays) taken together, as a 0-d array."""
    norm_type = float(norm_type)
    if not grads:
        return np.zeros((), dtype=np.float32)
    norms = array_module(grads[0]).stack(
        [_vector_norm(g, norm_type).astype(g.dtype) for g in grads]
    )
    return _vector_norm(norms, norm_type)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients together so that their total ``norm_type``-norm is at most
    ``max_norm``; return the total norm from before clipping (a 0-d Tensor)."""
    grads = _grads("clip_grad_norm_", parameters)
    total = get_total_norm(grads, norm_type)
    if error_if_nonfinite and not np.isfinite(float(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"non-finite ({total}), so it cannot be clipped. Look for a NaN or Inf in the "
            f"loss (zn.detect_anomaly() names the op), or pass error_if_nonfinite=False."
        )
    scale = np.minimum(float(max_norm) / (total + 1e-6), 1.0)  # in total's dtype, as PyTorch
    if not scale >= 1.0:  # also when NaN: the gradients become NaN, as in PyTorch
        for g in grads:
            g *= scale
    return Tensor(total)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _grads("clip_grad_value_", parameters):
        g.clip(-clip_value, clip_value, out=g)
