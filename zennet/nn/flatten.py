"""Flatten and Unflatten: reshape between feature maps and feature vectors."""

import math

from zennet import functional as F
from zennet.functional._util import normalize_dim
from zennet.nn.module import Module


class Flatten(Module):
    """Merge dims start_dim..end_dim: (N, C, H, W) -> (N, C·H·W) with the defaults."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: Unflatten(1, (1, 28, 28)) turns
    (N, 784) into (N, 1, 28, 28). One size may be -1."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        dim = normalize_dim("Unflatten", self.dim, x.ndim)
        sizes = self.unflattened_size
        known = math.prod(s for s in sizes if s != -1)
        n = x.shape[dim]
        fits = (known > 0 and n % known == 0) if -1 in sizes else n == known
        if not fits:
            raise ValueError(
                f"{self!r} got input of shape {tuple(x.shape)}; dimension {self.dim} has size "
                f"{n}, which cannot be split into {sizes} (product {known})."
            )
        return F.reshape(x, x.shape[:dim] + sizes + x.shape[dim + 1 :])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
