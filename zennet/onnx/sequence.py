"""Converters of the sequence layers: RNN/LSTM/GRU as ONNX's own recurrent ops, and
self-attention (MultiheadAttention, TransformerEncoderLayer, TransformerEncoder) spelled
out in MatMul, Softmax and LayerNormalization.

Recurrent gates. ONNX orders the blocks of W, R and B differently from PyTorch:
    LSTM  PyTorch i, f, g, o   ->  ONNX i, o, f, c   (blocks 0, 3, 1, 2)
    GRU   PyTorch r, z, n      ->  ONNX z, r, h      (blocks 1, 0, 2), linear_before_reset=1
          (PyTorch's n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)) multiplies r after the
          recurrent product, which is ONNX's linear_before_reset)
One ONNX op per layer covers both directions: W (D, G·H, in), R (D, G·H, H),
B (D, 2·G·H) = [b_ih, b_hh]. Its output Y (T, D, N, H) becomes the next layer's input
(T, N, D·H); the final states of all layers are concatenated into h_n (L·D, N, H).
"""

import numpy as np

from zennet import functional as F
from zennet import nn
from zennet.onnx.emit import primitive, tensor
from zennet.onnx.graph import Value, convert, key, register
from zennet.onnx.layers import gelu, layer_norm, linear, linear_module
from zennet.ops import attention

