"""Emitters of the layer primitives: products (linalg.py, einsum.py), convolution and
pooling in any number of spatial dims (conv.py, pool.py), normalization (norm.py),
embedding, running sums. ONNX's Conv, ConvTranspose, MaxPool and AveragePool are
N-d, so these serve 1-D, 2-D and 3-D alike."""

import math

import numpy as np

from zennet.onnx.emit import Unsupported, primitive, tensor
from zennet.ops import conv, cumulative, einsum, embedding, linalg, norm, pool


def _names(g, args, outs):
    return [tensor(g, a, outs[0].dtype) if a is not None else None for a in args]


@primitive(linalg.MatMul)
def matmul(g, args, kwargs, outs):
    return g.node("MatMul", _names(g, args, outs))


@primitive(linalg.Linear)
def linear(g, args, kwargs, outs):
    """A·Wᵀ (+ b)."""
    a, w, *rest = _names(g, args, outs) + [None]
    y = g.node("MatMul", [a, g.node("Transpose", [w], perm=[1, 0])])
    return y if rest[0] is None else g.node("Add", [y, rest[0]])


@primitive(linalg.Det)
def det(g, args, kwargs, outs):
    return g.node("Det", _names(g, args, outs))


@primitive(einsum.Einsum)
def einsum_(g, args, kwargs, outs):
    equation = ",".join(kwargs["inputs"]) + "->" + kwargs["output"]
    return g.node("Einsum", _names(g, args, outs), equation=equation)


@primitive(embedding.Embedding)
def embedding_(g, args, kwargs, outs):
    (weight,) = _names(g, args[:1], outs)
    indices = args[1] if len(args) > 1 else kwargs["indices"]
    return g.node("Gather", [weight, tensor(g, indices, np.int64)], axis=0)


@primitive(cumulative.CumSum)
def cumsum(g, args, kwargs, outs):
    axis = kwargs.get("axis", args[1] if len(args) > 1 else None)
    (x,) = _names(g, args[:1], outs)
    return g.node("CumSum", [x, g.const(np.int64(axis), np.int64, "axis")])


# ----------------------------------------------------------------- convolution


def _pads(padding):
    """ONNX pads [begin..., end...] from ((lo, hi), ...) or symmetric ints."""
    pairs = [(p, p) if isinstance(p, (int, np.integer)) else tuple(p) for p in padding]
    return [lo for lo, _ in pairs] + [hi for _, hi in pairs]


def _conv_inputs(g, args, kwargs, outs):
    names = _names(g, args, outs)  # x, w and, given positionally, b (None: no bias)
    if len(names) > 2:
        return names[:3] if names[2] is not None else names[:2]
    bias = kwargs.get("b")
    return names[:2] + ([tensor(g, bias, outs[0].dtype)] if bias is not None else [])


def _conv_node(g, op, args, kwargs, outs, **extra):
    """ONNX Conv or ConvTranspose with the primitive's stride, padding, dilation, groups."""
    return g.node(
        op,
        _conv_inputs(g, args, kwargs, outs),
        strides=list(kwargs["stride"]),
        pads=_pads(kwargs["padding"]),
        dilations=list(kwargs["dilation"]),
        group=kwargs.get("groups", 1),
        **extra,
    )


@primitive(conv.Conv)
def convolution(g, args, kwargs, outs):
    return _conv_node(g, "Conv", args, kwargs, outs)


@primitive(conv.ConvTranspose)
def conv_transpose(g, args, kwargs, outs):
    output_padding = list(kwargs["output_padding"])
    return _conv_node(g, "ConvTranspose", args, kwargs, outs, output_padding=output_padding)


def _end_pads(x, kernel, stride, padding, dilation, out_size):
    """End pads that give ``out_size`` with ONNX's floor rounding (PyTorch's ceil_mode
    windows included, and none more)."""
    sizes = x.shape[-len(kernel) :]
    return [
        max((o - 1) * s + d * (k - 1) + 1 - n - p, 0)
        for o, s, d, k, n, p in zip(out_size, stride, dilation, kernel, sizes, padding)
    ]


