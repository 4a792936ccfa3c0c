"""Winograd F(2×2, 3×3): a 3×3 stride-1 convolution in 16 multiplies per 2×2 outputs, not 36.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015). Each 2×2 block
of outputs Y reads a 4×4 tile d of the padded input (tiles overlap by 2: stride 2), and

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A        per input channel c and output channel k,
                                            summed over c

        Bᵀ = [1  0 -1  0]      G = [ 1    0    0 ]      Aᵀ = [1  1  1  0]
             [0  1  1  0]          [ ½    ½    ½ ]           [0  1 -1 -1]
             [0 -1  1  0]          [ ½   -½    ½ ]
             [0  1  0 -1]          [ 0    0    1 ]

Written over all tiles at once, channels-last (C and K are the contiguous axes):

    V = Bᵀ d B   (16, T, C)   T = N·⌈Ho/2⌉·⌈Wo/2⌉ tiles; a few adds of strided slices
    U = G g Gᵀ   (16, C, K)   the weight, transformed once per call
    M = V @ U    (16, T, K)   the 16 elementwise products, summed over c: one batched GEMM
    Y = Aᵀ M A   (N, Ho, Wo, K)

Bᵀ and Aᵀ hold only 0 and ±1 (their products are adds and subtracts); they run as small
matmuls over strided views of the tiles, faster here than adds of slices. G's ½ sits in
the weight transform. The GEMM does 16·C·K multiplies per tile where im2col's does
36·C·K (2.25× fewer); what it costs instead is the transforms' passes over memory, and
float32 error that grows a little faster than im2col's (docs/performance.md, "Winograd (issue 20)").

Which convolutions take this path: ``ZENNET_CONV=im2col|winograd|auto`` in the environment
or :func:`use_conv_algorithm`; ``auto`` (the default) follows :func:`winograd_pays`.
"""

import math
import os

import numpy as np

from zennet.backend import array_module
from zennet.kernels import matmul

BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float64)
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64)

ALGORITHMS = ("auto", "im2col", "winograd")
_STATE = {"algorithm": None}


def use_conv_algorithm(algorithm="auto"):
    """Choose how 3×3 stride-1 convolutions run, for this process; returns the previous
    choice. ``"winograd"`` forces Winograd wherever it applies (:func:`applies`),
    ``"im2col"`` forces the im2col GEMM, ``"auto"`` picks by :func:`winograd_pays`."""
    if algorithm not in ALGORITHMS:
        raise ValueError(
            f"use_conv_algorithm got {algorithm!r}; expected one of {', '.join(ALGORITHMS)}."
        )
    previous = conv_algorithm()
    _STATE["algorithm"] = algorithm
    return previous


def conv_algorithm():
    """The choice in force: set by :func:`use_conv_algorithm`, else ``ZENNET_CONV``, else auto."""
    if _STATE["algorithm"] is None:
        wanted = os.environ.get("ZENNET_CONV", "auto").lower() or "auto"
        if wanted not in ALGORITHMS:
            raise ValueError(
                f"ZENNET_CONV={wanted!r} is not a convolution algorithm; set it to one of "
                f"{', '.join(ALGORITHMS)}."
            )
        _STATE["algorithm"] = wanted
    return _STATE["algorithm"]


def applies(w_shape, stride, dilation, groups):
    """Winograd F(2×2, 3×3) covers 2-d, 3×3 kernels, stride 1, dilation 1, one group."""
    return (
        tuple(w_shape[2:]) == (3, 3)
        and tuple(stride) == (1, 1)
        and tuple(dilation) == (1, 1)
        and groups == 1
    )


# auto's rule, from the grid of benchmarks/winograd.py (docs/performance.md, "Winograd"):
# over its 540 shapes it picks a path costing 1.026× the faster one's forward + backward
# time (geometric mean), against 1.103× for im2col everywhere, 1.536× for Winograd
# everywhere. C_in ≥ 32 scored 1.016 there, but C_in = 32 loses at most channel pairs
# (median 0.85-0.95×) and, in one run, the runner's CNN (28.4 -> 35.0 ms a step).
MIN_CHANNELS_IN, MIN_PIXELS = 64, 784


def winograd_pays(c_in, c_out, n, out_size):
    """auto's rule: Winograd when C_in ≥ MIN_CHANNELS_IN and the output has at least
    MIN_PIXELS pixels over the batch (N·Ho·Wo). Fewer input channels make the 16 GEMMs
    too thin to win back the transforms' passes; C_out made no difference worth a term."""
    return c_in >= MIN_CHANNELS_IN and n * math.prod(out_size) >= MIN_PIXELS


def chosen(c_in, c_out, n, out_size):
    """Whether a convolution that Winograd :func:`applies` to runs it now."""
    algorithm = conv_algorithm()
    if algorithm == "auto":
        return winograd_pays(c_in, c_out, n, out_size)
    return algorithm == "winograd"


