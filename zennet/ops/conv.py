"""Convolution as im2col + one GEMM, and its transpose.

Layout. Users see NCHW (PyTorch's (N, C, *S)). Inside, every op works on
channels-last arrays (N, *S, C): the im2col copy then reads runs of C contiguous
floats, the GEMM writes its (N·Ho·Wo, O) result straight into channels-last memory,
and the op hands that back as an NCHW-shaped *view* (``moveaxis``) instead of
paying a transpose copy. Elementwise ops and pooling keep that memory order, so a
Conv-ReLU-Pool-Conv stack never transposes an activation.

The four passes, for groups g, kernel k (K = prod(k) offsets), Cg = C/g, Og = O/g:

    im2col   xpad (N, *Sp, C)        -> cols (g, M, K·Cg)   M = N·prod(out); the one copy
    GEMM     cols @ Wm               -> (g, M, Og)          Wm = W as (g, K·Cg, Og)
    GEMMᵀ    dY @ Wmᵀ                -> dcols (g, M, K·Cg)  made one kernel offset at a time,
    col2im   dcols                   -> dxpad (N, *Sp, C)   each block added as it is made

Conv is im2col→GEMM forward and GEMMᵀ→col2im backward; ConvTranspose is the same
four passes the other way round.
"""

import math

import numpy as np

from zennet.autograd import Function
from zennet.backend import array_module, zeros_written
from zennet.kernels import kernel
from zennet.kernels import matmul as cut_matmul
from zennet.ops import winograd


def channels_last(x):
    """(N, C, *S) -> (N, *S, C), a view."""
    xp = array_module(x)
    return xp.moveaxis(x, 1, -1)


def channels_first(x):
    """(N, *S, C) -> (N, C, *S), a view."""
    xp = array_module(x)
    return xp.moveaxis(x, -1, 1)


def window_slices(offset, stride, dilation, out_size):
    """For a kernel offset, the strided slice of the padded input that every window reads.

    Window i of a dimension starts at i·stride; its element `offset` sits at
    i·stride + offset·dilation, for i = 0 .. out-1.
    """
    return tuple(
        slice(o * d, o * d + s * (n - 1) + 1, s)
        for o, s, d, n in zip(offset, stride, dilation, out_size)
    )


def conv_output_size(size, kernel, stride, dilation):
    """out = floor((S_padded - dilation·(k - 1) - 1) / stride) + 1 per spatial dim."""
    return tuple(
        (n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(size, kernel, stride, dilation)
    )


def pad_channels_last(x, padding):
    """x (N, C, *S) -> (N, *Sp, C) with zeros ``padding`` ((lo, hi) per dim) around *S.

    Without padding this is a view when x is already channels-last in memory
    (the output of a conv, relu or pool here), else one transposing copy.
    """
    xp = array_module(x)
    xcl = channels_last(x)
    if not any(lo or hi for lo, hi in padding):
        return xp.ascontiguousarray(xcl)
    shape = (
        (x.shape[0],)
        + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], padding))
        + (x.shape[1],)
    )
    out = zeros_written(xp, shape, x.dtype)
    out[(slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[2:], padding))] = xcl
    return out


def crop(xpad, padding, size):
    """The inverse of padding: xpad (N, *Sp, C) -> (N, *S, C) view."""
    inside = tuple(slice(lo, lo + n) for (lo, _), n in zip(padding, size))
    return xpad[(slice(None),) + inside]


