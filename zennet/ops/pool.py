"""Pooling and separable resampling, with no Python loop over pixels.

Max and average pooling over a box are separable: the max (or sum) over a kh×kw
window is the max over kw columns of the max over kh rows. So an N-d pool here is
N one-dimensional pools, each a loop over the k offsets of its kernel (k - 1
elementwise ops on strided views), cheaper than the kh·kw - 1 ops of a 2-d window.

Pools work on the array in its *memory order* (axes sorted by stride, so a
channels-last activation from a conv is pooled as (N, H, W, C)): every temporary is
then C-contiguous in the same order and NumPy's loops run over long contiguous rows.
The result is handed back as a view in the caller's axis order.

The last spatial dim is pooled first, so that among equal maxima the gradient goes to
the first one in row-major order (the smallest h, then the smallest w), as PyTorch.
"""

import math

import numpy as np

from zennet.autograd import Function
from zennet.backend import array_module, memory_order
from zennet.kernels import kernel


class _Axis:
    """Pooling along one axis: kernel, stride, dilation, left padding ``lo`` and out size.

    The windows reach ``extent`` = (out - 1)·stride + dilation·(k - 1) + 1 elements of the
    padded axis, so ``hi`` = extent - lo - size is the right padding that ceil_mode
    needs (negative: trailing elements that no window reads, as floor mode drops them).
    """

    def __init__(self, axis, size, kernel, stride, dilation, padding, out):
        self.axis, self.size, self.kernel, self.stride = axis, size, kernel, stride
        self.dilation, self.lo, self.out = dilation, padding, out
        self.extent = (out - 1) * stride + dilation * (kernel - 1) + 1
        self.hi = self.extent - padding - size
        # Windows that neither overlap nor leave gaps: backward writes each element once.
        self.tiles = dilation == 1 and stride == kernel

    def along(self, ndim, index):
        """A full index that applies ``index`` (a slice) along this axis."""
        full = [slice(None)] * ndim
        full[self.axis] = index
        return tuple(full)

    def window(self, ndim, o):
        """Index of offset o of every window: elements o·dilation + i·stride, i < out."""
        start = o * self.dilation
        return self.along(ndim, slice(start, start + self.stride * (self.out - 1) + 1, self.stride))

    def pad(self, x, value):
        """x (memory order) with ``lo`` values before it and ``hi`` after, along the axis."""
        if self.lo == 0 and self.hi <= 0:
            return x
        shape = list(x.shape)
        shape[self.axis] = self.extent
        out = array_module(x).full(shape, value, dtype=x.dtype)
        kept = self.size + min(self.hi, 0)
        out[self.along(x.ndim, slice(self.lo, self.lo + kept))] = x[
            self.along(x.ndim, slice(0, kept))
        ]
        return out

    def views(self, xpad):
        """The k strided views, one per kernel offset, each with ``out`` along the axis."""
        return [xpad[self.window(xpad.ndim, o)] for o in range(self.kernel)]

    def grad_buffers(self, like):
        """(dxpad, dx) for a backward pass, two views of one new array: dxpad (``extent``
        long on the axis) takes the windows' gradients, dx (``size`` long, from ``lo``)
        is the gradient of the unpadded input, so unpadding copies nothing. Zeros, for
        accumulating, unless the windows tile dxpad and each element is written once."""
        length = max(self.extent, self.lo + self.size)
        shape = list(like.shape)
        shape[self.axis] = length
        xp = array_module(like)
        buffer = (xp.empty if self.tiles else xp.zeros)(shape, dtype=like.dtype)
        if self.tiles and length > self.extent:
            buffer[self.along(buffer.ndim, slice(self.extent, None))] = 0  # read by no window
        return (
            buffer[self.along(buffer.ndim, slice(0, self.extent))],
            buffer[self.along(buffer.ndim, slice(self.lo, self.lo + self.size))],
        )


