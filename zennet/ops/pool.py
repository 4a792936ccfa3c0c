"""Pooling and separable resampling, with no Python loop over pixels.

Max and average pooling over a box are separable: the max (or sum) over a kh×kw
window is the max over kw columns of the max over kh rows. So an N-d pool here is
N one-dimensional pools, each a loop over the k offsets of its kernel (k - 1
elementwise ops on strided views), cheaper than the k_h·k_w - 1 ops of a 2-d window
and keeping whole rows contiguous. Arrays keep the memory order they came in with
(channels-last activations from a conv stay channels-last).

The last spatial dim is pooled first, so that among equal maxima the gradient goes to
the first one in row-major order (the smallest h, then the smallest w), as PyTorch.
"""

import numpy as np

from zennet.autograd import Function
from zennet.backend import xp


def empty_like_order(x, shape):
    """An uninitialised array of ``shape`` laid out in memory in the same axis order as x."""
    order = sorted(range(x.ndim), key=lambda i: -x.strides[i])  # outermost axis first
    buffer = xp.empty([shape[i] for i in order], dtype=x.dtype)
    return buffer.transpose(np.argsort(order))


def padded_extent(size, kernel, stride, dilation, out):
    """Elements the ``out`` windows of one dim reach: (out - 1)·stride + dilation·(k - 1) + 1."""
    return (out - 1) * stride + dilation * (kernel - 1) + 1


def offset_slice(axis, ndim, o, stride, dilation, out):
    """Index of the view x[..., o·dilation + i·stride, ...] (i < out) along ``axis``."""
    index = [slice(None)] * ndim
    index[axis] = slice(o * dilation, o * dilation + stride * (out - 1) + 1, stride)
    return tuple(index)


class _Axis:
    """The geometry of pooling one axis: kernel, stride, dilation, left padding, out size."""

    def __init__(self, axis, size, kernel, stride, dilation, padding, out):
        self.axis, self.size, self.kernel, self.stride = axis, size, kernel, stride
        self.dilation, self.lo, self.out = dilation, padding, out
        self.extent = padded_extent(size, kernel, stride, dilation, out)
        self.hi = self.extent - padding - size  # < 0: trailing elements no window reads

    def pad(self, x, value):
        """x with ``lo`` ``value``s before and enough after (or fewer) along the axis."""
        if self.lo == 0 and self.hi <= 0:
            return x
        shape = list(x.shape)
        shape[self.axis] = self.extent
        out = empty_like_order(x, shape)
        out.fill(value)
        out[self._inside(x.ndim)] = x[self._kept(x.ndim)]
        return out

    def unpad(self, dxpad, dtype):
        """The gradient of :meth:`pad`: the inside of dxpad, zeros where no window read."""
        if self.lo == 0 and self.hi == 0:
            return dxpad
        shape = list(dxpad.shape)
        shape[self.axis] = self.size
        if self.hi >= 0:
            return dxpad[self._inside(dxpad.ndim)]
        dx = xp.zeros(shape, dtype=dtype)
        dx[self._kept(dx.ndim)] = dxpad[self._inside(dxpad.ndim)]
        return dx

    def _inside(self, ndim):
        index = [slice(None)] * ndim
        index[self.axis] = slice(self.lo, self.lo + self.size + min(self.hi, 0))
        return tuple(index)

    def _kept(self, ndim):
        index = [slice(None)] * ndim
        index[self.axis] = slice(0, self.size + min(self.hi, 0))
        return tuple(index)

    def views(self, xpad):
        """The k strided views, one per kernel offset, each with ``out`` along the axis."""
        return [
            xpad[offset_slice(self.axis, xpad.ndim, o, self.stride, self.dilation, self.out)]
            for o in range(self.kernel)
        ]

    @property
    def disjoint(self):
        """Windows do not overlap (kernel == stride, no dilation): backward can assign."""
        return self.dilation == 1 and self.stride >= self.kernel

    def scatter(self, parts, shape, dtype):
        """Σ_o parts[o] placed back at offset o: the adjoint of :meth:`views` -> dxpad."""
        shape = list(shape)
        shape[self.axis] = self.extent
        if self.disjoint and self.stride == self.kernel:
            dxpad = empty_like_order(parts[0], shape)  # every element is written once
        else:
            dxpad = xp.zeros(shape, dtype=dtype)
        for o, part in enumerate(parts):
            index = offset_slice(self.axis, len(shape), o, self.stride, self.dilation, self.out)
            if self.disjoint:
                dxpad[index] = part
            else:
                dxpad[index] += part
        return dxpad


def make_axes(shape, kernel, stride, dilation, padding, out_size):
    """One :class:`_Axis` per pooled (trailing) dim, the last dim first."""
    nd, lead = len(kernel), len(shape) - len(kernel)
    axes = [
        _Axis(lead + i, shape[lead + i], kernel[i], stride[i], dilation[i], padding[i], out_size[i])
        for i in range(nd)
    ]
    return axes[::-1]


