"""Emitters of the elementwise primitives (zennet/ops/elementwise.py, math.py, activation.py)
and the reductions (reduce.py): each the ONNX op of the same name, or its formula in ONNX
ops where ONNX has none (expm1 = Exp - 1, atan2 by quadrant, ...)."""

import math

import numpy as np

from zennet.onnx.emit import Unsupported, primitive, reduce, tensor
from zennet.onnx.layers import gelu
from zennet.ops import activation as act
from zennet.ops import attention
from zennet.ops import elementwise as ew
from zennet.ops import math as m
from zennet.ops import reduce as red


def operands(g, args, outs):
    """The names of the op's operands, each in the output's dtype."""
    return [tensor(g, a, outs[0].dtype) for a in args]


def formula(build):
    """An emitter from ``build(g, c, *operands)``: operands in the output's dtype and
    ``c(v)`` a constant of that dtype."""

    def emit(g, args, kwargs, outs):
        dtype = outs[0].dtype
        return build(g, lambda v: tensor(g, v, dtype), *operands(g, args, outs), **kwargs)

    return emit


def _node(op):
    return formula(lambda g, c, *xs: g.node(op, list(xs)))


_DIRECT = {
    ew.Add: "Add",
    ew.Sub: "Sub",
    ew.Mul: "Mul",
    ew.Div: "Div",
    ew.Neg: "Neg",
    ew.Pow: "Pow",
    ew.Exp: "Exp",
    ew.Log: "Log",
    ew.Sqrt: "Sqrt",
    ew.Abs: "Abs",
    ew.Maximum: "Max",
    ew.Minimum: "Min",
    ew.Clone: "Identity",
    m.Sin: "Sin",
    m.Cos: "Cos",
    m.Tan: "Tan",
    m.Asin: "Asin",
    m.Acos: "Acos",
    m.Atan: "Atan",
    m.Sinh: "Sinh",
    m.Cosh: "Cosh",
    m.Asinh: "Asinh",
    m.Acosh: "Acosh",
    m.Atanh: "Atanh",
    m.Reciprocal: "Reciprocal",
    m.Erf: "Erf",
    act.ReLU: "Relu",
    act.Sigmoid: "Sigmoid",
    act.Tanh: "Tanh",
}
for _op, _name in _DIRECT.items():
    primitive(_op)(_node(_name))


def _compose(op, build):
    primitive(op)(formula(build))


_compose(m.Expm1, lambda g, c, x: g.node("Sub", [g.node("Exp", [x]), c(1)]))
_compose(m.Exp2, lambda g, c, x: g.node("Pow", [c(2), x]))
_compose(m.Log1p, lambda g, c, x: g.node("Log", [g.node("Add", [x, c(1)])]))
_compose(m.Log2, lambda g, c, x: g.node("Div", [g.node("Log", [x]), c(math.log(2))]))
_compose(m.Log10, lambda g, c, x: g.node("Div", [g.node("Log", [x]), c(math.log(10))]))
_compose(m.Rsqrt, lambda g, c, x: g.node("Reciprocal", [g.node("Sqrt", [x])]))
_compose(m.Erfc, lambda g, c, x: g.node("Sub", [c(1), g.node("Erf", [x])]))
_compose(m.Deg2Rad, lambda g, c, x: g.node("Mul", [x, c(math.pi / 180)]))
_compose(m.Rad2Deg, lambda g, c, x: g.node("Mul", [x, c(180 / math.pi)]))
_compose(
    m.Hypot,
    lambda g, c, a, b: g.node(
        "Sqrt", [g.node("Add", [g.node("Mul", [a, a]), g.node("Mul", [b, b])])]
    ),
)
_compose(m.Logit, lambda g, c, x: g.node("Log", [g.node("Div", [x, g.node("Sub", [c(1), x])])]))
_compose(act.SiLU, lambda g, c, x: g.node("Mul", [x, g.node("Sigmoid", [x])]))
_compose(act.LeakyReLU, lambda g, c, x, slope=0.01: g.node("LeakyRelu", [x], alpha=float(slope)))
_compose(act.ELU, lambda g, c, x, alpha=1.0: g.node("Elu", [x], alpha=float(alpha)))
_compose(act.GELU, lambda g, c, x, approximate="none": gelu(g, x, approximate))
_compose(act.Softmax, lambda g, c, x, dim=-1: g.node("Softmax", [x], axis=dim))
_compose(act.LogSoftmax, lambda g, c, x, dim=-1: g.node("LogSoftmax", [x], axis=dim))


