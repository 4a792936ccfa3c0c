"""Loss primitives, fused where the numerics need it: a log of a softmax, of a sigmoid or
of a probability must not overflow, underflow or divide by zero. Every other loss is
composed from primitives in functional/loss.py."""

from zennet.autograd import Function
from zennet.backend import array_module
from zennet.kernels import kernel
from zennet.ops.activation import LogSoftmax, Softmax, stable_sigmoid
from zennet.ops.reduce import Sum
from zennet.ops.shape import Reshape


class SoftmaxCrossEntropy(Function):
    """l = -Σ_c a_c log softmax(x)_c   (along ``axis``, the class dimension)
    |   dx = dl · (softmax(x) Σ_c a_c - a),   da = -dl · log softmax(x)

    ``a`` holds the target coefficients. For a label y it is the one-hot row of y
    (times the class weight), so dx = dl · (softmax(x) - onehot(y)): the textbook
    dZ = A - Y. For class probabilities (and for label smoothing) it is the
    (weighted) target distribution. A row of zeros (an ignored label) gives l = 0, dx = 0.
    log softmax is x - max - log Σ e^(x - max), finite for logits of any size.
    """

    def forward(self, x, a, axis=1):
        xp = self.xp
        self.logp = x - x.max(axis=axis, keepdims=True)
        self.e = xp.exp(self.logp)  # softmax(x) = e / Σe, kept so backward needs no exp
        self.total = self.e.sum(axis=axis, keepdims=True)
        self.logp -= xp.log(self.total)
        self.a, self.axis = a, axis
        with xp.errstate(invalid="ignore"):
            loss = -(a * self.logp).sum(axis=axis)
            if xp.isnan(loss).any():  # 0 · log 0 from a -inf logit counts as 0, as in PyTorch
                loss = -xp.where(a != 0, a * self.logp, 0).sum(axis=axis)
        return loss

    def backward(self, dl):
        xp = self.xp
        dl = xp.expand_dims(dl, self.axis)
        dx = da = None
        if self.needs_input_grad[0]:
            dx = self.e * (dl * self.a.sum(axis=self.axis, keepdims=True) / self.total)
            dx -= self.a * dl
        if self.needs_input_grad[1]:
            da = -dl * self.logp
        return dx, da

    def backward_graph(self, dl, loss):
        x, a = self.parents
        kept = list(self.e.shape)
        kept[self.axis] = 1  # dl with the class axis back, as length 1
        dl = Reshape.apply(dl, shape=tuple(kept))
        dx = da = None
        if self.needs_input_grad[0]:
            total = Sum.apply(a, axis=self.axis, keepdims=True)
            dx = dl * (Softmax.apply(x, dim=self.axis) * total - a)
        if self.needs_input_grad[1]:
            da = -dl * LogSoftmax.apply(x, dim=self.axis)
        return dx, da


