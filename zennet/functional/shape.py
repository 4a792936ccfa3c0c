"""Reshaping, joining, splitting and indexing: the user side of ops/shape.py."""

import math

from zennet.functional._util import as_tensor, module_of, normalize_dim, sizes_arg
from zennet.ops import shape as sh
from zennet.tensor import _index_arrays, tensor_method
from zennet.trace import traced


@tensor_method("reshape", "view")
def reshape(x, *shape):
    """x with a new shape of the same size; one dimension may be -1."""
    x, shape = as_tensor(x), sizes_arg(shape)
    try:
        return sh.Reshape.apply(x, shape=shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot view a tensor of shape {x.shape} ({x.numel()} elements) as {shape}."
        ) from None


view = reshape


@tensor_method
def flatten(x, start_dim=0, end_dim=-1):
    """Merge dimensions start_dim..end_dim into one."""
    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, 1)
    start = normalize_dim("flatten", start_dim, x.ndim)
    end = normalize_dim("flatten", end_dim, x.ndim)
    if start > end:
        raise ValueError(
            f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {x.shape}."
        )
    shape = x.shape[:start] + (-1,) + x.shape[end + 1 :]
    if 0 in x.shape:
        shape = x.shape[:start] + (math.prod(x.shape[start : end + 1]),) + x.shape[end + 1 :]
    return sh.Reshape.apply(x, shape=shape)


@tensor_method
def permute(x, *dims):
    x, dims = as_tensor(x), sizes_arg(dims)
    axes = tuple(normalize_dim("permute", d, x.ndim) for d in dims)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the {x.ndim} dims of {x.shape}.")
    return sh.Permute.apply(x, axes=axes)


@tensor_method
def transpose(x, dim0, dim1):
    """Swap two dimensions."""
    x = as_tensor(x)
    if x.ndim == 0:
        normalize_dim("transpose", dim0, 0), normalize_dim("transpose", dim1, 0)
        return x
    axes = list(range(x.ndim))
    d0, d1 = normalize_dim("transpose", dim0, x.ndim), normalize_dim("transpose", dim1, x.ndim)
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return sh.Permute.apply(x, axes=tuple(axes))


@tensor_method
def squeeze(x, dim=None):
    """Drop dimensions of length 1 (only ``dim`` when given; a no-op if it is not 1)."""
    x = as_tensor(x)
    if dim is None:
        shape = tuple(n for n in x.shape if n != 1)
    else:
        dims = normalize_dim("squeeze", dim if isinstance(dim, tuple) else (dim,), x.ndim)
        shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return sh.Reshape.apply(x, shape=shape)


@tensor_method
def unsqueeze(x, dim):
    """Insert a dimension of length 1 at ``dim``."""
    x = as_tensor(x)
    d = normalize_dim("unsqueeze", dim, x.ndim + 1)
    return sh.Reshape.apply(x, shape=x.shape[:d] + (1,) + x.shape[d:])


@tensor_method
def expand(x, *sizes):
    """Broadcast to ``sizes`` without copying; -1 keeps a dimension."""
    x, sizes = as_tensor(x), sizes_arg(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {sizes} has fewer dimensions than the tensor's {x.shape}.")
    if -1 in sizes[:lead]:
        raise ValueError(
            f"expand: -1 (keep the size) in {sizes} points at a new leading dimension of "
            f"shape {x.shape}, which has no size to keep; give that dimension's size."
        )
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    try:
        return sh.Expand.apply(x, shape=shape)
    except ValueError:
        raise ValueError(
            f"expand: cannot expand shape {x.shape} to {sizes}; only dimensions "
            f"of length 1 can grow."
        ) from None


@tensor_method
def broadcast_to(x, shape):
    return expand(x, tuple(shape))


@tensor_method
def repeat(x, *repeats):
    """Tile x ``repeats`` times along each dimension (torch.Tensor.repeat, numpy.tile)."""
    x, repeats = as_tensor(x), sizes_arg(repeats)
    if len(repeats) < x.ndim:
        raise ValueError(
            f"repeat: give at least {x.ndim} repeats for shape {x.shape}, got {repeats}."
        )
    return sh.Repeat.apply(x, reps=repeats)


def _check_same_shapes(op, tensors):
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors.")
    shapes = [t.shape for t in tensors]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"{op}: all tensors must have the same shape, got {shapes}.")


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors.")
    if any(t.shape != (0,) for t in tensors):  # as PyTorch: 1-D empty tensors are skipped
        tensors = [t for t in tensors if t.shape != (0,)]
    axis = normalize_dim("cat", dim, tensors[0].ndim)
    for t in tensors:
        if t.ndim != tensors[0].ndim or t.shape[:axis] + t.shape[axis + 1 :] != (
            tensors[0].shape[:axis] + tensors[0].shape[axis + 1 :]
        ):
            raise ValueError(f"cat: shapes {[u.shape for u in tensors]} differ outside dim {dim}.")
    return sh.Concat.apply(*tensors, axis=axis)


concat = cat


def stack(tensors, dim=0):
    """Join tensors of one shape along a new dimension."""
    tensors = [as_tensor(t) for t in tensors]
    _check_same_shapes("stack", tensors)
    axis = normalize_dim("stack", dim, tensors[0].ndim + 1)
    return sh.Stack.apply(*tensors, axis=axis)


@tensor_method
def split(x, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along dim (the last may be smaller), or of the listed sizes."""
    x = as_tensor(x)
    axis = normalize_dim("split", dim, x.ndim)
    n = x.shape[axis]
    if isinstance(split_size_or_sections, int):
        if split_size_or_sections <= 0:
            raise ValueError(f"split: split_size must be positive, got {split_size_or_sections}.")
        sizes = [min(split_size_or_sections, n - s) for s in range(0, n, split_size_or_sections)]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(
                f"split: sections {sizes} must add up to {n}, the length of dim {dim}."
            )
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(sh.GetItem.apply(x, index=index))
        start += size
    return tuple(pieces)


@tensor_method
def chunk(x, chunks, dim=0):
    """Split into ``chunks`` nearly equal pieces (the last may be smaller)."""
    x = as_tensor(x)
    n = x.shape[normalize_dim("chunk", dim, x.ndim)]
    return split(x, max(-(-n // chunks), 1), dim)


def pad(x, pad, mode="constant", value=0.0):
    """Pad with a constant; ``pad`` lists (before, after) pairs from the LAST dimension
    back, as torch.nn.functional.pad: pad=(1, 1, 2, 0) pads the last dim by 1 and 1 and
    the one before by 2 and 0."""
    x = as_tensor(x)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}.")
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected pairs for at most {x.ndim} dims, got {pad}.")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        raise ValueError(f"pad: negative padding {pad} is not supported.")
    return sh.Pad.apply(x, widths=tuple(widths), value=value)


@tensor_method("__getitem__")
@traced("getitem")
def getitem(x, index):
    """x[index] with ints, slices, None, Ellipsis, boolean masks and integer arrays."""
    index = _index_arrays(index)
    if isinstance(index, list):
        index = module_of(x).asarray(index)
    return sh.GetItem.apply(x, index=index)


tensor_method("T")(property(lambda x: permute(x, tuple(reversed(range(x.ndim))))))
tensor_method("mT")(property(lambda x: transpose(x, -2, -1)))
tensor_method("mH")(property(lambda x: transpose(x, -2, -1)))  # real tensors: mH = mT