def im2col(xpad, out_size, kernel, stride, dilation, groups, ones=False):
    """xpad (N, *Sp, C) -> cols (g, M, K·Cg), row m = one output pixel's receptive field.

    cols[gi, (n, *i), (*o, c)] = xpad[n, *(i·stride + o·dilation), gi·Cg + c]. The
    strided view costs nothing; copying it is the one copy (none for a 1×1 kernel with
    stride 1). With ``ones`` a column of ones is appended, (g, M, K·Cg + 1): then
    [cols 1] @ [Wm; b] adds the bias inside the GEMM and [cols 1]ᵀ @ dY gives db with dW,
    saving two passes over the output.

    With one channel per group the copy is made offset-major, (g, K, M) in memory, so
    that it moves whole image rows instead of K-element runs; the GEMMs take that
    layout as a transposed operand at no cost.
    """
    compiled = compiled_im2col(xpad, out_size, kernel, stride, dilation, groups, ones)
    if compiled is not None:
        return compiled
    xp = array_module(xpad)
    n, c = xpad.shape[0], xpad.shape[-1]
    cg = c // groups
    sn, *spatial, sc = xpad.strides
    pixels = (sn, *(st * s for st, s in zip(spatial, stride)))
    offsets = tuple(st * d for st, d in zip(spatial, dilation))
    m, kc = n * math.prod(out_size), math.prod(kernel) * cg
    as_strided = xp.lib.stride_tricks.as_strided
    if cg == 1:  # offset-major: (g, K [+ 1], M) in memory
        view = as_strided(xpad, (groups, *kernel, n, *out_size), (sc, *offsets, *pixels))
        if not ones:
            return view.reshape(groups, kc, m).transpose(0, 2, 1)
        cols = xp.empty((groups, kc + 1, m), dtype=xpad.dtype)
        cols[:, kc] = 1
        xp.copyto(cols[:, :kc].reshape(view.shape), view)
        return cols.transpose(0, 2, 1)
    view = as_strided(xpad, (groups, n, *out_size, *kernel, cg), (cg * sc, *pixels, *offsets, sc))
    if not ones:
        return view.reshape(groups, m, kc)
    cols = xp.empty((groups, m, kc + 1), dtype=xpad.dtype)
    cols[..., kc] = 1
    xp.copyto(cols[..., :kc].reshape(view.shape), view)
    return cols


def compiled_im2col(xpad, out_size, size, stride, dilation, groups, ones):
    """:func:`im2col` by the compiled kernel (zennet.kernels, cut across threads) for one
    group of several channels in 2-d: (1, M, K·C [+ 1]); None when it cannot run (also for a
    read-only xpad: the kernel's other direction, col2im, writes it)."""
    c = xpad.shape[-1]
    if groups != 1 or c == 1 or len(out_size) != 2:
        return None
    if not (xpad.flags.c_contiguous and xpad.flags.writeable):
        return None
    run = kernel("windows_2d", xpad)
    if run is None:
        return None
    cols = np.empty((xpad.shape[0], *out_size, math.prod(size) * c + ones), xpad.dtype)
    run(xpad, *size, *stride, *dilation, cols, False)
    return cols.reshape(1, -1, cols.shape[-1])


def col2im_products(rows, w, groups, n, padded_size, out_size, stride, dilation):
    """col2im(rows @ Wmᵀ) -> xpad (N, *Sp, C), one kernel offset at a time.

    rows (g, M, Og), w (O, Cg, *k). For each kernel offset o, one GEMM makes
    rows @ W_oᵀ (g, M, Cg): what im2col's columns for that offset receive, and it is
    added into the strided window of xpad that im2col read it from. The GEMMs write into
    one reused buffer whose (N, *out, C) block is contiguous, so with one group each add
    runs over whole image rows (W·C floats at a time) rather than C-float pieces; this
    costs more, narrower GEMMs but halves the time of the whole (docs/performance.md).
    This is dx of a convolution (rows = dY) and the output of a transposed one. With the
    compiled kernels on, one group in 2-d goes to :func:`compiled_col2im` instead.
    """
    xp = array_module(rows)
    cg, size = w.shape[1], w.shape[2:]
    compiled = compiled_col2im(rows, w, groups, n, padded_size, out_size, stride, dilation)
    if compiled is not None:
        return compiled
    xpad = zeros_written(xp, (n, *padded_size, groups, cg), rows.dtype)
    block = xp.empty((groups, rows.shape[1], cg), dtype=rows.dtype)
    for w_o, offset in zip(weight_offsets(w, groups), np.ndindex(*size)):
        if groups == 1:  # one 2-d GEMM, faster than a stack of one
            xp.matmul(rows[0], w_o[0], out=block[0])  # (M, Cg)
        else:
            xp.matmul(rows, w_o, out=block)  # (g, M, Cg)
        part = xp.moveaxis(block.reshape(groups, n, *out_size, cg), 0, -2)  # (N, *out, g, Cg)
        xpad[(slice(None),) + window_slices(offset, stride, dilation, out_size)] += part
    return xpad.reshape(n, *padded_size, groups * cg)


