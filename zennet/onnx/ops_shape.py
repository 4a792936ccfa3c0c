"""Emitters of the primitives that move elements (zennet/ops/shape.py, indexing.py).

An index fixed in the trace (ints, slices, arrays NumPy indexes with) is resolved here:
ints, slices and None become Slice, Squeeze and Unsqueeze; integer and boolean arrays
become one Gather of the positions they pick, worked out with NumPy on the example's
shape. When the index leaves axis 0 whole (``x[:, idx]``), that axis stays out of the
positions, so the batch size stays dynamic.
"""

import numpy as np

from zennet.onnx.emit import batch_ints, primitive, tensor
from zennet.ops import shape as sh
from zennet.ops.indexing import IndexPut

_BIG = np.iinfo(np.int64).max


@primitive(sh.Reshape)
def reshape(g, args, kwargs, outs):
    return g.node("Reshape", [args[0].name, batch_ints(g, kwargs["shape"])])


@primitive(sh.Permute)
def permute(g, args, kwargs, outs):
    return g.node("Transpose", [args[0].name], perm=list(kwargs["axes"]))


@primitive(sh.Expand)
def expand(g, args, kwargs, outs):
    return g.node("Expand", [args[0].name, batch_ints(g, kwargs["shape"])])


@primitive(sh.Repeat)
def repeat(g, args, kwargs, outs):
    x, reps = args[0], tuple(kwargs["reps"])
    name = x.name
    if len(reps) > x.ndim:
        name = g.node("Reshape", [name, g.ints([1] * (len(reps) - x.ndim) + [0] * x.ndim)])
    return g.node("Tile", [name, g.ints(list(reps))])


@primitive(sh.Concat)
def concat(g, args, kwargs, outs):
    return g.node("Concat", [tensor(g, x, outs[0].dtype) for x in args], axis=kwargs["axis"])


@primitive(sh.Stack)
def stack(g, args, kwargs, outs):
    axis = g.ints([kwargs["axis"]])
    pieces = [g.node("Unsqueeze", [tensor(g, x, outs[0].dtype), axis]) for x in args]
    return g.node("Concat", pieces, axis=kwargs["axis"])


@primitive(sh.Pad)
def pad(g, args, kwargs, outs):
    widths = kwargs["widths"]
    pads = [lo for lo, _ in widths] + [hi for _, hi in widths]
    value = tensor(g, kwargs.get("value", 0.0), outs[0].dtype)
    return g.node("Pad", [args[0].name, g.ints(pads), value], mode="constant")


@primitive(sh.ToDevice)
def to_device(g, args, kwargs, outs):
    return g.node("Identity", [args[0].name])


def _parts(index, ndim):
    """The index as a tuple with Ellipsis spelled out as slices."""
    parts = list(index) if isinstance(index, tuple) else [index]
    if any(p is Ellipsis for p in parts):
        at = next(i for i, p in enumerate(parts) if p is Ellipsis)
        used = sum(1 for p in parts if p is not None and p is not Ellipsis)
        parts[at : at + 1] = [slice(None)] * (ndim - used)
    return parts


def _is_basic(parts):
    return all(p is None or isinstance(p, (int, np.integer, slice)) for p in parts)


