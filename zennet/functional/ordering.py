"""Sorting and order statistics: sort, argsort, topk, kthvalue, median, mode, unique,
searchsorted. Indices come from the array module; values are gathered with them, so they
are differentiable (the gradient goes back to the chosen elements)."""

from collections import namedtuple

import numpy as np

from zennet.functional._util import array_of, as_tensor, module_of, normalize_dim
from zennet.functional.indexing import gather
from zennet.tensor import Tensor, tensor_method
from zennet.trace import traced

__all__ = [
    "argsort",
    "bucketize",
    "kthvalue",
    "median",
    "mode",
    "msort",
    "searchsorted",
    "sort",
    "topk",
    "unique",
    "unique_consecutive",
]

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _int64(array):
    return Tensor._from_op(module_of(array).asarray(array, dtype=np.int64), None)


def _picked(x, axis, order, keepdim=True):
    """(values, indices) of x at the positions ``order`` (int array) along ``axis``."""
    values = gather(x, axis, order)
    if not keepdim:
        values, order = values.squeeze(axis), order.squeeze(axis)
    return ValuesIndices(values, _int64(order))


def _order(x, axis, descending):
    """Stable argsort along axis; NaN last ascending and first descending, as PyTorch."""
    xp = module_of(x)
    data = x.data
    key = -data if descending and data.dtype != np.bool_ else data
    if descending and data.dtype == np.bool_:
        key = ~data
    if descending and data.dtype.kind == "f":
        key = xp.where(xp.isnan(data), -xp.inf, key)
    return xp.argsort(key, axis=axis, kind="stable")


