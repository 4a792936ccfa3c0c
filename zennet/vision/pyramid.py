"""Image pyramids for multi-scale detection: the image resized down by a constant factor.

A detector with a fixed window finds objects of the window's size; on the image shrunk by
s it finds objects of size window / s in the original.
"""

import numpy as np


def _resize_matrix(n_in, n_out):
    """(n_out, n_in) weights of antialiased linear resampling along one axis.

    Output sample i sits at c = (i + ½)·n_in/n_out − ½ in input coordinates; input j gets
    weight max(0, 1 − |j − c| / r) with r = max(1, n_in/n_out) (a triangle widened by the
    shrink factor, so that shrinking averages instead of skipping pixels), rows sum to 1.
    """
    ratio = n_in / n_out
    centres = (np.arange(n_out) + 0.5) * ratio - 0.5  # (n_out,)
    radius = max(1.0, ratio)
    weights = np.maximum(0.0, 1 - np.abs(np.arange(n_in)[None] - centres[:, None]) / radius)
    return weights / weights.sum(axis=1, keepdims=True)  # (n_out, n_in)


def resize(image, size):
    """``image`` (..., H, W) resampled to ``size`` = (height, width): out = R_h · image · R_wᵀ
    with the matrices of :func:`_resize_matrix`; the dtype is kept."""
    image = np.asarray(image)
    h, w = image.shape[-2:]
    rows, cols = _resize_matrix(h, size[0]), _resize_matrix(w, size[1])
    out = rows @ image.astype(np.float64) @ cols.T  # (out_h, H) @ (..., H, W) @ (W, out_w)
    return out.astype(image.dtype)


def pyramid_scales(height, width, window, factor=1.25, min_size=None, max_size=None):
    """The scales s (largest first) at which to look for objects of min_size..max_size pixels.

    s = window / size for sizes min_size · factorᵏ up to max_size (both default to: from the
    window's size up to the whole image), while the image shrunk by s still holds a window.
    """
    if not factor > 1:
        raise ValueError(f"pyramid_scales: factor must be > 1, got {factor!r}; e.g. 1.25.")
    smallest = window if min_size is None else min_size
    largest = min(height, width) if max_size is None else min(max_size, height, width)
    if not 0 < smallest <= largest:
        raise ValueError(
            f"pyramid_scales: min_size={min_size!r} and max_size={max_size!r} leave no object "
            f"size between them for a {height}×{width} image and a window of {window}."
        )
    scales, size = [], float(smallest)
    while size <= largest * (1 + 1e-9):
        scales.append(window / size)
        size *= factor
    return scales


def image_pyramid(image, scales):
    """[(s, image shrunk by s)] for each scale: image (C, H, W) -> (C, round(H·s), round(W·s))."""
    h, w = image.shape[-2:]
    return [(s, resize(image, (max(1, round(h * s)), max(1, round(w * s))))) for s in scales]