_GATES = {"RNN": [0], "LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2]}


def _reordered(array, gates):
    """Rows of a PyTorch (G·H, ...) weight or (G·H,) bias in ONNX's gate order."""
    array = np.asarray(array.data)
    blocks = array.reshape(len(gates), -1, *array.shape[1:])
    return blocks[gates].reshape(array.shape)


def _layer_weights(g, module, name, layer):
    """The (W, R, B) initializers of one layer, both directions stacked."""
    gates, directions = _GATES[module.mode], range(module.num_directions)
    weights = [module._weights(layer, d) for d in directions]  # [w_ih, w_hh, b_ih, b_hh] each
    w = np.stack([_reordered(ws[0], gates) for ws in weights])
    r = np.stack([_reordered(ws[1], gates) for ws in weights])
    names = [g.weight(key(name, f"W_l{layer}"), w), g.weight(key(name, f"R_l{layer}"), r)]
    if module.bias:
        b = [np.concatenate([_reordered(ws[2], gates), _reordered(ws[3], gates)]) for ws in weights]
        names.append(g.weight(key(name, f"B_l{layer}"), np.stack(b)))
    return names


def _attributes(module):
    attributes = {
        "hidden_size": module.hidden_size,
        "direction": "bidirectional" if module.bidirectional else "forward",
    }
    if module.mode == "GRU":
        attributes["linear_before_reset"] = 1
    if module.mode == "RNN" and module.nonlinearity == "relu":
        attributes["activations"] = ["Relu"] * module.num_directions
    return attributes


@register(nn.RNN, nn.LSTM, nn.GRU)
def recurrent(g, module, name, x):
    """(output, h_n) for RNN and GRU, (output, (h_n, c_n)) for LSTM, with zero initial states."""
    if x.ndim != 3:
        raise ValueError(
            f"onnx.export: {type(module).__name__} {name!r} got an unbatched example input of "
            f"shape {x.shape}; export it with a batched 3-D example input."
        )
    sequence = g.node("Transpose", [x.name], perm=[1, 0, 2]) if module.batch_first else x.name
    n_states = 2 if module.mode == "LSTM" else 1
    finals = [[] for _ in range(n_states)]
    for layer in range(module.num_layers):
        inputs = [sequence] + _layer_weights(g, module, name, layer)
        outputs = g.node(module.mode, inputs, outputs=1 + n_states, **_attributes(module))
        y = g.node("Transpose", [outputs[0]], perm=[0, 2, 1, 3])  # (T, N, D, H)
        sequence = g.node("Reshape", [y, g.ints([0, 0, -1])])  # (T, N, D·H)
        for state, final in zip(finals, outputs[1:]):
            state.append(final)  # (D, N, H)
    states = [s[0] if len(s) == 1 else g.node("Concat", s, axis=0) for s in finals]
    output = g.node("Transpose", [sequence], perm=[1, 0, 2]) if module.batch_first else sequence
    return (output, tuple(states)) if module.mode == "LSTM" else (output, states[0])


# ----------------------------------------------------------------- attention


def attention_check(module):
    if not module._qkv_same_embed_dim:
        return "kdim/vdim differ from embed_dim; only self-attention (query = key = value) exports"
    return None


def self_attention(g, module, name, x):
    """MultiheadAttention(x, x, x) for x (N, L, E), no masks, no weights: the name of (N, L, E).

    QKV = x·W_inᵀ + b_in (N, L, 3E) -> (3, N, h, L, d); softmax(Q·Kᵀ/√d)·V per head;
    heads side by side (N, L, E), then out_proj.
    """
    weight, bias = key(name, "in_proj_weight"), key(name, "in_proj_bias")
    qkv = linear(g, x, weight, module.in_proj_weight, bias, module.in_proj_bias)
    joined = Value(attend(g, qkv, module.num_heads, module.embed_dim), x.shape, x.dtype)
    return linear_module(g, module.out_proj, key(name, "out_proj"), joined)


def attend(g, qkv, h, E, mask=None):
    """softmax(Q·Kᵀ/√d + M)·V per head, heads side by side: (N, L, 3E) -> the name of
    (N, L, E); with a mask, a query whose keys are all masked gets 0 (not NaN)."""
    d = E // h
    qkv = g.node("Reshape", [qkv, g.ints([0, 0, 3, h, d])])  # (N, L, 3, h, d)
    qkv = g.node("Transpose", [qkv], perm=[2, 0, 3, 1, 4])  # (3, N, h, L, d)
    q, k, v = (g.node("Gather", [qkv, g.ints(i)], axis=0) for i in range(3))  # (N, h, L, d)
    q = g.node("Mul", [q, g.const(1 / np.sqrt(d))])
    scores = g.node("MatMul", [q, g.node("Transpose", [k], perm=[0, 1, 3, 2])])  # (N, h, L, L)
    if mask is not None:
        scores = g.node("Add", [scores, g.const(np.asarray(mask), hint="mask")])
    weights = g.node("Softmax", [scores], axis=-1)
    if mask is not None:
        weights = g.node("Where", [g.node("IsNaN", [weights]), g.const(0.0), weights])
    heads = g.node("MatMul", [weights, v])  # (N, h, L, d)
    heads = g.node("Transpose", [heads], perm=[0, 2, 1, 3])  # (N, L, h, d)
    return g.node("Reshape", [heads, g.ints([0, 0, E])])


@primitive(attention.SelfAttention)
def fused_self_attention(g, args, kwargs, outs):
    """The op MultiheadAttention runs for self-attention: x·W_inᵀ + b_in, then attend."""
    x, w, b = (list(args) + [None])[:3]
    dtype = outs[0].dtype
    qkv = g.node("MatMul", [x.name, g.node("Transpose", [tensor(g, w, dtype)], perm=[1, 0])])
    if b is not None:
        qkv = g.node("Add", [qkv, tensor(g, b, dtype)])
    return attend(g, qkv, kwargs.get("heads", 1), x.shape[-1], kwargs.get("mask"))


def _batch_first(g, x, batch_first, body):
    """Run ``body`` on x as (N, L, E): transpose a (L, N, E) input there and back."""
    if x.ndim != 3:
        raise ValueError(
            f"onnx.export: attention layers export with a batched 3-D example input; got shape "
            f"{x.shape}."
        )
    if batch_first:
        return body(x)
    swap = (x.shape[1], x.shape[0], x.shape[2])
    y = body(Value(g.node("Transpose", [x.name], perm=[1, 0, 2]), swap, x.dtype))
    return g.node("Transpose", [y], perm=[1, 0, 2])


def attention_run(module, x):
    return module(x, x, x, need_weights=False)[0]


@register(nn.MultiheadAttention, run=attention_run, check=attention_check)
def multihead_attention(g, module, name, x):
    """Exported as self-attention: one input used as query, key and value; the output only."""
    return _batch_first(g, x, module.batch_first, lambda y: self_attention(g, module, name, y))


def encoder_layer_check(module):
    if module.activation not in (F.relu, F.gelu):
        return "its activation is a custom callable; export supports 'relu' and 'gelu'"
    return attention_check(module.self_attn)


@register(nn.TransformerEncoderLayer, check=encoder_layer_check)
def transformer_encoder_layer(g, module, name, x):
    """Post-norm: x = LN1(x + SA(x)), x = LN2(x + FF(x)); norm_first: x = x + SA(LN1(x)), ...
    with FF(x) = linear2(g(linear1(x))) (dropout is the identity in eval). No masks."""

    def residual(x, norm, block):
        """x + block(x) with the LayerNorm ``norm`` after (post-norm) or inside (norm_first)."""
        normalize = lambda y: layer_norm(g, getattr(module, norm), key(name, norm), y)  # noqa: E731
        if module.norm_first:
            return g.node("Add", [x.name, block(x.renamed(normalize(x)))])
        return normalize(x.renamed(g.node("Add", [x.name, block(x)])))

    def attend(x):
        return self_attention(g, module.self_attn, key(name, "self_attn"), x)

    def feed_forward(x):
        hidden = linear_module(g, module.linear1, key(name, "linear1"), x)
        hidden = g.node("Relu", [hidden]) if module.activation is F.relu else gelu(g, hidden)
        width = x.shape[:-1] + (module.linear1.out_features,)
        return linear_module(g, module.linear2, key(name, "linear2"), Value(hidden, width, x.dtype))

    def body(x):
        return residual(x.renamed(residual(x, "norm1", attend)), "norm2", feed_forward)

    return _batch_first(g, x, module.self_attn.batch_first, body)


def encoder_children(module):
    children = [(f"layers.{i}", layer) for i, layer in enumerate(module.layers)]
    return children + ([("norm", module.norm)] if module.norm is not None else [])


@register(nn.TransformerEncoder, children=encoder_children)
def transformer_encoder(g, module, name, x):
    for suffix, child in encoder_children(module):
        x = convert(g, child, key(name, suffix), x)
    return x


@register(nn.SinusoidalPositionalEncoding, nn.LearnedPositionalEncoding)
def positional_encoding(g, module, name, x):
    """x + the table's first T rows (T fixed from the example; dropout is off in eval)."""
    seq_axis = 1 if module.batch_first and x.ndim == 3 else 0
    T, d = x.shape[seq_axis], module.d_model
    if isinstance(module, nn.LearnedPositionalEncoding):
        table = g.weight(key(name, "weight"), module.weight)
        rows = g.node("Slice", [table, g.ints([0]), g.ints([T]), g.ints([0])])  # (T, d)
    else:
        rows = g.const(module.pe.data[:T], hint="positions")  # not in the state dict
    if x.ndim == 3 and not module.batch_first:
        rows = g.node("Reshape", [rows, g.ints([T, 1, d])])  # broadcast over the batch
    return g.node("Add", [x.name, rows])
