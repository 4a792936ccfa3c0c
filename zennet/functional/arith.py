"""Arithmetic, reductions and products: the user-facing side of ops/elementwise, reduce, linalg."""

from collections import namedtuple

import numpy as np

from zennet.autograd import broadcast_shape
from zennet.backend import is_floating
from zennet.functional._inplace import inplace_variant
from zennet.functional._util import array_of, as_tensor, module_of, normalize_dim, shape_of
from zennet.ops import elementwise as ew
from zennet.ops import linalg
from zennet.ops import reduce as red
from zennet.tensor import Tensor, tensor_method
from zennet.trace import traced

MaxResult = namedtuple("MaxResult", ["values", "indices"])


def _binary(op, name, a, b):
    try:
        return op.apply(a, b)
    except ValueError:
        broadcast_shape(name, shape_of(a), shape_of(b))  # raises the clear error
        raise


@tensor_method
def add(a, b, alpha=1):
    """a + alpha · b."""
    return _binary(ew.Add, "add", a, b if alpha == 1 else mul(b, alpha))


@tensor_method("sub", "subtract")
def sub(a, b, alpha=1):
    """a - alpha · b."""
    return _binary(ew.Sub, "sub", a, b if alpha == 1 else mul(b, alpha))


@tensor_method("mul", "multiply")
def mul(a, b):
    return _binary(ew.Mul, "mul", a, b)


@tensor_method("div", "divide", "true_divide")
@traced("div")
def div(a, b, rounding_mode=None):
    """a / b; ``rounding_mode`` "trunc" or "floor" rounds the quotient (no gradient then,
    as in PyTorch, where it is 0 almost everywhere)."""
    if rounding_mode is None:
        return _binary(ew.Div, "div", a, b)
    if rounding_mode not in ("trunc", "floor"):
        raise ValueError(
            f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}."
        )
    xp = module_of(a, b)
    x, y = array_of(a), array_of(b)
    with xp.errstate(all="ignore"):
        if rounding_mode == "floor":
            q = xp.floor_divide(x, y)
        else:
            q = xp.trunc(xp.true_divide(x, y)).astype(xp.result_type(x, y))
    return Tensor._from_op(xp.asarray(q), None)


subtract, multiply, divide, true_divide = sub, mul, div, div


@tensor_method
def neg(x):
    return ew.Neg.apply(x)


@tensor_method
def pow(base, exponent):
    return _binary(ew.Pow, "pow", base, exponent)


@tensor_method
def exp(x):
    return ew.Exp.apply(x)


@tensor_method
def log(x):
    return ew.Log.apply(x)


@tensor_method
def sqrt(x):
    return ew.Sqrt.apply(x)


@tensor_method
def abs(x):
    return ew.Abs.apply(x)


@tensor_method("clamp", "clip")
def clamp(x, min=None, max=None):
    """Limit x to [min, max]; either bound may be None, a number or a tensor.

    Tensor bounds broadcast against x and get gradients where they bind (as PyTorch):
    y = where(x < min, min, x), then where(y > max, max, y)."""
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max.")
    if np.ndim(array_of(min)) or np.ndim(array_of(max)) or Tensor in (type(min), type(max)):
        if min is not None:
            x = where(as_tensor(x) < min, min, x)
        if max is not None:
            x = where(as_tensor(x) > max, max, x)
        return x
    return ew.Clamp.apply(x, low=min, high=max)


clip = clamp


@tensor_method
def maximum(a, b):
    return _binary(ew.Maximum, "maximum", a, b)


@tensor_method
def minimum(a, b):
    return _binary(ew.Minimum, "minimum", a, b)


@traced("where")
def where(condition, a, b):
    """Elements of a where condition holds, else of b (all three broadcast)."""
    cond = module_of(condition, a, b).asarray(array_of(condition), dtype=bool)
    broadcast_shape("where", cond.shape, shape_of(a), shape_of(b))
    return ew.Where.apply(cond, a, b)


@traced("cast")
def cast(x, dtype):
    """x in another dtype; differentiable between floating dtypes."""
    x = as_tensor(x)
    if x.dtype == dtype:
        return x
    if not is_floating(dtype) or not is_floating(x.dtype):
        return Tensor._from_op(x.data.astype(dtype), None)
    return ew.Cast.apply(x, dtype)


