"""Distances and normalisation: F.cosine_similarity, F.pairwise_distance, F.pdist,
F.normalize, composed of primitives with PyTorch's eps rules."""

import math

import numpy as np

from zennet.functional._util import as_tensor, normalize_dim
from zennet.functional.arith import abs, amax, amin, clamp, pow, sqrt, sum
from zennet.functional.shape import broadcast_to, getitem
from zennet.tensor import Tensor


def vector_norm(x, p, dim, keepdim=False):
    """‖x‖_p = (Σ |x|^p)^(1/p) along dim; p = 2 as √(Σ x²), p = ∞ as max |x|, p = −∞ as
    min |x|, p = 0 as the count of non-zeros (no gradient, as in PyTorch)."""
    if p == math.inf:
        return amax(abs(x), dim, keepdim)
    if p == -math.inf:
        return amin(abs(x), dim, keepdim)
    if p == 0:
        return Tensor((x.data != 0).sum(axis=dim, keepdims=keepdim).astype(x.data.dtype))
    if p == 2:
        return sqrt(sum(x * x, dim, keepdim))
    if p == 1:
        return sum(abs(x), dim, keepdim)
    return pow(sum(pow(abs(x), p), dim, keepdim), 1.0 / p)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """x / max(‖x‖_p, eps) along dim: unit vectors (zeros stay zeros)."""
    x = as_tensor(input)
    dim = normalize_dim("normalize", dim, x.ndim)
    return x / clamp(vector_norm(x, p, dim, keepdim=True), min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ (x1/max(‖x1‖, eps)) · (x2/max(‖x2‖, eps)) along dim (PyTorch's stable form)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    shape = np.broadcast_shapes(x1.shape, x2.shape)  # norms of the broadcast inputs, as PyTorch
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    ndim = len(shape)
    dim = normalize_dim("cosine_similarity", dim, ndim) - ndim  # counted from the end
    n1 = clamp(vector_norm(x1, 2, dim, keepdim=True), min=eps)
    n2 = clamp(vector_norm(x2, 2, dim, keepdim=True), min=eps)
    return sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x1 − x2 + eps‖_p over the last dimension (rows of two batches, paired)."""
    x1, x2 = as_tensor(x1), as_tensor(x2)
    return vector_norm(x1 - x2 + eps, p, -1, keepdim)


def pdist(input, p=2.0):
    """‖x_i − x_j‖_p for every pair of rows i < j of x (N, M): N(N−1)/2 distances, in
    the order of the upper triangle, row by row."""
    x = as_tensor(input)
    if x.ndim != 2:
        raise ValueError(f"pdist: expected a 2-D input (N, M), got shape {x.shape}.")
    i, j = np.triu_indices(x.shape[0], k=1)
    return vector_norm(getitem(x, i) - getitem(x, j), p, -1)
