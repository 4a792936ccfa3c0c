"""More activation layers (PyTorch's), thin wrappers around functional/activation_extra.py.

``inplace=True`` is accepted and computes a new tensor (see nn/activation.py).
"""

from zennet import creation
from zennet.functional import activation as act
from zennet.functional import activation_extra as G
from zennet.nn.activation import _Activation
from zennet.nn.module import Module, Parameter


class _Inplace(_Activation):
    """An activation whose only option is ``inplace``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


def _simple(name, function, formula, base=_Activation):
    """A layer class that applies ``function`` (no options but PyTorch's ``inplace``)."""
    return type(name, (base,), {"function": function, "__doc__": formula, "__module__": __name__})


ReLU6 = _simple("ReLU6", G.relu6, "min(max(x, 0), 6)", _Inplace)
SELU = _simple("SELU", G.selu, "scale · elu(x, α), self-normalising constants", _Inplace)
Mish = _simple("Mish", G.mish, "x · tanh(softplus(x))", _Inplace)
Hardswish = _simple("Hardswish", G.hardswish, "x · relu6(x + 3) / 6", _Inplace)
Hardsigmoid = _simple("Hardsigmoid", G.hardsigmoid, "relu6(x + 3) / 6", _Inplace)
Softsign = _simple("Softsign", G.softsign, "x / (1 + |x|)")
LogSigmoid = _simple("LogSigmoid", G.logsigmoid, "log sigmoid(x)")
Tanhshrink = _simple("Tanhshrink", G.tanhshrink, "x − tanh(x)")


class CELU(_Activation):
    """α · elu(x/α)"""

    function, arguments = G.celu, ("alpha",)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class Hardtanh(_Activation):
    """clamp(x, min_val, max_val)"""

    function, arguments = G.hardtanh, ("min_val", "max_val")

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val}).")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace


class Threshold(_Activation):
    """x where x > threshold, else value"""

    function, arguments = G.threshold, ("threshold", "value")

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace


class Softshrink(_Activation):
    """x ∓ λ outside [−λ, λ], 0 inside"""

    function, arguments = G.softshrink, ("lambd",)

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self):
        return repr(self.lambd)


class Hardshrink(Softshrink):
    """x outside [−λ, λ], 0 inside"""

    function = G.hardshrink


class GLU(_Activation):
    """a · sigmoid(b) for the halves a, b of x along ``dim``"""

    function, arguments = G.glu, ("dim",)

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim


class Softmin(GLU):
    """softmax(−x) along ``dim``"""

    function = G.softmin

    def __init__(self, dim=None):
        super().__init__(dim)


class Softmax2d(Module):
    """softmax over the channels of (N, C, H, W) or (C, H, W): dim −3."""

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(
                f"Softmax2d: expected input of shape (N, C, H, W) or (C, H, W), got {x.shape}."
            )
        return act.softmax(x, -3)


class RReLU(_Activation):
    """leaky ReLU with random slopes a ~ U(lower, upper) for x <= 0 in training, the mean
    slope (lower + upper)/2 in evaluation"""

    arguments = ("lower", "upper")

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, x):
        return G.rrelu(x, self.lower, self.upper, self.training)


class PReLU(Module):
    """max(0, x) + a · min(0, x) with learned slopes a: one, or one per channel (axis 1)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(creation.empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        self.weight.data[...] = self.init

    def forward(self, x):
        return G.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
