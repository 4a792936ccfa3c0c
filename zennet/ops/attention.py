"""The one primitive attention needs beyond matmul: a softmax that survives fully masked rows."""

from zennet.autograd import Function


class SafeSoftmax(Function):
    """Softmax along the last axis in which a row of only -inf (every key masked) gives 0.

        y = e^(x - max) / Σ e^(x - max),  y = 0 on rows whose max is -inf
        dx = y ⊙ (dy - Σ dy ⊙ y)          (so masked entries and masked rows get dx = 0)

    A plain softmax gives NaN on such rows; PyTorch's scaled_dot_product_attention
    gives 0 (its _safe_softmax), and so does this.
    """

    def forward(self, x):
        xp = self.xp
        top = x.max(axis=-1, keepdims=True)  # (..., 1): the checks below cost little
        if not xp.isfinite(top).all():
            top = xp.where(xp.isfinite(top), top, 0)  # a row of -inf keeps its -inf: e = 0
        e = xp.subtract(x, top)
        xp.exp(e, out=e)
        total = e.sum(axis=-1, keepdims=True)
        if not (total > 0).all():
            total = xp.where(total > 0, total, 1)
        e /= total  # in place: e is ours
        self.y = e
        return e

    def backward(self, dy):
        y = self.y
        dx = dy - (dy * y).sum(axis=-1, keepdims=True)
        dx *= y
        return dx
