"""Vectorized resampling shared by the image transforms.

- ``gather_windows``: per-sample integer windows (crop, translate) by two ``take_along_axis``.
- ``sample_bilinear``: per-sample sub-pixel resampling (rotation, scaling, elastic distortion).
- ``gaussian_smooth``: a separable Gaussian blur as two matrix products (elastic distortion).
- ``box_mask``: per-sample axis-aligned rectangles (erasing, cutout, cutmix).

Coordinates are in pixels: row ``i`` (``y``, downwards) and column ``j`` (``x``, rightwards).
"""

import numpy as np

from zennet.data.augment.base import check_batch


def as_images(x, name):
    """``x`` as an ``(N, C, H, W)`` view (``(N, H, W)`` gets ``C = 1``); restore with reshape."""
    x = check_batch(x, name, ndims=(3, 4))
    return x[:, None] if x.ndim == 3 else x


def pad_images(x, pad_h, pad_w, fill=0.0, padding_mode="constant"):
    """Pad the two spatial axes of ``(N, C, H, W)`` by ``pad_h`` rows and ``pad_w`` columns
    (an int for both sides or a ``(before, after)`` pair)."""
    pad_h, pad_w = (np.broadcast_to(p, (2,)).tolist() for p in (pad_h, pad_w))
    width = ((0, 0), (0, 0), pad_h, pad_w)
    if padding_mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=fill)
    return np.pad(x, width, mode=padding_mode)


def gather_windows(x, top, left, height, width):
    """``out[n, c, i, j] = x[n, c, top[n] + i, left[n] + j]`` for per-sample offsets ``(N,)``."""
    rows = top[:, None] + np.arange(height)  # (N, height)
    cols = left[:, None] + np.arange(width)  # (N, width)
    out = np.take_along_axis(x, rows[:, None, :, None], axis=2)  # (N, C, height, W)
    return np.take_along_axis(out, cols[:, None, None, :], axis=3)  # (N, C, height, width)


def sample_bilinear(x, src_y, src_x, fill=0.0):
    """Resample ``x (N, C, H, W)`` at per-sample source points ``src_y, src_x (N, H', W')``.

    With (r, s) = floor(src) and (fy, fx) = src - (r, s), the two linear interpolations
        top    = x[r, s]     + fx · (x[r, s + 1]     - x[r, s])
        bottom = x[r + 1, s] + fx · (x[r + 1, s + 1] - x[r + 1, s])
        out    = top + fy · (bottom - top)
    run on the image padded with a border of ``fill``, so a point half a pixel off the edge is
    half image, half ``fill``, and points further out are ``fill``. Integer source points
    return ``x`` exactly.
    """
    n, c, h, w = x.shape
    padded = pad_images(x, (1, 2), (1, 2), fill)  # (N, C, H+3, W+3): row -1 is padded row 0
    width = w + 3
    src_y = np.clip(src_y, -1, h).astype(x.dtype, copy=False)  # far outside -> the border
    src_x = np.clip(src_x, -1, w).astype(x.dtype, copy=False)
    y0, x0 = np.floor(src_y), np.floor(src_x)
    fy, fx = (src_y - y0).reshape(n, 1, -1), (src_x - x0).reshape(n, 1, -1)  # (N, 1, H'W')
    corner = ((y0.astype(np.intp) + 1) * width + x0.astype(np.intp) + 1).reshape(n, 1, -1)
    corner = corner + (np.arange(n * c) * padded[0, 0].size).reshape(n, c, 1)  # (N, C, H'W')
    values = padded.ravel()
    top_left, top_right = values.take(corner), values.take(corner + 1)
    bottom_left, bottom_right = values.take(corner + width), values.take(corner + width + 1)
    top = top_left + fx * (top_right - top_left)
    bottom = bottom_left + fx * (bottom_right - bottom_left)
    return (top + fy * (bottom - top)).reshape(n, c, *src_y.shape[1:])


