"""Convolution layers: nn.Conv1d/2d/3d, nn.ConvTranspose1d/2d/3d.

PyTorch's arguments, weight shapes ((out, in/groups, *k); transposed: (in, out/groups, *k)),
state-dict keys (weight, bias) and default initialisation:
W, b ~ U(-1/√fan_in, 1/√fan_in) with fan_in = weight.shape[1] · prod(kernel_size)
(kaiming_uniform_ with a = √5, as torch.nn.Conv*.reset_parameters).
"""

import math

import zennet.functional as F
from zennet.creation import empty
from zennet.functional.conv import check_channels, ntuple
from zennet.functional.padding import pad
from zennet.nn import checks, init
from zennet.nn.module import Module, Parameter


class _ConvNd(Module):
    """What every convolution layer shares: argument checks, parameters, init and repr."""

    nd = 2
    transposed = False

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
        *,
        output_padding=0,
    ):
        super().__init__()
        name = type(self).__name__
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}.")
        if not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{name}: groups must be a positive int, got {groups!r}.")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels={in_channels} and out_channels={out_channels} must both be "
                f"divisible by groups={groups}."
            )
        modes = ("zeros",) if self.transposed else ("zeros", "reflect", "replicate", "circular")
        if padding_mode not in modes:
            raise ValueError(f"{name}: padding_mode must be one of {modes}, got {padding_mode!r}.")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(name, "kernel_size", kernel_size, self.nd, minimum=1)
        self.stride = ntuple(name, "stride", stride, self.nd, minimum=1)
        self.dilation = ntuple(name, "dilation", dilation, self.nd, minimum=1)
        self.output_padding = ntuple(name, "output_padding", output_padding, self.nd)
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            if padding not in ("same", "valid") or self.transposed:
                forms = "an int or a tuple" + ("" if self.transposed else ", 'same' or 'valid'")
                raise ValueError(f"{name}: padding must be {forms}, got {padding!r}.")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(
                    f"{name}: padding='same' needs stride 1 (got stride={self.stride}), as in "
                    f"PyTorch; give the padding as numbers instead."
                )
            self.padding = padding
        else:
            self.padding = ntuple(name, "padding", padding, self.nd)
        if self.transposed:
            shape = (in_channels, out_channels // groups, *self.kernel_size)
        else:
            shape = (out_channels, in_channels // groups, *self.kernel_size)
        made = dict(device=device, dtype=dtype)  # on the device, in dtype (default float32)
        self.weight = Parameter(empty(shape, **made))
        self.bias = Parameter(empty(out_channels, **made)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's: W by kaiming_uniform_(a=√5), i.e. U(-1/√fan_in, 1/√fan_in), and b from
        the same interval, with fan_in = weight.shape[1] · prod(kernel_size)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def check_input(self, x):
        name = f"{type(self).__name__}(in_channels={self.in_channels})"
        x = checks.check_input(name, x)
        fix = " Check the previous layer's out_channels (or the images' channel count)."
        check_channels(name, x.shape, self.nd, self.in_channels, fix)
        return x

    def extra_repr(self):
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self.nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    """A convolution layer: ``function`` is its F.conv*."""

    def forward(self, x):
        x = self.check_input(x)
        padding = self.padding
        if self.padding_mode != "zeros":  # pad with the mode first, then convolve unpadded
            x, padding = pad(x, self._padding_pairs(), mode=self.padding_mode), 0
        return self.function(
            x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )

    def _padding_pairs(self):
        """F.pad's (before, after) pairs from the last dimension back, for self.padding."""
        if self.padding == "valid":
            return (0, 0) * self.nd
        if self.padding == "same":  # the extra padding of an even span goes after
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]
            pairs = [(t // 2, t - t // 2) for t in totals]
        else:
            pairs = [(p, p) for p in self.padding]
        return tuple(v for pair in reversed(pairs) for v in pair)


class _ConvTranspose(_ConvNd):
    """A transposed convolution layer (PyTorch's argument order: output_padding before groups)."""

    transposed = True

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups=1,
        bias=True,
        dilation=1,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            padding_mode,
            device,
            dtype,
            output_padding=output_padding,
        )

    def forward(self, x):
        x = self.check_input(x)
        return self.function(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )


class Conv1d(_Conv):
    """1-d convolution (N, C_in, L) -> (N, C_out, L_out); weight (C_out, C_in/groups, k)."""

    nd, function = 1, staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-d convolution (N, C_in, H, W) -> (N, C_out, H_out, W_out): y = W ⋆ x + b with
    weight (C_out, C_in/groups, kh, kw), bias (C_out,).

    >>> conv = nn.Conv2d(1, 32, 3, padding=1)   # 28×28 in, 28×28 out
    """

    nd, function = 2, staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-d convolution (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out);
    weight (C_out, C_in/groups, kd, kh, kw)."""

    nd, function = 3, staticmethod(F.conv3d)


class ConvTranspose1d(_ConvTranspose):
    """1-d transposed convolution (N, C_in, L) -> (N, C_out, L_out);
    weight (C_in, C_out/groups, k)."""

    nd, function = 1, staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-d transposed convolution, the input-gradient of Conv2d run forward:
    (N, C_in, H, W) -> (N, C_out, H_out, W_out) with H_out = (H - 1)·stride - 2·padding
    + dilation·(kh - 1) + output_padding + 1; weight (C_in, C_out/groups, kh, kw).
    """

    nd, function = 2, staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-d transposed convolution (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out);
    weight (C_in, C_out/groups, kd, kh, kw)."""

    nd, function = 3, staticmethod(F.conv_transpose3d)
