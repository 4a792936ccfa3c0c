"""Emitters of the traced functions (zennet/trace.py): ops computed outside the graph
(comparisons, logic, argmax, sorting, casts) and index ops whose index is a tensor
computed from the input (gather, scatter, x[mask], masked_fill, embedding).

Each gets the function's arguments by name (``kwargs``), tensors as Values."""

import numpy as np

from zennet.onnx.emit import Unsupported, function, has_ref, onnx_type, reduce, tensor
from zennet.onnx.graph import Value
from zennet.ops.indexing import reduction_identity


def _operands(kwargs):
    """The tensor and number arguments in order (``*args`` spread out)."""
    found = []
    for value in kwargs.values():
        spread = isinstance(value, tuple) and not isinstance(value, Value)
        found += list(value) if spread else [value]
    return [v for v in found if isinstance(v, (Value, int, float, bool, np.ndarray, np.generic))]


def _common(values):
    return np.result_type(*[v.dtype if isinstance(v, Value) else v for v in values])


_COMPARE = {
    "eq": "Equal",
    "lt": "Less",
    "le": "LessOrEqual",
    "gt": "Greater",
    "ge": "GreaterOrEqual",
}


def _compare(op):
    def emit(g, args, kwargs, outs):
        a, b = _operands(kwargs)[:2]
        dtype = _common([a, b])
        y = g.node(_COMPARE.get(op, "Equal"), [tensor(g, a, dtype), tensor(g, b, dtype)])
        return g.node("Not", [y]) if op == "ne" else y

    return emit


for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    function(_name)(_compare(_name))


@function("isnan", "isinf", "isfinite", "isposinf", "isneginf")
def _value_test(g, args, kwargs, outs):
    (x,) = _operands(kwargs)[:1]
    op = g.current
    if x.dtype.kind != "f":
        return tensor(g, np.full(x.shape, op == "isfinite"), bool)
    if op == "isnan":
        return g.node("IsNaN", [x.name])
    if op == "isposinf":
        return g.node("IsInf", [x.name], detect_negative=0)
    if op == "isneginf":
        return g.node("IsInf", [x.name], detect_positive=0)
    inf = g.node("IsInf", [x.name])
    if op == "isinf":
        return inf
    return g.node("Not", [g.node("Or", [inf, g.node("IsNaN", [x.name])])])


_LOGIC = {"and": "And", "or": "Or", "xor": "Xor", "not": "Not"}
_BITWISE = {"and": "BitwiseAnd", "or": "BitwiseOr", "xor": "BitwiseXor", "not": "BitwiseNot"}


@function(*[f"logical_{k}" for k in _LOGIC] + [f"bitwise_{k}" for k in _LOGIC])
def _logic(g, args, kwargs, outs):
    kind, op = g.current.split("_")
    values = _operands(kwargs)[: 1 if op == "not" else 2]
    if kind == "logical" or outs[0].dtype == np.bool_:
        return g.node(_LOGIC[op], [tensor(g, v, bool) for v in values])
    if g.opset < 18:
        raise Unsupported("bitwise ops on integers need ONNX opset 18 (pass opset=18)")
    dtype = outs[0].dtype
    return g.node(_BITWISE[op], [tensor(g, v, dtype) for v in values])


@function("isclose")
def _isclose(g, args, kwargs, outs):
    """|a - b| <= atol + rtol·|b| (NaN equal to NaN with equal_nan)."""
    a, b = kwargs["a"], kwargs["b"]
    dtype = _common([a, b])
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    a, b = tensor(g, a, dtype), tensor(g, b, dtype)
    gap = g.node("Abs", [g.node("Sub", [a, b])])
    limit = g.node(
        "Add",
        [
            tensor(g, kwargs["atol"], dtype),
            g.node("Mul", [tensor(g, kwargs["rtol"], dtype), g.node("Abs", [b])]),
        ],
    )
    close = g.node("Or", [g.node("LessOrEqual", [gap, limit]), g.node("Equal", [a, b])])
    if kwargs["equal_nan"]:
        both = g.node("And", [g.node("IsNaN", [a]), g.node("IsNaN", [b])])
        close = g.node("Or", [close, both])
    return close


