"""Normalization: batch norm and layer norm as fused primitives, backward written out.

Both standardise x over some axes and then scale and shift it:

    x̂ = (x - μ) / √(σ² + ε),    y = γ · x̂ + β

Written as a chain of small ops, the backward pass would keep five or six arrays of the
size of x alive; fused, it keeps x̂ and 1/√(σ² + ε) and needs three passes over dy.
"""

import math

import numpy as np

from zennet.autograd import Function
from zennet.backend import array_module, memory_order
from zennet.kernels import kernel


def normalized_input_grad(dxhat, xhat, inv_std, sum_dxhat, sum_dxhat_xhat):
    """dx of x̂ = (x - μ)·inv_std when μ and σ² are the statistics of each row of x (R, D),
    in place on dxhat (which must be ours).

    With dx̂ = ∂L/∂x̂ and sums Σ along each row (given as (R, 1) arrays):

        dx = inv_std · (dx̂ − (Σ dx̂ + x̂ · Σ(dx̂ · x̂)) / D)

    The first term is the direct path through x, the second the path through μ, the
    third the path through σ². Four passes over (R, D) and one temporary.
    """
    d = xhat.shape[1]
    correction = xhat * (sum_dxhat_xhat / d)
    correction += sum_dxhat / d
    dxhat -= correction
    dxhat *= inv_std
    return dxhat


def _affine(xhat, weight, bias, shape):
    """y = γ·x̂ + β with γ and β reshaped to broadcast (either may be None)."""
    if weight is None:
        return xhat if bias is None else xhat + bias.reshape(shape)
    y = xhat * weight.reshape(shape)
    if bias is not None:
        y += bias.reshape(shape)  # in place: y is new
    return y


def _wanted(fn):
    """Whether γ (input 1) and β (input 2) want gradients; either may be absent."""
    needs = tuple(fn.needs_input_grad) + (False, False)
    return needs[1], needs[2]


def channel_sum(a):
    """Σ of a (N, C, *) over every axis but the channel axis 1 -> (C,).

    einsum walks the array in its memory order, so this is one fast pass whether the
    array is NCHW or channels-last in memory (NumPy's ``sum`` over axes (0, 2, 3) of a
    channels-last array is several times slower).
    """
    xp = array_module(a)
    return xp.einsum(f"{_axes(a)}->c", a)


def channel_dot(a, b):
    """Σ of a·b over every axis but the channel axis 1 -> (C,), without an a·b temporary."""
    xp = array_module(a)
    return xp.einsum(f"{_axes(a)},{_axes(b)}->c", a, b)


def channel_blocks(x):
    """x (N, C, *S) as (A, C, B), a view of its memory when x is dense: A gathers the axes
    before the channel axis in memory, B those after (NCHW: (N, C, H·W); channels-last:
    (N·H·W, C, 1)). None when x has gaps in memory."""
    order = memory_order(x)
    xm = x.transpose(order)
    if not xm.flags.c_contiguous:
        return None
    at = order.index(1)
    return xm.reshape(math.prod(xm.shape[:at]), x.shape[1], math.prod(xm.shape[at + 1 :]))


def compiled_channel_stats(x):
    """(mean, biased variance) of each channel of x (N, C, *S) by the compiled kernel, in one
    pass with float64 sums; None when it cannot run (zennet.kernels)."""
    run = kernel("channel_sums", x)  # first: with the kernels off, nothing else is done
    blocks = None if run is None else channel_blocks(x)
    if blocks is None:
        return None
    # Σx and Σx·(x - k) with k a guess of the mean (the first value): Σ(x - μ)² = Σx·(x - k)
    # - n·μ·(μ - k), whose terms stay small when k is near μ
    k = blocks[0, :, 0].astype(np.float64)
    s1, s2 = np.zeros(x.shape[1]), np.zeros(x.shape[1])
    run(blocks, blocks, k, s1, s2)
    n = x.size // x.shape[1]
    mean = s1 / n
    var = np.maximum(s2 / n - mean * (mean - k), 0)
    return mean.astype(x.dtype), var.astype(x.dtype)


def _axes(a):
    """einsum subscripts of (N, C, *): "nc" and a letter per further axis."""
    return "nc" + "defghijklm"[: a.ndim - 2]


def _like(x, values):
    """A new array in x's memory layout holding ``values`` (of x's shape)."""
    out = array_module(x).empty_like(x)
    out[...] = values
    return out


