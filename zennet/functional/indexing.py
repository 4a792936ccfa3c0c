"""Reading and writing by index: gather/scatter, index_*, masked_*, take, nonzero, narrow,
select, and ``x[i] = v``. Reads are GetItem (ops/shape.py), writes IndexPut
(ops/indexing.py); both differentiable."""

import numpy as np

from zennet.functional._inplace import assign, inplace_variant, shadow
from zennet.functional._util import array_of, as_tensor, module_of, normalize_dim
from zennet.functional.arith import mul, where
from zennet.ops.indexing import IndexPut, ScatterReduce
from zennet.ops.shape import GetItem
from zennet.tensor import Tensor, _index_arrays, tensor_method
from zennet.trace import traced

__all__ = [  # exported as zn.NAME and F.NAME
    "argwhere",
    "gather",
    "index_add",
    "index_copy",
    "index_fill",
    "index_select",
    "masked_fill",
    "masked_scatter",
    "masked_select",
    "narrow",
    "nonzero",
    "scatter",
    "scatter_add",
    "scatter_reduce",
    "select",
    "select_scatter",
    "slice_scatter",
    "take",
    "take_along_dim",
]


def _along(op, x, dim, index):
    """The full NumPy index that picks ``index`` (an integer array) along ``dim`` of x,
    as gather does: out[i][j][k] = x[i][index[i][j][k]][k] for dim = 1."""
    xp = module_of(x)
    x = as_tensor(x)
    index = xp.asarray(array_of(index))
    if index.ndim != max(x.ndim, 1) and not (x.ndim == 0 and index.ndim <= 1):
        raise ValueError(
            f"{op}: index has {index.ndim} dimensions but the tensor has {x.ndim}; they "
            f"must have the same number of dimensions."
        )
    if x.ndim == 0:
        return ()
    axis = normalize_dim(op, dim, x.ndim)
    grids = []
    for d, n in enumerate(index.shape):
        shape = [1] * index.ndim
        shape[d] = n
        grids.append(index if d == axis else xp.arange(n).reshape(shape))
    return tuple(grids)


@tensor_method
@traced("gather")
def gather(x, dim, index, sparse_grad=False):
    """out[i][j][k] = x[i][index[i][j][k]][k] (dim = 1): values picked along ``dim``."""
    if np.size(array_of(index)) == 0:
        return as_tensor(x).new_zeros(np.shape(array_of(index)))
    full = _along("gather", x, dim, index)
    if not full:  # a 0-d x: every index is 0
        return as_tensor(x).reshape(1)[module_of(x).zeros(np.shape(array_of(index)), int)]
    return GetItem.apply(x, index=full)


@tensor_method
@traced("take_along_dim")
def take_along_dim(x, indices, dim=None):
    """gather with broadcasting; ``dim=None`` indexes the flattened tensor."""
    x = as_tensor(x)
    if dim is None:
        return take(x, as_tensor(indices).reshape(-1))
    xp = module_of(x)
    axis = normalize_dim("take_along_dim", dim, x.ndim)
    idx = xp.asarray(array_of(indices))
    shape = np.broadcast_shapes(
        x.shape[:axis] + (1,) + x.shape[axis + 1 :], idx.shape[:axis] + (1,) + idx.shape[axis + 1 :]
    )
    x = x.expand(shape[:axis] + (x.shape[axis],) + shape[axis + 1 :])
    idx = xp.broadcast_to(idx, shape[:axis] + (idx.shape[axis],) + shape[axis + 1 :])
    return gather(x, axis, idx)


@tensor_method
@traced("take")
def take(x, index):
    """x.flatten()[index]: elements by their row-major position."""
    x = as_tensor(x)
    return GetItem.apply(x.reshape(-1), index=module_of(x).asarray(array_of(index)))


@tensor_method
@traced("index_select")
def index_select(x, dim, index):
    """The slices at ``index`` along ``dim``."""
    x = as_tensor(x)
    axis = normalize_dim("index_select", dim, x.ndim)
    idx = module_of(x).asarray(array_of(index)).reshape(-1)
    if x.ndim == 0:
        return GetItem.apply(x.reshape(1), index=idx).reshape(())
    return GetItem.apply(x, index=(slice(None),) * axis + (idx,))


