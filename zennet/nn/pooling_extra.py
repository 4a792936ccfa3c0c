"""AdaptiveMaxPool1d/2d/3d, AdaptiveAvgPool3d, LPPool1d/2d (functional/pool_extra.py) and
MaxUnpool1d/2d/3d (functional/unpool.py)."""

from zennet.functional import pool_extra as P
from zennet.functional import unpool as U
from zennet.functional.conv import ntuple
from zennet.nn.activation import _Activation
from zennet.nn.module import Module


class _AdaptiveMaxPool(_Activation):
    arguments = ("output_size",)

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x):
        return type(self).function(x, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """Max to a fixed length: (N, C, L) -> (N, C, output_size)."""

    function = P.adaptive_max_pool1d


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """Max to a fixed size: (N, C, H, W) -> (N, C, *output_size)."""

    function = P.adaptive_max_pool2d


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """Max to a fixed size: (N, C, D, H, W) -> (N, C, *output_size)."""

    function = P.adaptive_max_pool3d


class AdaptiveAvgPool3d(_Activation):
    """Average to a fixed size: (N, C, D, H, W) -> (N, C, *output_size)."""

    function, arguments = P.adaptive_avg_pool3d, ("output_size",)

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size


class _LPPool(_Activation):
    arguments = ("norm_type", "kernel_size", "stride", "ceil_mode")

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.ceil_mode = ceil_mode


class LPPool1d(_LPPool):
    """(Σ x^p)^(1/p) over windows of the last dim."""

    function = P.lp_pool1d


class LPPool2d(_LPPool):
    """(Σ x^p)^(1/p) over kh×kw windows."""

    function = P.lp_pool2d


class _MaxUnpool(Module):
    """Each value at the index max_pool gave it, zeros elsewhere: forward(input, indices,
    output_size=None)."""

    nd = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name, nd = type(self).__name__, self.nd
        self.kernel_size = ntuple(name, "kernel_size", kernel_size, nd, minimum=1)
        self.stride = self.kernel_size if stride is None else ntuple(name, "stride", stride, nd, 1)
        self.padding = ntuple(name, "padding", padding, nd)

    def forward(self, input, indices, output_size=None):
        options = (self.kernel_size, self.stride, self.padding, output_size)
        return type(self).function(input, indices, *options)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """The inverse of MaxPool1d(return_indices=True)."""

    function, nd = U.max_unpool1d, 1


class MaxUnpool2d(_MaxUnpool):
    """The inverse of MaxPool2d(return_indices=True)."""

    function = U.max_unpool2d


class MaxUnpool3d(_MaxUnpool):
    """The inverse of MaxPool3d(return_indices=True)."""

    function, nd = U.max_unpool3d, 3