def _dim_axes(dim, ndim):
    if dim is None:
        return None if ndim else None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return [d % max(ndim, 1) for d in dims]


@function("all", "any")
def _all_any(g, args, kwargs, outs):
    x = kwargs["x"]
    flags = tensor(
        g,
        g.node("Not", [g.node("Equal", [x.name, tensor(g, 0, x.dtype)])])
        if x.dtype != np.bool_
        else x,
        np.int32,
    )
    axes = _dim_axes(kwargs["dim"], x.ndim) if x.ndim else None
    op = "ReduceMin" if g.current == "all" else "ReduceMax"
    y = reduce(
        g,
        op,
        flags,
        axes if axes is not None else list(range(x.ndim)),
        kwargs["keepdim"] and axes is not None,
    )
    return tensor(g, Value(y, outs[0].shape, np.dtype(np.int32)), outs[0].dtype)


@function("count_nonzero")
def _count_nonzero(g, args, kwargs, outs):
    x = kwargs["x"]
    flags = g.node(
        "Cast",
        [g.node("Not", [g.node("Equal", [x.name, tensor(g, 0, x.dtype)])])],
        to=onnx_type(g, np.int64),
    )
    axes = _dim_axes(kwargs["dim"], x.ndim)
    return reduce(g, "ReduceSum", flags, axes if axes is not None else list(range(x.ndim)), False)


@function("where")
def _where(g, args, kwargs, outs):
    cond, a, b = kwargs["condition"], kwargs["a"], kwargs["b"]
    dtype = outs[0].dtype
    return g.node("Where", [tensor(g, cond, bool), tensor(g, a, dtype), tensor(g, b, dtype)])


@function("masked_fill")
def _masked_fill(g, args, kwargs, outs):
    x, dtype = kwargs["x"], outs[0].dtype
    value = tensor(g, kwargs["value"], dtype)
    return g.node("Where", [tensor(g, kwargs["mask"], bool), value, tensor(g, x, dtype)])


@function("cast")
def _cast(g, args, kwargs, outs):
    return tensor(g, kwargs["x"], outs[0].dtype)


@function("div")
def _div(g, args, kwargs, outs):
    """a / b; rounding_mode 'trunc' or 'floor' rounds the quotient (in floats)."""
    a, b, mode = kwargs["a"], kwargs["b"], kwargs["rounding_mode"]
    dtype = outs[0].dtype
    work = dtype if dtype.kind == "f" else np.dtype(np.float64)
    q = g.node("Div", [tensor(g, a, work), tensor(g, b, work)])
    if mode == "floor":
        q = g.node("Floor", [q])
    elif mode == "trunc":
        q = g.node("Mul", [g.node("Sign", [q]), g.node("Floor", [g.node("Abs", [q])])])
    return tensor(g, Value(q, outs[0].shape, work), dtype)


@function("floor_divide")
def _floor_divide(g, args, kwargs, outs):
    return _div(g, args, {"a": kwargs["a"], "b": kwargs["b"], "rounding_mode": "floor"}, outs)


@function("argmax", "argmin")
def _arg(g, args, kwargs, outs):
    x, dim = kwargs["x"], kwargs["dim"]
    op = "ArgMax" if g.current == "argmax" else "ArgMin"
    if dim is None or x.ndim == 0:
        flat = g.node("Reshape", [x.name, g.ints([-1])])
        return g.node("Squeeze", [g.node(op, [flat], axis=0, keepdims=1), g.ints([0])])
    return g.node(op, [x.name], axis=dim % x.ndim, keepdims=int(kwargs["keepdim"]))


def _extreme_when(arguments):
    return not has_ref(arguments.get("dim")) and isinstance(arguments.get("dim"), int)


@function("max", "min", when=_extreme_when)
def _extreme(g, args, kwargs, outs):
    """(values, indices) along an int dim."""
    x, keep = kwargs["x"], int(kwargs["keepdim"])
    axis = kwargs["dim"] % max(x.ndim, 1)
    if x.ndim == 0:
        return [g.node("Identity", [x.name]), g.const(np.int64(0), np.int64, "zero")]
    op = g.current
    values = reduce(g, "ReduceMax" if op == "max" else "ReduceMin", x.name, [axis], keep)
    index = g.node("ArgMax" if op == "max" else "ArgMin", [x.name], axis=axis, keepdims=keep)
    return [values, index]


