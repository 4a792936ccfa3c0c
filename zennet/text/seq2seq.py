"""A GRU encoder-decoder with attention, for translation.

    encoder: embedding -> bidirectional GRU over the source  -> memory m (N, S, 2H)
    decoder: embedding -> GRU over the target so far          -> d_t (N, T, H)
    attention (Luong, "general"): a_ts = softmax_s(d_t · W_k m_s), pad positions masked
    context c_t = Σ_s a_ts m_s;   output o_t = tanh(W_c [d_t; c_t]);   logits = W_o o_t

The decoder's first state is tanh(W_b [forward final; backward final]) of the encoder.
Because the attention comes after the decoder's GRU (no input feeding), teacher-forced
training runs the whole target in one call; decoding (``zennet.text.decode``) calls
``step`` one token at a time, carrying the decoder's state.
"""

import numpy as np

import zennet.functional as F
from zennet import nn
from zennet.models import MODELS
from zennet.text.decode import rows_of


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

    def start(self, src, lengths):
        """The decoding state of a batch of sources: the encoder memory, the first state."""
        return self.encode(src, lengths)

    def step(self, tokens, state, parents=None):
        """(log-probabilities (K, V) of the token after ``tokens`` (K,), the new state):
        beam k continues row ``parents[k]`` of ``state`` (None: row k)."""
        memory, h = state
        if parents is not None:
            memory, h = rows_of(memory, parents), h[:, parents]
        logits, h, _ = self.decode(np.asarray(tokens)[:, None], memory, h)  # (K, 1, V)
        return F.log_softmax(logits[:, 0], dim=-1).numpy(), (memory, h)

    def attention(self, src, lengths, tgt_in):
        """The attention weights (N, T, S) with ``tgt_in`` teacher-forced."""
        return self.decode(tgt_in, *self.encode(src, lengths))[2].numpy()


@MODELS.register("seq2seq-gru")
def seq2seq_gru(input_shape, num_classes, src_vocab=None, dim=128, hidden=256, dropout=0.1):
    """GRU encoder-decoder with Luong attention, for translation (zennet translate)."""
    return Seq2SeqGRU(src_vocab or num_classes, num_classes, dim, hidden, dropout)


seq2seq_gru.translation = True
