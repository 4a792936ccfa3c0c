"""Normalization layers: BatchNorm1d, BatchNorm2d (per channel, over the batch) and
LayerNorm (per sample, over its last dimensions). The math is in ops/norm.py."""

import numpy as np

from zennet import functional as F
from zennet.creation import ones, zeros
from zennet.nn import init
from zennet.nn.checks import check_input
from zennet.nn.module import Module, Parameter


def reset_affine(module):
    """weight (γ) to ones and bias (β) to zeros, where the module has them."""
    if module.weight is not None:
        init.ones_(module.weight)
    if getattr(module, "bias", None) is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d; they differ only in the input shapes accepted.

    Parameters weight (γ, ones) and bias (β, zeros) of shape (num_features,) when
    ``affine``; buffers running_mean, running_var, num_batches_tracked when
    ``track_running_stats`` (PyTorch's state-dict keys). ``momentum=None`` makes the
    running statistics a cumulative average over all batches seen.
    """

    expected_ndims = ()  # accepted input ranks
    layout = ""  # how the expected input shape is described in errors
    # Set by nn.freeze (transfer.py): a frozen batch norm stays in eval mode, normalising
    # with its running statistics and never updating them, whatever train() asks.
    frozen = False

    @property
    def training(self):
        """The mode train()/eval() set, except that a ``frozen`` layer is always in eval."""
        return self.__dict__.get("_training", True) and not self.frozen

    @training.setter
    def training(self, mode):
        self.__dict__["_training"] = bool(mode)

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(
                f"{type(self).__name__}: num_features must be a positive int (the number of "
                f"channels), got {num_features!r}."
            )
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        made = dict(device=device, dtype=dtype)  # on the device, in dtype (default float32)
        self.weight = Parameter(ones(num_features, **made)) if affine else None
        self.bias = Parameter(zeros(num_features, **made)) if affine and bias else None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, **made))
            self.register_buffer("running_var", ones(num_features, **made))
            self.register_buffer("num_batches_tracked", zeros((), dtype="int64", device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self):
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        self.reset_running_stats()
        reset_affine(self)

    def _check_input(self, x):
        x = check_input(f"{type(self).__name__}(num_features={self.num_features})", x)
        shape = tuple(x.shape)
        if len(shape) not in self.expected_ndims or shape[1] != self.num_features:
            layout = self.layout.format(c=self.num_features)
            raise ValueError(
                f"{type(self).__name__}(num_features={self.num_features}) got input of shape "
                f"{shape}; expected {layout}. num_features must equal the number of channels "
                f"(dimension 1) of its input."
            )
        return x

    def forward(self, x):
        x = self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or self.running_mean is None
        keep_running = not self.training or self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if keep_running else None,
            self.running_var if keep_running else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm of (N, C) features or (N, C, L) sequences: each of the C channels is
    standardised with its mean and variance over the batch (and L), then γ·x̂ + β."""

    expected_ndims, layout = (2, 3), "(batch, {c}) or (batch, {c}, length)"


class BatchNorm2d(_BatchNorm):
    """Batch norm of (N, C, H, W) feature maps: each channel is standardised with its
    mean and variance over the batch and all pixels, then γ·x̂ + β."""

    expected_ndims, layout = (4,), "(batch, {c}, height, width)"


class LayerNorm(Module):
    """Standardise each sample over its last dimensions ``normalized_shape``, then γ·x̂ + β.

    weight (γ, ones) and bias (β, zeros) have shape ``normalized_shape`` when
    ``elementwise_affine``. Unlike batch norm it has no running statistics and behaves
    the same in training and evaluation.
    """

    def __init__(
        self,
        normalized_shape,
        eps=1e-5,
        elementwise_affine=True,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        affine = elementwise_affine
        made = dict(device=device, dtype=dtype)  # on the device, in dtype (default float32)
        self.weight = Parameter(ones(self.normalized_shape, **made)) if affine else None
        self.bias = Parameter(zeros(self.normalized_shape, **made)) if affine and bias else None

    def reset_parameters(self):
        reset_affine(self)

    def forward(self, x):
        x = check_input(f"LayerNorm(normalized_shape={self.normalized_shape})", x)
        shape, k = tuple(x.shape), len(self.normalized_shape)
        if len(shape) < k or shape[len(shape) - k :] != self.normalized_shape:
            raise ValueError(
                f"LayerNorm(normalized_shape={self.normalized_shape}) got input of shape "
                f"{shape}; its last {k} dimension(s) must be {self.normalized_shape}."
            )
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class BatchNorm3d(_BatchNorm):
    """Batch norm of (N, C, D, H, W) volumes, per channel over the batch and all voxels."""

    expected_ndims, layout = (5,), "(batch, {c}, depth, height, width)"