@tensor_method
def clone(x):
    return ew.Clone.apply(x)


@tensor_method
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


def _with_dtype(x, dtype):
    x = as_tensor(x)
    return x if dtype is None else cast(x, np.dtype(dtype))


@tensor_method
def sum(x, dim=None, keepdim=False, dtype=None):
    """Σ x over ``dim`` (all by default); bool and int tensors sum to int64, as PyTorch."""
    x = _with_dtype(x, dtype)
    if x.dtype.kind in "bi" and x.dtype != np.int64:
        x = cast(x, np.int64)
    return _reduce(red.Sum, "sum", x, dim, keepdim)


@tensor_method
def mean(x, dim=None, keepdim=False, dtype=None):
    x = _with_dtype(x, dtype)
    if not is_floating(x.dtype):
        raise TypeError(
            f"mean: got a tensor of dtype {x.dtype}; mean needs a floating dtype. Convert it "
            f"with x.float() or pass dtype=zn.float32."
        )
    return _reduce(red.Mean, "mean", x, dim, keepdim)


def _spread(op, name, x, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # the legacy x.var(unbiased) form
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased else 0
    return _reduce(op, name, x, dim, keepdim, correction=correction)


@tensor_method
def var(x, dim=None, unbiased=True, keepdim=False, correction=None):
    """Variance with Bessel's correction by default (as torch.var)."""
    return _spread(red.Var, "var", x, dim, unbiased, keepdim, correction)


@tensor_method
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
    indices = (x.data.argmax if mode == "max" else x.data.argmin)(axis=axis, keepdims=keepdim)
    return MaxResult(values, Tensor._from_op(indices, None))


@tensor_method
@traced("max")
def max(x, dim=None, keepdim=False):
    """The largest element, or (values, indices) along ``dim`` as torch.max."""
    return _extreme("max", x, dim, keepdim)


@tensor_method
@traced("min")
def min(x, dim=None, keepdim=False):
    """The smallest element, or (values, indices) along ``dim`` as torch.min."""
    return _extreme("min", x, dim, keepdim)


@tensor_method
def amax(x, dim=None, keepdim=False):
    return _reduce(red.Amax, "amax", x, dim, keepdim, mode="max")


@tensor_method
def amin(x, dim=None, keepdim=False):
    return _reduce(red.Amax, "amin", x, dim, keepdim, mode="min")


@tensor_method
def logsumexp(x, dim=None, keepdim=False):
    """log Σ exp(x) along dim, without overflow."""
    return _reduce(red.LogSumExp, "logsumexp", x, dim, keepdim)


def _arg(name, x, dim, keepdim):
    data = as_tensor(x).data
    axis = normalize_dim(name, dim, data.ndim)
    if data.ndim == 0:
        axis = None
    result = getattr(data, name)(axis=axis, keepdims=keepdim if axis is not None else False)
    return Tensor._from_op(module_of(data).asarray(result, dtype=np.int64), None)


@tensor_method
@traced("argmax")
def argmax(x, dim=None, keepdim=False):
    return _arg("argmax", x, dim, keepdim)


@tensor_method
@traced("argmin")
def argmin(x, dim=None, keepdim=False):
    return _arg("argmin", x, dim, keepdim)


def _swapped(fn):
    """``fn`` with its two arguments swapped: the reflected operator (2 - x is sub(2, x))."""
    return lambda x, other: fn(other, x)


# Python's operators on tensors are these functions (x + y is add(x, y)).
for _name, _fn in {"add": add, "sub": sub, "mul": mul, "truediv": div, "pow": pow}.items():
    tensor_method(f"__{_name}__")(_fn)
    tensor_method(f"__r{_name}__")(_swapped(_fn))
tensor_method("__matmul__")(matmul)
tensor_method("__rmatmul__")(_swapped(matmul))
tensor_method("__neg__")(neg)
tensor_method("__abs__")(abs)


for _fn in (add, sub, mul, div, pow, neg, exp, log, sqrt, abs, clamp, clip):
    inplace_variant(_fn)