def affine_grid(theta, height, width):
    """Source points of an affine map about the image centre.

    ``theta (N, 2, 3)`` maps each output pixel's centred coordinates ``(u, v, 1)``
    (``u = j - (W-1)/2``, ``v = i - (H-1)/2``) to the centred source point ``(u', v')``.
    Returns ``src_y, src_x`` of shape ``(N, H, W)`` for :func:`sample_bilinear`.
    """
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    v, u = np.meshgrid(np.arange(height) - cy, np.arange(width) - cx, indexing="ij")  # (H, W)
    grid = np.stack([u.ravel(), v.ravel(), np.ones(u.size)])  # (3, HW)
    src = theta @ grid  # (N, 2, HW)
    src_x = src[:, 0].reshape(-1, height, width) + cx
    src_y = src[:, 1].reshape(-1, height, width) + cy
    return src_y, src_x


def rotation_scale_matrices(angles, scales):
    """``(N, 2, 3)`` inverse maps for a counter-clockwise rotation by ``angles`` (degrees)
    and a zoom by ``scales`` (> 1 enlarges): ``(u', v') = R(θ) (u, v) / s`` with
    ``R(θ) = [[cos θ, -sin θ], [sin θ, cos θ]]`` in image coordinates (rows point down)."""
    theta = np.deg2rad(np.asarray(angles, dtype=np.float64))
    cos, sin = np.cos(theta) / scales, np.sin(theta) / scales
    zero = np.zeros_like(cos)
    return np.stack([np.stack([cos, -sin, zero], -1), np.stack([sin, cos, zero], -1)], 1)


def gaussian_kernel(sigma):
    """A normalised 1-D Gaussian ``exp(-t² / 2σ²)`` over ``t = -3σ..3σ``."""
    radius = max(1, int(np.ceil(3 * sigma)))
    t = np.arange(-radius, radius + 1)
    kernel = np.exp(-(t**2) / (2.0 * sigma**2))
    return kernel / kernel.sum()


def gaussian_matrix(length, sigma):
    """``(length, length)`` matrix ``G`` with ``G @ v`` = ``v`` blurred by :func:`gaussian_kernel`,
    borders reflected as ``np.pad(mode="reflect")`` does (``d c b | a b c d | c b a``)."""
    kernel = gaussian_kernel(sigma)
    radius = len(kernel) // 2
    position = np.arange(length)[:, None] + np.arange(-radius, radius + 1)  # (L, taps)
    period = max(2 * (length - 1), 1)
    source = np.abs(position) % period
    source = np.where(source >= length, period - source, source)  # reflect, any distance
    matrix = np.zeros((length, length))
    np.add.at(
        matrix, (np.repeat(np.arange(length), len(kernel)), source.ravel()), np.tile(kernel, length)
    )
    return matrix


def gaussian_smooth(a, sigma):
    """Separable Gaussian blur of ``a (..., H, W)`` over its last two axes (reflected borders):
    ``G_H @ a @ G_Wᵀ``, two batched matrix products instead of a loop over pixels."""
    h, w = a.shape[-2:]
    return gaussian_matrix(h, sigma) @ a @ gaussian_matrix(w, sigma).T


def box_mask(top, left, height, width, image_h, image_w):
    """``(N, 1, H, W)`` bool: True inside rows ``[top, top+height)`` and columns
    ``[left, left+width)`` of each sample (all arguments ``(N,)`` int arrays)."""
    rows = np.arange(image_h)
    cols = np.arange(image_w)
    in_rows = (rows >= top[:, None]) & (rows < (top + height)[:, None])  # (N, H)
    in_cols = (cols >= left[:, None]) & (cols < (left + width)[:, None])  # (N, W)
    return (in_rows[:, :, None] & in_cols[:, None, :])[:, None]


def centered_boxes(rng, n, image_h, image_w, box_h, box_w):
    """Boxes of size ``(box_h, box_w)`` centred on uniform random pixels, clipped to the image.

    Returns ``top, left, height, width`` as ``(N,)`` int arrays (the clipped box may be smaller,
    as in Cutout and CutMix, where the centre may lie near an edge).
    """
    cy, cx = rng.integers(0, image_h, n), rng.integers(0, image_w, n)
    top, left = np.clip(cy - box_h // 2, 0, image_h), np.clip(cx - box_w // 2, 0, image_w)
    bottom = np.clip(cy - box_h // 2 + box_h, 0, image_h)
    right = np.clip(cx - box_w // 2 + box_w, 0, image_w)
    return top, left, bottom - top, right - left
