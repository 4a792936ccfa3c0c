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

Bᵀ and Aᵀ hold only 0 and ±1, so their products are adds and subtracts of slices
(:func:`rows_bt`, :func:`rows_at`); G's ½ sits in the small weight transform. The GEMM
does 16·C·K multiplies per tile where im2col's does 36·C·K (2.25× fewer); what it costs
instead is the two transforms' passes over memory, and float32 error that grows a little
faster than im2col's (docs/performance.md, "Winograd (issue 20)").

Which convolutions take this path: ``ZENNET_CONV=im2col|winograd|auto`` in the environment
or :func:`use_conv_algorithm`; ``auto`` (the default) follows :func:`winograd_pays`.
"""

import os

import numpy as np

from zennet.backend import array_module

G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])

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


# auto's rule (benchmarks/winograd.py measured it; docs/performance.md gives the grid)
MIN_CHANNELS_IN, MIN_CHANNELS_OUT, MIN_OUTPUT = 10**9, 10**9, 10**9


def winograd_pays(c_in, c_out, out_size):
    """auto's rule: Winograd when C_in ≥ MIN_CHANNELS_IN, C_out ≥ MIN_CHANNELS_OUT and the
    output's height and width ≥ MIN_OUTPUT."""
    return c_in >= MIN_CHANNELS_IN and c_out >= MIN_CHANNELS_OUT and min(out_size) >= MIN_OUTPUT


def chosen(c_in, c_out, out_size):
    """Whether a convolution that Winograd :func:`applies` to runs it now."""
    algorithm = conv_algorithm()
    if algorithm == "auto":
        return winograd_pays(c_in, c_out, out_size)
    return algorithm == "winograd"


def rows_bt(d, out):
    """out[0..3] = Bᵀ applied to the four slices d[0..3] (one axis of the 4×4 tiles)."""
    xp = array_module(out[0])
    xp.subtract(d[0], d[2], out=out[0])
    xp.add(d[1], d[2], out=out[1])
    xp.subtract(d[2], d[1], out=out[2])
    xp.subtract(d[1], d[3], out=out[3])


def rows_at(m, out):
    """out[0..1] = Aᵀ applied to the four slices m[0..3]."""
    xp = array_module(out[0])
    xp.add(m[0], m[1], out=out[0])
    out[0] += m[2]
    xp.subtract(m[1], m[2], out=out[1])
    out[1] -= m[3]


def input_transform(xpad, tiles):
    """V = Bᵀ d B for every 4×4 tile d of xpad (N, 2th+2, 2tw+2, C) -> (4, 4, N, th, tw, C).

    Tile (i, j) starts at (2i, 2j); slice a of an axis, xpad[:, a:a + 2th:2], holds row a
    of every tile at once, so each Bᵀ row is one add of two such slices.
    """
    xp = array_module(xpad)
    n, c, (th, tw) = xpad.shape[0], xpad.shape[-1], tiles
    rows = xp.empty((4, n, th, xpad.shape[2], c), dtype=xpad.dtype)  # Bᵀ d: (4, N, th, Wp, C)
    rows_bt([xpad[:, a : a + 2 * th : 2] for a in range(4)], rows)
    v = xp.empty((4, 4, n, th, tw, c), dtype=xpad.dtype)
    for a in range(4):
        rows_bt([rows[a, :, :, b : b + 2 * tw : 2] for b in range(4)], v[a])  # (Bᵀ d) B
    return v


def weight_transform(w):
    """U = G g Gᵀ: w (K, C, 3, 3) -> (16, C, K)."""
    xp = array_module(w)
    g = xp.asarray(G, dtype=w.dtype)
    u = g @ w @ g.T  # (K, C, 4, 4)
    return xp.ascontiguousarray(u.transpose(2, 3, 1, 0)).reshape(16, w.shape[1], w.shape[0])


def output_transform(m, n, tiles):
    """Y = Aᵀ M A: m (4, 4, T, K) -> (N, 2th, 2tw, K), output (2i + r, 2j + s) of tile (i, j)."""
    xp = array_module(m)
    th, tw = tiles
    k = m.shape[-1]
    rows = xp.empty((2, 4, n * th * tw, k), dtype=m.dtype)  # Aᵀ M
    rows_at(m, rows)
    y = xp.empty((n, th, 2, tw, 2, k), dtype=m.dtype)
    for r in range(2):
        cols = [rows[r, b].reshape(n, th, tw, k) for b in range(4)]
        rows_at(cols, [y[:, :, r, :, s] for s in range(2)])  # (Aᵀ M) A
    return y.reshape(n, 2 * th, 2 * tw, k)


def winograd_conv2d(xpad, w, b, out_size):
    """y (N, Ho, Wo, K) = conv of xpad (N, Hp, Wp, C) with w (K, C, 3, 3), b (K,) or None.

    xpad must hold the two tile rows and columns an odd output needs: Hp ≥ 2·⌈Ho/2⌉ + 2
    (the zeros read there only make outputs that are cropped away).
    """
    xp = array_module(xpad)
    n, (ho, wo) = xpad.shape[0], out_size
    tiles = ((ho + 1) // 2, (wo + 1) // 2)
    v = input_transform(xpad, tiles).reshape(16, -1, xpad.shape[-1])  # (16, T, C)
    m = xp.matmul(v, weight_transform(w))  # (16, T, K)
    if b is not None:
        m[5] += b  # m[1, 1]: Aᵀ e₁ e₁ᵀ A is all ones, so b reaches all four outputs
    y = output_transform(m.reshape(4, 4, *m.shape[1:]), n, tiles)
    if y.shape[1:3] != (ho, wo):
        y = xp.ascontiguousarray(y[:, :ho, :wo])  # crop the odd row or column
    return y
