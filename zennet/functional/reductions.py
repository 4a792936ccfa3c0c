"""Reductions beyond sum and mean: prod, nansum, nanmean, std_mean, var_mean, aminmax,
norm. Prod is a primitive (ops/reduce.py); the others compose sum, mean, var, amax."""

from collections import namedtuple

import numpy as np

from zennet.functional._util import as_tensor, normalize_dim
from zennet.functional.arith import _reduce, amax, amin, cast, mean, std, sum, var, where
from zennet.functional.compare import isnan
from zennet.functional.linalg import matrix_norm, vector_norm
from zennet.ops import reduce as red
from zennet.tensor import tensor_method

__all__ = ["aminmax", "nanmean", "nansum", "norm", "prod", "std_mean", "var_mean"]

MinMax = namedtuple("MinMax", ["min", "max"])


@tensor_method
def prod(x, dim=None, keepdim=False, dtype=None):
    """Π x over dim (all elements by default); bool and int tensors give int64."""
    x = as_tensor(x) if dtype is None else cast(as_tensor(x), np.dtype(dtype))
    if x.dtype.kind in "bi" and x.dtype != np.int64:
        x = cast(x, np.int64)
    if isinstance(dim, (tuple, list)):
        raise NotImplementedError("prod: dim must be one int or None, as torch.prod's.")
    return _reduce(red.Prod, "prod", x, dim, keepdim)


def _zero_nans(x):
    x = as_tensor(x)
    return where(isnan(x), 0, x) if x.dtype.kind == "f" else x  # zennet ops: export follows


@tensor_method
def nansum(x, dim=None, keepdim=False, dtype=None):
    """Σ x with NaNs counted as 0."""
    return sum(_zero_nans(x), dim, keepdim, dtype)


@tensor_method
def nanmean(x, dim=None, keepdim=False, dtype=None):
    """The mean of the elements that are not NaN."""
    x = as_tensor(x)
    count = sum(cast(~isnan(x), x.dtype), dim, keepdim)
    return sum(_zero_nans(x), dim, keepdim, dtype) / count


def std_mean(x, dim=None, unbiased=True, keepdim=False, correction=None):
    """(std, mean) in one call, as torch.std_mean."""
    return std(x, dim, unbiased, keepdim, correction), _mean_of(x, dim, keepdim)


def var_mean(x, dim=None, unbiased=True, keepdim=False, correction=None):
    """(var, mean) in one call, as torch.var_mean."""
    return var(x, dim, unbiased, keepdim, correction), _mean_of(x, dim, keepdim)


def _mean_of(x, dim, keepdim):
    return mean(x, None if isinstance(dim, bool) else dim, keepdim)


@tensor_method
def aminmax(x, dim=None, keepdim=False):
    """(min, max) over dim (all elements by default)."""
    return MinMax(amin(x, dim, keepdim), amax(x, dim, keepdim))


@tensor_method
def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm: the p-norm of the elements over dim ("fro" is p = 2; "nuc" the nuclear
    norm of the matrices in dim, the last two by default)."""
    if p == "nuc":
        return matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if p == "fro" or p is None:
        p = 2
    x = as_tensor(x)
    if isinstance(dim, int):
        dim = (normalize_dim("norm", dim, x.ndim),)
    return vector_norm(x, p, dim, keepdim, dtype=dtype)
