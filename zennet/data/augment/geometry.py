"""Vectorized resampling shared by the image transforms.

- ``gather_windows``: per-sample integer windows (crop, translate) by two ``take_along_axis``.
- ``sample_bilinear``: per-sample sub-pixel resampling (rotation, scaling, elastic distortion).
- ``gaussian_smooth``: a separable Gaussian blur (the displacement fields of elastic distortion).
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
    """Pad the two spatial axes of ``(N, C, H, W)`` by ``pad_h`` rows and ``pad_w`` columns."""
    width = ((0, 0), (0, 0), (pad_h, pad_h), (pad_w, pad_w))
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

    out[n, c, i, j] = Σ over the 4 pixels (r, s) around (src_y, src_x) of
                      (1 - |src_y - r|) (1 - |src_x - s|) · x[n, c, r, s]

    Pixels outside the image contribute ``fill`` with their weight, so a point half a pixel
    off the edge is half image, half ``fill``. Integer source points return ``x`` exactly.
    """
    n, c, h, w = x.shape
    y0, x0 = np.floor(src_y), np.floor(src_x)
    fy, fx = (src_y - y0).astype(x.dtype), (src_x - x0).astype(x.dtype)  # (N, H', W')
    y0, x0 = y0.astype(np.intp), x0.astype(np.intp)
    flat = x.reshape(n, c, h * w)
    out = np.zeros((n, c, src_y[0].size), dtype=x.dtype)  # (N, C, H'W')
    covered = np.zeros((n, 1, src_y[0].size), dtype=x.dtype)
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):  # the four neighbours, not the samples
        rows, cols = y0 + dy, x0 + dx
        weight = (fy if dy else 1 - fy) * (fx if dx else 1 - fx)
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        weight = np.where(inside, weight, 0).reshape(n, 1, -1)  # (N, 1, H'W')
        index = np.clip(rows, 0, h - 1) * w + np.clip(cols, 0, w - 1)
        out += weight * np.take_along_axis(flat, index.reshape(n, 1, -1), axis=2)
        covered += weight
    if fill != 0:
        out += fill * (1 - covered)
    return out.reshape(n, c, *src_y.shape[1:])


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


def gaussian_smooth(a, sigma, axes=(-2, -1)):
    """Separable Gaussian blur of ``a`` along ``axes`` (reflected borders).

    One 1-D convolution per axis, as a weighted sum of shifted slices: the loop runs over
    the kernel's taps, never over samples.
    """
    kernel = gaussian_kernel(sigma)
    radius = len(kernel) // 2
    for axis in axes:
        axis = axis % a.ndim
        width = [(0, 0)] * a.ndim
        width[axis] = (radius, radius)
        padded = np.pad(a, width, mode="reflect")
        length = a.shape[axis]
        out = np.zeros_like(a)
        for k, weight in enumerate(kernel):
            out += weight * np.take(padded, np.arange(k, k + length), axis=axis)
        a = out
    return a


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
