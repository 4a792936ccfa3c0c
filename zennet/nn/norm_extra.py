"""GroupNorm, InstanceNorm1d/2d/3d, RMSNorm and LocalResponseNorm, with PyTorch's
parameters, buffers and state-dict keys; the math is in functional/norm_extra.py."""

import numpy as np

from zennet.creation import ones, zeros
from zennet.functional import norm_extra as N
from zennet.functional.shape import squeeze, unsqueeze
from zennet.nn.module import Module, Parameter
from zennet.nn.norm import _BatchNorm, reset_affine


class GroupNorm(Module):
    """Standardise each sample over groups of num_channels/num_groups channels, then
    γ·x̂ + β per channel (weight ones, bias zeros, shape (num_channels,))."""

    def __init__(
        self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True
    ):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels={num_channels} must be divisible by "
                f"num_groups={num_groups}."
            )
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        made = dict(device=device, dtype=dtype)
        self.weight = Parameter(ones(num_channels, **made)) if affine else None
        self.bias = Parameter(zeros(num_channels, **made)) if affine and bias else None

    def reset_parameters(self):
        reset_affine(self)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm(num_channels={self.num_channels}) got input of shape {x.shape}; "
                f"expected (N, {self.num_channels}, *)."
            )
        return N.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_BatchNorm):
    """Per-sample, per-channel standardisation over positions; optional γ, β (``affine``)
    and running statistics (``track_running_stats``), both off by default as PyTorch."""

    nd = 1

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=False,
        track_running_stats=False,
        device=None,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, bias, device, dtype
        )

    def forward(self, x):
        if x.ndim not in (self.nd + 1, self.nd + 2) or x.shape[-self.nd - 1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}(num_features={self.num_features}) got input of shape "
                f"{x.shape}; expected (N, {self.num_features}, ...) with {self.nd} spatial "
                f"dimension(s), or the same without N."
            )
        unbatched = x.ndim == self.nd + 1
        x = unsqueeze(x, 0) if unbatched else x
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.1 if self.momentum is None else self.momentum
        out = N.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_input_stats,
            momentum,
            self.eps,
        )
        return squeeze(out, 0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance norm of (N, C, L) or (C, L)."""


class InstanceNorm2d(_InstanceNorm):
    """Instance norm of (N, C, H, W) or (C, H, W) (style transfer's normalisation)."""

    nd = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance norm of (N, C, D, H, W) or (C, D, H, W)."""

    nd = 3


class RMSNorm(Module):
    """x / √(mean(x²) + eps) over the last dimensions ``normalized_shape``, times weight."""

    def __init__(
        self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None
    ):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        made = dict(device=device, dtype=dtype)
        self.weight = Parameter(ones(self.normalized_shape, **made)) if elementwise_affine else None
        if not elementwise_affine:
            self.register_parameter("weight", None)

    def reset_parameters(self):
        reset_affine(self)

    def forward(self, x):
        return N.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class LocalResponseNorm(Module):
    """x / (k + α/n · Σ x² over ``size`` neighbouring channels)^β."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return N.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
