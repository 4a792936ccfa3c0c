"""Small batches shared by the augmentation tests."""

import numpy as np

K = 10


def images(rng, n=6, shape=(2, 9, 9), dtype=np.float32):
    """Strictly positive images, so erased/masked zeros are the transform's doing."""
    return (rng.random((n, *shape)) + 0.5).astype(dtype)


def labels(rng, n=6):
    return rng.integers(0, K, n)


def sequences(rng, n=6, shape=(5, 20), dtype=np.float32):
    return (rng.random((n, *shape)) + 0.5).astype(dtype)


def rectangles(masks):
    """For each ``(H, W)`` bool mask: (is it one filled rectangle or empty, its area, its shape)."""
    result = []
    for mask in masks:
        rows, cols = np.nonzero(mask)
        if rows.size == 0:
            result.append((True, 0, (0, 0)))
            continue
        box = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        result.append((bool(box.all()), int(mask.sum()), box.shape))
    return result