class MeanLabelCrossEntropy(Function):
    """SoftmaxCrossEntropy's most common use in one op: logits x (N, C), integer labels
    y (N,) (already checked), no class weights, no smoothing, reduction "mean"::

        l = -(1/K) Σ_{n kept} log softmax(x_n)_{y_n}   (K samples kept: y_n != ignore_index)
        dx_n = dl/K · (softmax(x_n) - onehot(y_n)) for a kept n, 0 for an ignored one

    The same numbers as SoftmaxCrossEntropy with one-hot rows, summed and divided (the
    compiled kernels' loss to rounding, their gradient to the bit); one op in place of
    three, with no one-hot matrix: a training step of a small classifier spends as much on
    the loss's calls as on its arithmetic. All ignored gives 0/0 = NaN, as PyTorch."""

    def forward(self, x, y, ignore_index=-100):
        xp = self.xp
        self.labels, self.ignore_index = y, ignore_index
        self.compiled = x.size > 0 and kernel("label_shift", x)
        if self.compiled:
            return self._compiled_forward(x, y, ignore_index)
        rows = xp.arange(x.shape[0])
        kept, y = self._kept_labels()
        shifted = x - x.max(axis=1, keepdims=True)
        self.e = xp.exp(shifted)
        self.total = self.e.sum(axis=1, keepdims=True)
        log_p = shifted[rows, y] - xp.log(self.total[:, 0])  # log softmax at the label
        self.count = int(kept.sum())  # a Python int: x's dtype stays
        with xp.errstate(invalid="ignore", divide="ignore"):
            return -xp.where(kept, log_p, 0).sum() / self.count

    def _kept_labels(self):
        """(kept, y): which rows count, and the labels with any class (0) for an ignored
        row, whose terms are masked."""
        kept = self.labels != self.ignore_index
        return kept, self.xp.where(kept, self.labels, 0)

    def _compiled_forward(self, x, y, ignore_index):
        """The forward in four passes: a compiled kernel (zennet.kernels) finds each row's
        max and the label's logit, NumPy's exp makes e and its sum each row's total (as
        the NumPy path sums them, so the gradient is the NumPy path's to the last bit), and
        a kernel logs and sums the loss. NumPy's reductions along a short axis cost more
        than their arithmetic: NumPy's forward of a (128, 10) loss took 22-23 µs, this one 8-11
        (``python -m benchmarks.label_loss``). The loss itself is summed in float64."""
        self.e, picked = self.xp.empty_like(x), self.xp.empty(x.shape[0], x.dtype)
        self.compiled(x, y, ignore_index, self.e, picked)
        self.xp.exp(self.e, out=self.e)
        self.total = self.e.sum(axis=1)
        loss, self.count = kernel("label_nll", x)(self.total, y, ignore_index, picked)
        return x.dtype.type(loss / self.count if self.count else self.xp.nan)  # 0/0: NaN

    def backward(self, dl):
        # in SoftmaxCrossEntropy's order of operations, so both round alike
        with self.xp.errstate(invalid="ignore", divide="ignore"):
            if self.compiled:
                dx = self.xp.empty_like(self.e)
                w = dx.dtype.type(dl / self.count)  # dl/K
                kernel("label_nll_backward", dx)(
                    self.e, self.total, self.labels, self.ignore_index, w, dx
                )
                return dx, None
            kept, y = self._kept_labels()
            w = (dl / self.count) * kept[:, None]  # (N, 1): dl/K, 0 where ignored
        dx = self.e * (w / self.total)
        dx[self.xp.arange(dx.shape[0]), y] -= w[:, 0]
        return dx, None

    def backward_graph(self, dl, loss):
        x = self.parents[0]
        kept, y = self._kept_labels()
        onehot = self.xp.zeros(x.shape, x.dtype)  # of the kept samples: a constant
        onehot[self.xp.arange(x.shape[0]), y] = kept
        kept = kept[:, None].astype(x.dtype)
        return dl / self.count * (Softmax.apply(x, dim=1) * kept - onehot), None


def log_sigmoid(x):
    """log σ(x) = min(x, 0) - log(1 + e^-|x|), finite for any x."""
    xp = array_module(x)
    return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))


class BinaryCrossEntropyWithLogits(Function):
    """l = (1 - y) x - L log σ(x),   L = 1 + (pos_weight - 1) y
    (without pos_weight: l = max(x, 0) - x y + log(1 + e^-|x|))
    |   dx = dl ((1 - y) - L σ(-x))   (= dl (σ(x) - y) without pos_weight)
        dy = dl (-x - (pos_weight - 1) log σ(x)),   dpos_weight = -dl y log σ(x)
    """

    def forward(self, x, y, pos_weight=None):
        self.x, self.y, self.pos_weight = x, y, pos_weight
        self.log_sig = log_sigmoid(x)
        scale = 1 if pos_weight is None else (pos_weight - 1) * y + 1
        return (1 - y) * x - scale * self.log_sig

    def backward(self, dl):
        x, y, pos_weight = self.x, self.y, self.pos_weight
        dx = dy = dpw = None
        if self.needs_input_grad[0]:
            if pos_weight is None:
                dx = dl * (stable_sigmoid(x) - y)
            else:
                dx = dl * ((1 - y) - ((pos_weight - 1) * y + 1) * stable_sigmoid(-x))
        if self.needs_input_grad[1]:
            dy = -x if pos_weight is None else -x - (pos_weight - 1) * self.log_sig
            dy = dl * dy
        if len(self.needs_input_grad) > 2 and self.needs_input_grad[2]:
            dpw = -dl * y * self.log_sig
        return dx, dy, dpw


class BinaryCrossEntropy(Function):
    """l = -(y max(log p, -100) + (1 - y) max(log(1 - p), -100))
    |   dp = dl (p - y) / max(p (1 - p), 1e-12),   dy = dl (log(1 - p) - log p)

    The clamps (PyTorch's) keep l finite at p = 0 and p = 1; so does the gradient's floor.
    """

    def forward(self, p, y):
        xp = self.xp
        self.p, self.y = p, y
        with xp.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100)
            log_1mp = xp.maximum(xp.log1p(-p), -100)
        return (y - 1) * log_1mp - y * log_p

    def backward(self, dl):
        xp = self.xp
        p, y = self.p, self.y
        dp = dy = None
        if self.needs_input_grad[0]:
            dp = dl * (p - y) / xp.maximum(p * (1 - p), 1e-12)
        if self.needs_input_grad[1]:
            with xp.errstate(divide="ignore"):
                dy = dl * (xp.log1p(-p) - xp.log(p))
        return dp, dy
