"""Fully connected layer: Z = A·Wᵀ + b."""

import math

import numpy as np

from zennet import functional as F
from zennet.creation import empty
from zennet.nn import init
from zennet.nn.checks import check_input
from zennet.nn.module import Module, Parameter


class Linear(Module):
    """Fully connected layer: (*, in_features) -> (*, out_features), y = x @ weight.T + bias.

    weight (out_features, in_features), bias (out_features,), as in PyTorch. Initialised
    as PyTorch does: weight by kaiming_uniform_(a=√5), i.e. U(-1/√in, 1/√in), and bias
    U(-1/√in, 1/√in).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or n < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {n!r}.")
        self.in_features, self.out_features = int(in_features), int(out_features)
        made = dict(device=device, dtype=dtype)  # on the device, in dtype (default float32)
        self.weight = Parameter(empty(out_features, in_features, **made))
        self.bias = Parameter(empty(out_features, **made)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        name = f"Linear(in_features={self.in_features})"
        x = check_input(name, x)
        shape = tuple(x.shape)
        if not shape or shape[-1] != self.in_features:
            hint = " Add nn.Flatten() before it." if len(shape) > 2 else ""
            raise ValueError(
                f"{name} got input of shape {shape}; expected (batch, {self.in_features}).{hint}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


Dense = Linear  # the Keras name
