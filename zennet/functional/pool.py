"""Pooling and resizing: F.max_pool1d/2d/3d, F.avg_pool1d/2d/3d, F.adaptive_avg_pool1d/2d,
F.interpolate, with PyTorch's arguments, output sizes and edge rules."""

import math

import numpy as np

from zennet.functional._util import as_tensor
from zennet.functional.conv import check_input_rank, ntuple
from zennet.functional.unpool import max_indices
from zennet.ops import pool as pl
from zennet.tensor import Tensor


def pool_output_size(op, size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's rule: out = ⌊ or ⌈ (S + 2p - d·(k - 1) - 1) / s ⌉ + 1, and with ceil_mode
    the last window must start inside the input or its left padding."""
    out = []
    for n, k, s, p, d in zip(size, kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        if 2 * p > span:
            raise ValueError(f"{op}: padding {p} must be at most half of the kernel's span {span}.")
        o = (n + 2 * p - span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1
        if o < 1:
            raise ValueError(
                f"{op}: input of spatial size {tuple(size)} is too small for kernel {kernel} "
                f"with padding {padding} and dilation {dilation} (output size {o})."
            )
        out.append(o)
    return tuple(out)


def _single(value):
    """A 1-element tuple or list as its element, any other sequence as a tuple."""
    if isinstance(value, (tuple, list)):
        return value[0] if len(value) == 1 else tuple(value)
    return value


def pool_args(op, x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    """Check the input's rank; kernel, stride (default: the kernel), padding, dilation
    and output size as tuples of nd ints."""
    x = as_tensor(x)
    check_input_rank(op, x.shape, nd, "C")
    # As PyTorch's pooling: one value in a tuple stands for every dimension, an empty
    # stride for the default (the kernel).
    kernel_size, stride, padding = (_single(v) for v in (kernel_size, stride, padding))
    kernel = ntuple(op, "kernel_size", kernel_size, nd, minimum=1)
    stride = kernel if stride is None or stride == () else ntuple(op, "stride", stride, nd, 1)
    padding = ntuple(op, "padding", padding, nd)
    dilation = ntuple(op, "dilation", dilation, nd, minimum=1)
    out = pool_output_size(op, x.shape[-nd:], kernel, stride, padding, dilation, ceil_mode)
    return x, kernel, stride, padding, dilation, out


def _max_pool(op, nd, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, kernel, stride, padding, dilation, out = pool_args(
        op, x, nd, kernel_size, stride, padding, dilation, ceil_mode
    )
    y = pl.MaxPool.apply(
        x, kernel=kernel, stride=stride, padding=padding, dilation=dilation, out_size=out
    )
    if not return_indices:
        return y
    batched = x.ndim == nd + 2
    x4 = x if batched else x.reshape(1, *x.shape)
    index = max_indices(x4, kernel, stride, padding, dilation, out)  # flat over (H, W)
    return y, Tensor(index if batched else index[0])


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over windows of the last dim: (N, C, L) -> (N, C, L_out)."""
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """y[n, c, i, j] = max over the kh×kw window at (i·s - p, j·s - p), padding = -inf:
    (N, C, H, W) -> (N, C, H_out, W_out). The gradient goes to the first maximum."""
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool3d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Max over kd×kh×kw windows, padding = -inf: (N, C, D, H, W) -> (N, C, D_out, H_out,
    W_out). The gradient goes to the first maximum; indices are flat over (D, H, W)."""
    return _max_pool(
        "max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _avg_pool(op, nd, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor):
    x, kernel, stride, padding, _, out = pool_args(
        op, x, nd, kernel_size, stride, padding, 1, ceil_mode
    )
    if divisor is not None and (not isinstance(divisor, int) or divisor == 0):
        raise ValueError(f"{op}: divisor_override must be a non-zero int, got {divisor!r}.")
    return pl.AvgPool.apply(
        x,
        kernel=kernel,
        stride=stride,
        padding=padding,
        out_size=out,
        count_include_pad=count_include_pad,
        divisor_override=divisor,
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of the last dim: (N, C, L) -> (N, C, L_out)."""
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """y = Σ window / divisor: (N, C, H, W) -> (N, C, H_out, W_out). The divisor is kh·kw
    (padding counted) with count_include_pad, else the number of real input elements."""
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def avg_pool3d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """y = Σ window / divisor over kd×kh×kw windows: (N, C, D, H, W) -> (N, C, D_out, H_out,
    W_out), the divisor as avg_pool2d's."""
    options = (ceil_mode, count_include_pad, divisor_override)
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, *options)