class _Pool(Function):
    """What max and average pooling share: the axes, and the trip to memory order and back."""

    def setup(self, x, kernel, stride, dilation, padding, out_size):
        """x in memory order; one :class:`_Axis` per pooled (trailing) dim, the last first."""
        self.order = memory_order(x)
        self.inverse = tuple(int(i) for i in np.argsort(self.order))
        lead = x.ndim - len(kernel)
        self.axes = [
            _Axis(self.order.index(lead + i), x.shape[lead + i], kernel[i], stride[i],
                  dilation[i], padding[i], out_size[i])
            for i in reversed(range(len(kernel)))
        ]  # fmt: skip
        return x.transpose(self.order)

    def to_caller(self, y):
        return y.transpose(self.inverse)


class MaxPool(_Pool):
    """y[..., i] = max_a xpad[..., i·stride + a·dilation] over the trailing dims,
    xpad padded with -inf   |   dx = dy routed to the first maximum of each window.

    One axis at a time (max is separable); backward routes dy back through each axis's
    first argmax, the last pooled axis first.
    """

    def forward(self, x, kernel, stride, padding, dilation, out_size):
        xp = self.xp
        y = self.setup(x, kernel, stride, dilation, padding, out_size)
        self.code = None
        if (compiled := self.compiled_2x2(y)) is not None:
            return compiled
        fill = -xp.inf if xp.issubdtype(x.dtype, xp.floating) else xp.iinfo(x.dtype).min
        self.stages = []  # (the k views of the stage's input, its output) per axis
        for ax in self.axes:
            views = ax.views(ax.pad(y, fill))
            y = views[0].copy() if len(views) == 1 else xp.maximum(views[0], views[1])
            for v in views[2:]:
                xp.maximum(y, v, out=y)
            self.stages.append((views, y))
        return self.to_caller(y)

    def backward(self, dy):
        dy = dy.transpose(self.order)
        if self.code is not None:
            return self.to_caller(self.backward_2x2(dy))
        for ax, (views, out) in zip(reversed(self.axes), reversed(self.stages)):
            dy = route_to_first_max(ax, views, out, dy)
        return self.to_caller(dy)

    def compiled_2x2(self, xm):
        """The output by the compiled kernel (zennet.kernels) when there is one and the pool
        is 2×2, stride 2, no padding, over two axes adjacent in memory: the input is then
        (A, H, W, B) in memory, and the kernel also records which of the four each window
        took (``self.code``) for the backward. Else None."""
        if len(self.axes) != 2:
            return None
        w, h = self.axes  # the last pooled dim first
        if h.axis + 1 != w.axis or not xm.flags.c_contiguous:
            return None
        if any((a.kernel, a.stride, a.dilation, a.lo, a.out) != (2, 2, 1, 0, a.size // 2)
               for a in self.axes):  # fmt: skip
            return None
        run = kernel("max_pool_2x2", xm)
        if run is None:
            return None
        lead, trail = math.prod(xm.shape[: h.axis]), math.prod(xm.shape[w.axis + 1 :])
        windows = xm.reshape(lead, h.size, w.size, trail)  # (A, H, W, B)
        shape = (windows.shape[0], h.out, w.out, windows.shape[3])
        y, self.code = self.xp.empty(shape, xm.dtype), self.xp.empty(shape, np.uint8)
        run(windows, y, self.code)
        out_shape = list(xm.shape)
        out_shape[h.axis], out_shape[w.axis] = h.out, w.out
        self.windows_shape = windows.shape
        return self.to_caller(y.reshape(out_shape))

    def backward_2x2(self, dy):
        """dx (memory order) from the recorded code: each window's gradient to the element
        it took; compiled when the kernel runs, else the same in NumPy."""
        xp = self.xp
        dym = xp.ascontiguousarray(dy).reshape(self.code.shape)  # (A, H/2, W/2, B)
        dx = xp.empty(self.windows_shape, dy.dtype)  # (A, H, W, B)
        run = kernel("max_pool_2x2_backward", dym, dx)
        if run is not None:
            run(dym, self.code, dx)
        else:
            dx[...] = 0
            for k in range(4):
                rows, cols = divmod(k, 2)
                inside = dx[:, rows : 2 * dym.shape[1] : 2, cols : 2 * dym.shape[2] : 2]
                xp.multiply(dym, self.code == k, out=inside)
        shape = list(dy.shape)
        shape[self.axes[1].axis], shape[self.axes[0].axis] = self.axes[1].size, self.axes[0].size
        return dx.reshape(shape)


def route_to_first_max(ax, views, out, dy):
    """dx: dy[i] sent to the first offset o of window i where views[o][i] == out[i].

    dy is multiplied by the 0/1 mask rather than selected with np.where (several times
    faster), so an infinite gradient turns the window's other elements into NaN.
    """
    xp = array_module(dy)
    dxpad, dx = ax.grad_buffers(dy)
    taken = None  # windows whose maximum an earlier offset already claimed
    for o, v in enumerate(views):
        if o == len(views) - 1:
            hit = None if taken is None else xp.logical_not(taken, out=taken)  # not before
        else:
            hit = v == out
            if taken is None:
                taken = hit
            else:
                xp.greater(hit, taken, out=hit)  # hit and not taken
                taken |= hit
        target = dxpad[ax.window(dxpad.ndim, o)]
        if not ax.tiles:
            target += dy if hit is None else dy * hit
        elif hit is None:
            target[...] = dy
        else:
            xp.multiply(dy, hit, out=target)
    return dx


class AvgPool(_Pool):
    """y[..., i] = Σ_a xpad[..., i·stride + a] / div[i]   |   dx[j] = Σ_{i ∋ j} dy[i] / div[i]

    Zero padding. The divisor is a product over dims of each window's length: the
    full kernel when ``count_include_pad`` (clipped at the padded edge for ceil_mode's
    extra windows), else only the real input elements, or ``divisor_override``.
    """

    def forward(
        self, x, kernel, stride, padding, out_size, count_include_pad=True, divisor_override=None
    ):
        xp = self.xp
        y = self.setup(x, kernel, stride, (1,) * len(kernel), padding, out_size)
        self.override, self.divisors = divisor_override, []
        for ax in self.axes:
            views = ax.views(ax.pad(y, 0))
            divisor = None if divisor_override else window_lengths(ax, count_include_pad, y)
            y = views[0].copy() if len(views) == 1 else xp.add(views[0], views[1])
            for v in views[2:]:
                xp.add(y, v, out=y)
            if divisor is not None:
                y /= divisor
            self.divisors.append(divisor)
        if divisor_override:
            y /= divisor_override
        return self.to_caller(y)

    def backward(self, dy):
        dy = dy.transpose(self.order)
        if self.override:
            dy = dy / self.override
        for ax, divisor in zip(reversed(self.axes), reversed(self.divisors)):
            share = dy if divisor is None else dy / divisor
            dxpad, dy = ax.grad_buffers(share)
            for o in range(ax.kernel):
                if ax.tiles:
                    dxpad[ax.window(dxpad.ndim, o)] = share
                else:
                    dxpad[ax.window(dxpad.ndim, o)] += share
        return self.to_caller(dy)


def window_lengths(ax, count_include_pad, y):
    """Each window's divisor along one axis, shaped to broadcast against the stage output."""
    start = np.arange(ax.out) * ax.stride - ax.lo
    end = np.minimum(start + ax.kernel, ax.size + ax.lo)
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, ax.size)
    lengths = (end - start).astype(y.dtype)
    if (lengths == ax.kernel).all():
        return y.dtype.type(ax.kernel)
    return lengths.reshape((-1,) + (1,) * (y.ndim - 1 - ax.axis))


def apply_along(x, matrix, axis):
    """y[..., i, ...] = Σ_j matrix[i, j] · x[..., j, ...] along ``axis``."""
    xp = array_module(x)
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
