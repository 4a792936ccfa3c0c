"""Cumulative ops and the structure of a tensor: cumsum, diff, tril/triu, diagonals, flips,
rolls, tiles, stacks and splits. Cumulative ones are primitives (ops/cumulative.py); the
rest move elements with GetItem/IndexPut, Permute or Reshape, so they are differentiable."""

import itertools
import math

import numpy as np

from zennet.functional._util import array_of, as_tensor, module_of, normalize_dim, sizes_arg
from zennet.functional.arith import where
from zennet.functional.indexing import gather, index_select
from zennet.functional.ordering import ValuesIndices
from zennet.functional.shape import cat, expand, permute, reshape, split, stack
from zennet.ops import cumulative as cu
from zennet.ops.indexing import IndexPut
from zennet.ops.shape import GetItem
from zennet.tensor import Tensor, tensor_method
from zennet.trace import traced

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "block_diag", "broadcast_shapes",
    "broadcast_tensors", "cartesian_prod", "column_stack", "combinations", "cummax", "cummin",
    "cumprod", "cumsum", "diag", "diag_embed", "diagflat", "diagonal", "diff", "dsplit",
    "dstack", "flip", "fliplr", "flipud", "hsplit", "hstack", "logcumsumexp", "meshgrid",
    "moveaxis", "movedim", "ravel", "repeat_interleave", "roll", "rot90", "row_stack",
    "split_with_sizes", "swapaxes", "swapdims", "t", "tensor_split", "tile", "trace", "tril",
    "tril_indices", "triu", "triu_indices", "unbind", "unflatten", "vsplit", "vstack",
]  # fmt: skip


def _cumulative(op, name, x, dim, dtype):
    x = as_tensor(x) if dtype is None else as_tensor(x).to(dtype)
    if x.dtype.kind in "biu" and x.dtype != np.int64:
        x = x.to("int64")
    if x.ndim == 0:
        return op.apply(x.reshape(1), axis=0).reshape(())
    return op.apply(x, axis=normalize_dim(name, dim, x.ndim))


@tensor_method
def cumsum(x, dim, dtype=None):
    return _cumulative(cu.CumSum, "cumsum", x, dim, dtype)


@tensor_method
def cumprod(x, dim, dtype=None):
    return _cumulative(cu.CumProd, "cumprod", x, dim, dtype)


@tensor_method
def logcumsumexp(x, dim):
    return _cumulative(cu.LogCumSumExp, "logcumsumexp", x, dim, None)


def _running(name, x, dim, better):
    """(values, indices) of the running max/min: the index is the latest one that ties."""
    x = as_tensor(x)
    xp = module_of(x)
    if x.ndim == 0:
        return ValuesIndices(x * 1, Tensor._from_op(xp.zeros((), np.int64), None))
    axis = normalize_dim(name, dim, x.ndim)
    data = xp.moveaxis(x.data, axis, -1)
    index = xp.zeros(data.shape, np.int64)
    best = data[..., :1].copy()
    for i in range(data.shape[-1]):  # a scan: one step per position along dim
        take = better(data[..., i : i + 1], best) | xp.isnan(data[..., i : i + 1])
        take |= data[..., i : i + 1] == best
        best = xp.where(take & ~xp.isnan(best), data[..., i : i + 1], best)
        index[..., i : i + 1] = xp.where(
            take & ~xp.isnan(best) | (i == 0), i, index[..., i - 1 : i] if i else 0
        )
    index = xp.moveaxis(index, -1, axis)
    return ValuesIndices(gather(x, axis, index), Tensor._from_op(index, None))


@tensor_method
@traced("cummax")
def cummax(x, dim):
    return _running("cummax", x, dim, lambda a, b: a > b)


@tensor_method
@traced("cummin")
def cummin(x, dim):
    return _running("cummin", x, dim, lambda a, b: a < b)


def _slice(ndim, axis, s):
    return (slice(None),) * axis + (s,)


@tensor_method
def diff(x, n=1, dim=-1, prepend=None, append=None):
    """x[i + 1] - x[i] along dim, n times; prepend/append are joined first."""
    x = as_tensor(x)
    axis = normalize_dim("diff", dim, x.ndim)
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = cat([as_tensor(p) for p in parts], axis)
    for _ in range(n):
        later, earlier = (
            x[_slice(x.ndim, axis, slice(1, None))],
            x[_slice(x.ndim, axis, slice(None, -1))],
        )
        x = later != earlier if x.dtype == np.bool_ else later - earlier
    return x