def adaptive_average_matrix(size, out):
    """A (out, size): row i averages x[start_i:end_i], start = ⌊i·S/out⌋, end = ⌈(i+1)·S/out⌉."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    j = np.arange(size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return inside / (end - start)[:, None]


def _adaptive_avg_pool(op, nd, x, output_size):
    x = as_tensor(x)
    check_input_rank(op, x.shape, nd, "C")
    sizes = (output_size,) * nd if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != nd or not all(s is None or (isinstance(s, int) and s >= 1) for s in sizes):
        raise ValueError(
            f"{op}: output_size must be a positive int or a tuple of {nd} (ints or None), "
            f"got {output_size!r}."
        )
    sizes = tuple(n if s is None else s for n, s in zip(x.shape[-nd:], sizes))
    matrices = tuple(adaptive_average_matrix(n, s) for n, s in zip(x.shape[-nd:], sizes))
    return pl.SeparableLinear.apply(x, matrices=matrices)


def adaptive_avg_pool1d(input, output_size):
    """Average over L_out near-equal windows: (N, C, L) -> (N, C, L_out)."""
    return _adaptive_avg_pool("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average over near-equal windows to a set size: (N, C, H, W) -> (N, C, *output_size).

    Window i of a dim with size S covers [⌊i·S/out⌋, ⌈(i+1)·S/out⌉) (PyTorch's rule), so
    windows may overlap by one; output_size 1 is global average pooling.
    """
    return _adaptive_avg_pool("adaptive_avg_pool2d", 2, input, output_size)


def _nearest_matrix(size, out, scale, dtype):
    """One-hot A (out, size): dst i reads src min(⌊i·scale⌋, size - 1), scale = in/out or
    1/scale_factor, computed in the input's precision as PyTorch."""
    src = np.floor(np.arange(out, dtype=dtype) * dtype.type(scale)).astype(np.int64)
    return np.eye(size, dtype=dtype)[np.minimum(src, size - 1)]


def _linear_matrix(size, out, scale, align_corners, dtype):
    """Two-tap A (out, size): dst i reads src = i·scale (align_corners) or
    max((i + ½)·scale - ½, 0), split between ⌊src⌋ and the next sample by the fraction."""
    i = np.arange(out, dtype=dtype)
    if align_corners:
        src = i * dtype.type((size - 1) / (out - 1) if out > 1 else 0)
    else:
        src = np.maximum((i + dtype.type(0.5)) * dtype.type(scale) - dtype.type(0.5), 0)
    lo = np.floor(src).astype(np.int64)
    hi = lo + (lo < size - 1)
    frac = src - lo
    a = np.zeros((out, size), dtype=dtype)
    np.add.at(a, (np.arange(out), lo), 1 - frac)
    np.add.at(a, (np.arange(out), hi), frac)
    return a


def _nearest_exact_matrix(size, out, scale, dtype):
    """One-hot A (out, size): dst i reads src min(⌊(i + ½)·scale⌋, size - 1) (PIL's rule)."""
    i = np.arange(out, dtype=dtype)
    src = np.floor((i + dtype.type(0.5)) * dtype.type(scale)).astype(np.int64)
    return np.eye(size, dtype=dtype)[np.minimum(src, size - 1)]