@primitive(act.Softplus)
@formula
def softplus(g, c, x, beta=1.0, threshold=20.0):
    """log(1 + e^(βx))/β, and x where βx > threshold."""
    scaled = g.node("Mul", [x, c(beta)])
    smooth = g.node("Div", [g.node("Softplus", [scaled]), c(beta)])
    return g.node("Where", [g.node("Greater", [scaled, c(threshold)]), x, smooth])


@primitive(attention.SafeSoftmax)
@formula
def safe_softmax(g, c, x):
    """Softmax on the last axis; 0 on a row of only -inf (where Softmax gives NaN)."""
    y = g.node("Softmax", [x], axis=-1)
    return g.node("Where", [g.node("IsNaN", [y]), c(0), y])


@primitive(m.Sinc)
@formula
def sinc(g, c, x):
    """sin(πx)/(πx), 1 at 0."""
    zero = g.node("Equal", [x, c(0)])
    pix = g.node("Mul", [g.node("Where", [zero, c(1), x]), c(math.pi)])
    return g.node("Where", [zero, c(1), g.node("Div", [g.node("Sin", [pix]), pix])])


@primitive(m.Atan2)
@formula
def atan2(g, c, a, b):
    """atan(a/b) moved to the quadrant of (b, a): ±π where b < 0, ±π/2 where b = 0."""
    base = g.node("Atan", [g.node("Div", [a, b])])
    upper = g.node("Where", [g.node("Less", [a, c(0)]), c(-math.pi), c(math.pi)])
    shifted = g.node("Where", [g.node("Less", [b, c(0)]), g.node("Add", [base, upper]), base])
    vertical = g.node("Mul", [g.node("Sign", [a]), c(math.pi / 2)])
    return g.node("Where", [g.node("Equal", [b, c(0)]), vertical, shifted])


def _log_add_exp(g, c, a, b, base):
    """max + log_base(1 + base^-(|a - b|))."""
    top = g.node("Max", [a, b])
    gap = g.node("Neg", [g.node("Abs", [g.node("Sub", [a, b])])])
    if base == 2:
        tail = g.node("Pow", [c(2), gap])
        return g.node(
            "Add",
            [top, g.node("Div", [g.node("Log", [g.node("Add", [tail, c(1)])]), c(math.log(2))])],
        )
    return g.node("Add", [top, g.node("Log", [g.node("Add", [g.node("Exp", [gap]), c(1)])])])


_compose(m.LogAddExp2, lambda g, c, a, b: _log_add_exp(g, c, a, b, 2))
_compose(m.LogAddExp, lambda g, c, a, b: _log_add_exp(g, c, a, b, "e"))


def _xlogy(g, c, a, b, plus_one):
    log_b = g.node("Log", [g.node("Add", [b, c(1)]) if plus_one else b])
    y = g.node("Where", [g.node("Equal", [a, c(0)]), c(0), g.node("Mul", [a, log_b])])
    return g.node("Where", [g.node("IsNaN", [b]), b, y])


_compose(m.XLog1pY, lambda g, c, a, b: _xlogy(g, c, a, b, True))
_compose(m.XLogY, lambda g, c, a, b: _xlogy(g, c, a, b, False))


@primitive(m.Remainder)
def remainder(g, args, kwargs, outs):
    """fmod: Mod(fmod=1); floor: fmod moved by b where its sign differs from b's."""
    a, b = operands(g, args, outs)
    floating = outs[0].dtype.kind == "f"
    if kwargs.get("rounding", "floor") == "trunc":
        return g.node("Mod", [a, b], fmod=1)
    if not floating:
        return g.node("Mod", [a, b], fmod=0)
    r = g.node("Mod", [a, b], fmod=1)
    zero = tensor(g, 0, outs[0].dtype)
    differ = g.node("Xor", [g.node("Less", [r, zero]), g.node("Less", [b, zero])])
    move = g.node("And", [differ, g.node("Not", [g.node("Equal", [r, zero])])])
    return g.node("Where", [move, g.node("Add", [r, b]), r])


@primitive(m.CopySign)
@formula
def copysign(g, c, a, b):
    """|a| with the sign of b (-0 counts as negative: 1/b < 0)."""
    negative = g.node(
        "Or", [g.node("Less", [b, c(0)]), g.node("Less", [g.node("Reciprocal", [b]), c(0)])]
    )
    size = g.node("Abs", [a])
    return g.node("Where", [negative, g.node("Neg", [size]), size])