def _triangle(name, x, diagonal, keep):
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected a tensor with at least 2 dimensions, got {x.shape}.")
    xp = module_of(x)
    rows, cols = x.shape[-2:]
    mask = keep(xp.arange(cols)[None, :] - xp.arange(rows)[:, None], diagonal)
    return where(mask, x, xp.zeros((), x.dtype))


@tensor_method
def tril(x, diagonal=0):
    """The lower triangle (j - i <= diagonal) of the last two dimensions; zeros above."""
    return _triangle("tril", x, diagonal, lambda offset, d: offset <= d)


@tensor_method
def triu(x, diagonal=0):
    """The upper triangle (j - i >= diagonal) of the last two dimensions; zeros below."""
    return _triangle("triu", x, diagonal, lambda offset, d: offset >= d)


def _diagonal_index(xp, rows, cols, offset):
    start_r, start_c = max(-offset, 0), max(offset, 0)
    n = max(min(rows - start_r, cols - start_c), 0)
    return xp.arange(n) + start_r, xp.arange(n) + start_c


@tensor_method
def diagonal(x, offset=0, dim1=0, dim2=1):
    """The diagonal of the (dim1, dim2) planes, as the last dimension."""
    x = as_tensor(x)
    d1, d2 = normalize_dim("diagonal", dim1, x.ndim), normalize_dim("diagonal", dim2, x.ndim)
    rest = [d for d in range(x.ndim) if d not in (d1, d2)]
    moved = permute(x, *rest, d1, d2)
    r, c = _diagonal_index(module_of(x), moved.shape[-2], moved.shape[-1], offset)
    return GetItem.apply(moved, index=(Ellipsis, r, c))


@tensor_method
def diag_embed(x, offset=0, dim1=-2, dim2=-1):
    """Matrices whose diagonal (``offset``) is the last dimension of x."""
    x = as_tensor(x)
    n = x.shape[-1] + abs(offset)
    out = x.new_zeros(x.shape[:-1] + (n, n))
    r, c = _diagonal_index(module_of(x), n, n, offset)
    out = IndexPut.apply(out, x, index=(Ellipsis, r, c))
    d1, d2 = (
        normalize_dim("diag_embed", dim1, x.ndim + 1),
        normalize_dim("diag_embed", dim2, x.ndim + 1),
    )
    order = [None] * (x.ndim + 1)
    order[d1], order[d2] = x.ndim - 1, x.ndim
    batch = iter(range(x.ndim - 1))
    return permute(out, *[o if o is not None else next(batch) for o in order])


@tensor_method
def diag(x, diagonal=0):
    """A 1-D x: the matrix with x on that diagonal; a 2-D x: its diagonal."""
    x = as_tensor(x)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim != 2:
        raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {x.shape}.")
    return globals()["diagonal"](x, diagonal)


@tensor_method
def diagflat(x, offset=0):
    return diag_embed(as_tensor(x).reshape(-1), offset)


@tensor_method
def trace(x):
    """Σ of the main diagonal of a matrix."""
    return diagonal(x).sum()


@tensor_method
def flip(x, dims):
    """x reversed along ``dims``."""
    x = as_tensor(x)
    dims = normalize_dim(
        "flip", tuple(sizes_arg((dims,)) if isinstance(dims, int) else dims), x.ndim
    )
    index = tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(x.ndim))
    return GetItem.apply(x, index=index) if x.ndim else x * 1


@tensor_method
def fliplr(x):
    return flip(x, (1,))


@tensor_method
def flipud(x):
    return flip(x, (0,))


