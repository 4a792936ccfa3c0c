"""Transformer encoder (PyTorch's layer, keys and options) and positional encodings."""

import copy
import math

import numpy as np

from zennet import functional as F
from zennet.functional._util import as_tensor
from zennet.nn import init
from zennet.nn.attention import MultiheadAttention
from zennet.nn.checks import check_input
from zennet.nn.containers import ModuleList
from zennet.nn.dropout import Dropout
from zennet.nn.linear import Linear
from zennet.nn.module import Module, Parameter
from zennet.nn.norm import LayerNorm
from zennet.nn.recurrent import check_sizes

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def resolve_activation(layer, activation):
    """F.relu or F.gelu for their names; a callable passes through."""
    if not isinstance(activation, str):
        return activation
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"{layer}: activation must be 'relu', 'gelu' or a callable, got {activation!r}."
        )
    return _ACTIVATIONS[activation]


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each wrapped in a residual and a LayerNorm:

        post-norm (default):  x = norm1(x + SA(x));          x = norm2(x + FF(x))
        norm_first:           x = x + SA(norm1(x));          x = x + FF(norm2(x))
        SA(x) = dropout1(self_attn(x, x, x)),  FF(x) = dropout2(linear2(dropout(g(linear1(x)))))

    g is relu or gelu (or any callable). Keys as PyTorch: self_attn.*, linear1.*, linear2.*,
    norm1.*, norm2.*. forward(src, src_mask=None, src_key_padding_mask=None,
    is_causal=False) with src (S, N, E), or (N, S, E) with batch_first, or (S, E); the masks
    follow nn.MultiheadAttention (True = may not attend / padding).
    """

    def __init__(
        self,
        d_model,
        nhead,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        check_sizes("TransformerEncoderLayer", dim_feedforward=dim_feedforward)
        made = dict(device=device, dtype=dtype, bias=bias)
        activation = resolve_activation("TransformerEncoderLayer", activation)
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, batch_first=batch_first, **made
        )
        self.linear1 = Linear(d_model, dim_feedforward, **made)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, **made)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, **made)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, **made)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = activation

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        d_model = self.self_attn.embed_dim
        name = f"TransformerEncoderLayer(d_model={d_model})"
        x = check_input(name, src)
        if x.ndim not in (2, 3) or x.shape[-1] != d_model:
            layout = "batch, seq" if self.self_attn.batch_first else "seq, batch"
            raise ValueError(
                f"{name} got input of shape {tuple(x.shape)}; expected ({layout}, {d_model}) "
                f"or one unbatched sequence (seq, {d_model})."
            )
        masks = {"attn_mask": src_mask, "key_padding_mask": src_key_padding_mask}
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), masks, is_causal)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._self_attention(x, masks, is_causal))
        return self.norm2(x + self._feed_forward(x))

    def _self_attention(self, x, masks, is_causal):
        out = self.self_attn(x, x, x, need_weights=False, is_causal=is_causal, **masks)[0]
        return self.dropout1(out)

    def _feed_forward(self, x):
        hidden = self.dropout(self.activation(self.linear1(x)))
        return self.dropout2(self.linear2(hidden))


class TransformerEncoder(Module):
    """``num_layers`` deep copies of ``encoder_layer`` applied in turn (keys layers.0. ...),
    then ``norm`` if given. forward(src, mask=None, src_key_padding_mask=None,
    is_causal=None) passes the masks to every layer. enable_nested_tensor and mask_check
    are accepted for PyTorch code and change nothing (padded positions are computed, not
    dropped, so their outputs are not zeroed as PyTorch's nested-tensor path does).
    """

    def __init__(
        self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True
    ):
        super().__init__()
        check_sizes("TransformerEncoder", num_layers=num_layers)
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        x = src
        for layer in self.layers:
            x = layer(
                x,
                src_mask=mask,
                src_key_padding_mask=src_key_padding_mask,
                is_causal=bool(is_causal),
            )
        return x if self.norm is None else self.norm(x)


# ----------------------------------------------------------- positional encodings


def _check_positions(module, x):
    """The sequence length of x, checked against the table's d_model and max_len."""
    name = type(module).__name__
    seq_axis = 1 if module.batch_first and x.ndim == 3 else 0
    if x.ndim not in (2, 3) or x.shape[-1] != module.d_model:
        layout = "(batch, seq, {0})" if module.batch_first else "(seq, batch, {0})"
        raise ValueError(
            f"{name}(d_model={module.d_model}) got input of shape {x.shape}; expected "
            f"{layout.format(module.d_model)} or (seq, {module.d_model})."
        )
    if x.shape[seq_axis] > module.max_len:
        raise ValueError(
            f"{name}(max_len={module.max_len}) got a sequence of length {x.shape[seq_axis]}; "
            f"make max_len at least {x.shape[seq_axis]}."
        )
    return x.shape[seq_axis]


def _add_positions(module, x, table):
    """x + the first T rows of ``table`` (max_len, d_model), broadcast over the batch."""
    T = _check_positions(module, x)
    rows = table[:T]  # (T, d_model)
    if x.ndim == 3 and not module.batch_first:
        rows = F.unsqueeze(rows, 1)  # (T, 1, d_model)
    return module.dropout(x + rows)


class SinusoidalPositionalEncoding(Module):
    """Adds the fixed sin/cos table of "Attention Is All You Need" to the input, then dropout:

        PE[pos, 2i] = sin(pos / 10000^(2i/d)),   PE[pos, 2i+1] = cos(pos / 10000^(2i/d))

    x (seq, batch, d_model), or (batch, seq, d_model) with batch_first, or (seq, d_model).
    The table is a non-persistent buffer ``pe`` (max_len, d_model): not in the state dict.
    """

    def __init__(self, d_model, max_len=5000, dropout=0.1, batch_first=False):
        super().__init__()
        check_sizes(type(self).__name__, d_model=d_model, max_len=max_len)
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.dropout = Dropout(dropout)
        position = np.arange(max_len, dtype=np.float64)[:, None]  # (max_len, 1)
        frequency = np.exp(np.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = np.zeros((max_len, d_model), dtype=np.float64)
        pe[:, 0::2] = np.sin(position * frequency)
        pe[:, 1::2] = np.cos(position * frequency[: d_model // 2])
        self.register_buffer("pe", pe.astype(np.float32), persistent=False)

    def forward(self, x):
        x = as_tensor(x)
        return _add_positions(self, x, self.pe.data.astype(x.dtype, copy=False))

    def extra_repr(self):
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEncoding(Module):
    """Adds a learned vector per position, ``weight`` (max_len, d_model), then dropout.

    Initialised N(0, 0.02²) as in GPT-2/BERT. Shapes as SinusoidalPositionalEncoding.
    """

    def __init__(self, max_len, d_model, dropout=0.0, batch_first=False):
        super().__init__()
        check_sizes(type(self).__name__, d_model=d_model, max_len=max_len)
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.weight = Parameter(np.empty((max_len, d_model), np.float32))
        init.normal_(self.weight, std=0.02)
        self.dropout = Dropout(dropout)

    def forward(self, x):
        return _add_positions(self, as_tensor(x), self.weight)

    def extra_repr(self):
        return f"max_len={self.max_len}, d_model={self.d_model}"