@primitive(m.NanToNum)
def nan_to_num(g, args, kwargs, outs):
    dtype = outs[0].dtype
    info = np.finfo(dtype)
    (x,) = operands(g, args, outs)
    posinf, neginf = kwargs.get("posinf"), kwargs.get("neginf")
    y = g.node("Where", [g.node("IsNaN", [x]), tensor(g, kwargs.get("nan", 0.0), dtype), x])
    y = g.node(
        "Where",
        [
            g.node("IsInf", [x], detect_negative=0),
            tensor(g, info.max if posinf is None else posinf, dtype),
            y,
        ],
    )
    return g.node(
        "Where",
        [
            g.node("IsInf", [x], detect_positive=0),
            tensor(g, info.min if neginf is None else neginf, dtype),
            y,
        ],
    )


@primitive(m.Step)
def step(g, args, kwargs, outs):
    """floor, ceil, round (half to even, to ``decimals``), trunc = sign·floor|x|, sign."""
    (x,) = operands(g, args, outs)
    name = kwargs["name"]
    if outs[0].dtype.kind in "biu" and name != "sign":
        return g.node("Identity", [x])
    if name == "trunc":
        return g.node("Mul", [g.node("Sign", [x]), g.node("Floor", [g.node("Abs", [x])])])
    if name in ("round", "around") and kwargs.get("decimals", 0):
        scale = tensor(g, 10.0 ** kwargs["decimals"], outs[0].dtype)
        return g.node("Div", [g.node("Round", [g.node("Mul", [x, scale])]), scale])
    ops = {"floor": "Floor", "ceil": "Ceil", "round": "Round", "around": "Round", "sign": "Sign"}
    if name not in ops:
        raise Unsupported(f"step function {name!r}")
    return g.node(ops[name], [x])


@primitive(ew.Clamp)
def clamp(g, args, kwargs, outs):
    (x,) = operands(g, args, outs)
    low, high = kwargs.get("low"), kwargs.get("high")
    bounds = [tensor(g, v, outs[0].dtype) if v is not None else "" for v in (low, high)]
    return g.node("Clip", [x] + bounds)


@primitive(ew.Where)
def where(g, args, kwargs, outs):
    cond, a, b = args
    return g.node("Where", [tensor(g, cond, bool)] + operands(g, [a, b], outs))


@primitive(ew.Cast)
def cast(g, args, kwargs, outs):
    return tensor(g, args[0], outs[0].dtype)


# ----------------------------------------------------------------- reductions


def _axes(axis, ndim):
    if axis is None:
        return list(range(ndim))
    return [axis] if isinstance(axis, int) else list(axis)


def _reduction(op):
    def emit(g, args, kwargs, outs):
        x = args[0]
        name = tensor(g, x, outs[0].dtype)
        axes = _axes(kwargs.get("axis", args[1] if len(args) > 1 else None), x.ndim)
        keepdims = kwargs.get("keepdims", False)
        if not axes:
            return g.node("Identity", [name])
        if op == "ReduceMax" and kwargs.get("mode") == "min":
            return reduce(g, "ReduceMin", name, axes, keepdims)
        return reduce(g, op, name, axes, keepdims)

    return emit


for _op, _name in {
    red.Sum: "ReduceSum",
    red.Mean: "ReduceMean",
    red.Amax: "ReduceMax",
    red.MaxAlong: "ReduceMax",
    red.LogSumExp: "ReduceLogSumExp",
    red.Prod: "ReduceProd",
}.items():
    primitive(_op)(_reduction(_name))


def variance(g, args, kwargs, outs, root=False):
    """Σ (x - x̄)² / (n - correction) over the axes; its square root for Std."""
    x = args[0]
    axes = _axes(kwargs.get("axis", args[1] if len(args) > 1 else None), x.ndim)
    correction = kwargs.get("correction", 1)
    n = math.prod(x.shape[a] for a in axes)
    name = tensor(g, x, outs[0].dtype)
    centered = g.node("Sub", [name, reduce(g, "ReduceMean", name, axes, True)])
    total = reduce(
        g, "ReduceSum", g.node("Mul", [centered, centered]), axes, kwargs.get("keepdims", False)
    )
    y = g.node("Div", [total, tensor(g, max(n - correction, 0), outs[0].dtype)])
    return g.node("Sqrt", [y]) if root else y


primitive(red.Var)(variance)
primitive(red.Std)(lambda g, args, kwargs, outs: variance(g, args, kwargs, outs, root=True))
