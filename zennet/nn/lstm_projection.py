"""LSTM with projections (Sak et al., 2014), as ``torch.nn.LSTM(proj_size=P)``: the hidden
state is projected down after each step,

    a_t = x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh          W_hh (4H, P)
    c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = (o ⊙ tanh c_t)·W_hrᵀ   W_hr (P, H)

so h is (N, P) and c is (N, H). Composed of F.* primitives one step at a time (autograd
does the back-propagation through time); the fused op in ops/recurrent.py runs the LSTM
without projections.
"""

import numpy as np

from zennet import functional as F
from zennet.functional._util import module_of


def projected_lstm(x, weights, h, c, lengths=None, reverse=False):
    """One layer, one direction: x (T, N, I), h (N, P), c (N, H), weights (w_ih, w_hh,
    b_ih, b_hh, w_hr) -> outputs (T, N, P), final h (N, P), final c (N, H).

    With ``lengths`` (N,), steps past a sequence's length keep its state (as the fused op).
    """
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    T = x.shape[0]
    inputs = F.linear(x, w_ih, b_ih)  # (T, N, 4H): every step's input projection at once
    mask = None
    if lengths is not None:
        mask = module_of(x).asarray((np.arange(T)[:, None] < lengths[None, :])[..., None])
    outputs = [None] * T
    for t in range(T - 1, -1, -1) if reverse else range(T):
        i, f, g, o = F.chunk(inputs[t] + F.linear(h, w_hh, b_hh), 4, dim=-1)  # (N, H) each
        c_new = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
        h_new = F.linear(F.sigmoid(o) * F.tanh(c_new), w_hr)  # (N, P)
        if mask is not None:  # the padding keeps the previous state
            h_new, c_new = F.where(mask[t], h_new, h), F.where(mask[t], c_new, c)
        h, c = h_new, c_new
        outputs[t] = h
    return F.stack(outputs, 0), h, c
