"""Elementwise math beyond arithmetic: trigonometry, logs and exponentials, special
functions, rounding. Each op is its formula y = f(x) and its derivative dx = dy · f'(x);
the base classes hold the two lines every such op shares."""

import math

from zennet.autograd import Function
from zennet.ops.special import erf, erfc, erfinv


class Unary(Function):
    """y = f(x)   |   dx = dy · f'(x, y). A subclass writes ``f`` and ``df``."""

    def forward(self, x):
        self.x = x
        with self.xp.errstate(all="ignore"):  # NaN and ±inf outside the domain, as PyTorch
            self.y = self.f(self.xp, x)
        return self.y

    def backward(self, dy):
        with self.xp.errstate(all="ignore"):
            return dy * self.df(self.xp, self.x, self.y)


class Sin(Unary):
    """y = sin x   |   dx = dy cos x"""

    def f(self, xp, x):
        return xp.sin(x)

    def df(self, xp, x, y):
        return xp.cos(x)

    def backward_graph(self, dy, y):
        return dy * Cos.apply(self.parents[0])


class Cos(Unary):
    """y = cos x   |   dx = -dy sin x"""

    def f(self, xp, x):
        return xp.cos(x)

    def df(self, xp, x, y):
        return -xp.sin(x)

    def backward_graph(self, dy, y):
        return -dy * Sin.apply(self.parents[0])


class Tan(Unary):
    """y = tan x   |   dx = dy (1 + y²)"""

    def f(self, xp, x):
        return xp.tan(x)

    def df(self, xp, x, y):
        return 1 + y * y

    def backward_graph(self, dy, y):
        return dy * (1 + y * y)


class Asin(Unary):
    """y = asin x   |   dx = dy / √(1 - x²)"""

    def f(self, xp, x):
        return xp.arcsin(x)

    def df(self, xp, x, y):
        return 1 / xp.sqrt(1 - x * x)


class Acos(Unary):
    """y = acos x   |   dx = -dy / √(1 - x²)"""

    def f(self, xp, x):
        return xp.arccos(x)

    def df(self, xp, x, y):
        return -1 / xp.sqrt(1 - x * x)


class Atan(Unary):
    """y = atan x   |   dx = dy / (1 + x²)"""

    def f(self, xp, x):
        return xp.arctan(x)

    def df(self, xp, x, y):
        return 1 / (1 + x * x)


class Sinh(Unary):
    """y = sinh x   |   dx = dy cosh x"""

    def f(self, xp, x):
        return xp.sinh(x)

    def df(self, xp, x, y):
        return xp.cosh(x)

    def backward_graph(self, dy, y):
        return dy * Cosh.apply(self.parents[0])


class Cosh(Unary):
    """y = cosh x   |   dx = dy sinh x"""

    def f(self, xp, x):
        return xp.cosh(x)

    def df(self, xp, x, y):
        return xp.sinh(x)

    def backward_graph(self, dy, y):
        return dy * Sinh.apply(self.parents[0])


class Asinh(Unary):
    """y = asinh x   |   dx = dy / √(x² + 1)"""

    def f(self, xp, x):
        return xp.arcsinh(x)

    def df(self, xp, x, y):
        return 1 / xp.sqrt(x * x + 1)


class Acosh(Unary):
    """y = acosh x   |   dx = dy / √(x² - 1)"""

    def f(self, xp, x):
        return xp.arccosh(x)

    def df(self, xp, x, y):
        return 1 / xp.sqrt(x * x - 1)


class Atanh(Unary):
    """y = atanh x   |   dx = dy / (1 - x²)"""

    def f(self, xp, x):
        return xp.arctanh(x)

    def df(self, xp, x, y):
        return 1 / (1 - x * x)


class Expm1(Unary):
    """y = eˣ - 1   |   dx = dy (y + 1)"""

    def f(self, xp, x):
        return xp.expm1(x)

    def df(self, xp, x, y):
        return y + 1


class Exp2(Unary):
    """y = 2ˣ   |   dx = dy · y · ln 2"""

    def f(self, xp, x):
        return xp.exp2(x)

    def df(self, xp, x, y):
        return y * math.log(2)


class Log1p(Unary):
    """y = ln(1 + x)   |   dx = dy / (1 + x)"""

    def f(self, xp, x):
        return xp.log1p(x)

    def df(self, xp, x, y):
        return 1 / (1 + x)


class Log2(Unary):
    """y = log₂ x   |   dx = dy / (x ln 2)"""

    def f(self, xp, x):
        return xp.log2(x)

    def df(self, xp, x, y):
        return 1 / (x * math.log(2))


class Log10(Unary):
    """y = log₁₀ x   |   dx = dy / (x ln 10)"""

    def f(self, xp, x):
        return xp.log10(x)

    def df(self, xp, x, y):
        return 1 / (x * math.log(10))


class Rsqrt(Unary):
    """y = 1 / √x   |   dx = -dy y³ / 2"""

    def f(self, xp, x):
        return 1 / xp.sqrt(x)

    def df(self, xp, x, y):
        return -0.5 * y * y * y


class Reciprocal(Unary):
    """y = 1 / x   |   dx = -dy y²"""

    def f(self, xp, x):
        return 1 / x

    def df(self, xp, x, y):
        return -y * y


class Erf(Unary):
    """y = erf x   |   dx = dy · 2/√π · e^(-x²)"""

    def f(self, xp, x):
        return erf(x)

    def df(self, xp, x, y):
        return (2 / math.sqrt(math.pi)) * xp.exp(-x * x)


class Erfc(Unary):
    """y = erfc x = 1 - erf x   |   dx = -dy · 2/√π · e^(-x²)"""

    def f(self, xp, x):
        return erfc(x)

    def df(self, xp, x, y):
        return (-2 / math.sqrt(math.pi)) * xp.exp(-x * x)


