"""A GRU encoder-decoder with attention, for translation.

    encoder: embedding -> bidirectional GRU over the source  -> memory m (N, S, 2H)
    decoder: embedding -> GRU over the target so far          -> d_t (N, T, H)
    attention (Luong, "general"): a_ts = softmax_s(d_t · W_k m_s), pad positions masked
    context c_t = Σ_s a_ts m_s;   output o_t = tanh(W_c [d_t; c_t]);   logits = W_o o_t

The decoder's first state is tanh(W_b [forward final; backward final]) of the encoder.
Because the attention comes after the decoder's GRU (no input feeding), teacher-forced
training runs the whole target in one call; decoding calls ``decode`` one token at a time.
"""

import numpy as np

import zennet.functional as F
from zennet import nn
from zennet.grad_mode import no_grad
from zennet.models import MODELS
from zennet.text.decode import beam_search


class Seq2SeqGRU(nn.Module):
    """(source ids (N, S), source lengths (N,), target input ids (N, T)) -> logits (N, T, V)."""

    def __init__(self, src_vocab, tgt_vocab, dim=128, hidden=256, dropout=0.1, pad_id=0):
        super().__init__()
        self.pad_id = pad_id
        self.src_embed = nn.Embedding(src_vocab, dim)
        self.tgt_embed = nn.Embedding(tgt_vocab, dim)
        self.encoder = nn.GRU(dim, hidden, batch_first=True, bidirectional=True)
        self.bridge = nn.Linear(2 * hidden, hidden)
        self.decoder = nn.GRU(dim, hidden, batch_first=True)
        self.keys = nn.Linear(2 * hidden, hidden, bias=False)
        self.combine = nn.Linear(3 * hidden, hidden)
        self.out = nn.Linear(hidden, tgt_vocab)
        self.drop = nn.Dropout(dropout)

    def forward(self, src, lengths, tgt_in):
        memory, h = self.encode(src, lengths)
        return self.decode(tgt_in, memory, h)[0]

    def encode(self, src, lengths):
        """(memory: dict of the encoder's outputs (N, S, 2H), their keys (N, S, H) and the
        source mask (N, S); the decoder's first state (1, N, H))."""
        src = np.asarray(src)
        out, final = self.encoder(self.drop(self.src_embed(src)), lengths=np.asarray(lengths))
        h = F.tanh(self.bridge(F.cat([final[0], final[1]], dim=-1)))[None]  # (1, N, H)
        return {"values": out, "keys": self.keys(out), "mask": src != self.pad_id}, h

    def decode(self, tgt_in, memory, h):
        """(logits (N, T, V), last state (1, N, H), attention weights (N, T, S))."""
        d, h = self.decoder(self.drop(self.tgt_embed(np.asarray(tgt_in))), h)  # (N, T, H)
        scores = d @ memory["keys"].transpose(1, 2)  # (N, T, S)
        scores = scores.masked_fill(~memory["mask"][:, None, :], float("-inf"))
        weights = F.softmax(scores, dim=-1)
        context = weights @ memory["values"]  # (N, T, 2H)
        o = F.tanh(self.combine(F.cat([d, context], dim=-1)))
        return self.out(self.drop(o)), h, weights


def select_rows(memory, h, rows):
    """The encoder memory and decoder state of the beams ``rows``."""
    return {k: v[rows] for k, v in memory.items()}, h[:, rows]


def translate_ids(model, src, bos, eos, beam_width=1, max_len=60, return_attention=False):
    """The target ids for one source (a list of ids) -- greedy when ``beam_width`` is 1 --
    and, with ``return_attention``, the attention weights (target + 1, source): row t is
    where the decoder looked to write token t (the last row, for ``eos``)."""
    model.eval()
    with no_grad():
        memory, h = model.encode(np.array([src]), np.array([len(src)]))
        state = {"memory": memory, "h": h}

        def step(tokens, parents):
            memory, h = select_rows(state["memory"], state["h"], parents)
            logits, state["h"], _ = model.decode(tokens[:, None], memory, h)
            state["memory"] = memory
            return F.log_softmax(logits[:, 0], dim=-1).numpy()

        tokens, _ = beam_search(step, bos, eos, beam_width, max_len)
        if not return_attention:
            return tokens
        weights = model.decode(np.array([[bos, *tokens]]), memory, h)[2]  # teacher-forced
    return tokens, weights.numpy()[0]


def greedy_batch(model, src, lengths, bos, eos, max_len=60):
    """Greedy decoding of a batch of sources at once: a list of target-id lists."""
    model.eval()
    with no_grad():
        memory, h = model.encode(src, lengths)
        tokens = np.full((len(src), 1), bos)
        out = np.zeros((len(src), 0), dtype=np.int64)
        for _ in range(max_len):
            logits, h, _ = model.decode(tokens, memory, h)
            tokens = logits.numpy()[:, -1].argmax(axis=-1)[:, None]
            out = np.concatenate([out, tokens], axis=1)
            if (out == eos).any(axis=1).all():
                break
    return [list(row[: list(row).index(eos)]) if eos in row else list(row) for row in out]


@MODELS.register("seq2seq-gru")
def seq2seq_gru(input_shape, num_classes, src_vocab=None, dim=128, hidden=256, dropout=0.1):
    """GRU encoder-decoder with Luong attention, for translation (zennet translate)."""
    return Seq2SeqGRU(src_vocab or num_classes, num_classes, dim, hidden, dropout)


seq2seq_gru.translation = True