class BatchNorm(Function):
    """Batch normalization over every axis but the channel axis 1.

    x (N, C, *), γ, β, μ, σ² (C,) -> y (N, C, *)

        x̂ = (x - μ) / √(σ² + ε),   y = γ · x̂ + β
        dγ = Σ dy · x̂,   dβ = Σ dy          (Σ over N and the spatial axes)

    With batch statistics (training; μ, σ² are x's own mean and biased variance), the
    general dx = (1/M) · inv_std · (M·dx̂ − Σ dx̂ − x̂ · Σ(dx̂ · x̂)), dx̂ = γ · dy, M = N·H·W,
    collects into per-channel factors a, b, c:

        dx = a · dy + b + c · x̂,   a = γ · inv_std,  b = −a · dβ / M,  c = −a · dγ / M

    With fixed statistics (evaluation, running μ and σ²): dx = a · dy.
    ``mean`` and ``var`` are given by the caller (functional.batch_norm computes the batch
    statistics once, for the output and for the running averages); so may be
    ``centered`` = x − μ, a new array the op then turns into x̂ in place.
    """

    compiled = True  # may use the compiled kernels (a subclass that reads x̂ says False)

    def forward(
        self, x, weight=None, bias=None, mean=None, var=None, eps=1e-5, batch_stats=True,
        centered=None,
    ):  # fmt: skip
        xp = self.xp
        shape = (1, -1) + (1,) * (x.ndim - 2)  # broadcasts (C,) over (N, C, *)
        self.inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False).reshape(shape)
        self.weight, self.batch_stats = weight, batch_stats
        if centered is None and (y := self.forward_compiled(x, weight, bias, mean)) is not None:
            return y
        if centered is None:
            centered = x - mean.reshape(shape).astype(x.dtype, copy=False)
        centered *= self.inv_std  # x̂, in the array of x - μ
        self.xhat = centered
        return _affine(self.xhat, weight, bias, shape)

    def forward_compiled(self, x, weight, bias, mean):
        """y = x·(γ·inv_std) + (β - μ·γ·inv_std) in one pass by the compiled kernel, keeping
        x (not x̂) for the backward; None when the kernel cannot run."""
        run = kernel("channel_affine", x) if self.compiled else None
        blocks = None if run is None else channel_blocks(x)
        if blocks is None:
            return None
        scale = self.inv_std.reshape(-1) * (1 if weight is None else weight)
        shift = -mean.astype(x.dtype) * scale + (0 if bias is None else bias)
        y = self.xp.empty_like(x)  # x's layout
        run(blocks, blocks, scale, np.zeros_like(scale), shift.astype(x.dtype), channel_blocks(y))
        self.x, self.mean, self.xhat = x, mean, None
        return y

    def backward_compiled(self, dy):
        """(dx, dγ, dβ) by two compiled passes from x (see the class docstring: x̂ =
        (x - μ)·inv_std is never stored), or None when the kernels cannot run."""
        xp, x = self.xp, self.x
        if dy.strides != x.strides:
            dy = _like(x, dy)  # one copy, so that dy and x walk memory together
        u, xb = channel_blocks(dy), channel_blocks(x)
        sums, combine = (kernel(name, u, xb) for name in ("channel_sums", "channel_affine"))
        if u is None or sums is None or combine is None:
            return None
        s1, s2 = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        sums(u, xb, self.mean.astype(np.float64), s1, s2)  # Σ dy, Σ dy·(x - μ)
        inv_std = self.inv_std.reshape(-1).astype(np.float64)
        sum_dy, sum_dy_xhat = s1, s2 * inv_std  # dβ, dγ
        need_w, need_b = _wanted(self)
        dw = sum_dy_xhat.astype(x.dtype) if need_w else None
        db = sum_dy.astype(x.dtype) if need_b else None
        if not self.needs_input_grad[0]:
            return None, dw, db
        a = inv_std * (1 if self.weight is None else self.weight)
        p, q, r = a, np.zeros_like(a), np.zeros_like(a)  # fixed statistics: dx = a·dy
        if self.batch_stats:  # dx = a·dy + b + c·x̂ = a·dy + (c·inv_std)·x + (b - c·inv_std·μ)
            m = x.size // x.shape[1]
            b, c = -a * sum_dy / m, -a * sum_dy_xhat / m
            q, r = c * inv_std, b - c * inv_std * self.mean
        dx = xp.empty_like(x)
        combine(u, xb, *(v.astype(x.dtype) for v in (p, q, r)), channel_blocks(dx))
        return dx, dw, db

    def backward(self, dy):
        if self.xhat is None:  # the compiled forward ran
            grads = self.backward_compiled(dy)
            if grads is not None:
                return grads
            shape = self.inv_std.shape  # kernels switched off since: x̂ the NumPy way
            self.xhat = (self.x - self.mean.reshape(shape).astype(self.x.dtype)) * self.inv_std
        need_w, need_b = _wanted(self)
        sum_dy_xhat = channel_dot(dy, self.xhat)  # dγ (C,)
        sum_dy = channel_sum(dy)  # dβ (C,)
        dw = sum_dy_xhat if need_w else None
        db = sum_dy if need_b else None
        if not self.needs_input_grad[0]:
            return None, dw, db
        a = self.inv_std  # a = γ · inv_std
        if self.weight is not None:
            a = self.weight.reshape(a.shape) * a
        if not self.batch_stats:
            return dy * a, dw, db
        m = self.xhat.size // self.xhat.shape[1]
        dx = self.xhat * (-a * sum_dy_xhat.reshape(a.shape) / m)  # c · x̂, on one new array
        dx += -a * sum_dy.reshape(a.shape) / m  # + b
        dx += dy * a
        return dx, dw, db