class Erfinv(Unary):
    """y = erf⁻¹ x   |   dx = dy · √π/2 · e^(y²)"""

    def f(self, xp, x):
        return erfinv(x)

    def df(self, xp, x, y):
        return (math.sqrt(math.pi) / 2) * xp.exp(y * y)


class Sinc(Unary):
    """y = sin(πx) / (πx), 1 at 0   |   dx = dy (cos(πx) - y) / x, 0 at 0"""

    def f(self, xp, x):
        return xp.sinc(x)

    def df(self, xp, x, y):
        safe = xp.where(x == 0, 1, x)
        return xp.where(x == 0, 0, (xp.cos(math.pi * x) - y) / safe)


class Deg2Rad(Unary):
    """y = x π / 180   |   dx = dy π / 180"""

    def f(self, xp, x):
        return x * (math.pi / 180)

    def df(self, xp, x, y):
        return math.pi / 180


class Rad2Deg(Unary):
    """y = x 180 / π   |   dx = dy 180 / π"""

    def f(self, xp, x):
        return x * (180 / math.pi)

    def df(self, xp, x, y):
        return 180 / math.pi


class Logit(Unary):
    """y = ln(x / (1 - x))   |   dx = dy / (x (1 - x))"""

    def f(self, xp, x):
        return xp.log(x / (1 - x))

    def df(self, xp, x, y):
        return 1 / (x * (1 - x))


class Step(Function):
    """y = f(x) for a piecewise constant f (floor, ceil, round, trunc, sign)   |   dx = 0

    ``name`` is the array module's function; integers pass through unchanged."""

    def forward(self, x, name, **params):
        if x.dtype.kind in "biu" and name != "sign":
            return x.copy()
        return getattr(self.xp, name)(x, **params)

    def backward(self, dy):
        return self.xp.zeros_like(dy)


class Atan2(Function):
    """y = atan2(a, b)   |   da = dy b / (a² + b²),  db = -dy a / (a² + b²)"""

    def forward(self, a, b):
        self.a, self.b = a, b
        return self.xp.arctan2(a, b)

    def backward(self, dy):
        with self.xp.errstate(all="ignore"):
            scale = dy / (self.a * self.a + self.b * self.b)
        return scale * self.b, -scale * self.a


class Hypot(Function):
    """y = √(a² + b²)   |   da = dy a / y,  db = dy b / y"""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = self.xp.hypot(a, b)
        return self.y

    def backward(self, dy):
        with self.xp.errstate(all="ignore"):
            scale = dy / self.y
        return scale * self.a, scale * self.b


class LogAddExp(Function):
    """y = ln(eᵃ + eᵇ)   |   da = dy e^(a - y),  db = dy e^(b - y)"""

    base = "e"

    def forward(self, a, b):
        xp = self.xp
        self.a, self.b = a, b
        self.y = xp.logaddexp(a, b) if self.base == "e" else xp.logaddexp2(a, b)
        return self.y

    def backward(self, dy):
        xp = self.xp
        exp = xp.exp if self.base == "e" else xp.exp2
        with xp.errstate(all="ignore"):
            return dy * exp(self.a - self.y), dy * exp(self.b - self.y)


class LogAddExp2(LogAddExp):
    """y = log₂(2ᵃ + 2ᵇ)   |   da = dy 2^(a - y),  db = dy 2^(b - y)"""

    base = 2


class XLogY(Function):
    """y = a ln b (0 where a = 0)   |   da = dy ln b (0 where a = 0),  db = dy a / b"""

    log = "log"

    def forward(self, a, b):
        xp = self.xp
        self.a, self.b = a, b
        with xp.errstate(all="ignore"):
            self.log_b = getattr(xp, self.log)(b)
            y = xp.where(a == 0, 0, a * self.log_b)
        return xp.where(xp.isnan(b), b, y)  # a NaN b gives NaN even where a = 0

    def backward(self, dy):
        xp = self.xp
        with xp.errstate(all="ignore"):
            da = xp.where(self.a == 0, 0, dy * self.log_b)
            db = dy * self.a / (self.b + 1 if self.log == "log1p" else self.b)
        return da, db


class XLog1pY(XLogY):
    """y = a ln(1 + b) (0 where a = 0)   |   da = dy ln(1 + b),  db = dy a / (1 + b)"""

    log = "log1p"


class Remainder(Function):
    """y = a - b · q, q = floor(a / b) (``remainder``) or trunc(a / b) (``fmod``)
    |   da = dy,  db = -dy q"""

    def forward(self, a, b, rounding="floor"):
        xp = self.xp
        self.a, self.b, self.rounding = a, b, rounding
        with xp.errstate(all="ignore"):
            return xp.remainder(a, b) if rounding == "floor" else xp.fmod(a, b)

    def backward(self, dy):
        xp = self.xp
        with xp.errstate(all="ignore"):
            q = getattr(xp, self.rounding)(self.a / self.b)
        return dy, -dy * q


class CopySign(Function):
    """y = |a| · sign(b)   |   da = dy y / a (0 where a = 0),  db = 0"""

    def forward(self, a, b):
        xp = self.xp
        self.a = a
        self.y = xp.copysign(a, b)
        return self.y

    def backward(self, dy):
        xp = self.xp
        with xp.errstate(all="ignore"):
            da = xp.where(self.a == 0, 0, dy * self.y / self.a)
        return da, None


class NanToNum(Function):
    """y = x with NaN, +inf, -inf replaced   |   dx = dy where x is finite, else 0"""

    def forward(self, x, nan=0.0, posinf=None, neginf=None):
        xp = self.xp
        self.finite = xp.isfinite(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, dy):
        return dy * self.finite