def _top(g, x, k, axis, largest):
    values, indices = g.node(
        "TopK", [x.name, g.ints([k])], outputs=2, axis=axis, largest=int(largest), sorted=1
    )
    return values, indices


@function("sort", "argsort")
def _sort(g, args, kwargs, outs):
    x = kwargs["x"]
    if x.ndim == 0:
        raise Unsupported("sorting a 0-d tensor")
    axis = kwargs["dim"] % x.ndim
    values, indices = _top(g, x, x.shape[axis], axis, kwargs["descending"])
    return indices if g.current == "argsort" else [values, indices]


@function("topk")
def _topk(g, args, kwargs, outs):
    x = kwargs["x"]
    if x.ndim == 0:
        raise Unsupported("topk of a 0-d tensor")
    return list(_top(g, x, kwargs["k"], kwargs["dim"] % x.ndim, kwargs["largest"]))


# ----------------------------------------------------------------- indexing


def _int64(g, index):
    return tensor(g, index, np.int64)


@function("gather")
def _gather(g, args, kwargs, outs):
    x = kwargs["x"]
    return g.node(
        "GatherElements", [x.name, _int64(g, kwargs["index"])], axis=kwargs["dim"] % max(x.ndim, 1)
    )


@function("take_along_dim")
def _take_along_dim(g, args, kwargs, outs):
    x, dim = kwargs["x"], kwargs["dim"]
    index = _int64(g, kwargs["indices"])
    if dim is None:
        flat = g.node("Reshape", [x.name, g.ints([-1])])
        return g.node("GatherElements", [flat, g.node("Reshape", [index, g.ints([-1])])], axis=0)
    return g.node("GatherElements", [x.name, index], axis=dim % x.ndim)


@function("index_select")
def _index_select(g, args, kwargs, outs):
    x = kwargs["x"]
    index = g.node("Reshape", [_int64(g, kwargs["index"]), g.ints([-1])])
    return g.node("Gather", [x.name, index], axis=kwargs["dim"] % max(x.ndim, 1))


@function("take")
def _take(g, args, kwargs, outs):
    flat = g.node("Reshape", [kwargs["x"].name, g.ints([-1])])
    return g.node("Gather", [flat, _int64(g, kwargs["index"])], axis=0)


@function("embedding")
def _embedding(g, args, kwargs, outs):
    if kwargs.get("max_norm") is not None:  # renormalizes the rows it reads, in place
        raise Unsupported("embedding with max_norm")
    return g.node(
        "Gather", [tensor(g, kwargs["weight"], outs[0].dtype), _int64(g, kwargs["indices"])], axis=0
    )


@function("scatter", "scatter_add")
def _scatter(g, args, kwargs, outs):
    x, index, dtype = kwargs["x"], _int64(g, kwargs["index"]), outs[0].dtype
    if kwargs.get("reduce") is not None:
        raise Unsupported(f"scatter with reduce={kwargs['reduce']!r}")
    src = kwargs.get("src")
    if src is None:
        src = kwargs.get("value")
    updates = tensor(g, src, dtype)
    if not isinstance(src, Value) or src.shape != tuple(kwargs["index"].shape):
        updates = g.node("Expand", [updates, g.node("Shape", [index])])
        if isinstance(src, Value):
            raise Unsupported("scatter with src larger than index")
    reduction = "add" if g.current == "scatter_add" else "none"
    return g.node(
        "ScatterElements",
        [tensor(g, x, dtype), index, updates],
        axis=kwargs["dim"] % x.ndim,
        reduction=reduction,
    )


_SCATTER_REDUCTIONS = {"sum": "add", "mean": "add", "prod": "mul", "amax": "max", "amin": "min"}