class MaxPool(Function):
    """y[..., i] = max_a xpad[..., i·stride + a·dilation] over the trailing dims,
    xpad padded with -inf   |   dx = dy routed to the first maximum of each window.

    Done one axis at a time (max is separable); backward routes dy back through each
    axis's first argmax, the last pooled axis first.
    """

    def forward(self, x, kernel, stride, padding, dilation, out_size):
        self.axes = make_axes(x.shape, kernel, stride, dilation, padding, out_size)
        self.stages = []  # (input of the stage, its output) per axis
        fill = -xp.inf if xp.issubdtype(x.dtype, xp.floating) else xp.iinfo(x.dtype).min
        y = x
        for ax in self.axes:
            views = ax.views(ax.pad(y, fill))
            out = views[0].copy() if len(views) == 1 else xp.maximum(views[0], views[1])
            for v in views[2:]:
                xp.maximum(out, v, out=out)
            self.stages.append((views, out))
            y = out
        self.x_shape = x.shape
        return y

    def backward(self, dy):
        for ax, (views, out) in zip(reversed(self.axes), reversed(self.stages)):
            parts, taken = [], None
            for o, v in enumerate(views):
                if o == len(views) - 1:
                    hit = ~taken if taken is not None else None  # the rest go to the last
                else:
                    hit = v == out
                    if taken is not None:
                        hit &= ~taken
                        taken |= hit
                    else:
                        taken = hit.copy()
                parts.append(dy if hit is None else xp.where(hit, dy, 0).astype(dy.dtype))
            dy = ax.unpad(ax.scatter(parts, views[0].shape, dy.dtype), dy.dtype)
        return dy


class AvgPool(Function):
    """y[..., i] = Σ_a xpad[..., i·stride + a] / div[i]   |   dx[j] = Σ_{i ∋ j} dy[i] / div[i]

    Zero padding. The divisor is a product over dims of each window's length: the
    full kernel when ``count_include_pad`` (clipped at the padded edge for ceil_mode's
    extra windows), else only the real input elements, or ``divisor_override``.
    """

    def forward(
        self, x, kernel, stride, padding, out_size, count_include_pad=True, divisor_override=None
    ):
        self.axes = make_axes(x.shape, kernel, stride, (1,) * len(kernel), padding, out_size)
        self.views_shapes, self.divisors = [], []
        self.override = divisor_override
        y = x
        for ax in self.axes:
            views = ax.views(ax.pad(y, 0))
            out = views[0].copy() if len(views) == 1 else xp.add(views[0], views[1])
            for v in views[2:]:
                xp.add(out, v, out=out)
            divisor = None if divisor_override else self._divisor(ax, count_include_pad, y)
            if divisor is not None:
                out /= divisor
            self.views_shapes.append(views[0].shape)
            self.divisors.append(divisor)
            y = out
        if divisor_override:
            y /= divisor_override
        return y

    @staticmethod
    def _divisor(ax, count_include_pad, y):
        """Window lengths along one axis, shaped to broadcast against the stage output."""
        start = np.arange(ax.out) * ax.stride - ax.lo
        end = np.minimum(start + ax.kernel, ax.size + ax.lo)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, ax.size)
        lengths = (end - start).astype(y.dtype)
        if (lengths == ax.kernel).all():
            return y.dtype.type(ax.kernel)
        return lengths.reshape((-1,) + (1,) * (y.ndim - 1 - ax.axis))

    def backward(self, dy):
        if self.override:
            dy = dy / self.override
        for ax, shape, divisor in zip(
            reversed(self.axes), reversed(self.views_shapes), reversed(self.divisors)
        ):
            share = dy if divisor is None else dy / divisor
            parts = [share] * ax.kernel
            dy = ax.unpad(ax.scatter(parts, shape, dy.dtype), dy.dtype)
        return dy


def apply_along(x, matrix, axis):
    """y[..., i, ...] = Σ_j matrix[i, j] · x[..., j, ...] along ``axis``."""
    y = xp.tensordot(x, matrix, axes=([axis], [1]))  # the axis moves last
    return xp.moveaxis(y, -1, axis)


class SeparableLinear(Function):
    """y = x ×_1 A_1 ×_2 A_2 ...: a matrix A_d (out_d, in_d) applied along each trailing dim
    |   dx = dy ×_1 A_1ᵀ ×_2 A_2ᵀ ...

    Adaptive average pooling, nearest and (bi)linear interpolation are all this op,
    with averaging, one-hot or two-tap interpolation matrices.
    """

    def forward(self, x, matrices):
        self.matrices = matrices
        lead = x.ndim - len(matrices)
        for d, a in enumerate(matrices):
            x = apply_along(x, a.astype(x.dtype, copy=False), lead + d)
        return x

    def backward(self, dy):
        lead = dy.ndim - len(self.matrices)
        for d, a in enumerate(self.matrices):
            dy = apply_along(dy, a.T.astype(dy.dtype, copy=False), lead + d)
        return dy
