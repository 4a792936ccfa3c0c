"""Comparison, logic and tests on values: boolean (or integer) tensors outside the graph."""

import numpy as np

from zennet.functional._util import array_of, as_tensor, module_of, normalize_dim
from zennet.tensor import Tensor, tensor_method
from zennet.trace import traced

__all__ = [  # exported as zn.NAME and F.NAME
    "all",
    "allclose",
    "any",
    "bitwise_and",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "count_nonzero",
    "eq",
    "equal",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "isclose",
    "isfinite",
    "isin",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "le",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "ne",
    "not_equal",
    "signbit",
]


def _constant(array):
    return Tensor._from_op(array, None)


def _elementwise(name, *aliases):
    """zn.NAME(a, b) / zn.NAME(x) applying the array module's function ``name``."""

    def fn(*args):
        xp = module_of(*args)
        return _constant(xp.asarray(getattr(xp, name)(*(array_of(a) for a in args))))

    fn.__name__ = fn.__qualname__ = aliases[0]
    fn.__doc__ = f"{aliases[0]} elementwise (numpy.{name}), outside the graph."
    return tensor_method(*aliases)(traced(aliases[0])(fn))


eq = _elementwise("equal", "eq")
ne = not_equal = _elementwise("not_equal", "ne", "not_equal")
lt = less = _elementwise("less", "lt", "less")
le = less_equal = _elementwise("less_equal", "le", "less_equal")
gt = greater = _elementwise("greater", "gt", "greater")
ge = greater_equal = _elementwise("greater_equal", "ge", "greater_equal")
isnan = _elementwise("isnan", "isnan")
isinf = _elementwise("isinf", "isinf")
isfinite = _elementwise("isfinite", "isfinite")
isposinf = _elementwise("isposinf", "isposinf")
isneginf = _elementwise("isneginf", "isneginf")
signbit = _elementwise("signbit", "signbit")
logical_and = _elementwise("logical_and", "logical_and")
logical_or = _elementwise("logical_or", "logical_or")
logical_xor = _elementwise("logical_xor", "logical_xor")
logical_not = _elementwise("logical_not", "logical_not")
bitwise_and = _elementwise("bitwise_and", "bitwise_and")
bitwise_or = _elementwise("bitwise_or", "bitwise_or")
bitwise_xor = _elementwise("bitwise_xor", "bitwise_xor")
bitwise_not = _elementwise("invert", "bitwise_not")
bitwise_left_shift = _elementwise("left_shift", "bitwise_left_shift")
bitwise_right_shift = _elementwise("right_shift", "bitwise_right_shift")


@tensor_method
def isreal(x):
    """True everywhere: zennet has no complex tensors."""
    return _constant(module_of(x).ones(as_tensor(x).shape, dtype=bool))


@tensor_method
@traced("isclose")
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol · |b|, elementwise."""
    xp = module_of(a, b)
    return _constant(xp.asarray(xp.isclose(array_of(a), array_of(b), rtol, atol, equal_nan)))


@tensor_method
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is close (a Python bool, as torch.allclose)."""
    return bool(isclose(a, b, rtol, atol, equal_nan).data.all())


@tensor_method
def equal(a, b):
    """True when both have the same shape and elements (a Python bool)."""
    x, y = array_of(a), array_of(b)
    return x.shape == y.shape and bool((x == y).all())


def _test(name, x, dim, keepdim):
    data = as_tensor(x).data
    axis = normalize_dim(name, dim, data.ndim)
    if data.ndim == 0:
        axis = None
    out = getattr(data, name)(axis=axis, keepdims=keepdim)
    out = module_of(data).asarray(out)
    return _constant(out.astype(np.uint8) if data.dtype == np.uint8 else out)


@tensor_method
@traced("all")
def all(x, dim=None, keepdim=False):
    """True where every element (along ``dim``) is nonzero."""
    return _test("all", x, dim, keepdim)


@tensor_method
@traced("any")
def any(x, dim=None, keepdim=False):
    """True where some element (along ``dim``) is nonzero."""
    return _test("any", x, dim, keepdim)


@tensor_method
@traced("count_nonzero")
def count_nonzero(x, dim=None):
    data = as_tensor(x).data
    axis = normalize_dim("count_nonzero", dim, data.ndim)
    xp = module_of(data)
    return _constant(xp.asarray(xp.count_nonzero(data, axis=axis), dtype=np.int64))


@tensor_method
@traced("isin")
def isin(elements, test_elements, assume_unique=False, invert=False):
    xp = module_of(elements, test_elements)
    out = xp.isin(array_of(elements), array_of(test_elements), invert=invert)
    return _constant(xp.asarray(out))
