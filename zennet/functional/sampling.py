"""Spatial transformers and sampling: F.affine_grid, F.grid_sample (bilinear or nearest,
zeros or border padding), F.gumbel_softmax; composed of primitives, so the gradients
reach the input, the grid and theta."""

import numpy as np

from zennet.functional import activation as act
from zennet.functional._util import array_of, as_tensor, module_of
from zennet.functional.arith import clamp, matmul
from zennet.functional.shape import getitem, permute, reshape, unsqueeze
from zennet.random import get_rng
from zennet.tensor import Tensor


def _base_coordinates(n, align_corners, dtype):
    """n normalised pixel positions in [-1, 1]: pixel centres, or corners with align_corners."""
    if n == 1:
        return np.zeros(1, dtype)
    steps = np.linspace(-1, 1, n, dtype=dtype)
    return steps if align_corners else steps * ((n - 1) / n)


def affine_grid(theta, size, align_corners=False):
    """Sampling grid (N, H, W, 2) of (x, y) = θ·(x_out, y_out, 1) for θ (N, 2, 3) and
    size (N, C, H, W): where each output pixel reads the input (spatial transformer)."""
    theta = as_tensor(theta)
    N, _, H, W = size
    if theta.shape != (N, 2, 3):
        raise ValueError(f"affine_grid: theta must be (N, 2, 3) = {(N, 2, 3)}, got {theta.shape}.")
    dtype = np.dtype(theta.dtype)
    xs, ys = _base_coordinates(W, align_corners, dtype), _base_coordinates(H, align_corners, dtype)
    base = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None], np.ones((1, 1), dtype)), -1)
    base = module_of(theta).asarray(base.reshape(1, H * W, 3))  # (1, H·W, 3)
    grid = matmul(base, permute(theta, (0, 2, 1)))  # (N, H·W, 2)
    return reshape(grid, (N, H, W, 2))


def _unnormalize(coord, size, align_corners):
    """Normalised [-1, 1] coordinates to pixel positions along a dimension of ``size``."""
    if align_corners:
        return (coord + 1) * ((size - 1) / 2)
    return ((coord + 1) * size - 1) / 2


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """y[n, c, i, j] = input[n, c] read at grid[n, i, j] = (x, y) in [-1, 1] (bilinear:
    the four neighbours weighted by distance; nearest: the closest one); positions
    outside read 0 ('zeros') or the edge ('border'). input (N, C, H, W), grid (N, Ho, Wo, 2)."""
    if mode not in ("bilinear", "nearest"):
        raise NotImplementedError(
            f"grid_sample: mode={mode!r} is not supported (bilinear, nearest)."
        )
    if padding_mode not in ("zeros", "border"):
        raise NotImplementedError(
            f"grid_sample: padding_mode={padding_mode!r} is not supported (zeros, border)."
        )
    x, grid = as_tensor(input), as_tensor(grid)
    N, C, H, W = x.shape
    if grid.ndim != 4 or grid.shape[0] != N or grid.shape[-1] != 2:
        raise ValueError(f"grid_sample: grid must be (N, Ho, Wo, 2) with N={N}, got {grid.shape}.")
    corners = bool(align_corners)
    px = _unnormalize(grid[..., 0], W, corners)  # (N, Ho, Wo) pixel positions
    py = _unnormalize(grid[..., 1], H, corners)
    if padding_mode == "border":
        px, py = clamp(px, 0, W - 1), clamp(py, 0, H - 1)
    batch = np.arange(N)[:, None, None]
    if mode == "nearest":
        ix, iy = np.rint(array_of(px)).astype(np.int64), np.rint(array_of(py)).astype(np.int64)
        return _read(x, batch, iy, ix, None)
    x0, y0 = np.floor(array_of(px)).astype(np.int64), np.floor(array_of(py)).astype(np.int64)
    wx1, wy1 = px - x0, py - y0  # differentiable in the grid
    wx0, wy0 = 1 - wx1, 1 - wy1
    out = None
    for iy, wy in ((y0, wy0), (y0 + 1, wy1)):
        for ix, wx in ((x0, wx0), (x0 + 1, wx1)):
            term = _read(x, batch, iy, ix, wx * wy)
            out = term if out is None else out + term
    return out


def _read(x, batch, iy, ix, weight):
    """x[n, :, iy, ix] (zero outside the image) times weight: (N, C, Ho, Wo)."""
    H, W = x.shape[2:]
    inside = (ix >= 0) & (ix < W) & (iy >= 0) & (iy < H)
    values = getitem(x, (batch, slice(None), np.clip(iy, 0, H - 1), np.clip(ix, 0, W - 1)))
    mask = module_of(x).asarray(inside.astype(x.dtype))  # (N, Ho, Wo, C) from the indexing
    scale = mask if weight is None else weight * mask
    return permute(values * unsqueeze(scale, -1), (0, 3, 1, 2))


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g)/τ) with g ~ Gumbel(0, 1) from zennet's generator; ``hard``: the
    one-hot of its argmax in the forward pass, the soft sample's gradient (straight-through)."""
    logits = as_tensor(logits)
    u = get_rng().random(logits.shape)
    gumbels = module_of(logits).asarray(-np.log(-np.log(u + eps) + eps), dtype=logits.dtype)
    soft = act.softmax((logits + gumbels) / tau, dim)
    if not hard:
        return soft
    data = soft.data
    index = data.argmax(axis=dim)
    one_hot = np.zeros_like(data)
    np.put_along_axis(one_hot, np.expand_dims(index, dim), 1, axis=dim)
    return soft + Tensor(one_hot - data)  # forward: one-hot; backward: the soft gradient
