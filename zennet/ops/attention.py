"""Attention's primitives: a softmax that survives fully masked rows, and multi-head
self-attention fused into one op (the transformer layer's hot spot)."""

import math

from zennet.autograd import Function
from zennet.kernels import kernel, matmul, parts


def safe_softmax(x, axis, xp, out=None):
    """Softmax of x along ``axis`` (into ``out``, which may be x); a row of only -inf
    gives 0, not NaN."""
    top = x.max(axis=axis, keepdims=True)  # the checks below cost little
    if not xp.isfinite(top).all():
        top = xp.where(xp.isfinite(top), top, 0)  # a row of -inf keeps its -inf: e = 0
    e = xp.subtract(x, top, out=out)
    xp.exp(e, out=e)
    total = e.sum(axis=axis, keepdims=True)
    if not (total > 0).all():
        total = xp.where(total > 0, total, 1)
    e /= total
    return e


def softmax_backward(dy, y, axis, xp, out=None):
    """dx = y ⊙ (dy - Σ dy ⊙ y) along ``axis`` (into ``out``, which may be dy)."""
    dx = xp.subtract(dy, _dot_along(dy, y, axis, xp), out=out)
    dx *= y
    return dx


def _dot_along(a, b, axis, xp):
    """Σ a ⊙ b along ``axis`` (-1 or -2), kept as a size-1 axis: einsum, without the a ⊙ b
    temporary (2.5× faster than (a * b).sum on the scores, docs/performance.md)."""
    if axis == -1:
        return xp.einsum("...j,...j->...", a, b)[..., None]
    return xp.einsum("...ij,...ij->...j", a, b)[..., None, :]


class SafeSoftmax(Function):
    """Softmax along the last axis in which a row of only -inf (every key masked) gives 0.

        y = e^(x - max) / Σ e^(x - max),  y = 0 on rows whose max is -inf
        dx = y ⊙ (dy - Σ dy ⊙ y)          (so masked entries and masked rows get dx = 0)

    A plain softmax gives NaN on such rows; PyTorch's scaled_dot_product_attention
    gives 0 (its _safe_softmax), and so does this.
    """

    def forward(self, x):
        self.y = safe_softmax(x, -1, self.xp)  # (..., L, S)
        return self.y

    def backward(self, dy):
        return softmax_backward(dy, self.y, -1, self.xp)


