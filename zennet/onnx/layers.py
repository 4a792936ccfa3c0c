"""Converters of the feed-forward layers: containers, Linear, activations, reshaping,
normalization, embedding, dropout. Each turns a module into the ONNX ops that compute
the same function in eval mode."""

import math

import numpy as np

from zennet import nn
from zennet.onnx.graph import convert, key, register

# ----------------------------------------------------------------- containers


def sequential_children(module):
    return list(module.named_children())


@register(nn.Sequential, children=sequential_children)
def sequential(g, module, name, x):
    for suffix, child in module.named_children():
        x = convert(g, child, key(name, suffix), x)
    return x


@register(nn.Identity, nn.Dropout, nn.Dropout2d)
def identity(g, module, name, x):
    """Dropout is the identity in eval mode: no node at all."""
    return x.name


# ----------------------------------------------------------------- linear


def linear(g, x, weight_key, weight, bias_key=None, bias=None):
    """y = x·Wᵀ + b: one Gemm for 2-D input, else MatMul (batched over leading dims) + Add.

    ``weight`` (out, in) is stored as is, under its state-dict key; for MatMul a Transpose
    node makes Wᵀ (onnxruntime folds it into a constant).
    """
    w = g.weight(weight_key, weight)
    b = None if bias is None else g.weight(bias_key, bias)
    if x.ndim == 2:
        return g.node("Gemm", [x.name, w] + ([b] if b else []), transB=1)
    y = g.node("MatMul", [x.name, g.node("Transpose", [w], perm=[1, 0])])
    return y if b is None else g.node("Add", [y, b])


def linear_module(g, module, name, x):
    """A Linear module (or any with weight (out, in) and bias) called ``name``."""
    bias_key = key(name, "bias")
    return linear(g, x, key(name, "weight"), module.weight, bias_key, module.bias)


register(nn.Linear)(linear_module)


# ----------------------------------------------------------------- activations

_SIMPLE = {  # module -> (ONNX op, {ONNX attribute: module attribute})
    nn.ReLU: ("Relu", {}),
    nn.Sigmoid: ("Sigmoid", {}),
    nn.Tanh: ("Tanh", {}),
    nn.LeakyReLU: ("LeakyRelu", {"alpha": "negative_slope"}),
    nn.ELU: ("Elu", {"alpha": "alpha"}),
}


@register(*_SIMPLE)
def simple_activation(g, module, name, x):
    op, attributes = _SIMPLE[type(module)]
    return g.node(op, [x.name], **{a: float(getattr(module, m)) for a, m in attributes.items()})


def gelu(g, x, approximate="none"):
    """x·Φ(x) = x/2·(1 + erf(x/√2));
    approximate='tanh': x/2·(1 + tanh(√(2/π)·(x + 0.044715·x³)))."""
    half_x = g.node("Mul", [x, g.const(0.5)])
    if approximate == "tanh":
        cube = g.node("Mul", [x, g.node("Mul", [x, x])])
        inner = g.node("Add", [x, g.node("Mul", [cube, g.const(0.044715)])])
        curve = g.node("Tanh", [g.node("Mul", [inner, g.const(math.sqrt(2 / math.pi))])])
    else:
        curve = g.node("Erf", [g.node("Mul", [x, g.const(1 / math.sqrt(2))])])
    return g.node("Mul", [half_x, g.node("Add", [curve, g.const(1.0)])])


@register(nn.GELU)
def gelu_module(g, module, name, x):
    return gelu(g, x.name, module.approximate)


@register(nn.SiLU)
def silu(g, module, name, x):
    """x·σ(x)"""
    return g.node("Mul", [x.name, g.node("Sigmoid", [x.name])])


@register(nn.Softplus)
def softplus(g, module, name, x):
    """log(1 + e^(β·x))/β, and x itself where β·x > threshold (as PyTorch)."""
    scaled = x.name if module.beta == 1 else g.node("Mul", [x.name, g.const(module.beta)])
    smooth = g.node("Softplus", [scaled])
    if module.beta != 1:
        smooth = g.node("Div", [smooth, g.const(module.beta)])
    above = g.node("Greater", [scaled, g.const(module.threshold)])
    return g.node("Where", [above, x.name, smooth])


def softmax_axis(module, ndim):
    """The module's dim, or PyTorch's legacy choice when it is None (0 for 0/1/3-D, else 1)."""
    if module.dim is not None:
        return module.dim
    return 0 if ndim in (0, 1, 3) else 1


@register(nn.Softmax, nn.LogSoftmax)
def softmax(g, module, name, x):
    op = "LogSoftmax" if isinstance(module, nn.LogSoftmax) else "Softmax"
    return g.node(op, [x.name], axis=softmax_axis(module, x.ndim))


# ----------------------------------------------------------------- reshaping


@register(nn.Flatten)
def flatten(g, module, name, x):
    """Reshape: dims before start_dim copied (0, so the batch stays dynamic), the merged
    ones -1, the later ones as in the example."""
    start, end = (d % x.ndim if x.ndim else 0 for d in (module.start_dim, module.end_dim))
    shape = [0] * start + [-1] + list(x.shape[end + 1 :])
    return g.node("Reshape", [x.name, g.ints(shape)])


@register(nn.Unflatten)
def unflatten(g, module, name, x):
    dim = module.dim % x.ndim
    shape = [0] * dim + list(module.unflattened_size) + list(x.shape[dim + 1 :])
    return g.node("Reshape", [x.name, g.ints(shape)])


# ----------------------------------------------------------------- normalization


def batch_norm_check(module):
    if not module.track_running_stats:
        return "track_running_stats=False normalizes with the batch's own statistics in eval"
    return None


@register(nn.BatchNorm1d, nn.BatchNorm2d, check=batch_norm_check)
def batch_norm(g, module, name, x):
    """γ·(x - running_mean)/√(running_var + eps) + β per channel (dimension 1)."""
    n = module.num_features
    scale = g.weight(key(name, "weight"), module.weight) if module.weight is not None else None
    bias = g.weight(key(name, "bias"), module.bias) if module.bias is not None else None
    inputs = [
        x.name,
        scale or g.const(np.ones(n), hint="ones"),
        bias or g.const(np.zeros(n), hint="zeros"),
        g.weight(key(name, "running_mean"), module.running_mean),
        g.weight(key(name, "running_var"), module.running_var),
    ]
    return g.node("BatchNormalization", inputs, epsilon=float(module.eps))


def layer_norm(g, module, name, x):
    """LayerNormalization over the last len(normalized_shape) dims (opset 17)."""
    shape = module.normalized_shape
    if module.weight is not None:
        scale = g.weight(key(name, "weight"), module.weight)
    else:
        scale = g.const(np.ones(shape), hint="ones")
    bias = [g.weight(key(name, "bias"), module.bias)] if module.bias is not None else []
    return g.node(
        "LayerNormalization", [x.name, scale] + bias, axis=-len(shape), epsilon=float(module.eps)
    )


register(nn.LayerNorm)(layer_norm)


def embedding_check(module):
    if module.max_norm is not None:
        return "max_norm renormalizes the rows it reads, in place"
    return None


@register(nn.Embedding, check=embedding_check)
def embedding(g, module, name, x):
    """weight[ids]: Gather along the rows."""
    return g.node("Gather", [g.weight(key(name, "weight"), module.weight), x.name], axis=0)
