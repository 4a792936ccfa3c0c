"""Collectives on tensors: the NumPy buffer goes straight into MPI (no pickling), in place.

    all_reduce(t, op)        t ← t₀ + t₁ + … + t_{N−1}   (op "sum"; "mean", "max", "min", "product")
    broadcast(t, src)        t ← t_src
    all_gather(list, t)      list[r] ← t_r for every rank r
    barrier()                returns once every rank has called it

Each takes a zennet Tensor or a NumPy array and has PyTorch's signature
(``torch.distributed.all_reduce(tensor, op)``); every rank must call the same
collectives in the same order with arrays of the same shape and dtype.
"""

import numpy as np

from zennet.distributed.group import group, wait
from zennet.tensor import Tensor


class ReduceOp:
    """The reductions of :func:`all_reduce`, by PyTorch's names."""

    SUM, AVG, MAX, MIN, PRODUCT = "sum", "mean", "max", "min", "product"


_MPI_OPS = {
    "sum": "SUM",
    "mean": "SUM",
    "avg": "SUM",
    "max": "MAX",
    "min": "MIN",
    "product": "PROD",
}


def _buffer(tensor, name):
    """The writable C-contiguous ndarray behind ``tensor`` (a Tensor or an ndarray)."""
    array = tensor.data if isinstance(tensor, Tensor) else tensor
    if not isinstance(array, np.ndarray):
        raise TypeError(
            f"distributed.{name}: expected a zennet Tensor or a NumPy array, got "
            f"{type(tensor).__name__}."
        )
    if not (array.flags.c_contiguous and array.flags.writeable):
        raise ValueError(
            f"distributed.{name}: the array of shape {array.shape} is not a writable "
            f"C-contiguous buffer; pass np.ascontiguousarray(a) (or a copy) and use the result."
        )
    return array


def all_reduce(tensor, op=ReduceOp.SUM):
    """Replace ``tensor`` on every rank by the reduction of all ranks' tensors (in place)."""
    key = str(op).lower()
    if key not in _MPI_OPS:
        raise ValueError(
            f"distributed.all_reduce: op must be one of {sorted(set(_MPI_OPS))}, got {op!r}."
        )
    array = _buffer(tensor, "all_reduce")
    if key in ("mean", "avg") and array.dtype.kind != "f":
        raise ValueError(
            f"distributed.all_reduce: op {op!r} needs a floating-point tensor, got dtype "
            f"{array.dtype}; reduce with 'sum' and divide yourself."
        )
    g = group()
    wait(g.comm.Iallreduce(g.mpi.IN_PLACE, array, getattr(g.mpi, _MPI_OPS[key])), "all_reduce")
    if key in ("mean", "avg"):
        array /= g.world_size  # floor division for integers would surprise: floats only
    return tensor


def broadcast(tensor, src=0):
    """Overwrite ``tensor`` on every rank with rank ``src``'s (in place)."""
    array, g = _buffer(tensor, "broadcast"), group()
    if not 0 <= src < g.world_size:
        raise ValueError(
            f"distributed.broadcast: src must be a rank in 0..{g.world_size - 1}, got {src}."
        )
    wait(g.comm.Ibcast(array, root=src), "broadcast")
    return tensor


def all_gather(tensor_list, tensor):
    """Fill ``tensor_list`` (one tensor per rank, shaped like ``tensor``) with every rank's
    ``tensor``, in rank order; returns the list."""
    g = group()
    array = _buffer(tensor, "all_gather")
    if len(tensor_list) != g.world_size:
        raise ValueError(
            f"distributed.all_gather: tensor_list has {len(tensor_list)} entries; it needs "
            f"one per rank ({g.world_size})."
        )
    targets = [t.data if isinstance(t, Tensor) else np.asarray(t) for t in tensor_list]
    for target in targets:
        if target.shape != array.shape:
            raise ValueError(
                f"distributed.all_gather: an entry of tensor_list has shape {target.shape}; "
                f"every entry must have the tensor's shape {array.shape}."
            )
    gathered = np.empty((g.world_size,) + array.shape, array.dtype)  # (ranks, *shape)
    wait(g.comm.Iallgather(array, gathered), "all_gather")
    for target, part in zip(targets, gathered):
        target[...] = part
    return tensor_list


def barrier():
    """Wait until every rank has reached this call."""
    g = group()
    wait(g.comm.Ibarrier(), "barrier")
