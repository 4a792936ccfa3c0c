"""Bilinear (y = x1ᵀ·A·x2 + b) and LazyLinear (a Linear whose in_features is read from
its first input), with PyTorch's parameters and initialisation."""

import math

from zennet.creation import empty
from zennet.functional.nn import bilinear
from zennet.nn import init
from zennet.nn.checks import check_input
from zennet.nn.linear import Linear
from zennet.nn.module import Module, Parameter


class Bilinear(Module):
    """y = x1ᵀ·A·x2 + b; weight (out, in1, in2) and bias ~ U(−1/√in1, 1/√in1)."""

    def __init__(
        self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None
    ):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        made = dict(device=device, dtype=dtype)
        self.weight = Parameter(empty(out_features, in1_features, in2_features, **made))
        self.bias = Parameter(empty(out_features, **made)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        name = f"Bilinear(in1_features={self.in1_features}, in2_features={self.in2_features})"
        return bilinear(
            check_input(name, input1), check_input(name, input2), self.weight, self.bias
        )

    def extra_repr(self):
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class LazyLinear(Linear):
    """A Linear layer whose in_features is the last dimension of its first input.

    Until then weight has shape (out_features, 0); the first call gives it its shape,
    initialises it as Linear does and turns the layer into a plain Linear. The parameter
    objects stay the same, so an optimizer made before the first call still holds them.
    """

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, out_features, bias, device=device, dtype=dtype)

    def reset_parameters(self):
        if self.in_features:  # nothing to initialise before the shape is known
            super().reset_parameters()

    def forward(self, x):
        x = check_input(f"LazyLinear(out_features={self.out_features})", x)
        self.in_features = x.shape[-1]
        fresh = empty(self.out_features, self.in_features, dtype=self.weight.dtype)
        self.weight.data = self.weight.device.put(fresh.data)
        self.reset_parameters()
        self.__class__ = Linear
        return Linear.forward(self, x)