def compiled_col2im(rows, w, groups, n, padded_size, out_size, stride, dilation):
    """col2im(rows @ Wmᵀ) as one wide GEMM and the compiled scatter-add (zennet.kernels),
    for one group in 2-d: with the adds compiled, the one GEMM (M, Og) @ (Og, K·Cg) beats
    the K narrow ones. None when the kernel cannot run."""
    if groups != 1 or len(out_size) != 2:
        return None
    run = kernel("windows_2d", rows, w)
    if run is None:
        return None
    cg, size = w.shape[1], w.shape[2:]
    dcols = gemm(rows[0], weight_matrix(w, 1)[0].T)  # (M, K·Cg), columns ordered (*k, Cg)
    xpad = zeros_written(array_module(rows), (n, *padded_size, cg), rows.dtype)
    run(xpad, *size, *stride, *dilation, dcols.reshape(n, *out_size, dcols.shape[1]), True)
    return xpad


def weight_matrix(w, groups):
    """w (O, Cg, *k) -> Wm (g, K·Cg, Og), rows ordered (*k, Cg) like the im2col columns."""
    o, cg, *kernel = w.shape
    nd = len(kernel)
    wg = w.reshape(groups, o // groups, cg, *kernel)
    return wg.transpose(0, *range(3, 3 + nd), 2, 1).reshape(groups, -1, o // groups)


def weight_offsets(w, groups):
    """w (O, Cg, *k) -> (K, g, Og, Cg): W_oᵀ per kernel offset o, each group's matrix from
    its Og outputs to its Cg inputs."""
    xp = array_module(w)
    o, cg, *kernel = w.shape
    nd = len(kernel)
    wg = w.reshape(groups, o // groups, cg, *kernel)
    offsets = wg.transpose(*range(3, 3 + nd), 0, 1, 2).reshape(-1, groups, o // groups, cg)
    return xp.ascontiguousarray(offsets)


def weight_from_matrix(wm, shape, groups):
    """The inverse of :func:`weight_matrix`: Wm (g, K·Cg, Og) -> w (O, Cg, *k)."""
    o, cg, *kernel = shape
    nd = len(kernel)
    wg = wm.reshape(groups, *kernel, cg, o // groups)
    return wg.transpose(0, nd + 2, nd + 1, *range(1, nd + 1)).reshape(shape)


def matmul(a, b, out=None):
    """a @ b per group, (g, m, k) @ (g, k, n): one 2-d :func:`gemm` when g = 1, which NumPy
    runs faster than a stack of one, above all with a transposed operand."""
    if a.shape[0] == 1:
        return gemm(a[0], b[0], None if out is None else out[0])[None]
    return cut_matmul(a, b, out=out)


THIN = 1 << 12  # a GEMM whose two short sides multiply to at most this is thin
PIECE = 1 << 18  # multiply-adds per piece of a thin GEMM: BLAS runs these on one thread


def gemm(a, b, out=None):
    """a (m, k) @ b (k, n), with thin products cut along their long side.

    A conv's thin GEMMs, (N·H·W, 9) @ (9, 32) forward or (9, N·H·W) @ (N·H·W, 32) for dW,
    are memory-bound: BLAS's threaded path gains nothing on them, and when other
    processes hold the cores its threads wait on each other for many milliseconds.
    Cut into pieces of about PIECE multiply-adds, run as one batched call, each piece
    runs on one thread. A long m is cut into row blocks written straight into ``out``;
    a long k (split-K) into partial products that are then summed.
    """
    xp = array_module(a)
    (m, k), n = a.shape, b.shape[1]
    if m * k * n < 4 * PIECE or (k * n > THIN and m * n > THIN):
        return cut_matmul(a, b, out=out)
    if k * n <= THIN:  # long m: row blocks
        rows = max(PIECE // (k * n), 1)
        cut = m - m % rows
        if out is None:
            out = xp.empty((m, n), dtype=xp.result_type(a, b))
        cut_matmul(a[:cut].reshape(-1, rows, k), b, out=out[:cut].reshape(-1, rows, n))
        if cut < m:
            cut_matmul(a[cut:], b, out=out[cut:])
        return out
    step = max(PIECE // (m * n), 1)  # long k: split-K
    cut = k - k % step
    pieces = a[:, :cut].reshape(m, -1, step).transpose(1, 0, 2)  # (pieces, m, step)
    product = cut_matmul(pieces, b[:cut].reshape(-1, step, n)).sum(axis=0)
    if cut < k:
        product += a[:, cut:] @ b[cut:]
    if out is None:
        return product
    out[...] = product
    return out


def group_rows(x, groups):
    """x (N, C, *S) -> (g, M, Cg): one row per pixel, channels split by group."""
    xcl = channels_last(x)
    m, c = math.prod(xcl.shape[:-1]), xcl.shape[-1]
    return xcl.reshape(m, groups, c // groups).transpose(1, 0, 2)


def ungroup_rows(y, n, size):
    """y (g, M, Og) -> (N, O, *size), a channels-last view when g = 1."""
    xp = array_module(y)
    groups, _, og = y.shape
    if groups == 1:
        return channels_first(y.reshape(n, *size, og))
    ycl = xp.moveaxis(y.reshape(groups, n, *size, og), 0, -2)  # (N, *size, g, Og)
    return channels_first(ycl.reshape(n, *size, groups * og))


def bias_sum(dy):
    """db = Σ over batch and pixels of dy (N, O, *S) -> (O,)."""
    dycl = channels_last(dy)
    return dycl.reshape(-1, dycl.shape[-1]).sum(axis=0)


def winograd_forward(x, w, b, padding, out_size):
    """y (N, Ho, Wo, O) = conv2d(x (N, C, H, W), w (O, C, 3, 3), b) by Winograd
    (zennet.ops.winograd), and the padded input xpad (N, Hp, Wp, C) it read. An odd
    output size gets one more zero row or column: the last 2×2 tile's lower half."""
    odd = tuple((lo, hi + size % 2) for (lo, hi), size in zip(padding, out_size))
    xpad = pad_channels_last(x, odd)
    return winograd.winograd_conv2d(xpad, w, b, out_size), xpad


class Conv(Function):
    """N-d convolution (cross-correlation, as PyTorch) as im2col + one GEMM.

        y[n, o, i] = b[o] + Σ_{c, a} W[o, c, a] · xpad[n, gi·Cg + c, i·stride + a·dilation]

    with gi = o // Og. In matrix form, per group:

        Y = [cols 1] @ [Wm; b]     cols (M, K·Cg), Wm (K·Cg, Og), Y (M, Og)
        [dWm; db] = [cols 1]ᵀ @ dY
        dcols = dY @ Wmᵀ           one kernel offset at a time: (M, Og) @ (Og, Cg)
        dx = crop(col2im(dcols))

    The dcols GEMM and col2im run one kernel offset at a time (:func:`col2im_products`).
    A 3×3 stride-1 conv may run Winograd instead (zennet.ops.winograd, chosen by shape):
    the forward, and dx as the same conv of dy padded by 2 - p with the kernel flipped and
    C, O swapped; dW stays the GEMM above, on cols made in backward from the kept xpad.
    x (N, C, *S), w (O, C/g, *k), b (O,) or None -> y (N, O, *out).
    ``padding`` is ((lo, hi), ...) per spatial dim, as F.conv* resolves it.
    """

    def forward(self, x, w, b=None, stride=None, padding=None, dilation=None, groups=1):
        xp = self.xp
        kernel = w.shape[2:]
        padded_size = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], padding))
        out_size = conv_output_size(padded_size, kernel, stride, dilation)
        with_bias = b is not None
        self.w, self.with_bias, self.padding = w, with_bias, padding
        self.geometry = (x.shape, padded_size, out_size, kernel, stride, dilation, groups)
        # dx follows the forward: benchmarks/winograd.py measured the choice on the pair
        self.winograd = winograd.applies(w.shape, stride, dilation, groups) and winograd.chosen(
            x.shape[1], w.shape[0], x.shape[0], out_size
        )
        if self.winograd:
            y, self.xpad = winograd_forward(x, w, b, padding, out_size)  # (N, *out, O)
            self.cols = None  # made in backward, if the weight gradient is asked for
            return channels_first(y)
        xpad = pad_channels_last(x, padding)  # (N, *Sp, C)
        cols = im2col(xpad, out_size, kernel, stride, dilation, groups, ones=with_bias)
        wm = weight_matrix(w, groups)  # (g, K·Cg, Og)
        if with_bias:
            wm = xp.concatenate([wm, b.reshape(groups, 1, -1)], axis=1)  # [Wm; b]
        y = matmul(cols, wm)  # (g, M, Og)
        self.cols = cols
        return ungroup_rows(y, x.shape[0], out_size)  # (N, O, *out)

    def backward(self, dy):
        x_shape, padded_size, out_size, kernel, stride, dilation, groups = self.geometry
        need_x, need_w, need_b = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        dym = group_rows(dy, groups)  # (g, M, Og)
        dx = dw = db = None
        if need_w:
            # computed as (dYᵀ @ cols)ᵀ: OpenBLAS runs that 25-30% faster than colsᵀ @ dY
            # on the CNN benchmark's second convolution (8.3 against 6.0 ms, measured)
            cols = self.cols
            if cols is None:  # the forward ran Winograd
                cols = im2col(
                    self.xpad, out_size, kernel, stride, dilation, groups, ones=self.with_bias
                )
            dwm = matmul(dym.transpose(0, 2, 1), cols).transpose(0, 2, 1)  # (g, K·Cg [+1], Og)
            kc = dwm.shape[1] - self.with_bias
            dw = weight_from_matrix(dwm[:, :kc], self.w.shape, groups)
            if need_b:
                db = dwm[:, kc].reshape(-1)  # the ones column: Σ_rows dY
        elif need_b:
            db = bias_sum(dy)
        if need_x and self.winograd and all(lo <= 2 and hi <= 2 for lo, hi in self.padding):
            # dx of a 3×3 stride-1 conv: the same conv of dy padded by 2 - p, with the kernel
            # flipped and C, O swapped
            flipped = self.w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]  # (C, O, 3, 3)
            pads = tuple((2 - lo, 2 - hi) for lo, hi in self.padding)
            dx = channels_first(winograd_forward(dy, flipped, None, pads, x_shape[2:])[0])
        elif need_x:
            xpad = col2im_products(
                dym, self.w, groups, x_shape[0], padded_size, out_size, stride, dilation
            )  # (N, *Sp, C)
            dx = channels_first(crop(xpad, self.padding, x_shape[2:]))  # (N, C, *S)
        return dx, dw, db


class ConvTranspose(Function):
    """N-d transposed convolution: the input-gradient of :class:`Conv`, run forward.

        y = crop(col2im(X @ Wmᵀ)) + b         X (M, Cin_g) one row per input pixel
        dx = im2col(pad(dy)) @ Wm             (a Conv of dy with the same weight)
        dWm = im2col(pad(dy))ᵀ @ X            db = Σ dy

    x (N, Cin, *S), w (Cin, Cout/g, *k), b (Cout,) or None -> y (N, Cout, *out) with
    out = (S - 1)·stride - (lo + hi) + dilation·(k - 1) + output_padding + 1.
    """

    def forward(
        self, x, w, b=None, stride=None, padding=None, output_padding=None, dilation=None, groups=1
    ):
        kernel, size = w.shape[2:], x.shape[2:]
        padded_size = tuple(
            (n - 1) * s + d * (k - 1) + 1 + op
            for n, k, s, d, op in zip(size, kernel, stride, dilation, output_padding)
        )
        out_size = tuple(p - lo - hi for p, (lo, hi) in zip(padded_size, padding))
        xm = group_rows(x, groups)  # (g, M, Cin_g)
        ypad = col2im_products(xm, w, groups, x.shape[0], padded_size, size, stride, dilation)
        y = crop(ypad, padding, out_size)  # (N, *out, Cout)
        if b is not None:
            y += b
        self.xm, self.w = xm, w
        self.geometry = (x.shape, size, kernel, stride, dilation, groups, padding)
        return channels_first(y)

    def backward(self, dy):
        x_shape, size, kernel, stride, dilation, groups, padding = self.geometry
        need_x, need_w, need_b = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        dx = dw = db = None
        if need_x or need_w:
            dypad = pad_channels_last(dy, padding)  # (N, *Sp, Cout)
            cols = im2col(dypad, size, kernel, stride, dilation, groups)  # (g, M, K·Cout_g)
            if need_x:
                dxm = matmul(cols, weight_matrix(self.w, groups))  # (g, M, Cin_g)
                dx = ungroup_rows(dxm, x_shape[0], size)  # (N, Cin, *S)
            if need_w:
                dwm = matmul(cols.transpose(0, 2, 1), self.xm)  # (g, K·Cout_g, Cin_g)
                dw = weight_from_matrix(dwm, self.w.shape, groups)
        if need_b:
            db = bias_sum(dy)
        return dx, dw, db