@function("scatter_reduce")
def _scatter_reduce(g, args, kwargs, outs):
    """ScatterElements with the reduction (max and min from opset 18); include_self=False
    first writes the reduction's identity at the positions written, and mean divides by
    the count there (a ScatterElements of ones), at least 1."""
    x, reduce, dtype = kwargs["x"], kwargs["reduce"], outs[0].dtype
    index, src = _int64(g, kwargs["index"]), kwargs["src"]
    if not isinstance(src, Value) or src.shape != tuple(kwargs["index"].shape):
        raise Unsupported("scatter_reduce with src not shaped like index")
    if reduce in ("amax", "amin") and g.opset < 18:
        raise Unsupported(f"scatter_reduce with reduce={reduce!r} needs opset 18 (pass opset=18)")
    if reduce == "mean" and np.dtype(dtype).kind != "f":
        raise Unsupported("scatter_reduce with reduce='mean' on integers (floor division)")
    axis, spread = kwargs["dim"] % x.ndim, g.node("Shape", [index])

    def scatter(data, value, reduction):
        updates = g.node("Expand", [tensor(g, value, dtype), spread])
        return g.node("ScatterElements", [data, index, updates], axis=axis, reduction=reduction)

    y = tensor(g, x, dtype)
    if not kwargs["include_self"]:
        y = scatter(y, reduction_identity(reduce, np.dtype(dtype)), "none")
    how = _SCATTER_REDUCTIONS[reduce]
    y = g.node("ScatterElements", [y, index, src.name], axis=axis, reduction=how)
    if reduce != "mean":
        return y
    start = g.node("Expand", [tensor(g, int(kwargs["include_self"]), dtype), g.node("Shape", [y])])
    count = g.node("Max", [scatter(start, 1, "add"), tensor(g, 1, dtype)])
    return g.node("Div", [y, count])


@function("one_hot")
def _one_hot(g, args, kwargs, outs):
    depth = outs[0].shape[-1]
    values = g.const(np.array([0, 1]), np.int64, "off_on")
    return g.node("OneHot", [_int64(g, kwargs["tensor"]), g.ints([depth]), values], axis=-1)


def _index_has_ref(arguments):
    return has_ref(arguments.get("index"))


@function("getitem", when=_index_has_ref)
def _getitem(g, args, kwargs, outs):
    """x[t] for one index tensor t computed from the input: a boolean mask over the
    leading dims (GatherND at its NonZero positions), or integers (Gather on axis 0)."""
    x, index = kwargs["x"], kwargs["index"]
    if not isinstance(index, Value):
        raise Unsupported("an index mixing tensors computed from the input with other parts")
    if index.dtype == np.bool_:
        where = g.node("Transpose", [g.node("NonZero", [index.name])], perm=[1, 0])
        return g.node("GatherND", [x.name, where])
    return g.node("Gather", [x.name, _int64(g, index)], axis=0)


@function("setitem", when=_index_has_ref)
def _setitem(g, args, kwargs, outs):
    """x[mask] = value for a boolean mask computed from the input: Where(mask, value, x)."""
    x, index, value = kwargs["x"], kwargs["index"], kwargs["value"]
    dtype = outs[0].dtype
    if not isinstance(index, Value) or index.dtype != np.bool_:
        raise Unsupported("x[index] = v with an integer index computed from the input")
    if isinstance(value, Value) and value.shape not in ((), (1,)):
        raise Unsupported("x[mask] = v with a tensor v (only a number or a 1-element tensor)")
    mask = index.name
    if index.ndim < x.ndim:
        mask = g.node("Reshape", [mask, g.ints(list(index.shape) + [1] * (x.ndim - index.ndim))])
    return g.node("Where", [mask, tensor(g, value, dtype), tensor(g, x, dtype)])


def _index_of(name):
    return lambda arguments: has_ref(arguments.get(name))


# Computed outside the graph with no ONNX equivalent here: recorded (and refused) when the
# index that makes them data-dependent comes from the input; else their primitives are.
for _name in ("index_add", "index_copy", "index_fill"):
    function(_name, when=_index_of("index"))(None)
function("repeat_interleave", when=_index_of("repeats"))(None)
function("masked_select", "masked_scatter", when=_index_of("mask"))(None)