def basic_index(g, x, parts):
    """x[parts] for ints, slices and None: one Slice, then Squeeze and Unsqueeze."""
    starts, ends, axes, steps, squeeze, new = [], [], [], [], [], []
    axis, out_axis = 0, 0
    for p in parts:
        if p is None:
            new.append(out_axis)
            out_axis += 1
            continue
        if isinstance(p, slice):
            if p != slice(None):
                step = 1 if p.step is None else p.step
                default = (0, _BIG) if step > 0 else (-1, -_BIG)
                starts.append(default[0] if p.start is None else p.start)
                ends.append(default[1] if p.stop is None else p.stop)
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        else:
            i = int(p)
            starts.append(i)
            ends.append(_BIG if i == -1 else i + 1)
            axes.append(axis)
            steps.append(1)
            squeeze.append(axis)
        axis += 1
    y = x.name
    if axes:
        y = g.node("Slice", [y, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        y = g.node("Squeeze", [y, g.ints(squeeze)])
    if new:
        y = g.node("Unsqueeze", [y, g.ints(new)])
    return y if y != x.name else g.node("Identity", [y])


def positions(shape, parts):
    """The flat positions x[parts] reads, for x of ``shape`` (NumPy's own indexing)."""
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)[tuple(parts)]


def _batch_whole(x, parts, out_shape):
    """True when the index leaves axis 0 whole and the result keeps it first."""
    if not parts or not isinstance(parts[0], slice) or parts[0] != slice(None) or x.ndim < 2:
        return False
    rest = positions(x.shape[1:], parts[1:])
    return (x.shape[0],) + rest.shape == tuple(out_shape)


@primitive(sh.GetItem)
def getitem(g, args, kwargs, outs):
    x = args[0]
    index = kwargs["index"] if "index" in kwargs else args[1]
    parts = _parts(index, x.ndim)
    if _is_basic(parts):
        return basic_index(g, x, parts)
    if _batch_whole(x, parts, outs[0].shape):
        flat = g.node("Reshape", [x.name, g.ints([0, -1])])  # (N, rest)
        return g.node(
            "Gather", [flat, g.const(positions(x.shape[1:], parts[1:]), np.int64)], axis=1
        )
    flat = g.node("Reshape", [x.name, g.ints([-1])])
    return g.node("Gather", [flat, g.const(positions(x.shape, parts), np.int64)], axis=0)


def _last_writes(flat):
    """Which of the flat positions to write: the last write of each position wins."""
    _, first_of_reversed = np.unique(flat[::-1], return_index=True)
    return np.sort(len(flat) - 1 - first_of_reversed)


@primitive(IndexPut)
def index_put(g, args, kwargs, outs):
    """x with v written (or added) at the index: ScatterElements over the flattened
    trailing axes (axis 0 kept when the index leaves it whole), else over all."""
    x, v = args[0], args[1]
    index = kwargs["index"] if "index" in kwargs else args[2]
    accumulate = kwargs.get("accumulate", False)
    parts = _parts(index, x.ndim)
    dtype = outs[0].dtype
    whole = _batch_whole(x, parts, positions(x.shape, parts).shape)
    where = positions(x.shape[1:] if whole else x.shape, parts[1:] if whole else parts)
    target = where.shape
    flat = where.reshape(-1)
    keep = np.arange(flat.size) if accumulate else _last_writes(flat)
    shape_of_x = g.node("Shape", [x.name])
    if whole:
        lead = g.node("Shape", [x.name], start=0, end=1)
        data = g.node("Reshape", [x.name, g.ints([0, -1])])
        full = g.node("Concat", [lead, g.ints(list(target))], axis=0)
        updates = g.node(
            "Reshape", [g.node("Expand", [tensor(g, v, dtype), full]), g.ints([0, -1])]
        )
        updates = g.node("Gather", [updates, g.const(keep, np.int64)], axis=1)
        idx = g.node(
            "Expand", [g.const(flat[keep].reshape(1, -1), np.int64), g.node("Shape", [updates])]
        )
        axis = 1
    else:
        data = g.node("Reshape", [x.name, g.ints([-1])])
        expanded = g.node("Expand", [tensor(g, v, dtype), g.ints(list(target))])
        updates = g.node(
            "Gather", [g.node("Reshape", [expanded, g.ints([-1])]), g.const(keep, np.int64)], axis=0
        )
        idx, axis = g.const(flat[keep], np.int64), 0
    if not flat.size:
        return g.node("Identity", [x.name])
    reduction = "add" if accumulate else "none"
    y = g.node("ScatterElements", [data, idx, updates], axis=axis, reduction=reduction)
    return g.node("Reshape", [y, shape_of_x])
