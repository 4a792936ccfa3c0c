"""Elementwise arithmetic. Inputs may broadcast; the engine sums each gradient back
to its input's shape, so ``backward`` here returns gradients of the broadcast shape."""

from zennet.autograd import Function, same_backward


class Add(Function):
    """y = a + b   |   da = dy,  db = dy"""

    def forward(self, a, b):
        return a + b

    def backward(self, dy):
        return dy, dy

    backward_graph = same_backward


class Sub(Function):
    """y = a - b   |   da = dy,  db = -dy"""

    def forward(self, a, b):
        return a - b

    def backward(self, dy):
        return dy, (-dy if self.needs_input_grad[1] else None)

    backward_graph = same_backward


class Mul(Function):
    """y = a * b   |   da = dy * b,  db = dy * a"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, dy):
        da = dy * self.b if self.needs_input_grad[0] else None
        db = dy * self.a if self.needs_input_grad[1] else None
        return da, db

    def backward_graph(self, dy, y):
        a, b = self.parents
        da = dy * b if self.needs_input_grad[0] else None
        db = dy * a if self.needs_input_grad[1] else None
        return da, db


class Div(Function):
    """y = a / b   |   da = dy / b,  db = -dy * y / b"""

    def forward(self, a, b):
        self.b = b
        self.y = a / b
        return self.y

    def backward(self, dy):
        da = dy / self.b if self.needs_input_grad[0] else None
        db = -dy * self.y / self.b if self.needs_input_grad[1] else None
        return da, db

    def backward_graph(self, dy, y):
        b = self.parents[1]
        da = dy / b if self.needs_input_grad[0] else None
        db = -dy * y / b if self.needs_input_grad[1] else None
        return da, db


class Neg(Function):
    """y = -x   |   dx = -dy"""

    def forward(self, x):
        return -x

    def backward(self, dy):
        return -dy

    backward_graph = same_backward


class Pow(Function):
    """y = a ** b   |   da = dy * b * a ** (b - 1),  db = dy * y * log(a)

    As PyTorch at a = 0: da = 0 where b = 0 (a⁰ = 1 is flat, not 0·∞), and db = 0 where
    b >= 0 (0^b is flat in b there, not 0·(-∞))."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, dy):
        xp = self.xp
        a, b = self.a, self.b
        da = db = None
        with xp.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                da = dy * b * a ** (b - 1)
                if xp.any(b == 0):
                    da = xp.where(b == 0, 0, da)
            if self.needs_input_grad[1]:
                db = dy * self.y * xp.log(a, dtype=self.y.dtype)
                if xp.any(a == 0):
                    db = xp.where((a == 0) & (b >= 0), 0, db)
        return da, db

    def backward_graph(self, dy, y):
        xp = self.xp
        a, b = self.parents
        da = db = None
        with xp.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                da = dy * b * a ** (b - 1)
                if xp.any(self.b == 0):
                    da = Where.apply(self.b == 0, 0.0, da)
            if self.needs_input_grad[1]:
                log_a = a.log() if hasattr(a, "log") else xp.log(self.a)
                db = dy * y * log_a
                if xp.any(self.a == 0):
                    db = Where.apply((self.a == 0) & (self.b >= 0), 0.0, db)
        return da, db


class Exp(Function):
    """y = exp(x)   |   dx = dy * y"""

    def forward(self, x):
        xp = self.xp
        self.y = xp.exp(x)
        return self.y

    def backward(self, dy):
        return dy * self.y

    def backward_graph(self, dy, y):
        return dy * y


class Log(Function):
    """y = log(x)   |   dx = dy / x"""

    def forward(self, x):
        xp = self.xp
        self.x = x
        return xp.log(x)

    def backward(self, dy):
        return dy / self.x

    def backward_graph(self, dy, y):
        return dy / self.parents[0]


class Sqrt(Function):
    """y = sqrt(x)   |   dx = dy / (2 y)"""

    def forward(self, x):
        xp = self.xp
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, dy):
        return dy / (2 * self.y)

    def backward_graph(self, dy, y):
        return dy / (2 * y)


class Abs(Function):
    """y = |x|   |   dx = dy * sign(x)   (sign(0) = 0, as in PyTorch)"""

    def forward(self, x):
        xp = self.xp
        self.x = x
        return xp.abs(x)

    def backward(self, dy):
        xp = self.xp
        return dy * xp.sign(self.x)

    backward_graph = same_backward  # sign(x) is piecewise constant


class Clamp(Function):
    """y = min(max(x, low), high)   |   dx = dy where low <= x <= high, else 0"""

    def forward(self, x, low=None, high=None):
        xp = self.xp
        self.x, self.low, self.high = x, low, high
        return xp.clip(x, low, high)

    def backward(self, dy):
        xp = self.xp
        inside = xp.ones(self.x.shape, dtype=bool)
        if self.low is not None:
            inside &= self.x >= self.low
        if self.high is not None:
            inside &= self.x <= self.high
        return dy * inside

    backward_graph = same_backward  # the mask is piecewise constant


class Maximum(Function):
    """y = max(a, b)   |   the larger input gets dy; ties split it in halves (as PyTorch)"""

    compare, select = "greater", "maximum"  # the array module's functions, by name

    def forward(self, a, b):
        self.a, self.b = a, b
        return getattr(self.xp, self.select)(a, b)

    def backward(self, dy):
        a_wins = getattr(self.xp, self.compare)(self.a, self.b) + 0.5 * (self.a == self.b)
        a_wins = a_wins.astype(dy.dtype, copy=False)
        da = dy * a_wins if self.needs_input_grad[0] else None
        db = dy * (1 - a_wins) if self.needs_input_grad[1] else None
        return da, db

    backward_graph = same_backward  # who wins is piecewise constant


class Minimum(Maximum):
    """y = min(a, b)   |   the smaller input gets dy; ties split it in halves"""

    compare, select = "less", "minimum"


class Where(Function):
    """y = a where cond else b   |   da = dy where cond,  db = dy where not cond"""

    def forward(self, cond, a, b):
        xp = self.xp
        self.cond = cond
        return xp.where(cond, a, b)

    def backward(self, dy):
        xp = self.xp
        zero = xp.zeros((), dtype=dy.dtype)
        da = xp.where(self.cond, dy, zero) if self.needs_input_grad[1] else None
        db = xp.where(self.cond, zero, dy) if self.needs_input_grad[2] else None
        return None, da, db

    def backward_graph(self, dy, y):
        da = Where.apply(self.cond, dy, 0.0) if self.needs_input_grad[1] else None
        db = Where.apply(self.cond, 0.0, dy) if self.needs_input_grad[2] else None
        return None, da, db


class Cast(Function):
    """y = x as another dtype   |   dx = dy as x's dtype"""

    promotes = False

    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, dy):
        return dy.astype(self.dtype), None

    def backward_graph(self, dy, y):
        return Cast.apply(dy, self.dtype), None


class Clone(Function):
    """y = copy of x   |   dx = dy"""

    def forward(self, x):
        return x.copy()

    def backward(self, dy):
        return dy

    backward_graph = same_backward