class SelfAttention(Function):
    """Multi-head self-attention up to the output projection, as one op:

        [Q | K | V] = x·W_inᵀ + b_in                     x (N, L, E), W_in (3E, E), b_in (3E,)
        head_i = softmax(Q_i·K_iᵀ/√d + M)·V_i           d = E/h, per head i and sample
        y = [head_1 … head_h]                            (N, L, E)

        dV_i = P_iᵀ·dhead_i,  dP_i = dhead_i·V_iᵀ,  dS_i = P_i ⊙ (dP_i - Σ_keys dP_i ⊙ P_i)
        dQ_i = dS_i·K_i/√d,  dK_i = dS_iᵀ·Q_i/√d
        dx = d[Q|K|V]·W_in,  dW_in = d[Q|K|V]ᵀ·x,  db_in = Σ_rows d[Q|K|V]

    The composition of nn.MultiheadAttention's Linear, reshape, matmul and SafeSoftmax
    ops, fused so that one GEMM makes Q, K and V (1/√d folded into a copy of W_q's rows),
    the heads are strided views of that GEMM's output (no split or merge copies), and
    the scores are kept transposed, (N, h, keys, queries): NumPy reduces over a long
    middle axis of a C array about 3× faster than over a 64-wide last one (max,
    docs/performance.md), so the softmax and its backward run along axis -2.
    ``mask`` (an additive array broadcasting to (N, h, L, L), 0 / -inf / float) is a
    constant: it gets no gradient. A query whose keys are all masked gets 0.
    """

    def forward(self, x, w, b=None, heads=1, mask=None):
        xp = self.xp
        N, L, E = x.shape
        d = E // heads
        scale = 1 / math.sqrt(d)
        w = w.copy()  # (3E, E): Q's rows carry the 1/√d
        w[:E] *= scale
        rows = x.reshape(N * L, E)  # (N·L, E); a copy only when x is a strided view
        qkv = matmul(rows, w.T)  # (N·L, 3E)
        if b is not None:
            b = b.copy()
            b[:E] *= scale
            qkv += b
        q, k, v = _heads(qkv, N, L, heads, d)  # (N, h, L, d) views each
        scores = matmul(k, _transposed(q, xp))  # (N, h, keys, queries)
        if mask is not None:
            scores += xp.swapaxes(mask, -1, -2)
        p = _softmax_over_keys(scores, xp)  # the attention weights, transposed
        y = xp.empty((N, L, heads, d), x.dtype)
        matmul(xp.swapaxes(p, -1, -2), v, out=y.transpose(0, 2, 1, 3))  # heads side by side
        self.rows, self.w, self.qkv, self.p, self.scale = rows, w, qkv, p, scale
        return y.reshape(N, L, E)

    def backward(self, dy):
        xp, p, rows, w, scale = self.xp, self.p, self.rows, self.w, self.scale
        N, heads, L, _ = p.shape
        E = rows.shape[1]
        d = E // heads
        q, k, v = _heads(self.qkv, N, L, heads, d)
        dhead = dy.reshape(N, L, heads, d).transpose(0, 2, 1, 3)  # (N, h, L, d) view
        dqkv = xp.empty_like(self.qkv)  # (N·L, 3E)
        dq, dk, dv = _heads(dqkv, N, L, heads, d)
        matmul(p, dhead, out=dv)  # (N, h, keys, d)
        dp = matmul(v, _transposed(dhead, xp))  # (N, h, keys, queries)
        ds = _softmax_over_keys_backward(dp, p, xp)
        matmul(xp.swapaxes(ds, -1, -2), k, out=dq)  # (N, h, queries, d), of the scaled Q
        matmul(ds, q, out=dk)
        need_x, need_w, need_b = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        dx = matmul(dqkv, w).reshape(N, L, E) if need_x else None  # w holds the scaled W_q
        dw = db = None
        if need_w:
            dw = matmul(dqkv.T, rows)  # (3E, E)
            dw[:E] *= scale  # the chain rule through W_q/√d
        if need_b:
            db = dqkv.sum(axis=0)  # (3E,)
            db[:E] *= scale
        return dx, dw, db


def _transposed(x, xp):
    """x with its last two axes swapped, for the right operand of a product: a view when
    zennet cuts its GEMMs (each part's BLAS call takes it as it is: the runner's scores
    157 µs, against 308 with a copy), else a contiguous copy, which NumPy's matmul runs
    faster (372 µs, against 442 on the view): ``python -m benchmarks.gemm_shapes``."""
    swapped = xp.swapaxes(x, -1, -2)
    return swapped if parts(1, 0) > 1 else xp.ascontiguousarray(swapped)


def _heads(qkv, N, L, heads, d):
    """Q, K, V as (N, h, L, d) strided views of the (N·L, 3E) projection."""
    split = qkv.reshape(N, L, 3, heads, d)
    return tuple(split[:, :, i].transpose(0, 2, 1, 3) for i in range(3))


def _softmax_over_keys(scores, xp):
    """safe_softmax along axis -2 of the fresh (N, h, keys, queries) scores, in place: by
    the compiled kernels around NumPy's exp when they are on (three passes, not five)."""
    blocks = _blocks(scores)  # (N·h, keys, queries), a view
    shift, normalize = kernel("softmax_shift", blocks), kernel("softmax_normalize", blocks)
    if shift is None or normalize is None:
        return safe_softmax(scores, -2, xp, out=scores)
    shift(blocks)
    xp.exp(blocks, out=blocks)
    normalize(blocks)
    return scores


def _softmax_over_keys_backward(dp, p, xp):
    """softmax_backward along axis -2, in place on the fresh dp; one compiled pass when on."""
    blocks = _blocks(dp)
    run = kernel("softmax_backward", blocks, p)
    if run is None:
        return softmax_backward(dp, p, -2, xp, out=dp)
    run(blocks, p.reshape(blocks.shape), blocks)
    return dp


def _blocks(a):
    """a (..., S, L) as (A, S, L), a view of the C-contiguous a (-1 fails when a is empty)."""
    return a.reshape((math.prod(a.shape[:-2]),) + a.shape[-2:])