@primitive(pool.MaxPool)
def max_pool(g, args, kwargs, outs):
    x = args[0]
    kernel, stride, padding = kwargs["kernel"], kwargs["stride"], list(kwargs["padding"])
    dilation = kwargs["dilation"]
    end = _end_pads(x, kernel, stride, padding, dilation, kwargs["out_size"])
    return g.node(
        "MaxPool",
        [x.name],
        kernel_shape=list(kernel),
        strides=list(stride),
        pads=padding + end,
        dilations=list(dilation),
    )


@primitive(pool.AvgPool)
def avg_pool(g, args, kwargs, outs):
    """AveragePool. Padding the divisor counts (count_include_pad) is made real zeros
    first, so ceil_mode's extra end padding stays out of the divisor, as in PyTorch; a
    divisor_override rescales the mean over the full kernel."""
    x = args[0]
    kernel, stride, padding = kwargs["kernel"], kwargs["stride"], list(kwargs["padding"])
    nd = len(kernel)
    end = _end_pads(x, kernel, stride, padding, (1,) * nd, kwargs["out_size"])
    window = dict(kernel_shape=list(kernel), strides=list(stride))
    override = kwargs.get("divisor_override")
    if override:
        y = g.node("AveragePool", [x.name], pads=padding + end, count_include_pad=1, **window)
        return g.node("Mul", [y, tensor(g, math.prod(kernel) / override, outs[0].dtype)])
    y, begin = x.name, padding
    if kwargs.get("count_include_pad", True) and any(padding):
        zeros = g.ints([0, 0] * (x.ndim - nd) + padding + [0] * (x.ndim - nd) + padding)
        y = g.node("Pad", [y, zeros])
        begin, end = [0] * nd, [max(e - p, 0) for e, p in zip(end, padding)]
    return g.node("AveragePool", [y], pads=begin + end, count_include_pad=0, **window)


@primitive(pool.SeparableLinear)
def separable_linear(g, args, kwargs, outs):
    """x ×_d A_d along each trailing dim: MatMul with Aᵀ on the last, with A after moving
    the dim next to last (adaptive average pooling and interpolation)."""
    x = args[0]
    matrices = kwargs["matrices"]
    y, ndim, dtype = x.name, x.ndim, outs[0].dtype
    lead = ndim - len(matrices)
    for d, a in enumerate(matrices):
        axis = lead + d
        if axis == ndim - 1:
            y = g.node("MatMul", [y, g.const(np.asarray(a).T, dtype, "matrix")])
            continue
        perm = list(range(ndim))
        perm[axis], perm[ndim - 2] = perm[ndim - 2], perm[axis]
        moved = g.node("Transpose", [y], perm=perm) if axis != ndim - 2 else y
        moved = g.node("MatMul", [g.const(np.asarray(a), dtype, "matrix"), moved])
        y = g.node("Transpose", [moved], perm=perm) if axis != ndim - 2 else moved
    return y


# ----------------------------------------------------------------- normalization


@primitive(norm.BatchNorm)
def batch_norm(g, args, kwargs, outs):
    if kwargs.get("batch_stats", True):
        raise Unsupported(
            "batch statistics (training mode, or track_running_stats=False) depend on the "
            "batch; ONNX export uses running statistics"
        )
    x, weight, bias = (list(args) + [None, None])[:3]
    weight, bias = kwargs.get("weight", weight), kwargs.get("bias", bias)
    dtype, channels = outs[0].dtype, x.shape[1]
    inputs = [x.name] + [
        tensor(g, v if v is not None else np.full(channels, fill), dtype)
        for v, fill in ((weight, 1.0), (bias, 0.0))
    ]
    inputs += [tensor(g, kwargs[k], dtype) for k in ("mean", "var")]
    return g.node("BatchNormalization", inputs, epsilon=float(kwargs.get("eps", 1e-5)))


@primitive(norm.LayerNorm)
def layer_norm(g, args, kwargs, outs):
    x, weight, bias = (list(args) + [None, None])[:3]
    ndims = kwargs.get("ndims", 1)
    dtype = outs[0].dtype
    scale = tensor(g, weight if weight is not None else np.ones(x.shape[-ndims:]), dtype)
    inputs = [x.name, scale] + ([tensor(g, bias, dtype)] if bias is not None else [])
    return g.node("LayerNormalization", inputs, axis=-ndims, epsilon=float(kwargs.get("eps", 1e-5)))
