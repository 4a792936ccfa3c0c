"""Layers that carry preprocessing inside the model, so a saved model takes raw inputs."""

import numpy as np

from zennet.nn.module import Module
from zennet.tensor import Tensor


class Standardize(Module):
    """y = (x - mean) / (std + eps), with per-feature statistics of the training data.

    Keras's ``Normalization`` layer: call ``adapt(x_train)`` once before training; mean
    and std are buffers, saved in the state dict with the weights. ``eps`` keeps features
    that barely vary in the training data (a pixel that is always blank) from blowing up.
    """

    def __init__(self, num_features, eps=1e-3):
        super().__init__()
        self.num_features, self.eps = num_features, eps
        self.register_buffer("mean", Tensor(np.zeros(num_features, dtype=np.float32)))
        self.register_buffer("std", Tensor(np.ones(num_features, dtype=np.float32)))

    def adapt(self, x):
        """Set mean and std from data of shape (N, num_features)."""
        x = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
        x = x.reshape(len(x), -1)
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"Standardize(num_features={self.num_features}).adapt got data of shape "
                f"{x.shape}; expected (N, {self.num_features})."
            )
        self.mean.data[...] = x.mean(axis=0)
        self.std.data[...] = x.std(axis=0)
        return self

    def forward(self, x):
        if x.shape[-1] != self.num_features:
            raise ValueError(
                f"Standardize(num_features={self.num_features}) got input of shape "
                f"{tuple(x.shape)}; expected (batch, {self.num_features})."
            )
        return (x - self.mean) / (self.std + self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}"
