"""Activation functions g(Z) of A = g(Z), each with its derivative beside it."""

import math

from zennet.autograd import Function, same_backward
from zennet.backend import array_module
from zennet.kernels import dense_flat, kernel
from zennet.ops.elementwise import Where

# Below this many elements NumPy's ufuncs take less time than a kernel call's overhead
# (about 2 µs; measured in docs/performance.md, "Compiled kernels").
KERNEL_FROM = 1 << 14


class ReLU(Function):
    """y = max(x, 0)   |   dx = dy * (x > 0)   (relu'(0) = 0, as in PyTorch)"""

    reaches_blas = False

    def forward(self, x):
        run = kernel("relu", x) if x.size >= KERNEL_FROM else None
        flat = None if run is None else dense_flat(x)
        if flat:  # one pass that keeps NaN and x's layout
            self.y = self.xp.empty_like(x)  # x's layout, so its flat view runs in x's order
            run(*flat, *dense_flat(self.y))
        else:
            self.y = self.xp.maximum(x, 0)
        return self.y

    def backward(self, dy):
        run = kernel("relu_backward", self.y, dy) if self.y.size >= KERNEL_FROM else None
        flat = None if run is None else dense_flat(self.y, dy)
        if flat:  # one pass, not a compare and a multiply
            dx = self.xp.empty_like(dy)  # dy's layout, so its flat view runs in the same order
            run(*flat, *dense_flat(dx))
            return dx
        return dy * (self.y > 0)

    backward_graph = same_backward  # the mask x > 0 is piecewise constant


class LeakyReLU(Function):
    """y = x if x > 0 else slope * x   |   dx = dy * (1 if x > 0 else slope)"""

    def forward(self, x, slope=0.01):
        xp = self.xp
        self.positive, self.slope = x > 0, slope
        return xp.where(self.positive, x, x * slope)

    def backward(self, dy):
        xp = self.xp
        return xp.where(self.positive, dy, dy * self.slope), None

    def backward_graph(self, dy, y):
        return dy * self.xp.where(self.positive, 1, self.slope).astype(dy.dtype), None


class ELU(Function):
    """y = x if x > 0 else alpha (e^x - 1)   |   dx = dy * (1 if x > 0 else y + alpha)"""

    def forward(self, x, alpha=1.0):
        xp = self.xp
        self.positive, self.alpha = x > 0, alpha
        self.y = xp.where(self.positive, x, alpha * xp.expm1(xp.minimum(x, 0)))
        return self.y

    def backward(self, dy):
        xp = self.xp
        return xp.where(self.positive, dy, dy * (self.y + self.alpha)), None


def stable_sigmoid(x):
    """1 / (1 + e^-x) without overflow for large |x|."""
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Sigmoid(Function):
    """y = 1 / (1 + e^-x)   |   dx = dy * y * (1 - y)"""

    def forward(self, x):
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, dy):
        return dy * self.y * (1 - self.y)

    def backward_graph(self, dy, y):
        return dy * y * (1 - y)


class Tanh(Function):
    """y = tanh(x)   |   dx = dy * (1 - y^2)"""

    def forward(self, x):
        xp = self.xp
        self.y = xp.tanh(x)
        return self.y

    def backward(self, dy):
        return dy * (1 - self.y * self.y)

    def backward_graph(self, dy, y):
        return dy * (1 - y * y)


class Softplus(Function):
    """y = log(1 + e^(beta x)) / beta (linear above threshold)   |   dx = dy * sigmoid(beta x)"""

    def forward(self, x, beta=1.0, threshold=20.0):
        xp = self.xp
        bx = x * beta
        self.bx, self.linear, self.beta = bx, bx > threshold, beta
        soft = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / beta
        return xp.where(self.linear, x, soft)

    def backward(self, dy):
        xp = self.xp
        return xp.where(self.linear, dy, dy * stable_sigmoid(self.bx)), None, None

    def backward_graph(self, dy, y):
        x = self.parents[0]
        return Where.apply(self.linear, dy, dy * Sigmoid.apply(x * self.beta))