def _scatter_index(op, x, dim, index, src):
    full = _along(op, x, dim, index)
    if isinstance(src, Tensor) and src.shape != np.shape(array_of(index)):
        src = src[tuple(slice(0, n) for n in np.shape(array_of(index)))]
    return full, src


@tensor_method
@traced("scatter")
def scatter(x, dim, index, src=None, value=None, reduce=None):
    """out = x with out[i][index[i][j]] = src[i][j] (dim = 1)."""
    if reduce is not None:
        if reduce != "add":
            raise NotImplementedError(f"scatter: reduce={reduce!r} is not supported; only 'add'.")
        return scatter_add(x, dim, index, src if src is not None else value)
    src = value if src is None else src
    full, src = _scatter_index("scatter", x, dim, index, src)
    if not full:
        return where(True, src, x) if np.size(array_of(index)) else as_tensor(x) * 1
    return IndexPut.apply(x, src, index=full)


@tensor_method
@traced("scatter_add")
def scatter_add(x, dim, index, src):
    """out = x with src[i][j] added at out[i][index[i][j]] (dim = 1); repeats add up."""
    full, src = _scatter_index("scatter_add", x, dim, index, src)
    if not full:
        return as_tensor(x) + (src.sum() if np.size(array_of(index)) else 0)
    return IndexPut.apply(x, src, index=full, accumulate=True)


@tensor_method
@traced("scatter_reduce")
def scatter_reduce(x, dim, index, src, reduce, include_self=True):
    """out = x with src[i][j] reduced into out[i][index[i][j]] (dim = 1) by ``reduce``:
    "sum", "prod", "mean", "amax" or "amin"; include_self=False leaves x's own values
    out of the positions written."""
    if reduce not in _REDUCTIONS:
        raise ValueError(f"scatter_reduce: reduce must be one of {_REDUCTIONS}, got {reduce!r}.")
    if reduce == "sum" and include_self:
        return scatter_add(x, dim, index, src)
    x = as_tensor(x)
    if x.ndim == 0:  # one position: reduce over a 1-element tensor
        flat_index = module_of(x).asarray(array_of(index)).reshape(-1)
        flat_src = as_tensor(src).reshape(-1)
        return scatter_reduce(x.reshape(1), 0, flat_index, flat_src, reduce, include_self)[0]
    full, src = _scatter_index("scatter_reduce", x, dim, index, src)
    return ScatterReduce.apply(x, src, index=full, reduce=reduce, include_self=include_self)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _index_along(op, x, dim, index):
    x = as_tensor(x)
    axis = normalize_dim(op, dim, x.ndim)
    idx = module_of(x).asarray(array_of(index)).reshape(-1)
    return x, (slice(None),) * axis + (idx,)


@tensor_method
@traced("index_add")
def index_add(x, dim, index, source, alpha=1):
    """out = x with alpha · source[i] added at slice index[i] along dim."""
    x, full = _index_along("index_add", x, dim, index)
    source = mul(source, alpha) if alpha != 1 else source
    if x.ndim == 0:
        return x + as_tensor(source).reshape(())
    return IndexPut.apply(x, source, index=full, accumulate=True)


@tensor_method
@traced("index_copy")
def index_copy(x, dim, index, source):
    """out = x with slice index[i] along dim replaced by source[i]."""
    x, full = _index_along("index_copy", x, dim, index)
    if x.ndim == 0:
        return as_tensor(source).reshape(()) * 1
    return IndexPut.apply(x, source, index=full)


@tensor_method
@traced("index_fill")
def index_fill(x, dim, index, value):
    """out = x with the slices at ``index`` along dim set to ``value``."""
    index = module_of(x).unique(module_of(x).asarray(array_of(index)))  # each slice once
    x, full = _index_along("index_fill", x, dim, index)
    if x.ndim == 0:
        full = module_of(x).asarray(array_of(index)).reshape(-1)
        return IndexPut.apply(x.reshape(1), value, index=full).reshape(())
    return IndexPut.apply(x, value, index=full)