@tensor_method
@traced("sort")
def sort(x, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along dim; ties keep their order (stable)."""
    x = as_tensor(x)
    if x.ndim == 0:
        return ValuesIndices(x * 1, _int64(module_of(x).zeros(())))
    axis = normalize_dim("sort", dim, x.ndim)
    return _picked(x, axis, _order(x, axis, descending))


@tensor_method
@traced("argsort")
def argsort(x, dim=-1, descending=False, stable=False):
    return sort(x, dim, descending).indices


@tensor_method
def msort(x):
    return sort(x, 0).values


@tensor_method
@traced("topk")
def topk(x, k, dim=-1, largest=True, sorted=True):
    """The k largest (or smallest) along dim, largest first."""
    x = as_tensor(x)
    if x.ndim == 0:
        return sort(x)
    axis = normalize_dim("topk", dim, x.ndim)
    if not 0 <= k <= x.shape[axis]:
        raise ValueError(f"topk: k={k} is out of range for dim {dim} of shape {x.shape}.")
    order = _order(x, axis, largest)
    return _picked(x, axis, order.take(np.arange(k), axis=axis))


def _nth(op, x, n_of, dim, keepdim):
    x = as_tensor(x)
    if x.ndim == 0:
        return ValuesIndices(x * 1, _int64(module_of(x).zeros(())))
    axis = normalize_dim(op, dim, x.ndim)
    order = _order(x, axis, False)
    n = n_of(x.shape[axis])
    return _picked(x, axis, order.take([n], axis=axis), keepdim)


@tensor_method
@traced("kthvalue")
def kthvalue(x, k, dim=-1, keepdim=False):
    """The k-th smallest (k from 1) along dim, with its index."""
    return _nth("kthvalue", x, lambda n: k - 1, dim, keepdim)


@tensor_method
@traced("median")
def median(x, dim=None, keepdim=False):
    """The lower median (of all elements, or (values, indices) along dim)."""
    if dim is None:
        flat = as_tensor(x).reshape(-1)
        return _nth("median", flat, lambda n: (n - 1) // 2, 0, False).values
    return _nth("median", x, lambda n: (n - 1) // 2, dim, keepdim)


@tensor_method
@traced("mode")
def mode(x, dim=-1, keepdim=False):
    """The most frequent value along dim (the smallest of equally frequent ones), with the
    index of its last occurrence."""
    x = as_tensor(x)
    xp = module_of(x)
    if x.ndim == 0:
        return ValuesIndices(x * 1, _int64(xp.zeros(())))
    axis = normalize_dim("mode", dim, x.ndim)
    data = xp.moveaxis(x.data, axis, -1)
    counts = (data[..., :, None] == data[..., None, :]).sum(-1)  # (..., n)
    best = counts.max(-1, keepdims=True)
    candidates = xp.where(counts == best, data, xp.inf if data.dtype.kind == "f" else data.max())
    value = candidates.min(-1, keepdims=True)
    n = data.shape[-1]
    last = n - 1 - xp.argmax((data == value)[..., ::-1], axis=-1)[..., None]
    return _picked(x, axis, xp.moveaxis(last, -1, axis), keepdim)


@traced("unique")
def unique(x, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), with the inverse map and counts on request; with
    ``dim``, the distinct slices along dim, in lexicographic order."""
    data = as_tensor(x).data
    xp = module_of(data)
    if dim is None:
        values, inverse, counts = xp.unique(data, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(data.shape)
    else:
        axis = normalize_dim("unique", dim, data.ndim)
        values, inverse, counts = xp.unique(
            data, return_inverse=True, return_counts=True, axis=axis
        )
        inverse = inverse.reshape(-1)  # (x.shape[dim],): the slice each one became
    return _with_extras(
        Tensor._from_op(values, None), inverse, counts, return_inverse, return_counts
    )


def _with_extras(values, inverse, counts, return_inverse, return_counts):
    out = [values]
    if return_inverse:
        out.append(_int64(inverse))
    if return_counts:
        out.append(_int64(counts))
    return out[0] if len(out) == 1 else tuple(out)


tensor_method("unique")(unique)


@traced("unique_consecutive")
def unique_consecutive(x, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive values (or, with ``dim``, of equal slices)."""
    data = as_tensor(x).data
    xp = module_of(data)
    axis = 0 if dim is None else normalize_dim("unique_consecutive", dim, data.ndim)
    rows = data.reshape(-1, 1) if dim is None else xp.moveaxis(data, axis, 0)
    flat = rows.reshape(rows.shape[0], int(np.prod(rows.shape[1:])))  # (n, slice size)
    changed = (flat[1:] != flat[:-1]).any(axis=1)  # (n - 1,): False for empty slices
    starts = xp.concatenate([xp.ones(min(len(flat), 1), bool), changed])
    values = rows[starts] if dim is None else xp.moveaxis(rows[starts], 0, axis)
    inverse = xp.cumsum(starts) - 1
    if dim is None:
        values, inverse = values.reshape(-1), inverse.reshape(data.shape)
    counts = xp.diff(xp.append(xp.flatnonzero(starts), len(flat)))
    return _with_extras(
        Tensor._from_op(values, None), inverse, counts, return_inverse, return_counts
    )


tensor_method("unique_consecutive")(unique_consecutive)


@traced("searchsorted")
def searchsorted(sorted_sequence, values, out_int32=False, right=False, side=None, sorter=None):
    """Where each value would go in the sorted last dimension of sorted_sequence."""
    seq, vals = array_of(sorted_sequence), array_of(values)
    xp = module_of(seq)
    side = side or ("right" if right else "left")
    if sorter is not None:
        seq = xp.take_along_axis(seq, xp.asarray(array_of(sorter)), -1)
    if getattr(seq, "ndim", 1) <= 1:
        out = xp.searchsorted(seq, vals, side=side)
    else:
        rows = [
            xp.searchsorted(s, v, side=side)
            for s, v in zip(
                seq.reshape(-1, seq.shape[-1]), xp.asarray(vals).reshape(-1, vals.shape[-1])
            )
        ]
        out = xp.stack(rows).reshape(vals.shape)
    return Tensor._from_op(xp.asarray(out, dtype=np.int32 if out_int32 else np.int64), None)


@traced("bucketize")
def bucketize(x, boundaries, out_int32=False, right=False):
    """The bucket of each element of x given sorted 1-D boundaries."""
    return searchsorted(boundaries, x, out_int32=out_int32, right=right)
