"""Transformer decoder and the whole encoder-decoder Transformer, with PyTorch's layers,
keys, options and masks (nn.MultiheadAttention's: True / -inf = may not attend)."""

import copy

from zennet import creation
from zennet.backend import get_default_dtype
from zennet.functional.attention import additive_mask, causal_mask
from zennet.nn import init
from zennet.nn.attention import MultiheadAttention
from zennet.nn.containers import ModuleList
from zennet.nn.dropout import Dropout
from zennet.nn.linear import Linear
from zennet.nn.module import Module
from zennet.nn.norm import LayerNorm
from zennet.nn.recurrent import check_sizes
from zennet.nn.transformer import (
    TransformerEncoder,
    TransformerEncoderLayer,
    resolve_activation,
)


def generate_square_subsequent_mask(sz, device=None, dtype=None):
    """(sz, sz) float mask: 0 on and below the diagonal, -inf above (position i sees j ≤ i)."""
    mask = additive_mask(causal_mask(sz, sz), "float64")
    return creation.tensor(mask, dtype=dtype or get_default_dtype(), device=device)


class TransformerDecoderLayer(Module):
    """Self-attention over the target, attention to the encoder's output (memory), then a
    feed-forward network, each in a residual with a LayerNorm:

        post-norm:   x = norm1(x + SA(x));  x = norm2(x + MHA(x, m));  x = norm3(x + FF(x))
        norm_first:  x = x + SA(norm1(x));  x = x + MHA(norm2(x), m);  x = x + FF(norm3(x))

    Keys as PyTorch: self_attn.*, multihead_attn.*, linear1.*, linear2.*, norm1-3.*.
    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False).
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
        check_sizes("TransformerDecoderLayer", dim_feedforward=dim_feedforward)
        activation = resolve_activation("TransformerDecoderLayer", activation)
        made = dict(device=device, dtype=dtype, bias=bias)
        attention = dict(dropout=dropout, batch_first=batch_first, **made)
        self.self_attn = MultiheadAttention(d_model, nhead, **attention)
        self.multihead_attn = MultiheadAttention(d_model, nhead, **attention)
        self.linear1 = Linear(d_model, dim_feedforward, **made)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, **made)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, **made)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, **made)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, **made)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = activation

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=False,
        memory_is_causal=False,
    ):
        x = tgt
        self_masks = (tgt_mask, tgt_key_padding_mask, tgt_is_causal)
        cross_masks = (memory_mask, memory_key_padding_mask, memory_is_causal)
        if self.norm_first:
            x = x + self._attend(self.self_attn, self.dropout1, self.norm1(x), None, self_masks)
            x = x + self._attend(
                self.multihead_attn, self.dropout2, self.norm2(x), memory, cross_masks
            )
            return x + self._feed_forward(self.norm3(x))
        x = self.norm1(x + self._attend(self.self_attn, self.dropout1, x, None, self_masks))
        x = self.norm2(x + self._attend(self.multihead_attn, self.dropout2, x, memory, cross_masks))
        return self.norm3(x + self._feed_forward(x))

    @staticmethod
    def _attend(attention, dropout, x, memory, masks):
        """dropout(attention(x, kv, kv)), kv = memory or x itself."""
        attn_mask, key_padding_mask, is_causal = masks
        kv = x if memory is None else memory
        out = attention(
            x,
            kv,
            kv,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            is_causal=bool(is_causal),
            need_weights=False,
        )[0]
        return dropout(out)

    def _feed_forward(self, x):
        hidden = self.dropout(self.activation(self.linear1(x)))
        return self.dropout3(self.linear2(hidden))


class TransformerDecoder(Module):
    """``num_layers`` deep copies of ``decoder_layer`` (keys layers.0. ...), then ``norm``."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        check_sizes("TransformerDecoder", num_layers=num_layers)
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt,
        memory,
        tgt_mask=None,
        memory_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        x = tgt
        for layer in self.layers:
            x = layer(
                x,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=bool(tgt_is_causal),
                memory_is_causal=memory_is_causal,
            )
        return x if self.norm is None else self.norm(x)


class Transformer(Module):
    """The encoder-decoder Transformer of "Attention Is All You Need" (PyTorch's layout):
    encoder (layers + final LayerNorm) over src, decoder (layers + final LayerNorm) over
    tgt attending to the encoder's output. Every weight matrix is xavier_uniform_.

    forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    src_is_causal=None, tgt_is_causal=None, memory_is_causal=False) -> (T, N, E).
    """

    def __init__(
        self,
        d_model=512,
        nhead=8,
        num_encoder_layers=6,
        num_decoder_layers=6,
        dim_feedforward=2048,
        dropout=0.1,
        activation="relu",
        custom_encoder=None,
        custom_decoder=None,
        layer_norm_eps=1e-5,
        batch_first=False,
        norm_first=False,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        options = dict(
            dim_feedforward=dim_feedforward,
            dropout=dropout,
            activation=activation,
            layer_norm_eps=layer_norm_eps,
            batch_first=batch_first,
            norm_first=norm_first,
            bias=bias,
            device=device,
            dtype=dtype,
        )
        norm = dict(eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, **options)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, LayerNorm(d_model, **norm))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, **options)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, LayerNorm(d_model, **norm))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    generate_square_subsequent_mask = staticmethod(generate_square_subsequent_mask)

    def forward(
        self,
        src,
        tgt,
        src_mask=None,
        tgt_mask=None,
        memory_mask=None,
        src_key_padding_mask=None,
        tgt_key_padding_mask=None,
        memory_key_padding_mask=None,
        src_is_causal=None,
        tgt_is_causal=None,
        memory_is_causal=False,
    ):
        batch_axis = 0 if self.batch_first else 1
        if src.ndim == 3 and src.shape[batch_axis] != tgt.shape[batch_axis]:
            raise ValueError(
                f"Transformer: src {src.shape} and tgt {tgt.shape} must have the same batch size."
            )
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(
                f"Transformer(d_model={self.d_model}): the feature size of src {src.shape} and "
                f"tgt {tgt.shape} must be d_model."
            )
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        return self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )
