"""Dropout layers: random zeroing while training, identity in eval mode."""

from zennet import functional as F
from zennet.nn.checks import check_input
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
        # as PyTorch: integers pass through in eval mode but cannot be scaled by 1/(1 - p)
        x = check_input(f"{type(self).__name__}(p={self.p})", x, floating=self.training)
        return self.function(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Zero whole channels of (N, C, H, W) with probability p while training (see F.dropout2d)."""

    function = staticmethod(F.dropout2d)


class Dropout1d(Dropout):
    """Zero whole channels of (N, C, L) with probability p while training."""

    function = staticmethod(F.dropout1d)


class Dropout3d(Dropout):
    """Zero whole channels of (N, C, D, H, W) with probability p while training."""

    function = staticmethod(F.dropout3d)


class AlphaDropout(Dropout):
    """Dropout that keeps SELU's zero mean and unit variance (see F.alpha_dropout)."""

    function = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(Dropout):
    """AlphaDropout of whole channels."""

    function = staticmethod(F.feature_alpha_dropout)
