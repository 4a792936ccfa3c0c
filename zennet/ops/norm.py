"""Normalization: batch norm and layer norm as fused primitives, backward written out.

Both standardise x over some axes and then scale and shift it:

    x̂ = (x - μ) / √(σ² + ε),    y = γ · x̂ + β

Written as a chain of small ops, the backward pass would keep five or six arrays of the
size of x alive; fused, it keeps x̂ and 1/√(σ² + ε) and needs three passes over dy.
"""

from zennet.autograd import Function
from zennet.backend import array_module


def normalized_input_grad(dxhat, xhat, inv_std, axes, sum_dxhat, sum_dxhat_xhat):
    """dx of x̂ = (x - μ)·inv_std when μ and σ² are the statistics of x over ``axes``.

    With N elements per statistic, dx̂ = ∂L/∂x̂ and sums Σ over ``axes``:

        dx = (1/N) · inv_std · (N·dx̂ − Σ dx̂ − x̂ · Σ(dx̂ · x̂))

    The first term is the direct path through x, the second the path through μ, the
    third the path through σ². ``sum_dxhat`` and ``sum_dxhat_xhat`` are passed in (kept
    dims) because the callers already have them from dγ and dβ.
    """
    xp = array_module(dxhat)
    n = 1
    for a in axes:
        n *= xhat.shape[a]
    dx = xhat * sum_dxhat_xhat  # the terms in place, on one new array
    dx += sum_dxhat
    xp.subtract(n * dxhat, dx, out=dx)
    dx *= inv_std / n
    return dx


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


def _axes(a):
    """einsum subscripts of (N, C, *): "nc" and a letter per further axis."""
    return "nc" + "defghijklm"[: a.ndim - 2]


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

    def forward(
        self, x, weight=None, bias=None, mean=None, var=None, eps=1e-5, batch_stats=True,
        centered=None,
    ):  # fmt: skip
        xp = self.xp
        shape = (1, -1) + (1,) * (x.ndim - 2)  # broadcasts (C,) over (N, C, *)
        self.inv_std = (1 / xp.sqrt(var + eps)).astype(x.dtype, copy=False).reshape(shape)
        if centered is None:
            centered = x - mean.reshape(shape).astype(x.dtype, copy=False)
        centered *= self.inv_std  # x̂, in the array of x - μ
        self.xhat, self.weight, self.batch_stats = centered, weight, batch_stats
        return _affine(self.xhat, weight, bias, shape)

    def backward(self, dy):
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
        self.axes = tuple(range(lead, x.ndim))
        self.lead_axes, self.stat_shape = tuple(range(lead)), x.shape[lead:]
        mean = x.mean(axis=self.axes, keepdims=True)
        centered = x - mean
        var = xp.square(centered).mean(axis=self.axes, keepdims=True)
        self.inv_std = 1 / xp.sqrt(var + eps)  # (*, 1..1)
        centered *= self.inv_std
        self.xhat, self.weight = centered, weight  # x̂, in the array of x - μ
        return _affine(self.xhat, weight, bias, self.stat_shape)

    def backward(self, dy):
        need_w, need_b = _wanted(self)
        dw = (dy * self.xhat).sum(axis=self.lead_axes) if need_w else None
        db = dy.sum(axis=self.lead_axes) if need_b else None
        dxhat = dy if self.weight is None else dy * self.weight
        dx = None
        if self.needs_input_grad[0]:
            sum_dxhat = dxhat.sum(axis=self.axes, keepdims=True)
            sum_dxhat_xhat = (dxhat * self.xhat).sum(axis=self.axes, keepdims=True)
            dx = normalized_input_grad(
                dxhat, self.xhat, self.inv_std, self.axes, sum_dxhat, sum_dxhat_xhat
            )
        return dx, dw, db