def _cubic_matrix(size, out, scale, align_corners, dtype, A=-0.75):
    """Four-tap A (out, size) of Keys' cubic convolution (a = -0.75, PyTorch's): dst i reads
    src = i·scale (align_corners) or (i + ½)·scale - ½, from samples ⌊src⌋ - 1 ... ⌊src⌋ + 2
    clamped to the edge, weighted by the cubic kernel at their distances."""
    i = np.arange(out, dtype=np.float64)
    if align_corners:
        src = i * ((size - 1) / (out - 1) if out > 1 else 0)
    else:
        src = (i + 0.5) * scale - 0.5
    base = np.floor(src)
    t = src - base

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    a = np.zeros((out, size), dtype=np.float64)
    for k, w in enumerate(weights):
        index = np.clip(base.astype(np.int64) - 1 + k, 0, size - 1)
        np.add.at(a, (np.arange(out), index), w)
    return a.astype(dtype)


_MODES = {
    "nearest": None,
    "nearest-exact": None,
    "area": None,
    "linear": 1,
    "bilinear": 2,
    "bicubic": 2,
    "trilinear": 3,
}


def interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
):
    """Resize the spatial dims: (N, C, *S) -> (N, C, *size) or (N, C, *⌊S·scale_factor⌋).

    mode 'nearest' copies src ⌊dst·scale⌋ ('nearest-exact': ⌊(dst + ½)·scale⌋); 'linear'
    (3-D input), 'bilinear' (4-D) and 'trilinear' (5-D) weigh the 2 nearest samples per
    dimension, 'bicubic' (4-D) 4 with Keys' cubic kernel; 'area' averages (adaptive
    average pooling). scale = in/out, or 1/scale_factor when given; with
    align_corners=True the corner samples line up: scale = (in - 1)/(out - 1).
    """
    x = as_tensor(input)
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {sorted(_MODES)}, got {mode!r}.")
    nd = x.ndim - 2
    if _MODES[mode] not in (None, nd) or nd not in (1, 2, 3):
        wanted = {1: "3-D (N, C, L)", 2: "4-D (N, C, H, W)", 3: "5-D (N, C, D, H, W)"}
        raise ValueError(
            f"interpolate: mode={mode!r} got input of shape {x.shape}; expected a "
            f"{wanted.get(_MODES[mode], 'a 3-D, 4-D or 5-D')} input."
        )
    if align_corners is not None and _MODES[mode] is None:
        raise ValueError(
            "interpolate: align_corners can only be set with mode 'linear', 'bilinear', "
            "'bicubic' or 'trilinear'."
        )
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor.")
    in_sizes = x.shape[2:]
    if size is not None:
        out_sizes = ntuple("interpolate", "size", size, nd, minimum=1)
        scales = [n / o for n, o in zip(in_sizes, out_sizes)]
    else:
        factors = (
            (scale_factor,) * nd if isinstance(scale_factor, (int, float)) else tuple(scale_factor)
        )
        if len(factors) != nd or not all(f > 0 for f in factors):
            raise ValueError(
                f"interpolate: scale_factor must be positive numbers, got {scale_factor!r}."
            )
        out_sizes = tuple(math.floor(n * f) for n, f in zip(in_sizes, factors))
        scales = [
            n / o if recompute_scale_factor else 1 / f
            for n, o, f in zip(in_sizes, out_sizes, factors)
        ]
    dtype, corners = np.dtype(x.dtype), bool(align_corners)
    sizes = list(zip(in_sizes, out_sizes, scales))
    if mode == "nearest":
        matrices = [_nearest_matrix(n, o, s, dtype) for n, o, s in sizes]
    elif mode == "nearest-exact":
        matrices = [_nearest_exact_matrix(n, o, s, dtype) for n, o, s in sizes]
    elif mode == "area":
        matrices = [adaptive_average_matrix(n, o).astype(dtype) for n, o, _ in sizes]
    elif mode == "bicubic":
        matrices = [_cubic_matrix(n, o, s, corners, dtype) for n, o, s in sizes]
    else:
        matrices = [_linear_matrix(n, o, s, corners, dtype) for n, o, s in sizes]
    return pl.SeparableLinear.apply(x, matrices=tuple(matrices))
