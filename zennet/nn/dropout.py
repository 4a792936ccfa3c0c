"""Dropout layers: random zeroing while training, identity in eval mode."""

from zennet import functional as F
from zennet.nn.module import Module


class Dropout(Module):
    """Zero each element with probability p while training, scale the rest by 1/(1 - p).

    ``inplace`` is accepted for PyTorch code and has no effect (see nn/activation.py).
    """

    function = staticmethod(F.dropout)

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(
                f"{type(self).__name__}: p is the probability of dropping an element and must "
                f"be between 0 and 1, got {p}."
            )
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return self.function(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) with probability p while training (see F.dropout2d)."""

    function = staticmethod(F.dropout2d)
