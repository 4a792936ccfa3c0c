"""Spatial transformers and sampling: F.affine_grid, F.grid_sample (bilinear, nearest or
bicubic; zeros, border or reflection padding), F.gumbel_softmax; composed of primitives,
so the gradients reach the input, the grid and theta."""

import numpy as np

from zennet.functional import activation as act
from zennet.functional._util import array_of, as_tensor, module_of
from zennet.functional.arith import clamp, matmul, where
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


def _reflect(coord, twice_low, twice_high):
    """Fold positions into [low, high] as a mirror does (PyTorch's reflect_coordinates):
    d = |coord - low|, then d mod span forward on even folds and backward on odd ones."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    sign = np.where(array_of(coord) >= low, 1.0, -1.0).astype(coord.dtype)
    d = (coord - low) * module_of(coord).asarray(sign)
    flips = np.floor(array_of(d) / span)
    extra = d - module_of(coord).asarray((flips * span).astype(coord.dtype))  # fmod(d, span)
    return where(flips % 2 == 0, extra + low, span - extra + low)


def _pad_coordinate(coord, size, padding_mode, align_corners):
    """Pixel positions moved inside [0, size - 1] by 'border' (clamped) or 'reflection'
    (mirrored at the edges, or at the outer pixel borders without align_corners)."""
    if padding_mode == "zeros":
        return coord
    if padding_mode == "reflection":
        twice = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        coord = _reflect(coord, *twice)
    return clamp(coord, 0, size - 1)


_MODES, _PADDINGS = ("bilinear", "nearest", "bicubic"), ("zeros", "border", "reflection")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """y[n, c, i, j] = input[n, c] read at grid[n, i, j] = (x, y) in [-1, 1] (bilinear:
    the four neighbours weighted by distance; nearest: the closest one; bicubic: 4×4
    neighbours with Keys' cubic weights, a = -0.75); positions outside read 0 ('zeros'),
    the edge ('border') or the mirror image ('reflection'). input (N, C, H, W), grid
    (N, Ho, Wo, 2)."""
    if mode not in _MODES or padding_mode not in _PADDINGS:
        raise ValueError(
            f"grid_sample: mode must be one of {_MODES} and padding_mode one of {_PADDINGS}, "
            f"got mode={mode!r}, padding_mode={padding_mode!r}."
        )
    x, grid = as_tensor(input), as_tensor(grid)
    N, C, H, W = x.shape
    if grid.ndim != 4 or grid.shape[0] != N or grid.shape[-1] != 2:
        raise ValueError(f"grid_sample: grid must be (N, Ho, Wo, 2) with N={N}, got {grid.shape}.")
    corners = bool(align_corners)
    px = _unnormalize(grid[..., 0], W, corners)  # (N, Ho, Wo) pixel positions
    py = _unnormalize(grid[..., 1], H, corners)
    batch = np.arange(N)[:, None, None]
    if mode == "bicubic":  # padding applies to each tap, not to the position
        return _bicubic(x, batch, px, py, padding_mode, corners)
    px = _pad_coordinate(px, W, padding_mode, corners)
    py = _pad_coordinate(py, H, padding_mode, corners)
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


def _cubic_weights(t, a=-0.75):
    """Keys' cubic-convolution weights of the taps at distances 1 + t, t, 1 - t, 2 - t."""

    def near(d):  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    return far(t + 1), near(t), near(1 - t), far(2 - t)


def _tap(index, size, padding_mode, corners):
    """An integer tap position after padding (-1 outside for 'zeros', so _read gives 0)."""
    if padding_mode == "zeros":
        return index
    moved = _pad_coordinate(Tensor(index.astype(np.float64)), size, padding_mode, corners)
    return array_of(moved).astype(np.int64)


def _bicubic(x, batch, px, py, padding_mode, corners):
    """Σ over the 4×4 taps around (px, py) of wx_i · wy_j · x[tap], PyTorch's bicubic."""
    H, W = x.shape[2:]
    x0, y0 = np.floor(array_of(px)).astype(np.int64), np.floor(array_of(py)).astype(np.int64)
    wxs, wys = _cubic_weights(px - x0), _cubic_weights(py - y0)
    out = None
    for j, wy in enumerate(wys):
        iy = _tap(y0 - 1 + j, H, padding_mode, corners)
        for i, wx in enumerate(wxs):
            term = _read(x, batch, iy, _tap(x0 - 1 + i, W, padding_mode, corners), wx * wy)
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
