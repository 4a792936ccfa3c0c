"""More normalisations, composed of primitives: F.group_norm, F.instance_norm,
F.rms_norm, F.local_response_norm (PyTorch's arguments and eps placement)."""

import numpy as np

from zennet.functional._util import array_of, as_tensor
from zennet.functional.arith import mean, sqrt
from zennet.functional.shape import pad, reshape


def _standardize(x, axes, eps):
    """(x − mean) / √(biased var + eps) over ``axes``; also returns mean and var."""
    mu = mean(x, axes, keepdim=True)
    centered = x - mu
    var = mean(centered * centered, axes, keepdim=True)
    return centered / sqrt(var + eps), mu, var


def _affine(x, weight, bias):
    """γ·x + β with γ, β of shape (C,) broadcast along axis 1 of x (N, C, *)."""
    shape = (-1,) + (1,) * (x.ndim - 2)
    if weight is not None:
        x = x * reshape(weight, shape)
    if bias is not None:
        x = x + reshape(bias, shape)
    return x


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Standardise each sample over each group of C/G channels (and all positions), then
    γ·x̂ + β per channel: x (N, C, *)."""
    x = as_tensor(input)
    if x.ndim < 2 or x.shape[1] % num_groups:
        raise ValueError(
            f"group_norm: input {x.shape} must be (N, C, *) with C divisible by "
            f"num_groups={num_groups}."
        )
    grouped = reshape(x, (x.shape[0], num_groups, -1))  # (N, G, C/G · positions)
    x_hat = reshape(_standardize(grouped, 2, eps)[0], x.shape)
    return _affine(x_hat, weight, bias)


def instance_norm(
    input,
    running_mean=None,
    running_var=None,
    weight=None,
    bias=None,
    use_input_stats=True,
    momentum=0.1,
    eps=1e-5,
):
    """Standardise each channel of each sample over its positions: x (N, C, *).

    With running statistics and ``use_input_stats`` they are updated in place with the
    batch average of the per-instance mean and unbiased variance (as PyTorch); without
    ``use_input_stats`` they normalise instead.
    """
    x = as_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected input (N, C, *), got shape {x.shape}.")
    axes = tuple(range(2, x.ndim))
    if not use_input_stats:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mu, var = reshape(running_mean, shape), reshape(running_var, shape)
        return _affine((x - mu) / sqrt(var + eps), weight, bias)
    x_hat, mu, var = _standardize(x, axes, eps)
    if running_mean is not None:
        count = int(np.prod(x.shape[2:]))
        rm, rv = array_of(running_mean), array_of(running_var)
        batch_mean = array_of(mu).reshape(x.shape[:2]).mean(0)
        unbiased = array_of(var).reshape(x.shape[:2]).mean(0) * count / max(count - 1, 1)
        rm *= 1 - momentum
        rm += (momentum * batch_mean).astype(rm.dtype, copy=False)
        rv *= 1 - momentum
        rv += (momentum * unbiased).astype(rv.dtype, copy=False)
    return _affine(x_hat, weight, bias)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / √(mean(x²) + eps) over the last dimensions ``normalized_shape``, times weight;
    eps=None is the dtype's machine epsilon (as PyTorch)."""
    x = as_tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape) :] != shape:
        raise ValueError(
            f"rms_norm: input of shape {x.shape} does not end in normalized_shape {shape}."
        )
    eps = float(np.finfo(x.dtype).eps) if eps is None else eps
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    out = x / sqrt(mean(x * x, axes, keepdim=True) + eps)
    return out if weight is None else out * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + α/n · Σ x² over n = ``size`` neighbouring channels)^β  (AlexNet), the
    window zero-padded by ⌊n/2⌋ channels before and ⌊(n−1)/2⌋ after: x (N, C, *)."""
    x = as_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: expected input (N, C, *), got {x.shape}.")
    C = x.shape[1]
    widths = (0, 0) * (x.ndim - 2) + (size // 2, (size - 1) // 2)
    squares = pad(x * x, widths)  # (N, C + n − 1, *)
    window = squares[:, 0:C]
    for j in range(1, size):
        window = window + squares[:, j : j + C]
    return x / (window * (alpha / size) + k) ** beta
