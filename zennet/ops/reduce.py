"""Reductions. ``axis`` is None (all elements), an int or a tuple; backward spreads dy
back over the reduced axes."""

import math

from zennet.autograd import Function
from zennet.backend import array_module
from zennet.ops.elementwise import Exp, Where
from zennet.ops.shape import Expand, Reshape


def _restore_axes(dy, shape, axis, keepdims):
    """Put back the reduced axes of ``dy`` as length-1 axes so it broadcasts against x."""
    xp = array_module(dy)
    if keepdims or axis is None:
        return dy.reshape([1] * len(shape)) if axis is None else dy
    return xp.expand_dims(dy, axis)


def _kept_shape(shape, axis):
    """``shape`` with its reduced axes kept as length 1 (a reduction's keepdims shape)."""
    axes = range(len(shape)) if axis is None else (axis,) if isinstance(axis, int) else axis
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread_graph(dy, shape, axis):
    """dy (a Tensor) broadcast back over the reduced axes of ``shape``."""
    return Expand.apply(Reshape.apply(dy, shape=_kept_shape(shape, axis)), shape=shape)


def _count(shape, axis):
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    n = 1
    for a in axes:
        n *= shape[a]
    return n


class Sum(Function):
    """y = Σ x   |   dx = dy broadcast over the summed axes"""

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return x.sum(axis=axis, keepdims=keepdims)

    def backward(self, dy):
        xp = self.xp
        dy = _restore_axes(dy, self.shape, self.axis, self.keepdims)
        return xp.broadcast_to(dy, self.shape)

    def backward_graph(self, dy, y):
        return _spread_graph(dy, self.shape, self.axis)


class Mean(Function):
    """y = Σ x / n   |   dx = dy / n broadcast over the averaged axes"""

    def forward(self, x, axis=None, keepdims=False):
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        return x.mean(axis=axis, keepdims=keepdims)

    def backward(self, dy):
        xp = self.xp
        dy = _restore_axes(dy, self.shape, self.axis, self.keepdims)
        return xp.broadcast_to(dy / _count(self.shape, self.axis), self.shape)

    def backward_graph(self, dy, y):
        return _spread_graph(dy / _count(self.shape, self.axis), self.shape, self.axis)


class Var(Function):
    """y = Σ (x - x̄)² / (n - correction)   |   dx = dy · 2 (x - x̄) / (n - correction)"""

    def forward(self, x, axis=None, correction=1, keepdims=False):
        xp = self.xp
        self.axis, self.keepdims = axis, keepdims
        self.centered = x - x.mean(axis=axis, keepdims=True)
        dof = max(_count(x.shape, axis) - correction, 0)
        self.scale = 2 / dof if dof else xp.inf  # no degrees of freedom: NaN, as PyTorch
        with xp.errstate(divide="ignore", invalid="ignore"):
            return (self.centered**2).sum(axis=axis, keepdims=keepdims) / dof

    def backward(self, dy):
        xp = self.xp
        dy = _restore_axes(dy, self.centered.shape, self.axis, self.keepdims)
        with xp.errstate(invalid="ignore"):
            return dy * self.centered * self.scale

    def backward_graph(self, dy, y):
        x = self.parents[0]
        dy = Reshape.apply(dy, shape=_kept_shape(x.shape, self.axis))
        centered = x - Mean.apply(x, axis=self.axis, keepdims=True)
        with self.xp.errstate(invalid="ignore"):
            return dy * centered * self.scale


class Std(Var):
    """y = √var(x)   |   dx = dy · (x - x̄) / ((n - correction) · y), and 0 where y = 0

    A constant input has y = 0, where √'s derivative is infinite; PyTorch (and we) give
    it a zero gradient instead of 0 · ∞ = NaN."""

    def forward(self, x, axis=None, correction=1, keepdims=False):
        xp = self.xp
        self.y = xp.sqrt(super().forward(x, axis, correction, keepdims))
        return self.y

    def backward(self, dy):
        xp = self.xp
        with xp.errstate(divide="ignore", invalid="ignore"):
            dvar = xp.where(self.y == 0, 0, dy / (2 * self.y))
        return super().backward(dvar)

    def backward_graph(self, dy, y):
        with self.xp.errstate(divide="ignore", invalid="ignore"):
            dvar = Where.apply(self.y == 0, 0.0, dy / (2 * y))
        return super().backward_graph(dvar, None)


