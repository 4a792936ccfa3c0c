"""Writing into positions of a tensor: the backward of reading them (GetItem in shape.py)."""

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
