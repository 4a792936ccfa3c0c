"""Parameter initialization, as torch.nn.init: every function fills a tensor in place and
returns it, drawing from zennet's one seeded generator (zn.manual_seed).

Why the scale matters: for z = Σ_i w_i·a_i over fan_in inputs, Var(z) = fan_in·Var(w)·Var(a).
Keeping Var(z) ≈ Var(a) from layer to layer needs Var(w) ≈ gain² / fan_in:

    xavier (Glorot):  Var(w) = gain² · 2 / (fan_in + fan_out)     (tanh, sigmoid, linear)
    kaiming (He):     Var(w) = gain² / fan                         (ReLU family, gain √2)

A uniform U(-b, b) has variance b²/3, so its bound is b = √3 · std.
"""

import math

import numpy as np

from zennet.random import get_rng

_LINEAR_LIKE = (
    "linear conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d sigmoid"
).split()


def calculate_gain(nonlinearity, param=None):
    """The factor by which ``nonlinearity`` shrinks the standard deviation, to undo in init.

    linear, conv, sigmoid: 1;  tanh: 5/3;  relu: √2;  leaky_relu: √(2 / (1 + slope²));
    selu: 3/4 (the values of torch.nn.init.calculate_gain).
    """
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {slope!r} is not a number.")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
        f"{_LINEAR_LIKE + ['tanh', 'relu', 'leaky_relu', 'selu']}."
    )


def _fill(tensor, values):
    """Write ``values`` into the tensor's array in place, keeping its dtype."""
    if getattr(values, "ndim", 0):
        values = tensor.device.put(values)  # drawn on the host, written on the tensor's device
    tensor.data[...] = values
    return tensor


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = in_features · receptive field, fan_out = out_features · receptive field.

    Weights are (out, in, *kernel) as in PyTorch: a Linear (out, in) has fan_in = in; a
    Conv2d (out, in, kh, kw) has fan_in = in·kh·kw.
    """
    if tensor.ndim < 2:
        raise ValueError(
            f"init: fan in and fan out need a tensor with at least 2 dimensions, got shape "
            f"{tensor.shape}. Biases and norm weights are filled with uniform_/zeros_/ones_."
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}.")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def zeros_(tensor):
    return _fill(tensor, 0)


def ones_(tensor):
    return _fill(tensor, 1)


def constant_(tensor, val):
    return _fill(tensor, val)


def uniform_(tensor, a=0.0, b=1.0):
    """w ~ U(a, b)."""
    return _fill(tensor, get_rng().uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """w ~ N(mean, std²)."""
    return _fill(tensor, get_rng().normal(mean, std, tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """w ~ N(mean, std²) restricted to [a, b] (absolute bounds, as PyTorch).

    Drawn by rejection: values outside [a, b] are drawn again until none is left.
    """
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}.")
    accept = 0.5 * (
        math.erf((b - mean) / (std * math.sqrt(2))) - math.erf((a - mean) / (std * math.sqrt(2)))
    )
    if accept < 1e-4:
        raise ValueError(
            f"trunc_normal_: [a, b] = [{a}, {b}] holds only {accept:.2g} of N({mean}, {std}²); "
            f"choose bounds within a few standard deviations of the mean."
        )
    rng = get_rng()
    values = rng.normal(mean, std, tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def xavier_uniform_(tensor, gain=1.0):
    """Glorot: w ~ U(-b, b), b = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot: w ~ N(0, std²), std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He: w ~ U(-b, b), b = gain · √(3 / fan); ``a`` is the leaky_relu slope of the gain.

    PyTorch's Linear and Conv use a = √5: gain = √(1/3), so b = 1/√fan_in.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He: w ~ N(0, std²), std = gain / √fan."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def orthogonal_(tensor, gain=1.0):
    """w = gain · Q, Q with orthonormal rows (or columns) from the QR of a Gaussian matrix.

    The tensor is viewed as (rows = shape[0], cols = the rest); the signs of R's diagonal
    are folded into Q so that Q is uniform over the orthogonal matrices.
    """
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: need at least 2 dimensions, got shape {tensor.shape}.")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows if rows else 0
    flat = get_rng().standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T  # QR of the tall side
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))  # (tall, short) with orthonormal columns
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def eye_(tensor):
    """w = I (a 2-D tensor): y = x for a square Linear."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: need a 2-D tensor, got shape {tensor.shape}.")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """A convolution kernel (out, in, *k) that passes channel c of each group through: 1 at
    the centre of kernel [g·out_g + c, c], 0 elsewhere."""
    if tensor.ndim not in (3, 4, 5) or tensor.shape[0] % groups:
        raise ValueError(
            f"dirac_: need a 3-, 4- or 5-D tensor whose dimension 0 divides by groups={groups}, "
            f"got shape {tensor.shape}."
        )
    values = np.zeros(tensor.shape)
    per_group = tensor.shape[0] // groups
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for c in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + c, c) + centre] = 1
    return _fill(tensor, values)


def sparse_(tensor, sparsity, std=0.01):
    """w ~ N(0, std²) with ⌈sparsity · rows⌉ entries of each column set to zero (2-D)."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: need a 2-D tensor, got shape {tensor.shape}.")
    rows, cols = tensor.shape
    zeros = int(math.ceil(sparsity * rows))
    rng = get_rng()
    values = rng.normal(0.0, std, (rows, cols))
    for c in range(cols):
        values[rng.permutation(rows)[:zeros], c] = 0
    return _fill(tensor, values)


def primer_(module, std=0.01):
    """The textbook's choice: every weight matrix ~ N(0, std²), every bias 0; returns module.

    Applies to the parameters named ``weight`` with 2 or more dimensions (Linear, Conv,
    Embedding) and the ``bias`` beside them; norm layers keep their γ = 1, β = 0.
    """
    for m in module.modules():
        weight = m._parameters.get("weight")
        if weight is None or weight.ndim < 2:
            continue
        normal_(weight, 0.0, std)
        if m._parameters.get("bias") is not None:
            zeros_(m._parameters["bias"])
    return module