@tensor_method
def roll(x, shifts, dims=None):
    """Elements shifted along dims, wrapping around (flattened when dims is None)."""
    x = as_tensor(x)
    if dims is None:
        return roll(x.reshape(-1), shifts, 0).reshape(x.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    xp = module_of(x)
    for s, d in zip(shifts, dims):
        axis = normalize_dim("roll", d, x.ndim)
        n = x.shape[axis]
        if n:
            x = index_select(x, axis, (xp.arange(n) - s) % n)
    return x


@tensor_method
def rot90(x, k=1, dims=(0, 1)):
    """Rotate by 90° k times in the plane of dims (from the first toward the second)."""
    x = as_tensor(x)
    k %= 4
    d0, d1 = dims
    if k == 1:
        return swapaxes(flip(x, (d1,)), d0, d1)
    if k == 2:
        return flip(x, (d0, d1))
    if k == 3:
        return flip(swapaxes(x, d0, d1), (d1,))
    return x * 1


@tensor_method
@traced("repeat_interleave")
def repeat_interleave(x, repeats=None, dim=None, output_size=None):
    """Each element (or slice along dim) repeated ``repeats`` times in place."""
    if repeats is None:  # torch.repeat_interleave(repeats): indices repeated by themselves
        counts = array_of(x)
        xp = module_of(counts)
        return Tensor._from_op(xp.repeat(xp.arange(len(counts)), counts), None)
    x = as_tensor(x)
    if dim is None:
        x, dim = x.reshape(-1), 0
    axis = normalize_dim("repeat_interleave", dim, x.ndim)
    xp = module_of(x)
    reps = xp.asarray(array_of(repeats))
    return index_select(x, axis, xp.repeat(xp.arange(x.shape[axis]), reps))


@tensor_method
def tile(x, dims):
    """Tile x; dims shorter than x's rank are padded with 1s in front."""
    x = as_tensor(x)
    dims = tuple(dims)
    dims = (1,) * (x.ndim - len(dims)) + dims
    return x.repeat(*dims)


@tensor_method
def unbind(x, dim=0):
    """The slices along dim, as a tuple."""
    x = as_tensor(x)
    axis = normalize_dim("unbind", dim, x.ndim)
    return tuple(GetItem.apply(x, index=_slice(x.ndim, axis, i)) for i in range(x.shape[axis]))


@tensor_method("movedim", "moveaxis")
def movedim(x, source, destination):
    """Dimensions ``source`` moved to positions ``destination``, the others in order."""
    x = as_tensor(x)
    source = normalize_dim(
        "movedim", (source,) if isinstance(source, int) else tuple(source), x.ndim
    )
    destination = normalize_dim(
        "movedim", (destination,) if isinstance(destination, int) else tuple(destination), x.ndim
    )
    order = [d for d in range(x.ndim) if d not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(dst, src)
    return permute(x, *order) if x.ndim else x


moveaxis = movedim


@tensor_method("swapaxes", "swapdims")
def swapaxes(x, axis0, axis1):
    return as_tensor(x).transpose(axis0, axis1)


swapdims = swapaxes


@tensor_method
def t(x):
    """The transpose of a matrix (a vector or scalar stays as it is)."""
    x = as_tensor(x)
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dimensions, got {x.shape}.")
    return x.transpose(0, 1) if x.ndim == 2 else x


@tensor_method
def ravel(x):
    return as_tensor(x).reshape(-1)


def _atleast(x, n, place):
    x = as_tensor(x)
    if x.ndim >= n:
        return x
    return reshape(x, place(x.shape))


def _at_least_many(fn, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    return fn(tensors[0]) if len(tensors) == 1 else tuple(fn(t) for t in tensors)


def atleast_1d(*tensors):
    return _at_least_many(lambda x: _atleast(x, 1, lambda s: (1,)), tensors)


def atleast_2d(*tensors):
    return _at_least_many(lambda x: _atleast(x, 2, lambda s: (1,) * (2 - len(s)) + s), tensors)


def atleast_3d(*tensors):
    def three(x):
        return _atleast(x, 3, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)])

    return _at_least_many(three, tensors)


def hstack(tensors):
    tensors = atleast_1d(tuple(tensors))
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat(atleast_2d(tuple(tensors)), 0)


row_stack = vstack


def dstack(tensors):
    return cat(atleast_3d(tuple(tensors)), 2)


def column_stack(tensors):
    columns = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in map(as_tensor, tensors)]
    return cat(columns, 1)


def broadcast_shapes(*shapes):
    return tuple(
        np.broadcast_shapes(*[sizes_arg((s,)) if not isinstance(s, int) else (s,) for s in shapes])
    )


def broadcast_tensors(*tensors):
    tensors = [as_tensor(t) for t in tensors]
    shape = np.broadcast_shapes(*[t.shape for t in tensors])
    return tuple(expand(t, shape) for t in tensors)


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids; ``indexing`` "ij" (matrix) or "xy" (Cartesian)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    tensors = [as_tensor(t).reshape(-1) for t in tensors]
    n = len(tensors)
    shape = [len(t) for t in tensors]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for i, t in enumerate(tensors):
        axis = i if indexing == "ij" or n < 2 or i > 1 else 1 - i
        view = [1] * n
        view[axis] = len(t)
        grids.append(expand(t.reshape(view), tuple(shape)))
    return tuple(grids)


