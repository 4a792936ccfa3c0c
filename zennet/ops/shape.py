"""Ops that move elements without changing them: backward moves dy back."""

from zennet.autograd import Function
from zennet.backend import device_of


class Reshape(Function):
    """y = x viewed as ``shape``   |   dx = dy viewed as x's shape"""

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, dy):
        return dy.reshape(self.shape), None

    def backward_graph(self, dy, y):
        return Reshape.apply(dy, shape=self.shape), None


class Permute(Function):
    """y = x with axes reordered   |   dx = dy with the inverse order"""

    def forward(self, x, axes):
        xp = self.xp
        self.inverse = tuple(xp.argsort(axes))
        return x.transpose(axes)

    def backward(self, dy):
        return dy.transpose(self.inverse), None

    def backward_graph(self, dy, y):
        return Permute.apply(dy, axes=self.inverse), None


class Expand(Function):
    """y = x broadcast to ``shape`` (a view)   |   dx = dy summed over the broadcast axes"""

    def forward(self, x, shape):
        xp = self.xp
        return xp.broadcast_to(x, shape)

    def backward(self, dy):
        return dy, None  # the engine sums dy back to x's shape

    def backward_graph(self, dy, y):
        return dy, None


class Repeat(Function):
    """y = x tiled ``reps`` times per axis   |   dx = Σ over the copies of dy"""

    def forward(self, x, reps):
        xp = self.xp
        shape = (1,) * (len(reps) - x.ndim) + x.shape
        self.shape, self.reps = shape, reps
        return xp.tile(x.reshape(shape), reps)

    def backward(self, dy):
        split = []  # (rep0, size0, rep1, size1, ...)
        for r, n in zip(self.reps, self.shape):
            split += [r, n]
        dx = dy.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return dx, None


class Concat(Function):
    """y = [x0, x1, ...] joined along ``axis``   |   dx_i = the slice of dy that came from x_i"""

    def forward(self, *xs, axis=0):
        xp = self.xp
        self.axis = axis
        self.bounds = xp.cumsum([x.shape[axis] for x in xs])[:-1]
        return xp.concatenate(xs, axis=axis)

    def backward(self, dy):
        xp = self.xp
        return tuple(xp.split(dy, self.bounds, axis=self.axis))

    def backward_graph(self, dy, y):
        starts = [0, *self.bounds.tolist()]
        ends = [*self.bounds.tolist(), dy.shape[self.axis]]
        before = (slice(None),) * (self.axis % dy.ndim)
        return tuple(GetItem.apply(dy, index=before + (slice(a, b),)) for a, b in zip(starts, ends))


class Stack(Function):
    """y = [x0, x1, ...] stacked along a new ``axis``   |   dx_i = dy[..., i, ...]"""

    def forward(self, *xs, axis=0):
        xp = self.xp
        self.axis = axis
        return xp.stack(xs, axis=axis)

    def backward(self, dy):
        xp = self.xp
        return tuple(xp.moveaxis(dy, self.axis, 0))

    def backward_graph(self, dy, y):
        axis = self.axis % dy.ndim
        before = (slice(None),) * axis
        return tuple(GetItem.apply(dy, index=before + (i,)) for i in range(dy.shape[axis]))


class Pad(Function):
    """y = x with ``widths`` ((before, after) per axis) of ``value`` around it
    |   dx = the centre of dy"""

    def forward(self, x, widths, value=0.0):
        xp = self.xp
        self.inside = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return xp.pad(x, widths, constant_values=value)

    def backward(self, dy):
        return dy[self.inside], None

    def backward_graph(self, dy, y):
        return GetItem.apply(dy, index=self.inside), None


def is_basic_index(index):
    """True for ints, slices, None and Ellipsis: such an index never repeats an element."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, slice)) for p in parts)


def placed(xp, shape, index, values):
    """zeros(shape) with ``values`` added at ``index`` (repeated indices add up)."""
    out = xp.zeros(shape, dtype=values.dtype)
    if is_basic_index(index):
        out[index] = values
    else:
        xp.add.at(out, index, values)
    return out


class GetItem(Function):
    """y = x[index]   |   dx = zeros with dy added at index (repeated indices add up)"""

    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, dy):
        return placed(self.xp, self.shape, self.index, dy), None

    def backward_graph(self, dy, y):
        return PutItem.apply(dy, shape=self.shape, index=self.index), None


class PutItem(Function):
    """y = zeros(shape) with x added at index (GetItem's backward)   |   dx = dy[index]"""

    def forward(self, x, shape, index):
        self.index = index
        return placed(self.xp, shape, index, x)

    def backward(self, dy):
        return dy[self.index]

    def backward_graph(self, dy, y):
        return GetItem.apply(dy, index=self.index)


class ToDevice(Function):
    """y = x on another device   |   dx = dy moved back to x's device"""

    promotes = False

    def forward(self, x, device):
        self.source = device_of(x)
        return device.put(x)

    def backward(self, dy):
        return self.source.put(dy)