@tensor_method
@traced("masked_fill")
def masked_fill(x, mask, value):
    """value where mask is True, else x (mask broadcasts against x)."""
    return where(mask, value, x)


@tensor_method
@traced("masked_select")
def masked_select(x, mask):
    """The elements of x where mask is True, as a 1-D tensor (both broadcast)."""
    x = as_tensor(x)
    mask = module_of(x).asarray(array_of(mask), dtype=bool)
    shape = np.broadcast_shapes(x.shape, mask.shape)
    return GetItem.apply(x.expand(shape), index=module_of(x).broadcast_to(mask, shape))


@tensor_method
@traced("masked_scatter")
def masked_scatter(x, mask, source):
    """x with the positions where mask is True filled, in order, from source's elements."""
    x = as_tensor(x)
    mask = module_of(x).asarray(array_of(mask), dtype=bool)
    x = x.expand(np.broadcast_shapes(x.shape, mask.shape))
    mask = module_of(x).broadcast_to(mask, x.shape)
    count = int(mask.sum())
    return IndexPut.apply(x, as_tensor(source).reshape(-1)[:count], index=mask)


@tensor_method
@traced("nonzero")
def nonzero(x, as_tuple=False):
    """The indices of the nonzero elements: (n, ndim) int64, or one 1-D tensor per dim."""
    data = as_tensor(x).data
    xp = module_of(data)
    found = xp.nonzero(data) if data.ndim else xp.nonzero(data.reshape(1))
    if as_tuple:
        return tuple(Tensor._from_op(xp.asarray(i, dtype=np.int64), None) for i in found)
    stacked = xp.stack(found, axis=1) if data.ndim else xp.zeros((len(found[0]), 0), np.int64)
    return Tensor._from_op(stacked.astype(np.int64), None)


@tensor_method
def argwhere(x):
    return nonzero(x)


@tensor_method
def narrow(x, dim, start, length):
    """``length`` elements of dim from ``start`` (a view in PyTorch, a slice here)."""
    x = as_tensor(x)
    axis = normalize_dim("narrow", dim, x.ndim)
    start = int(array_of(start))
    start = start + x.shape[axis] if start < 0 else start
    return GetItem.apply(x, index=(slice(None),) * axis + (slice(start, start + length),))


@tensor_method
def select(x, dim, index):
    """x[..., index, ...] at dim: that dimension is removed."""
    x = as_tensor(x)
    axis = normalize_dim("select", dim, x.ndim)
    return GetItem.apply(x, index=(slice(None),) * axis + (int(index),))


@tensor_method("__setitem__")
@traced("setitem")
def setitem(x, index, value):
    """x[index] = value, differentiable: x takes the written copy's place in the graph
    (the copy-on-write rule of functional/_inplace.py)."""
    index = _index_arrays(index)
    if isinstance(index, list):
        index = module_of(x).asarray(index)
    assign("__setitem__", x, IndexPut.apply(shadow(x), value, index=index))


for _fn in (
    scatter,
    scatter_add,
    scatter_reduce,
    index_add,
    index_copy,
    index_fill,
    masked_fill,
    masked_scatter,
):
    inplace_variant(_fn)


def _scatter_into(x, src, index):
    return IndexPut.apply(as_tensor(x), src, index=index)


@tensor_method
def select_scatter(x, src, dim, index):
    """x with x.select(dim, index) replaced by src."""
    x = as_tensor(x)
    axis = normalize_dim("select_scatter", dim, x.ndim)
    return _scatter_into(x, src, (slice(None),) * axis + (int(index),))


@tensor_method
def slice_scatter(x, src, dim=0, start=None, end=None, step=1):
    """x with the slice start:end:step of dim replaced by src."""
    x = as_tensor(x)
    axis = normalize_dim("slice_scatter", dim, x.ndim)
    return _scatter_into(x, src, (slice(None),) * axis + (slice(start, end, step),))
