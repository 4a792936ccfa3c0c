"""nn.LSTM(proj_size=P) against torch.nn.LSTM with the same weights: outputs, final states
and every gradient, with layers, directions, batch_first, initial states and packed
sequences (float32 via tests/nn/test_recurrent.py's run_both, and float64); a float64
gradcheck of the projected recurrence."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.nn.test_recurrent import run_both
from zennet import nn
from zennet.nn.lstm_projection import projected_lstm

CONFIGS = [  # (constructor kwargs, (T, N), initial states given, lengths)
    ({}, (4, 3), False, None),
    ({"num_layers": 2, "bidirectional": True}, (4, 2), True, None),
    ({"batch_first": True, "bias": False}, (3, 2), True, None),
    ({"num_layers": 2, "bidirectional": True}, (5, 3), True, [5, 2, 3]),
    ({"batch_first": True}, (4, 3), False, [1, 4, 2]),
]


def pair(I, H, P, dtype=torch.float32, **kwargs):
    theirs = torch.nn.LSTM(I, H, proj_size=P, **kwargs).to(dtype)
    ours = nn.LSTM(I, H, proj_size=P, **kwargs)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("kwargs, size, with_hx, lengths", CONFIGS)
def test_projected_lstm_matches_torch(rng, kwargs, size, with_hx, lengths):
    (T, N), (I, H, P) = size, (3, 5, 2)
    ours, theirs = pair(I, H, P, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    x = rng.standard_normal((N, T, I) if kwargs.get("batch_first") else (T, N, I))
    hx = None
    if with_hx:
        layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
        hx = [rng.standard_normal((layers, N, n)).astype(np.float32) for n in (P, H)]
    lengths = None if lengths is None else np.array(lengths)
    out, (h_n, c_n) = run_both(ours, theirs, x.astype(np.float32), hx, lengths, rng)
    assert out.shape[-1] == P * ours.num_directions and h_n.shape[-1] == P and c_n.shape[-1] == H


def test_projected_lstm_float64_and_unbatched(rng):
    ours, theirs = pair(3, 4, 3, dtype=torch.float64, num_layers=2)
    ours.double()
    x = rng.standard_normal((5, 3))
    out, (h, c) = ours(zn.tensor(x))
    ref, (rh, rc) = theirs(torch.tensor(x))
    for got, expected in ((out, ref), (h, rh), (c, rc)):
        np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reverse, lengths", [(False, None), (True, None), (True, [3, 1])])
def test_projected_recurrence_gradcheck(rng, reverse, lengths):
    T, N, I, H, P = 3, 2, 2, 3, 2
    shapes = [(T, N, I), (4 * H, I), (4 * H, P), (4 * H,), (4 * H,), (P, H), (N, P), (N, H)]
    arrays = [zn.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    lengths = None if lengths is None else np.array(lengths)

    def run(x, w_ih, w_hh, b_ih, b_hh, w_hr, h, c):
        out, h, c = projected_lstm(x, (w_ih, w_hh, b_ih, b_hh, w_hr), h, c, lengths, reverse)
        return out.sum() + (h * h).sum() + (c * c).sum()

    assert zn.gradcheck(run, arrays)


def test_proj_size_errors_as_torch():
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 5, proj_size=5)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(3, 5, proj_size=2)
    with pytest.raises(ValueError, match=r"h0 has shape \(1, 2, 5\); expected .* = \(1, 2, 2\)"):
        nn.LSTM(3, 5, proj_size=2)(zn.zeros(4, 2, 3), (zn.zeros(1, 2, 5), zn.zeros(1, 2, 5)))
