"""F.embedding_bag: sums, means or maxima of bags of embedding rows, without building the
(bag, length, dim) tensor of F.embedding first."""

import numpy as np

from zennet.functional._util import array_of, as_tensor
from zennet.functional.arith import amax, mean, sum
from zennet.functional.nn import lookup
from zennet.functional.shape import getitem, reshape, stack


def _bags(indices, offsets, include_last_offset):
    """Flat indices and the (start, end) of each bag."""
    idx = np.asarray(array_of(indices))
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: offsets must be None when input is 2-D (B, N).")
        B, N = idx.shape
        return idx.reshape(-1), [(b * N, (b + 1) * N) for b in range(B)]
    if idx.ndim != 1 or offsets is None:
        raise ValueError(
            f"embedding_bag: input must be 2-D (bags of equal size) or 1-D with offsets, got "
            f"shape {idx.shape}{' without offsets' if idx.ndim == 1 else ''}."
        )
    starts = [int(o) for o in np.asarray(array_of(offsets)).reshape(-1)]
    if include_last_offset:
        return idx, list(zip(starts[:-1], starts[1:]))
    return idx, list(zip(starts, starts[1:] + [len(idx)]))


def embedding_bag(
    input,
    weight,
    offsets=None,
    max_norm=None,
    norm_type=2,
    scale_grad_by_freq=False,
    mode="mean",
    sparse=False,
    per_sample_weights=None,
    include_last_offset=False,
    padding_idx=None,
):
    """One vector per bag: reduce (sum, mean or max) the rows weight[i] of its indices.

    ``per_sample_weights`` (mode 'sum' only) scales each row; indices equal to
    ``padding_idx`` are left out of their bag (and of the mean's count); an empty bag
    gives zeros."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"embedding_bag: mode must be 'sum', 'mean' or 'max', got {mode!r}.")
    if scale_grad_by_freq and mode == "max":
        raise ValueError(
            "embedding_bag: scale_grad_by_freq needs mode 'sum' or 'mean' (max mode does not "
            "support scaling the gradient by the frequency, as in PyTorch)."
        )
    if per_sample_weights is not None and mode != "sum":
        raise ValueError("embedding_bag: per_sample_weights needs mode='sum' (as PyTorch).")
    flat, bags = _bags(input, offsets, include_last_offset)
    options = dict(max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq)
    rows = lookup("embedding_bag", flat, weight, None, **options)  # (L, D)
    if per_sample_weights is not None:
        rows = rows * reshape(as_tensor(per_sample_weights), (-1, 1))
    keep = (
        np.ones(len(flat), bool) if padding_idx is None else flat != padding_idx % weight.shape[0]
    )
    out = []
    for start, end in bags:
        members = np.arange(start, end)[keep[start:end]]
        if not len(members):
            out.append(weight[0] * 0.0)
            continue
        picked = getitem(rows, members)
        reduce = {"sum": sum, "mean": mean, "max": amax}[mode]
        out.append(reduce(picked, 0))
    return stack(out, 0)
