"""Elementwise math: the user side of ops/math.py (trigonometry, logs, special functions,
rounding, remainders). Each is ``zn.NAME``, a Tensor method, and ``x.NAME_()`` in place."""

from zennet.functional._inplace import inplace_variant
from zennet.functional._util import array_of, as_tensor, module_of
from zennet.functional.arith import _binary, add, clamp, div, mul, pow, sub, where
from zennet.functional.compare import ge, isnan, le, logical_or
from zennet.ops import math as m
from zennet.tensor import Tensor, tensor_method
from zennet.trace import traced

__all__ = [  # exported as zn.NAME and F.NAME
    "acos",
    "addcdiv",
    "addcmul",
    "acosh",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "ceil",
    "clamp_max",
    "clamp_min",
    "copysign",
    "cos",
    "cosh",
    "deg2rad",
    "erf",
    "erfc",
    "erfinv",
    "exp2",
    "expm1",
    "fix",
    "float_power",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "frac",
    "heaviside",
    "hypot",
    "ldexp",
    "lerp",
    "log10",
    "log1p",
    "log2",
    "logaddexp",
    "logaddexp2",
    "logit",
    "nan_to_num",
    "positive",
    "rad2deg",
    "reciprocal",
    "remainder",
    "round",
    "rsqrt",
    "rsub",
    "sgn",
    "sign",
    "sin",
    "sinc",
    "sinh",
    "square",
    "tan",
    "trunc",
    "xlog1py",
    "xlogy",
]


