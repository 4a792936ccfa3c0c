"""Scaled dot-product attention, composed from matmul, a masked softmax and dropout.

    attention(Q, K, V) = softmax(Q·Kᵀ·scale + M) · V,   scale = 1/√E by default

Every step is a primitive with its own backward, so the engine derives
    dV = Pᵀ·dY,  dP = dY·Vᵀ,  dS = P ⊙ (dP - Σ_j dP ⊙ P),  dQ = dS·K·scale,  dK = dSᵀ·Q·scale
(P the attention weights, S the scores).
"""

import math

import numpy as np

from zennet.backend import is_floating
from zennet.functional._util import array_of, as_tensor, module_of, shape_of
from zennet.functional.arith import matmul
from zennet.functional.nn import dropout
from zennet.functional.shape import transpose
from zennet.ops.attention import SafeSoftmax


def causal_mask(L, S, xp=np):
    """Boolean (L, S), True where query i may attend to key j: j <= i (top-left aligned);
    made by the array module ``xp`` of the tensors it will mask."""
    return xp.tril(xp.ones((L, S), dtype=bool))


def additive_mask(mask, dtype, allowed=True):
    """A float mask to add to the scores: boolean masks become 0 / -inf.

    ``allowed`` says what True means in a boolean mask: take part (scaled_dot_product_attention)
    or, with allowed=False, be left out (nn.MultiheadAttention's masks). Float masks pass through.
    """
    data = array_of(mask)
    if np.asarray(data).dtype == bool:
        keep = data if allowed else ~data
        xp = module_of(data)
        return xp.where(keep, 0, -np.inf).astype(dtype)
    return mask


def attention(q, k, v, mask=None, dropout_p=0.0, scale=None):
    """(output, weights) of softmax(q·kᵀ·scale + mask)·v; mask is additive (0 / -inf / float).

    q (..., L, E), k (..., S, E), v (..., S, Ev) -> output (..., L, Ev), weights (..., L, S).
    The weights are returned after dropout, as PyTorch's MultiheadAttention does.
    """
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = matmul(q * scale, transpose(k, -2, -1))  # (..., L, S)
    if mask is not None:
        scores = scores + mask
    weights = SafeSoftmax.apply(scores)  # (..., L, S)
    weights = dropout(weights, dropout_p)
    return matmul(weights, v), weights  # (..., L, Ev)


def scaled_dot_product_attention(
    query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None
):
    """softmax(Q·Kᵀ·scale + M)·V, as torch.nn.functional.scaled_dot_product_attention.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); leading
    dimensions broadcast. attn_mask broadcasts to (..., L, S): a boolean mask says which
    keys each query may attend to (True = take part), a float mask is added to the
    scores. is_causal masks keys after the query (j > i). A query that may attend to no
    key gets an output of 0 (as PyTorch). dropout_p drops attention weights whenever it
    is > 0 (pass 0 at evaluation time); scale defaults to 1/√E.
    """
    query, key, value = as_tensor(query), as_tensor(key), as_tensor(value)
    _check_inputs(query, key, value, dropout_p)
    L, S = query.shape[-2], key.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise ValueError(
                "scaled_dot_product_attention: give either attn_mask or is_causal=True, not both "
                "(combine them into one mask: causal & your_mask)."
            )
        attn_mask = causal_mask(L, S, module_of(query))
    if attn_mask is not None:
        try:
            np.broadcast_shapes(shape_of(attn_mask), query.shape[:-1] + (S,))
        except ValueError:
            raise ValueError(
                f"scaled_dot_product_attention: attn_mask of shape {shape_of(attn_mask)} does "
                f"not broadcast to the scores' shape {query.shape[:-1] + (S,)} (..., L, S)."
            ) from None
        attn_mask = additive_mask(attn_mask, query.dtype)
    return attention(query, key, value, attn_mask, dropout_p, scale)[0]


def _check_inputs(q, k, v, dropout_p):
    name = "scaled_dot_product_attention"
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(
            f"{name}: query, key and value need at least 2 dims (..., length, features); got "
            f"shapes {q.shape}, {k.shape}, {v.shape}."
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{name}: query {q.shape}, key {k.shape} and value {v.shape} do not fit: expected "
            f"(..., L, E), (..., S, E) and (..., S, Ev)."
        )
    if not all(is_floating(t.dtype) for t in (q, k, v)):
        raise TypeError(f"{name}: query, key and value must be floating point.")
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"{name}: dropout_p must be in [0, 1], got {dropout_p!r}.")
