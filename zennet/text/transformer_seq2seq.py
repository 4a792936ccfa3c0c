"""A transformer encoder-decoder, for translation ("Attention Is All You Need", pre-norm).

    source: x = E_s[src] · √d + PE          -> encoder (self-attention, pad keys masked) -> m
    target: y = E_t[tgt_in] · √d + PE       -> decoder (causal self-attention, attention to
            m with the source's pad keys masked)  -> h;   logits = h · E_tᵀ (tied)

PE is the fixed sinusoidal table; the encoder and decoder are zennet's ``nn.Transformer``
(pre-norm layers, GELU, final layer norms). The output layer is the target embedding
itself, so one matrix reads and writes the target tokens.

Decoding (``step``) runs one new position at a time: each decoder layer keeps the
normalised inputs of the positions already written (their keys and values are projected
again from them at every step -- ``nn.MultiheadAttention`` takes inputs, not projections),
so the feed-forward networks and the attention to the source run for the new position
only. ``tests/text/test_transformer_translator.py`` checks it gives the logits of the
whole prefix run through ``nn.TransformerDecoder``.
"""

import math

import numpy as np

import zennet.functional as F
from zennet import nn
from zennet.models import MODELS
from zennet.text.decode import rows_of


class Seq2SeqTransformer(nn.Module):
    """(source ids (N, S), source lengths (N,), target input ids (N, T)) -> logits (N, T, V)."""

    def __init__(
        self, src_vocab, tgt_vocab, dim=128, heads=4, layers=3, ff=512, dropout=0.1, pad_id=0
    ):
        super().__init__()
        self.pad_id, self.scale = pad_id, math.sqrt(dim)
        self.src_embed = nn.Embedding(src_vocab, dim)
        self.tgt_embed = nn.Embedding(tgt_vocab, dim)  # also the output layer (tied)
        for embed in (self.src_embed, self.tgt_embed):  # entries of E·√d ~ N(0, 1)
            nn.init.normal_(embed.weight, 0.0, dim**-0.5)
        self.positions = nn.SinusoidalPositionalEncoding(dim, 512, dropout, batch_first=True)
        self.transformer = nn.Transformer(
            dim, heads, layers, layers, ff, dropout, "gelu", batch_first=True, norm_first=True
        )

    def forward(self, src, lengths, tgt_in):
        return self.decode(tgt_in, self.encode(src, lengths))

    def encode(self, src, lengths):
        """{"values": the encoder's output m (N, S, d), "padding": (N, S) True on pads}."""
        src = np.asarray(src)
        padding = np.arange(src.shape[1])[None, :] >= np.asarray(lengths)[:, None]  # (N, S)
        x = self.positions(self.src_embed(src) * self.scale)  # (N, S, d)
        m = self.transformer.encoder(x, src_key_padding_mask=padding)
        return {"values": m, "padding": padding}

    def decode(self, tgt_in, memory):
        """Logits (N, T, V) of the token after each prefix of ``tgt_in`` (N, T)."""
        tgt_in = np.asarray(tgt_in)
        T = tgt_in.shape[1]
        y = self.positions(self.tgt_embed(tgt_in) * self.scale)  # (N, T, d)
        h = self.transformer.decoder(
            y,
            memory["values"],
            tgt_mask=np.triu(np.ones((T, T), dtype=bool), k=1),  # True: may not attend
            tgt_key_padding_mask=tgt_in == self.pad_id,
            memory_key_padding_mask=memory["padding"],
            tgt_is_causal=True,
        )
        return F.linear(h, self.tgt_embed.weight)  # tied: (N, T, V)

    def start(self, src, lengths):
        """The decoding state of a batch of sources: their memory, and per decoder layer
        the normalised inputs of the positions written so far (none yet)."""
        memory = self.encode(src, lengths)
        empty = memory["values"][:, :0]  # (N, 0, d)
        return memory, [empty] * len(self.transformer.decoder.layers)

    def step(self, tokens, state, parents=None):
        """(log-probabilities (K, V) of the token after ``tokens`` (K,), the new state):
        beam k continues row ``parents[k]`` of ``state`` (None: row k). Only the new
        position runs; its self-attention reads the cached earlier positions."""
        memory, seen = state
        if parents is not None:
            memory, seen = rows_of(memory, parents), [s[parents] for s in seen]
        t = seen[0].shape[1]  # the new token's position
        if t >= self.positions.max_len:
            raise ValueError(
                f"Seq2SeqTransformer: position {t} is past the {self.positions.max_len} "
                f"positions of its sinusoid table; decode at most that many tokens."
            )
        seen = list(seen)  # the caller's state stays as it was
        x = self.tgt_embed(np.asarray(tokens)[:, None]) * self.scale  # (K, 1, d)
        x = x + self.positions.pe.data[t].astype(x.dtype)
        for i, layer in enumerate(self.transformer.decoder.layers):
            x, seen[i] = _decoder_layer_step(layer, x, seen[i], memory)
        logits = F.linear(self.transformer.decoder.norm(x[:, 0]), self.tgt_embed.weight)
        return F.log_softmax(logits, dim=-1).numpy(), (memory, seen)

    def attention(self, src, lengths, tgt_in):
        """The last decoder layer's attention to the source, averaged over the heads, with
        ``tgt_in`` teacher-forced: (N, T, S), each row summing to 1."""
        cross = self.transformer.decoder.layers[-1].multihead_attn
        seen = []

        def ask_for_weights(module, args, kwargs):  # the layer asks for none
            return args, {**kwargs, "need_weights": True, "average_attn_weights": True}

        def keep_weights(module, args, kwargs, output):
            seen.append(output[1])

        with cross.register_forward_pre_hook(ask_for_weights, with_kwargs=True):
            with cross.register_forward_hook(keep_weights, with_kwargs=True):
                self.decode(tgt_in, self.encode(src, lengths))
        return seen[0].numpy()


def _decoder_layer_step(layer, x, seen, memory):
    """One new position x (K, 1, d) through a pre-norm decoder layer in eval mode (no
    dropout), as ``layer(...)`` computes it for the last position of the whole prefix:
    ``seen`` (K, t, d) holds norm1 of the earlier positions, which the new one may all see.
    Returns (the layer's output (K, 1, d), ``seen`` with the new position)."""
    y = layer.norm1(x)
    seen = F.cat([seen, y], dim=1)  # (K, t + 1, d)
    x = x + layer.self_attn(y, seen, seen, need_weights=False)[0]
    m, padding = memory["values"], memory["padding"]
    z = layer.norm2(x)
    x = x + layer.multihead_attn(z, m, m, key_padding_mask=padding, need_weights=False)[0]
    return x + layer._feed_forward(layer.norm3(x)), seen


@MODELS.register("seq2seq-transformer")
def seq2seq_transformer(
    input_shape, num_classes, src_vocab=None, dim=128, heads=4, layers=3, ff=512, dropout=0.1
):
    """Transformer encoder-decoder (pre-norm, sinusoidal positions, tied output layer)."""
    return Seq2SeqTransformer(
        src_vocab or num_classes, num_classes, dim, heads, layers, ff, dropout
    )


seq2seq_transformer.translation = True