def _unary(op, name, *aliases):
    """The function ``name`` (and Tensor method, and ``aliases``) applying the op ``op``."""

    def fn(x):
        return op.apply(x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = op.__doc__
    return tensor_method(name, *aliases)(fn)


def _binary_op(op, name):
    """The broadcasting function ``name`` (and Tensor method) applying the op ``op``."""

    def fn(a, b):
        return _binary(op, name, a, b)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = op.__doc__
    return tensor_method(fn)


sin = _unary(m.Sin, "sin")
cos = _unary(m.Cos, "cos")
tan = _unary(m.Tan, "tan")
asin = _unary(m.Asin, "asin", "arcsin")
acos = _unary(m.Acos, "acos", "arccos")
atan = _unary(m.Atan, "atan", "arctan")
sinh = _unary(m.Sinh, "sinh")
cosh = _unary(m.Cosh, "cosh")
asinh = _unary(m.Asinh, "asinh", "arcsinh")
acosh = _unary(m.Acosh, "acosh", "arccosh")
atanh = _unary(m.Atanh, "atanh", "arctanh")
erf = _unary(m.Erf, "erf")
erfc = _unary(m.Erfc, "erfc")
erfinv = _unary(m.Erfinv, "erfinv")
expm1 = _unary(m.Expm1, "expm1")
exp2 = _unary(m.Exp2, "exp2")
log1p = _unary(m.Log1p, "log1p")
log2 = _unary(m.Log2, "log2")
log10 = _unary(m.Log10, "log10")
rsqrt = _unary(m.Rsqrt, "rsqrt")
reciprocal = _unary(m.Reciprocal, "reciprocal")
sinc = _unary(m.Sinc, "sinc")
deg2rad = _unary(m.Deg2Rad, "deg2rad")
rad2deg = _unary(m.Rad2Deg, "rad2deg")


@tensor_method
def logit(x, eps=None):
    """ln(x / (1 - x)); with ``eps``, x is first clamped to [eps, 1 - eps]."""
    if eps is not None:
        x = clamp(x, eps, 1 - eps)
    return m.Logit.apply(x)


@tensor_method
def square(x):
    return pow(x, 2)


@tensor_method
def positive(x):
    return x


def _step(name, x, **params):
    return m.Step.apply(x, name=name, **params)


@tensor_method("sign", "sgn")
def sign(x):
    """-1, 0 or 1 (gradient 0)."""
    return _step("sign", x)


sgn = sign


@tensor_method
def floor(x):
    return _step("floor", x)


@tensor_method
def ceil(x):
    return _step("ceil", x)


@tensor_method("trunc", "fix")
def trunc(x):
    return _step("trunc", x)


fix = trunc


@tensor_method
def round(x, decimals=0):
    """Round half to even, as torch.round; ``decimals`` places after the point."""
    return _step("round", x, decimals=decimals)


@tensor_method
def frac(x):
    """x - trunc(x)."""
    return sub(x, trunc(x))


atan2 = _binary_op(m.Atan2, "atan2")
arctan2 = atan2
tensor_method("arctan2")(atan2)


hypot = _binary_op(m.Hypot, "hypot")
logaddexp = _binary_op(m.LogAddExp, "logaddexp")
logaddexp2 = _binary_op(m.LogAddExp2, "logaddexp2")


@tensor_method
def xlogy(a, b):
    """a · ln b, and 0 where a = 0 (even where b = 0)."""
    return _binary(m.XLogY, "xlogy", a, b)


def xlog1py(a, b):
    """a · ln(1 + b), and 0 where a = 0."""
    return _binary(m.XLog1pY, "xlog1py", a, b)


@tensor_method
def remainder(a, b):
    """a - b · floor(a / b): the sign of b, as Python's %."""
    return _binary(m.Remainder, "remainder", a, b)


@tensor_method
def fmod(a, b):
    """a - b · trunc(a / b): the sign of a, as C's fmod."""
    return m.Remainder.apply(a, b, rounding="trunc")


copysign = _binary_op(m.CopySign, "copysign")


@tensor_method
def lerp(start, end, weight):
    """start + weight · (end - start)."""
    return add(start, mul(weight, sub(end, start)))


@tensor_method
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN → ``nan``, +inf → ``posinf`` (default: the dtype's largest), -inf → ``neginf``."""
    return m.NanToNum.apply(x, nan=nan, posinf=posinf, neginf=neginf)


@tensor_method
def clamp_min(x, min):
    return clamp(x, min=min)


@tensor_method
def clamp_max(x, max):
    return clamp(x, max=max)


@tensor_method
def float_power(a, b):
    """a ** b in float64."""
    a64 = as_tensor(a).to("float64") if isinstance(a, Tensor) else a
    b64 = b.to("float64") if isinstance(b, Tensor) else b
    if not isinstance(a64, Tensor):
        a64 = Tensor(module_of(b64).asarray(a64, dtype="float64"))
    return pow(a64, b64)


@tensor_method
@traced("floor_divide")
def floor_divide(a, b):
    """floor(a / b), outside the graph (its gradient is 0 everywhere it exists)."""
    xp = module_of(a, b)
    with xp.errstate(all="ignore"):
        out = xp.floor_divide(array_of(a), array_of(b))
    return Tensor._from_op(xp.asarray(out), None)


@tensor_method
@traced("heaviside")
def heaviside(x, values):
    """0 where x < 0, ``values`` where x = 0, 1 where x > 0 (no gradient)."""
    xp = module_of(x, values)
    return Tensor._from_op(xp.asarray(xp.heaviside(array_of(x), array_of(values))), None)


@tensor_method
def rsub(a, b, alpha=1):
    """b - alpha · a."""
    return sub(b, mul(alpha, a) if alpha != 1 else a)


for _fn in (
    sin,
    cos,
    tan,
    asin,
    acos,
    atan,
    sinh,
    cosh,
    asinh,
    acosh,
    atanh,
    erf,
    erfc,
    erfinv,
    expm1,
    exp2,
    log1p,
    log2,
    log10,
    rsqrt,
    reciprocal,
    sinc,
    deg2rad,
    rad2deg,
    logit,
    square,
    sign,
    floor,
    ceil,
    trunc,
    round,
    frac,
    atan2,
    hypot,
    xlogy,
    remainder,
    fmod,
    copysign,
    lerp,
    nan_to_num,
    clamp_min,
    clamp_max,
    float_power,
    floor_divide,
):
    inplace_variant(_fn)
inplace_variant(sign, "sgn_")

arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh


@tensor_method
def addcmul(x, a, b, value=1):
    """x + value · a · b."""
    return add(x, mul(mul(a, b), value) if value != 1 else mul(a, b))


@tensor_method
def addcdiv(x, a, b, value=1):
    """x + value · a / b."""
    quotient = div(a, b)
    return add(x, mul(quotient, value) if value != 1 else quotient)


@tensor_method
def ldexp(x, exponent):
    """x · 2^exponent."""
    return mul(x, pow(2.0, exponent))


for _fn in (addcmul, addcdiv, ldexp):
    inplace_variant(_fn)


def _nan_ignoring(a, b, pick_a):
    """where(pick_a(a, b) or b is NaN, a, b): the other value where one is NaN. The
    condition is made of traced comparisons, so that zn.onnx.export follows it."""
    return where(logical_or(pick_a(a, b), isnan(as_tensor(b))), a, b)


@tensor_method
def fmax(a, b):
    """The larger of a and b, ignoring NaN (NaN only where both are); a tie and its
    gradient go to a, as in PyTorch."""
    return _nan_ignoring(a, b, ge)


@tensor_method
def fmin(a, b):
    """The smaller of a and b, ignoring NaN (NaN only where both are)."""
    return _nan_ignoring(a, b, le)