class SiLU(Function):
    """y = x * s, s = sigmoid(x)   |   dx = dy * s * (1 + x (1 - s))"""

    def forward(self, x):
        self.x, self.s = x, stable_sigmoid(x)
        return x * self.s

    def backward(self, dy):
        s = self.s
        return dy * s * (1 + self.x * (1 - s))

    def backward_graph(self, dy, y):
        x = self.parents[0]
        s = Sigmoid.apply(x)
        return dy * s * (1 + x * (1 - s))


def erfc(x):
    """Complementary error function 1 - erf(x), vectorised (Numerical Recipes' erfcc).

    Its relative error is below 1.2e-7 everywhere, tails included, so Φ(x) = erfc(-x/√2)/2
    keeps its precision far below zero, where 1 + erf(x/√2) would cancel to nothing."""
    xp = array_module(x)
    z = xp.abs(x)
    t = 1 / (1 + 0.5 * z)
    poly = 0.17087277
    for c in (
        -0.82215223,
        1.48851587,
        -1.13520398,
        0.27886807,
        -0.18628806,
        0.09678418,
        0.37409196,
        1.00002368,
        -1.26551223,
    ):
        poly = c + t * poly
    tail = t * xp.exp(-z * z + poly)  # erfc(|x|)
    return xp.where(x >= 0, tail, 2 - tail)


def erf(x):
    """Error function: 1 - erfc(x)."""
    return 1 - erfc(x)


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


class GELU(Function):
    """exact:  y = x Φ(x)   |   dx = dy (Φ(x) + x φ(x))
    tanh:   y = x/2 (1 + tanh(u)), u = √(2/π)(x + 0.044715 x³)
            dx = dy (½(1 + t) + ½ x (1 - t²) √(2/π)(1 + 3·0.044715 x²)), t = tanh(u)"""

    def forward(self, x, approximate="none"):
        xp = self.xp
        self.x, self.approximate = x, approximate
        if approximate == "tanh":
            self.t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * erfc(x * (-1 / math.sqrt(2)))  # Φ(x)
        return x * self.cdf

    def backward(self, dy):
        xp = self.xp
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            du = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du), None
        pdf = xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return dy * (self.cdf + x * pdf), None


def _max_along(x, dim):
    """The max along ``dim``, kept as a length-1 axis; -inf where ``dim`` is empty."""
    xp = array_module(x)
    return x.max(axis=dim, keepdims=True, initial=-xp.inf)


class Softmax(Function):
    """y = e^(x - max) / Σ e^(x - max)   |   dx = y * (dy - Σ dy·y)   (sums along dim)"""

    def forward(self, x, dim=-1):
        xp = self.xp
        self.dim = dim
        e = xp.exp(x - _max_along(x, dim))
        self.y = e / e.sum(axis=dim, keepdims=True)
        return self.y

    def backward(self, dy):
        y = self.y
        return y * (dy - (dy * y).sum(axis=self.dim, keepdims=True)), None

    def backward_graph(self, dy, y):
        return y * (dy - (dy * y).sum(dim=self.dim, keepdim=True)), None


class LogSoftmax(Function):
    """y = x - max - log Σ e^(x - max)   |   dx = dy - e^y * Σ dy   (sums along dim)"""

    def forward(self, x, dim=-1):
        xp = self.xp
        self.dim = dim
        shifted = x - _max_along(x, dim)
        with xp.errstate(divide="ignore"):  # log 0 only where dim is empty: nothing to compute
            self.y = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        return self.y

    def backward(self, dy):
        xp = self.xp
        return dy - xp.exp(self.y) * dy.sum(axis=self.dim, keepdims=True), None

    def backward_graph(self, dy, y):
        return dy - y.exp() * dy.sum(dim=self.dim, keepdim=True), None
