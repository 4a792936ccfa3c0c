"""Writing into positions of a tensor: the backward of reading them (GetItem in shape.py)."""

import numpy as np

from zennet.autograd import Function


class IndexPut(Function):
    """y = x with v written at ``index`` (added there when ``accumulate``)
    |   dx = dy, zero at ``index`` unless accumulating;  dv = dy[index]

    ``index`` is anything NumPy indexes with; duplicate positions add up when
    accumulating, and the last write wins otherwise (PyTorch leaves that order open)."""

    def forward(self, x, v, index, accumulate=False):
        xp = self.xp
        self.index, self.accumulate = index, accumulate
        y = x.copy()
        if accumulate:
            xp.add.at(y, index, v)
        else:
            y[index] = v
        return y

    def backward(self, dy):
        dx = dv = None
        if self.needs_input_grad[0]:
            dx = dy
            if not self.accumulate:
                dx = dy.copy()
                dx[self.index] = 0
        if self.needs_input_grad[1]:
            dv = dy[self.index]
        return dx, dv, None


class ScatterReduce(Function):
    """y = x with src[i] reduced into y[index[i]] by sum, prod, mean, amax or amin
    (include_self=False: the positions written start from src alone).

    The gradients are PyTorch's (scatter_reduce_backward), with N the count at each
    position (x included when include_self) and g[index] read at each src position:
      sum   dx = dy,                  dsrc = dy[index]
      mean  dx = dy / N,              dsrc = dy[index] / N[index]
      prod  dx = dy · y / x,          dsrc = (dy · y)[index] / src, each product of the
            others computed again where a single factor is 0 (dx: x = 0; dsrc: the only
            0 at its position), so that a 0 passes its gradient on
      amax, amin  split evenly among the ties: dx = dy / T where x = y,
            dsrc = (dy / T)[index] where src = y[index], T = the number of ties
    and dx = 0 at written positions when include_self=False."""

    def forward(self, x, src, index, reduce, include_self=True):
        self.x, self.src, self.index = x, src, index
        self.reduce, self.include_self = reduce, include_self
        self.y = self._reduce(x, src)
        return self.y

    def _reduce(self, x, src):
        xp, reduce = self.xp, self.reduce
        y = x.copy()
        if not self.include_self:
            y[self.index] = reduction_identity(reduce, x.dtype)
        ufunc = {"amax": xp.maximum, "amin": xp.minimum, "prod": xp.multiply}.get(reduce, xp.add)
        ufunc.at(y, self.index, src)
        if reduce == "mean":
            self.count = xp.full(x.shape, int(self.include_self), x.dtype)
            xp.add.at(self.count, self.index, 1)
            self.count[self.count == 0] = 1
            y = y / self.count if x.dtype.kind == "f" else y // self.count
        return y

    def backward(self, dy):
        xp, x, src, y, index = self.xp, self.x, self.src, self.y, self.index
        if self.reduce == "sum":
            dx, dsrc = dy.copy(), dy[index]
        elif self.reduce == "mean":
            dx, dsrc = dy / self.count, dy[index] / self.count[index]
        elif self.reduce == "prod":
            nonzero_x = xp.where(x == 0, 1, x)
            dx = dy * self._reduce(nonzero_x, src) / nonzero_x
            zero = src == 0
            zeros_there = xp.zeros(x.shape, x.dtype)
            xp.add.at(zeros_there, index, zero)
            single = zero & (zeros_there[index] == 1)
            others = self._reduce(x, xp.where(single, 1, src))
            dsrc = xp.where(single, (dy * others)[index], (dy * y)[index] / xp.where(zero, 1, src))
        else:  # amax, amin
            at_x, at_src = x == y, src == y[index]
            ties = at_x.astype(x.dtype)
            xp.add.at(ties, index, at_src)
            share = dy / ties
            dx, dsrc = at_x * share, at_src * share[index]
        if not self.include_self:
            dx[index] = 0
        return dx, dsrc


def reduction_identity(reduce, dtype):
    """The value a reduction starts from: 0, 1, or the lowest / highest of the dtype."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    info = np.iinfo(dtype)
    return info.min if reduce == "amax" else info.max
