"""Attributions from input gradients: saliency, gradient × input, SmoothGrad, integrated
gradients. Each explains the score f_c(x) of class c = ``target`` and returns an ndarray
shaped like ``x``; the model runs in eval mode with frozen parameters (restored after).

``target`` is an int, an array of one int per sample, or None for each sample's predicted
class. ``x`` is a batch (N, ...). ``batch_size`` caps the rows of one forward/backward pass.
"""

import numpy as np

from zennet.explain._common import (
    as_batch,
    as_targets,
    inspecting,
    scores_of,
    target_gradients,
)
from zennet.random import get_rng


def _prepare(name, model, x, target):
    x = as_batch(name, x)
    targets = as_targets(name, target, len(x), None if target is not None else scores_of(model, x))
    return x, targets


def saliency(model, x, target, abs=False, batch_size=256):
    """Vanilla gradient (Simonyan et al., 2014): S = ∂f_c/∂x; |∂f_c/∂x| with ``abs=True``."""
    with inspecting(model):
        x, targets = _prepare("saliency", model, x, target)
        grads, _ = target_gradients("saliency", model, x, targets, batch_size)
    return np.abs(grads) if abs else grads


def gradient_x_input(model, x, target, batch_size=256):
    """Gradient × input (Shrikumar et al., 2016): x ⊙ ∂f_c/∂x. For a linear score w·x + b it
    is each feature's term w_i·x_i."""
    x = as_batch("gradient_x_input", x)
    return x * saliency(model, x, target, batch_size=batch_size)


def smoothgrad(model, x, target, n_samples=25, noise_level=0.15, abs=False, batch_size=256):
    """SmoothGrad (Smilkov et al., 2017): the mean gradient over noisy copies of x,

        (1/n)·Σ_k ∂f_c/∂x (x + ε_k),   ε_k ~ N(0, σ²),   σ = noise_level·(max x − min x)

    with σ taken per sample. ``abs=True`` averages |∂f_c/∂x| instead. The noise comes from
    zennet's generator, so ``zn.manual_seed`` makes it repeatable.
    """
    if n_samples < 1 or not 0 <= noise_level:
        raise ValueError(
            f"smoothgrad: need n_samples >= 1 and noise_level >= 0, got n_samples={n_samples}, "
            f"noise_level={noise_level}; e.g. n_samples=25, noise_level=0.15."
        )
    with inspecting(model):
        x, targets = _prepare("smoothgrad", model, x, target)
        axes = tuple(range(1, x.ndim))
        sigma = noise_level * (x.max(axis=axes, keepdims=True) - x.min(axis=axes, keepdims=True))
        rng = get_rng()

        def noisy(ks):  # (len(ks), N, ...)
            noise = rng.standard_normal((len(ks), *x.shape), dtype=x.dtype)
            return x + sigma * noise

        weights = np.full(n_samples, 1.0 / n_samples)
        return _weighted_gradients(
            "smoothgrad", model, x, targets, weights, noisy, batch_size, np.abs if abs else None
        )


def riemann_points(steps, method="midpoint"):
    """(α_k, w_k) with Σ_k w_k·g(α_k) ≈ ∫₀¹ g(α) dα; Σ w_k = 1.

    midpoint: α_k = (k + ½)/steps, w_k = 1/steps. trapezoid: α_k = k/(steps − 1),
    w_k = 1/(steps − 1), halved at both ends. Both are exact for a linear g.
    """
    if method == "midpoint" and steps >= 1:
        return (np.arange(steps) + 0.5) / steps, np.full(steps, 1.0 / steps)
    if method == "trapezoid" and steps >= 2:
        weights = np.full(steps, 1.0 / (steps - 1))
        weights[[0, -1]] /= 2
        return np.linspace(0.0, 1.0, steps), weights
    raise ValueError(
        f"integrated_gradients: method must be 'midpoint' (steps >= 1) or 'trapezoid' "
        f"(steps >= 2), got method={method!r}, steps={steps}."
    )


def integrated_gradients(
    model, x, target, baseline=None, steps=50, method="midpoint", batch_size=256
):
    """Integrated gradients (Sundararajan et al., 2017):

        IG_i = (x_i − x'_i) · ∫₀¹ ∂f_c/∂x_i (x' + α·(x − x')) dα
             ≈ (x_i − x'_i) · Σ_k w_k · ∂f_c/∂x_i (x' + α_k·(x − x'))

    with a Riemann sum of ``steps`` points (:func:`riemann_points`). ``baseline`` x' is
    None (zeros), a number, or an array shaped like x or like one sample. The interpolated
    inputs go through the model ⌈steps·N / batch_size⌉ passes at a time. Completeness:
    Σ_i IG_i = f_c(x) − f_c(x') up to the quadrature error (:func:`completeness_gap`).
    """
    alphas, weights = riemann_points(steps, method)
    with inspecting(model):
        x, targets = _prepare("integrated_gradients", model, x, target)
        base = _baseline("integrated_gradients", x, baseline)
        delta = x - base

        def path(ks):  # (len(ks), N, ...)
            shape = (len(ks),) + (1,) * x.ndim
            return base + alphas[ks].reshape(shape).astype(x.dtype) * delta

        mean_grad = _weighted_gradients(
            "integrated_gradients", model, x, targets, weights, path, batch_size
        )
    return delta * mean_grad


def completeness_gap(model, x, target, attributions, baseline=None):
    """Per sample, |Σ_i a_i − (f_c(x) − f_c(x'))| / |f_c(x) − f_c(x')|: how far attributions
    ``a`` are from completeness (0 for exact integrated gradients). Shape (N,)."""
    with inspecting(model):
        x, targets = _prepare("completeness_gap", model, x, target)
        base = _baseline("completeness_gap", x, baseline)
        rows = np.arange(len(x))
        change = scores_of(model, x)[rows, targets] - scores_of(model, base)[rows, targets]
    total = np.asarray(attributions, dtype=np.float64).reshape(len(x), -1).sum(axis=1)
    scale = np.maximum(np.abs(change), np.finfo(np.float32).tiny)
    return np.abs(total - change) / scale


def _baseline(name, x, baseline):
    """The reference input x' as an array shaped like x."""
    if baseline is None:
        return np.zeros_like(x)
    base = np.asarray(baseline, dtype=x.dtype)
    try:
        return np.broadcast_to(base, x.shape).copy()
    except ValueError:
        raise ValueError(
            f"{name}: baseline of shape {base.shape} does not fit x of shape {x.shape}; give "
            f"a number, one sample {x.shape[1:]} or a batch {x.shape}."
        ) from None


def _weighted_gradients(name, model, x, targets, weights, inputs_for, batch_size, transform=None):
    """Σ_k weights[k] · transform(∂f_c/∂x at inputs_for(k)), shaped like x.

    ``inputs_for(ks)`` returns the inputs for the indices ``ks`` as (len(ks), N, ...);
    as many k go into one pass as fit ``batch_size`` rows.
    """
    n, total = len(x), np.zeros(x.shape, dtype=np.float64)
    per_pass = max(1, batch_size // n)
    for start in range(0, len(weights), per_pass):
        ks = np.arange(start, min(start + per_pass, len(weights)))
        rows = inputs_for(ks).reshape(-1, *x.shape[1:])  # (len(ks)·N, ...)
        grads, _ = target_gradients(name, model, rows, np.tile(targets, len(ks)), batch_size)
        grads = grads.reshape(len(ks), *x.shape)
        if transform is not None:
            grads = transform(grads)
        total += np.tensordot(weights[ks], grads, axes=1)
    return total.astype(x.dtype)
