"""Activation layers: A = g(Z) as modules, each a thin wrapper around its function in F.

``inplace=True`` is accepted (and shown in the repr) so that PyTorch code runs unchanged;
zennet never overwrites a tensor that the graph may still need, so it computes a new one.
"""

import warnings

from zennet import functional as F
from zennet.nn.module import Module


class _Activation(Module):
    """y = function(x, **{name: self.name for name in arguments})."""

    function = None  # the F.* function, set by each subclass
    arguments = ()  # constructor arguments passed on to it and shown by repr

    def forward(self, x):
        if not self.arguments:  # ReLU, Tanh, ...: no keyword dict to build on each call
            return type(self).function(x)
        return type(self).function(x, **{a: getattr(self, a) for a in self.arguments})

    def extra_repr(self):
        parts = [f"{a}={getattr(self, a)!r}" for a in self.arguments]
        if getattr(self, "inplace", False):
            parts.append("inplace=True")
        return ", ".join(parts)


class ReLU(_Activation):
    """max(x, 0)"""

    function = F.relu

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class LeakyReLU(_Activation):
    """x if x > 0 else negative_slope·x"""

    function, arguments = F.leaky_relu, ("negative_slope",)

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace


class ELU(_Activation):
    """x if x > 0 else alpha·(eˣ - 1)"""

    function, arguments = F.elu, ("alpha",)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class GELU(_Activation):
    """x·Φ(x) (approximate='tanh': the tanh formula)"""

    function, arguments = F.gelu, ("approximate",)

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}.")
        self.approximate = approximate


class SiLU(_Activation):
    """x·sigmoid(x) (also called swish)"""

    function = F.silu

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class Sigmoid(_Activation):
    """1 / (1 + e⁻ˣ)"""

    function = F.sigmoid


class Tanh(_Activation):
    """tanh(x)"""

    function = F.tanh


class Softplus(_Activation):
    """log(1 + e^(beta·x)) / beta, linear above threshold"""

    function, arguments = F.softplus, ("beta", "threshold")

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold


def _legacy_softmax_dim(name, ndim):
    """PyTorch's (deprecated) choice when no dim is given: 0 for 0-, 1- and 3-D input, else 1."""
    warnings.warn(
        f"{name}: implicit dimension choice is deprecated (as in PyTorch); pass dim, "
        f"e.g. {name}(dim=-1).",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """e^x / Σ e^x along ``dim``: each slice along it sums to 1."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        dim = _legacy_softmax_dim("Softmax", x.ndim) if self.dim is None else self.dim
        return F.softmax(x, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log softmax(x) along ``dim``, computed stably as x - logsumexp(x)."""

    def forward(self, x):
        dim = _legacy_softmax_dim("LogSoftmax", x.ndim) if self.dim is None else self.dim
        return F.log_softmax(x, dim)
