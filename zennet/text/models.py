"""Language models over token ids: ``(B, T)`` ids -> ``(B, T, vocab)`` next-token logits.

- ``GPT``: a decoder-only transformer after nanoGPT -- token and learned position
  embeddings, pre-norm blocks ``x + attn(ln(x))``, ``x + mlp(ln(x))`` with causal
  self-attention, a final layer norm, and the output layer tied to the token embedding
  (logits = h · Eᵀ: one matrix, used twice).
- ``CharLSTM``: embedding, a stacked LSTM, a linear layer.

Both have ``step(ids, state) -> (logits, state)`` for generation: the GPT's state is its
key/value cache (the keys and values of every earlier position, per layer), so each new
token costs one position's work instead of the whole context's; the LSTM's is (h, c).
"""

import math

import numpy as np

import zennet.functional as F
from zennet import nn
from zennet.models import MODELS


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position i sees positions <= i only."""

    def __init__(self, dim, heads, dropout=0.0):
        super().__init__()
        if dim % heads:
            raise ValueError(f"CausalSelfAttention: dim={dim} must be a multiple of heads={heads}.")
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, cache=None):
        """x (B, T, C) -> (y (B, T, C), (keys, values) (B, H, P + T, C/H) each): ``cache``
        holds the P earlier positions' keys and values."""
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # (B, T, C) each
        q, k, v = (t.reshape(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        if cache is not None:  # (B, H, P, C/H) from the earlier positions
            k, v = F.cat([cache[0], k], dim=2), F.cat([cache[1], v], dim=2)
        P = k.shape[2] - T
        allowed = np.tril(np.ones((T, P + T), dtype=bool), k=P)  # query i sees keys j <= P + i
        p = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side again
        return self.proj(y), (k, v)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x))."""

    def __init__(self, dim, heads, dropout=0.0):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads, dropout)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, cache=None):
        a, cache = self.attn(self.ln1(x), cache)
        x = x + self.drop(a)
        return x + self.drop(self.mlp(self.ln2(x))), cache


class GPT(nn.Module):
    """Decoder-only transformer: ids (B, T) -> logits (B, T, vocab_size), T <= block_size."""

    def __init__(self, vocab_size, block_size=128, dim=128, layers=4, heads=4, dropout=0.1):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, dim)  # also the output layer (tied)
        self.wpe = nn.Embedding(block_size, dim)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(dim, heads, dropout) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        for name, p in self.named_parameters():  # GPT-2's initialisation
            if name.endswith("weight") and p.ndim == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, ids):
        return self.step(ids)[0]

    def step(self, ids, state=None):
        """(logits (B, T, V), state): ``ids`` (B, T) continue the positions in ``state``
        (None: a new sequence), whose key/value cache the returned state extends."""
        ids = _check_ids(self, ids, self.wte.num_embeddings)
        start = 0 if state is None else state[0][0].shape[2]
        if start + ids.shape[1] > self.block_size:
            raise ValueError(
                f"GPT: positions {start}..{start + ids.shape[1] - 1} pass block_size="
                f"{self.block_size}; give at most the last {self.block_size} tokens."
            )
        positions = np.arange(start, start + ids.shape[1])
        x = self.drop(self.wte(ids) + self.wpe(positions))  # (B, T, C)
        caches = []
        for i, block in enumerate(self.blocks):
            x, cache = block(x, None if state is None else state[i])
            caches.append(cache)
        logits = F.linear(self.ln_f(x), self.wte.weight)  # tied: (B, T, V)
        return logits, caches


class CharLSTM(nn.Module):
    """Embedding -> stacked LSTM -> dropout -> linear: ids (B, T) -> logits (B, T, V)."""

    block_size = None  # any length

    def __init__(self, vocab_size, dim=64, hidden=512, layers=2, dropout=0.1):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.lstm = nn.LSTM(
            dim, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, ids):
        return self.step(ids)[0]

    def step(self, ids, state=None):
        """(logits (B, T, V), (h, c)): continue from the LSTM state (None: zeros)."""
        ids = _check_ids(self, ids, self.embed.num_embeddings)
        h, state = self.lstm(self.embed(ids), state)  # (B, T, hidden)
        return self.head(self.drop(h)), state


def _check_ids(model, ids, vocab_size):
    data = np.asarray(ids.numpy() if hasattr(ids, "numpy") else ids)
    if data.ndim != 2 or not np.issubdtype(data.dtype, np.integer):
        raise ValueError(
            f"{type(model).__name__} got input of shape {data.shape} and dtype "
            f"{data.dtype}; expected token ids (batch, time) of an integer dtype."
        )
    if data.size and (data.min() < 0 or data.max() >= vocab_size):
        raise ValueError(
            f"{type(model).__name__}: token ids must be in [0, {vocab_size}); got "
            f"{data.min()}..{data.max()}. Encode with the model's own vocabulary."
        )
    return data


@MODELS.register("gpt")
def gpt(input_shape, num_classes, dim=128, layers=4, heads=4, dropout=0.0):
    """Small GPT on tokens: causal self-attention, learned positions, pre-norm, tied head."""
    return GPT(num_classes, input_shape[0], dim, layers, heads, dropout)


@MODELS.register("char-lstm")
def char_lstm(input_shape, num_classes, dim=64, hidden=256, layers=2, dropout=0.0):
    """Character-level LSTM language model: embedding 64, 2-layer LSTM of 256, linear (256
    rather than 512 so that 1,200 steps of 32 windows train in 15 minutes on one core)."""
    return CharLSTM(num_classes, dim, hidden, layers, dropout)


gpt.language_model = char_lstm.language_model = True  # trained by zennet.jobs.text