def input_transform(xpad, tiles):
    """V = Bᵀ d B for every 4×4 tile d of xpad (N, 2th+2, 2tw+2, C) -> (4, 4, N, th, tw, C).

    Tile (i, j) starts at (2i, 2j). A strided view puts the four rows of each tile row
    side by side, (N, th, 4, Wp·C), so Bᵀ d is one matmul broadcast over them; a second
    view does the same for the columns, Bᵀ applied along them being (Bᵀ d) B. Faster
    than the same products as adds of strided slices (docs/performance.md, "Winograd").
    """
    xp = array_module(xpad)
    bt = xp.asarray(BT, dtype=xpad.dtype)
    xpad = xp.ascontiguousarray(xpad)
    n, hp, wp, c = xpad.shape
    th, tw = tiles
    as_strided = xp.lib.stride_tricks.as_strided
    sh = wp * c * xpad.itemsize  # not xpad.strides: a size-1 C axis may have any stride
    d = as_strided(xpad, (n, th, 4, wp * c), (hp * sh, 2 * sh, sh, xpad.itemsize))  # row a
    btd = (bt @ d).reshape(n, th, 4, wp, c)  # Bᵀ d
    sn, si, sa, sw, sc = btd.strides
    columns = as_strided(btd, (n, th, 4, tw, 4, c), (sn, si, sa, 2 * sw, sw, sc))  # (.., b, C)
    v = xp.empty((4, 4, n, th, tw, c), dtype=xpad.dtype)
    xp.matmul(bt, columns, out=v.transpose(2, 3, 0, 4, 1, 5))  # (Bᵀ d) B
    return v


def weight_transform(w):
    """U = G g Gᵀ: w (K, C, 3, 3) -> (16, C, K), as one GEMM with G ⊗ G (16, 9)."""
    xp = array_module(w)
    g = xp.asarray(G, dtype=w.dtype)
    k, c = w.shape[:2]
    u = xp.kron(g, g) @ w.reshape(k * c, 9).T  # (16, K·C)
    return xp.ascontiguousarray(u.reshape(16, k, c).transpose(0, 2, 1))


def output_transform(m, out):
    """Y = Aᵀ M A: m (16, T, K) -> out (N, th, 2, tw, 2, K): output (2i + r, 2j + s) of
    tile (i, j) of image n is out[n, i, r, j, s].

    Per tile, Y[r, s] = Σ_ab Aᵀ[r, a] Aᵀ[s, b] M[a, b]: one (4, 16) @ (16, T·K) product
    with Aᵀ ⊗ Aᵀ, then one copy that interleaves the four outputs of each tile: faster
    than Aᵀ and A applied one axis at a time, which passes over M twice (docs/performance.md).
    """
    xp = array_module(m)
    at = xp.asarray(AT, dtype=m.dtype)
    n, th, _, tw, _, k = out.shape
    y = matmul(xp.kron(at, at), m.reshape(16, -1)).reshape(2, 2, n, th, tw, k)
    xp.copyto(out, y.transpose(2, 3, 0, 4, 1, 5))  # (r, s, N, th, tw, K) -> (N, th, r, tw, s, K)


CHUNK_BYTES = 1 << 20  # V of the images done at once: the GEMM's operands stay in cache


def winograd_conv2d(xpad, w, b, out_size):
    """y (N, Ho, Wo, K) = conv of xpad (N, Hp, Wp, C) with w (K, C, 3, 3), b (K,) or None.

    xpad must hold the two tile rows and columns an odd output needs: Hp ≥ 2·⌈Ho/2⌉ + 2
    (the zeros read there only make outputs that are cropped away). The images go through
    in chunks whose V (16, T, C) and M (16, T, K) take about CHUNK_BYTES each: written and
    read back while still in cache, this cut the time of large images by up to half
    (docs/performance.md).
    """
    xp = array_module(xpad)
    (n, *_, c), k, (ho, wo) = xpad.shape, w.shape[0], out_size
    th, tw = (ho + 1) // 2, (wo + 1) // 2
    u = weight_transform(w)  # (16, C, K)
    y = xp.empty((n, th, 2, tw, 2, k), dtype=xpad.dtype)
    step = max(CHUNK_BYTES // (16 * th * tw * max(c, k) * xpad.itemsize), 1)
    for start in range(0, n, step):
        chunk = xpad[start : start + step]
        v = input_transform(chunk, (th, tw)).reshape(16, -1, c)  # (16, T, C)
        m = matmul(v, u)  # (16, T, K)
        if b is not None:
            m[5] += b  # m[1, 1]: Aᵀ e₁ e₁ᵀ A is all ones, so b reaches all four outputs
        output_transform(m, y[start : start + step])
    y = y.reshape(n, 2 * th, 2 * tw, k)
    if (2 * th, 2 * tw) != (ho, wo):
        y = xp.ascontiguousarray(y[:, :ho, :wo])  # crop the odd row or column
    return y
