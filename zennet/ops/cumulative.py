"""Running sums and products along one axis."""

from zennet.autograd import Function


def _reverse_cumsum(xp, a, axis):
    """Σ_{j >= i} a_j along axis."""
    return xp.flip(xp.cumsum(xp.flip(a, axis), axis=axis), axis)


class CumSum(Function):
    """y_i = Σ_{j <= i} x_j   |   dx_i = Σ_{j >= i} dy_j"""

    def forward(self, x, axis):
        self.axis = axis
        return self.xp.cumsum(x, axis=axis)

    def backward(self, dy):
        return _reverse_cumsum(self.xp, dy, self.axis), None


class CumProd(Function):
    """y_i = Π_{j <= i} x_j   |   dx_i = Σ_{j >= i} dy_j y_j / x_i  (x_i ≠ 0);
    where x_i = 0 the product of the other factors is formed directly."""

    def forward(self, x, axis):
        self.x, self.axis = x, axis
        self.y = self.xp.cumprod(x, axis=axis)
        return self.y

    def backward(self, dy):
        xp, x, axis = self.xp, self.x, self.axis
        if not (x == 0).any():
            return _reverse_cumsum(xp, dy * self.y, axis) / x, None
        xm, dym = xp.moveaxis(x, axis, -1), xp.moveaxis(dy, axis, -1)
        dx = xp.zeros_like(xm)
        for i in range(xm.shape[-1]):  # dy_j · Π_{k <= j, k ≠ i} x_k, summed over j >= i
            others = xm.copy()
            others[..., i] = 1
            dx[..., i] = (dym[..., i:] * xp.cumprod(others, axis=-1)[..., i:]).sum(-1)
        return xp.moveaxis(dx, -1, axis), None


class LogCumSumExp(Function):
    """y_i = ln Σ_{j <= i} e^(x_j)   |   dx_i = Σ_{j >= i} dy_j e^(x_i - y_j)"""

    def forward(self, x, axis):
        xp = self.xp
        self.x, self.axis = x, axis
        self.y = xp.logaddexp.accumulate(x, axis=axis) if x.size else x.copy()  # (..., n, ...)
        return self.y

    def backward(self, dy):
        xp, axis = self.xp, self.axis
        x, y, dy = (xp.moveaxis(a, axis, -1) for a in (self.x, self.y, dy))  # (..., n)
        n = x.shape[-1]
        later = xp.arange(n)[None, :] >= xp.arange(n)[:, None]  # (i, j): j >= i
        with xp.errstate(all="ignore"):  # e^(x_i - y_j) <= 1 for j >= i: no overflow
            weights = xp.where(later, xp.exp(x[..., :, None] - y[..., None, :]), 0)
        dx = (weights * dy[..., None, :]).sum(-1)
        return xp.moveaxis(dx, -1, axis), None