class LayerNorm(Function):
    """Layer normalization over the last ``ndims`` axes, separately for each sample.

    x (*, D1..Dk), γ, β (D1..Dk) -> y (*, D1..Dk)

        μ, σ² = mean and biased variance of x over the last k axes
        x̂ = (x - μ) / √(σ² + ε),   y = γ · x̂ + β
        dγ = Σ_batch dy · x̂,   dβ = Σ_batch dy      (Σ over the leading axes)
        dx = (1/D) · inv_std · (D·dx̂ − Σ dx̂ − x̂ · Σ(dx̂ · x̂)),   dx̂ = γ · dy
             (Σ over the last k axes, D = D1···Dk)
    """

    def forward(self, x, weight=None, bias=None, ndims=1, eps=1e-5):
        xp = self.xp
        lead = x.ndim - ndims
        self.stat_shape, self.in_shape = x.shape[lead:], x.shape
        self.weight = weight
        if (y := self.forward_compiled(x, weight, bias, eps)) is not None:
            return y
        d = math.prod(self.stat_shape)
        rows = x.reshape(math.prod(x.shape[:lead]), d)  # (R, D): one statistic per row
        xhat = rows - rows.mean(axis=1, keepdims=True)  # x - μ, made x̂ in place below
        var = xp.einsum("ij,ij->i", xhat, xhat)[:, None] / d  # (R, 1), no (x - μ)² array
        self.inv_std = 1 / xp.sqrt(var + eps)  # (R, 1)
        xhat *= self.inv_std
        self.xhat = xhat
        return _affine(xhat, weight, bias, (d,)).reshape(x.shape)

    def forward_compiled(self, x, weight, bias, eps):
        """The compiled kernel's y, one row of D = D1···Dk at a time, keeping x, μ and
        inv_std (not x̂) for the backward; None when it cannot run."""
        xp, d = self.xp, math.prod(self.stat_shape)
        rows = x.reshape(-1, d) if x.flags.c_contiguous and x.size else None
        run = kernel("layer_norm", rows, *(p for p in (weight, bias) if p is not None))
        if run is None:
            return None
        w = xp.ones(d, x.dtype) if weight is None else weight.reshape(-1)
        b = xp.zeros(d, x.dtype) if bias is None else bias.reshape(-1)
        y, mean, inv_std = xp.empty_like(rows), xp.empty(len(rows)), xp.empty(len(rows))
        run(rows, w, b, float(eps), y, mean, inv_std)
        self.rows, self.w, self.mean, self.row_inv_std, self.xhat = rows, w, mean, inv_std, None
        return y.reshape(x.shape)

    def backward_compiled(self, dy):
        """(dx, dγ, dβ) by the compiled kernel, or None when it cannot run."""
        xp, rows = self.xp, self.rows
        dy_rows = xp.ascontiguousarray(dy).reshape(rows.shape)
        run = kernel("layer_norm_backward", dy_rows, rows)
        if run is None:
            return None
        dx, dw, db = xp.empty_like(rows), xp.zeros(rows.shape[1]), xp.zeros(rows.shape[1])
        run(dy_rows, rows, self.w, self.mean, self.row_inv_std, dx, dw, db)
        need_w, need_b = _wanted(self)
        dw = dw.astype(rows.dtype).reshape(self.stat_shape) if need_w else None
        db = db.astype(rows.dtype).reshape(self.stat_shape) if need_b else None
        return dx.reshape(dy.shape) if self.needs_input_grad[0] else None, dw, db

    def backward(self, dy):
        xp = self.xp
        if self.xhat is None:  # the compiled forward ran
            grads = self.backward_compiled(dy)
            if grads is not None:
                return grads
            rows = self.rows.shape[:1] + (1,)  # kernels switched off since: x̂ the NumPy way
            xhat = (self.rows - self.mean.reshape(rows)) * self.row_inv_std.reshape(rows)
            self.xhat = xhat.astype(self.rows.dtype)
            self.inv_std = self.row_inv_std.astype(self.rows.dtype).reshape(rows)
        xhat = self.xhat  # (R, D)
        dy = dy.reshape(xhat.shape)
        need_w, need_b = _wanted(self)
        dw = xp.einsum("ij,ij->j", dy, xhat).reshape(self.stat_shape) if need_w else None
        db = dy.sum(axis=0).reshape(self.stat_shape) if need_b else None
        dx = None
        if self.needs_input_grad[0]:
            weight = None if self.weight is None else self.weight.reshape(-1)
            dxhat = dy.copy() if weight is None else dy * weight  # ours, made dx in place
            sum_dxhat = (dxhat.sum(axis=1) if weight is None else dy @ weight)[:, None]
            sum_dxhat_xhat = xp.einsum("ij,ij->i", dxhat, xhat)[:, None]
            dx = normalized_input_grad(dxhat, xhat, self.inv_std, sum_dxhat, sum_dxhat_xhat)
            dx = dx.reshape(self.in_shape)
        return dx, dw, db
