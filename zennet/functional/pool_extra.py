"""More pooling: F.adaptive_max_pool1d/2d/3d, F.adaptive_avg_pool3d, F.lp_pool1d/2d, and
F.one_hot, composed of primitives with PyTorch's window rules."""

import numpy as np

from zennet.functional._util import array_of, as_tensor, module_of
from zennet.functional.arith import amax, pow
from zennet.functional.pool import _adaptive_avg_pool, avg_pool1d, avg_pool2d
from zennet.functional.shape import reshape, stack
from zennet.tensor import Tensor
from zennet.trace import traced


def _windows(size, out):
    """PyTorch's adaptive windows: [⌊i·S/out⌋, ⌈(i+1)·S/out⌉) for i < out."""
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _adaptive_max(op, nd, input, output_size, return_indices):
    x = as_tensor(input)
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{op}: expected a {nd + 1}-D or {nd + 2}-D input, got {x.shape}.")
    sizes = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
    sizes = tuple(n if s is None else s for n, s in zip(x.shape[-nd:], sizes))
    grids = [_windows(n, s) for n, s in zip(x.shape[-nd:], sizes)]
    axes = tuple(range(-nd, 0))
    cells, windows = [], []
    for index in np.ndindex(*sizes):  # one max per output cell, over its window
        window = tuple(slice(*grids[d][i]) for d, i in enumerate(index))
        cells.append(amax(x[(Ellipsis,) + window], axes))
        windows.append(window)
    y = reshape(stack(cells, -1), x.shape[:-nd] + sizes)
    if not return_indices:
        return y
    return y, Tensor(x.device.put(_argmax_indices(x.numpy(), windows, sizes)))


def _argmax_indices(data, windows, sizes):
    """Per output cell, the flat index over the spatial dims of its window's first maximum
    (a NaN wins, as PyTorch): (*lead, *sizes) int64."""
    nd = len(sizes)
    spatial, lead = data.shape[-nd:], data.shape[:-nd]
    found = []
    for window in windows:
        part = data[(Ellipsis,) + window]
        flat = part.reshape(lead + (-1,))
        local = np.unravel_index(flat.argmax(-1), part.shape[-nd:])  # first max (NaN first)
        coords = [c + w.start for c, w in zip(local, window)]
        found.append(np.ravel_multi_index(coords, spatial))
    return np.stack(found, -1).reshape(lead + tuple(sizes)).astype(np.int64)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over L_out near-equal windows: (N, C, L) -> (N, C, L_out)."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over near-equal windows to a set size: (N, C, H, W) -> (N, C, *output_size)."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over near-equal windows: (N, C, D, H, W) -> (N, C, *output_size)."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def adaptive_avg_pool3d(input, output_size):
    """Average over near-equal windows: (N, C, D, H, W) -> (N, C, *output_size)."""
    return _adaptive_avg_pool("adaptive_avg_pool3d", 3, input, output_size)


def _lp_pool(pool, x, norm_type, kernel_size, stride, ceil_mode, kernel_numel):
    """(Σ_window x^p)^(1/p) = (K · avg_pool(x^p))^(1/p), K the window's size."""
    x = as_tensor(x)
    mean = pool(pow(x, norm_type), kernel_size, stride, 0, ceil_mode)
    return pow(mean * kernel_numel, 1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """p-norm over windows of the last dim: (N, C, L) -> (N, C, L_out)."""
    return _lp_pool(avg_pool1d, input, norm_type, kernel_size, stride, ceil_mode, kernel_size)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """p-norm over kh×kw windows: (N, C, H, W) -> (N, C, H_out, W_out)."""
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    return _lp_pool(avg_pool2d, input, norm_type, kernel_size, stride, ceil_mode, kh * kw)


@traced("one_hot")
def one_hot(tensor, num_classes=-1):
    """Integer labels (*) -> (*, num_classes) int64 with a 1 at each label
    (num_classes=-1: one more than the largest label)."""
    labels = array_of(tensor)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"one_hot: expected integer class labels, got dtype {labels.dtype}.")
    if labels.size and labels.min() < 0:
        raise ValueError("one_hot: class labels must be non-negative.")
    n = int(labels.max()) + 1 if num_classes == -1 else num_classes
    if labels.size and labels.max() >= n:
        raise ValueError(f"one_hot: label {int(labels.max())} is out of range for {n} classes.")
    xp = module_of(tensor)
    return Tensor(xp.eye(n, dtype=np.int64)[labels])