def block_diag(*tensors):
    """The tensors (scalars, vectors as rows, matrices) down the diagonal of one matrix."""
    blocks = [
        as_tensor(t).reshape(1, -1) if as_tensor(t).ndim < 2 else as_tensor(t) for t in tensors
    ]
    rows = sum(b.shape[0] for b in blocks)
    cols = sum(b.shape[1] for b in blocks)
    dtype = np.result_type(*[b.dtype for b in blocks]) if blocks else np.float32
    out = Tensor(module_of(*blocks).zeros((rows, cols), dtype))
    r = c = 0
    for b in blocks:
        out = IndexPut.apply(out, b, index=(slice(r, r + b.shape[0]), slice(c, c + b.shape[1])))
        r, c = r + b.shape[0], c + b.shape[1]
    return out


def cartesian_prod(*tensors):
    grids = meshgrid(*tensors)
    return stack([g.reshape(-1) for g in grids], 1) if len(grids) > 1 else grids[0]


def combinations(x, r=2, with_replacement=False):
    """The length-r combinations of a 1-D tensor's elements, as rows."""
    x = as_tensor(x)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    index = np.array(list(pick(range(len(x)), r)), dtype=np.int64).reshape(-1, r)
    if not index.size:
        return x.new_zeros((0, r) if r else (0,))
    return GetItem.apply(x, index=module_of(x).asarray(index))


@tensor_method
def split_with_sizes(x, split_sizes, dim=0):
    return split(x, list(split_sizes), dim)


@tensor_method
def tensor_split(x, indices_or_sections, dim=0):
    """Split into n nearly equal parts (the first ones one longer), or at the given indices."""
    x = as_tensor(x)
    axis = normalize_dim("tensor_split", dim, x.ndim)
    n = x.shape[axis]
    sections = indices_or_sections
    if isinstance(sections, Tensor):
        sections = sections.tolist()
    if isinstance(sections, int):
        size, extra = divmod(n, sections)
        bounds = list(itertools.accumulate([size + 1] * extra + [size] * (sections - extra)))[:-1]
    else:
        bounds = list(sections)
    edges = [0] + [min(max(b + n if b < 0 else b, 0), n) for b in bounds] + [n]
    return tuple(
        GetItem.apply(x, index=_slice(x.ndim, axis, slice(a, max(a, b))))
        for a, b in zip(edges, edges[1:])
    )


@tensor_method
def hsplit(x, sections):
    x = as_tensor(x)
    return tensor_split(x, sections, 1 if x.ndim > 1 else 0)


@tensor_method
def vsplit(x, sections):
    return tensor_split(x, sections, 0)


@tensor_method
def dsplit(x, sections):
    return tensor_split(x, sections, 2)


@tensor_method
def unflatten(x, dim, sizes):
    """Dimension dim split into ``sizes`` (one of them may be -1)."""
    x = as_tensor(x)
    axis = normalize_dim("unflatten", dim, x.ndim)
    sizes = list(sizes)
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        sizes[sizes.index(-1)] = x.shape[axis] // known if known else 0
    return reshape(x, x.shape[:axis] + tuple(sizes) + x.shape[axis + 1 :])


def _indices(name, row, col, offset, keep):
    r, c = np.nonzero(keep(np.arange(col)[None, :] - np.arange(row)[:, None], offset))
    return Tensor(np.stack([r, c]).astype(np.int64))


def tril_indices(row, col, offset=0, dtype=None, device=None):
    return _indices("tril_indices", row, col, offset, lambda o, d: o <= d)


def triu_indices(row, col, offset=0, dtype=None, device=None):
    return _indices("triu_indices", row, col, offset, lambda o, d: o >= d)


tensor_method("expand_as")(lambda x, other: expand(x, other.shape))
tensor_method("view_as")(lambda x, other: reshape(x, other.shape))
tensor_method("reshape_as")(lambda x, other: reshape(x, other.shape))
tensor_method("sum_to_size")(lambda x, *size: _sum_to_size(x, sizes_arg(size)))


def _sum_to_size(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
    )
    return x.sum(axes, keepdim=True).reshape(shape) if axes else x
