"""How a bag of unit embeddings becomes one vector, over the units where ``mask`` is True
(x: (N, T, D) embeddings, mask: (N, T) bool, m_t = 1 for a real unit, 0 for padding):

- ``mean`` (fastText):  Σ_t m_t·x_t / Σ_t m_t
- ``sqrt``:             Σ_t m_t·x_t / √(Σ_t m_t)   (a long text's vector grows with √n)
- ``attention``:        Σ_t a_t·x_t,  a = softmax_t(s_t) over the real units, s_t a learned
  score of unit t's own (one more column of its embedding row): a unit that tells the
  classes apart can outweigh the filler ("for", "the"), as an IDF weight would, but learned.
  With every score equal (zero, as it starts) it is the mean.

A text with no real unit pools to zeros.
"""

import numpy as np

import zennet.functional as F
from zennet.creation import tensor

NEG = -1e9  # the score of a padding position: exp(NEG - max) is 0 in float32


def _counts(mask):
    """Σ_t m_t, at least 1, as an (N, 1) float32 Tensor."""
    return np.maximum(mask.sum(axis=1, keepdims=True), 1).astype(np.float32)


def _masked_sum(x, mask):
    return (x * tensor(mask.astype(np.float32)[:, :, None])).sum(dim=1)  # (N, D)


def masked_mean(x, mask):
    """Σ_t m_t·x_t / Σ_t m_t: (N, T, D) -> (N, D)."""
    return _masked_sum(x, mask) / tensor(_counts(mask))


def masked_sqrt_sum(x, mask):
    """Σ_t m_t·x_t / √(Σ_t m_t): (N, T, D) -> (N, D)."""
    return _masked_sum(x, mask) / tensor(np.sqrt(_counts(mask)))


def attention_pool(x, scores, mask):
    """Σ_t softmax_t(scores)·x_t over the real units: x (N, T, D), scores (N, T) -> (N, D)."""
    weights = F.softmax(scores + tensor(np.where(mask, 0.0, NEG).astype(np.float32)), dim=1)
    return _masked_sum(x * weights.unsqueeze(-1), mask)  # the mask zeroes an all-padding row


POOLINGS = ("mean", "sqrt", "attention", "idf-attention", "idf")


def pool(embeddings, mask, pooling):
    """``pooling`` (one of POOLINGS) of ``embeddings``; for the last three, attention, their
    last column holds the units' scores, the others their vectors (``idf``: fixed scores,
    log IDF, so the weights are IDF / Σ IDF)."""
    mask = np.asarray(mask)
    if pooling in POOLINGS[2:]:
        return attention_pool(embeddings[..., :-1], embeddings[..., -1], mask)
    return (masked_sqrt_sum if pooling == "sqrt" else masked_mean)(embeddings, mask)