class Amax(Function):
    """y = max x (or min)   |   dx = dy shared evenly among the elements equal to y"""

    def forward(self, x, axis=None, keepdims=False, mode="max"):
        xp = self.xp
        reduce = xp.max if mode == "max" else xp.min
        self.x, self.axis, self.keepdims = x, axis, keepdims
        self.y = reduce(x, axis=axis, keepdims=True)
        return self.y if keepdims else reduce(x, axis=axis)

    def backward(self, dy):
        dy = _restore_axes(dy, self.x.shape, self.axis, self.keepdims)
        winners = self.x == self.y
        return dy * winners / winners.sum(axis=self.axis, keepdims=True)


class MaxAlong(Function):
    """values, indices = max(x, dim)   |   dx = dy placed at the chosen indices"""

    def forward(self, x, axis, keepdims=False, mode="max"):
        xp = self.xp
        arg = xp.argmax if mode == "max" else xp.argmin
        self.shape, self.axis, self.keepdims = x.shape, axis, keepdims
        self.indices = xp.expand_dims(arg(x, axis=axis), axis)
        values = xp.take_along_axis(x, self.indices, axis=axis)
        return values if keepdims else values.squeeze(axis)

    def backward(self, dy):
        xp = self.xp
        dy = dy if self.keepdims else xp.expand_dims(dy, self.axis)
        dx = xp.zeros(self.shape, dtype=dy.dtype)
        xp.put_along_axis(dx, self.indices, dy, axis=self.axis)
        return dx


class LogSumExp(Function):
    """y = m + log Σ e^(x - m), m = max x   |   dx = dy · e^(x - y)"""

    def forward(self, x, axis=None, keepdims=False):
        xp = self.xp
        self.x, self.axis, self.keepdims = x, axis, keepdims
        m = x.max(axis=axis, keepdims=True, initial=-xp.inf)  # -inf for an empty dim
        m = xp.where(xp.isfinite(m), m, 0)
        with xp.errstate(divide="ignore"):  # log 0 = -inf for an empty or all -inf slice
            self.y = m + xp.log(xp.exp(x - m).sum(axis=axis, keepdims=True))
        return self.y if keepdims else self.y.squeeze(axis)

    def backward(self, dy):
        xp = self.xp
        dy = _restore_axes(dy, self.x.shape, self.axis, self.keepdims)
        return dy * xp.exp(self.x - self.y)

    def backward_graph(self, dy, y):
        kept = _kept_shape(self.x.shape, self.axis)
        dy, y = Reshape.apply(dy, shape=kept), Reshape.apply(y, shape=kept)
        return dy * Exp.apply(self.parents[0] - y)


class Prod(Function):
    """y = Π x over ``axis`` (one axis, or all)   |   dx_i = dy · Π_{j≠i} x_j

    The product of the others is the exclusive running product from the left times the
    one from the right, so a zero in x needs no division."""

    def forward(self, x, axis=None, keepdims=False):
        xp = self.xp
        self.x, self.axis, self.keepdims = x, axis, keepdims
        return xp.prod(x, axis=axis, keepdims=keepdims)

    def backward(self, dy):
        xp, x = self.xp, self.x
        dy = _restore_axes(dy, x.shape, self.axis, self.keepdims)
        if x.size == 0:
            return xp.zeros_like(x)
        rows = x.reshape(1, -1) if self.axis is None else xp.moveaxis(x, self.axis, -1)
        ones = xp.ones(rows.shape[:-1] + (1,), dtype=x.dtype)
        left = xp.cumprod(xp.concatenate([ones, rows[..., :-1]], -1), axis=-1)
        right = xp.flip(xp.cumprod(xp.flip(xp.concatenate([rows[..., 1:], ones], -1), -1), -1), -1)
        others = left * right  # Π_{j≠i} x_j, shaped like rows
        others = (
            others.reshape(x.shape) if self.axis is None else xp.moveaxis(others, -1, self.axis)
        )
        return dy * others
