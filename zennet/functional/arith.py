"""Arithmetic, reductions and products: the user-facing side of ops/elementwise, reduce, linalg."""

from collections import namedtuple

from zennet.autograd import broadcast_shape
from zennet.backend import is_floating, xp
from zennet.functional._util import array_of, as_tensor, normalize_dim, shape_of
from zennet.ops import elementwise as ew
from zennet.ops import linalg
from zennet.ops import reduce as red
from zennet.tensor import Tensor

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _binary(op, name, a, b):
    try:
        return op.apply(a, b)
    except ValueError:
        broadcast_shape(name, shape_of(a), shape_of(b))  # raises the clear error
        raise


def add(a, b):
    return _binary(ew.Add, "add", a, b)


def sub(a, b):
    return _binary(ew.Sub, "sub", a, b)


def mul(a, b):
    return _binary(ew.Mul, "mul", a, b)


def div(a, b):
    return _binary(ew.Div, "div", a, b)


def neg(x):
    return ew.Neg.apply(x)


def pow(base, exponent):
    return _binary(ew.Pow, "pow", base, exponent)


def exp(x):
    return ew.Exp.apply(x)


def log(x):
    return ew.Log.apply(x)


def sqrt(x):
    return ew.Sqrt.apply(x)


def abs(x):
    return ew.Abs.apply(x)


def clamp(x, min=None, max=None):
    """Limit x to [min, max]; either bound may be None, a number or a tensor.

    Tensor bounds broadcast against x and get gradients where they bind (as PyTorch):
    y = where(x < min, min, x), then where(y > max, max, y)."""
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max.")
    if xp.ndim(array_of(min)) or xp.ndim(array_of(max)) or Tensor in (type(min), type(max)):
        if min is not None:
            x = where(as_tensor(x) < min, min, x)
        if max is not None:
            x = where(as_tensor(x) > max, max, x)
        return x
    return ew.Clamp.apply(x, low=min, high=max)


clip = clamp


def maximum(a, b):
    return _binary(ew.Maximum, "maximum", a, b)


def minimum(a, b):
    return _binary(ew.Minimum, "minimum", a, b)


def where(condition, a, b):
    """Elements of a where condition holds, else of b (all three broadcast)."""
    cond = xp.asarray(array_of(condition), dtype=bool)
    broadcast_shape("where", cond.shape, shape_of(a), shape_of(b))
    return ew.Where.apply(cond, a, b)


def cast(x, dtype):
    """x in another dtype; differentiable between floating dtypes."""
    x = as_tensor(x)
    if x.dtype == dtype:
        return x
    if not is_floating(dtype) or not is_floating(x.dtype):
        return Tensor._from_op(x.data.astype(dtype), None)
    return ew.Cast.apply(x, dtype)


def clone(x):
    return ew.Clone.apply(x)


def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands, batch dimensions broadcast."""
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got {sa} and {sb}.")
    k_a, k_b = sa[-1], sb[-2] if len(sb) > 1 else sb[0]
    if k_a != k_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} do not chain: the last dimension of the first "
            f"({k_a}) must equal the {'first' if len(sb) == 1 else 'second-to-last'} "
            f"dimension of the second ({k_b})."
        )
    if len(sa) > 2 or len(sb) > 2:
        broadcast_shape("matmul (batch dimensions)", sa[:-2], sb[:-2])
    return linalg.MatMul.apply(a, b)


def linear(x, weight, bias=None):
    """Z = x @ weight.T + bias; x (..., in), weight (out, in), bias (out,) -> (..., out)."""
    sx, sw = shape_of(x), shape_of(weight)
    if len(sw) != 2 or not sx or sx[-1] != sw[1]:
        raise ValueError(
            f"linear: input of shape {sx} does not fit weight of shape {sw}; the input's "
            f"last dimension must be in_features={sw[-1] if sw else '?'}."
        )
    if bias is None:
        return linalg.Linear.apply(x, weight)
    return linalg.Linear.apply(x, weight, bias)


def _reduce(op, name, x, dim, keepdim, **params):
    x = as_tensor(x)
    axis = normalize_dim(name, dim, x.ndim)
    if x.ndim == 0 or axis == ():  # as PyTorch: a 0-d tensor takes dim 0 or -1; dim=() is all
        axis = None
    return op.apply(x, axis=axis, keepdims=keepdim, **params)


def sum(x, dim=None, keepdim=False):
    return _reduce(red.Sum, "sum", x, dim, keepdim)


def mean(x, dim=None, keepdim=False):
    return _reduce(red.Mean, "mean", x, dim, keepdim)


def _spread(op, name, x, dim, unbiased, keepdim, correction):
    if correction is None:
        correction = 1 if unbiased else 0
    return _reduce(op, name, x, dim, keepdim, correction=correction)


def var(x, dim=None, unbiased=True, keepdim=False, correction=None):
    """Variance with Bessel's correction by default (as torch.var)."""
    return _spread(red.Var, "var", x, dim, unbiased, keepdim, correction)


def std(x, dim=None, unbiased=True, keepdim=False, correction=None):
    """√var; a constant slice (std 0) gets a zero gradient, as in PyTorch."""
    return _spread(red.Std, "std", x, dim, unbiased, keepdim, correction)


def _extreme(mode, x, dim, keepdim):
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        return maximum(x, dim) if mode == "max" else minimum(x, dim)
    x = as_tensor(x)
    if dim is None:
        return red.Amax.apply(x, mode=mode)
    axis = normalize_dim(mode, dim, x.ndim)
    if x.ndim == 0:  # as PyTorch: the values are x itself, the index 0
        x, keepdim = x.reshape(1), False
    values = red.MaxAlong.apply(x, axis, keepdims=keepdim, mode=mode)
    arg = xp.argmax if mode == "max" else xp.argmin
    indices = arg(x.data, axis=axis, keepdims=keepdim)
    return MaxResult(values, Tensor._from_op(indices, None))


def max(x, dim=None, keepdim=False):
    """The largest element, or (values, indices) along ``dim`` as torch.max."""
    return _extreme("max", x, dim, keepdim)


def min(x, dim=None, keepdim=False):
    """The smallest element, or (values, indices) along ``dim`` as torch.min."""
    return _extreme("min", x, dim, keepdim)


def amax(x, dim=None, keepdim=False):
    return _reduce(red.Amax, "amax", x, dim, keepdim, mode="max")


def amin(x, dim=None, keepdim=False):
    return _reduce(red.Amax, "amin", x, dim, keepdim, mode="min")


def logsumexp(x, dim=None, keepdim=False):
    """log Σ exp(x) along dim, without overflow."""
    return _reduce(red.LogSumExp, "logsumexp", x, dim, keepdim)


def _arg(fn, name, x, dim, keepdim):
    data = array_of(x)
    axis = normalize_dim(name, dim, xp.ndim(data))
    if xp.ndim(data) == 0:
        axis = None
    result = fn(data, axis=axis, keepdims=keepdim if axis is not None else False)
    return Tensor._from_op(xp.asarray(result, dtype=xp.int64), None)


def argmax(x, dim=None, keepdim=False):
    return _arg(xp.argmax, "argmax", x, dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    return _arg(xp.argmin, "argmin", x, dim, keepdim)
