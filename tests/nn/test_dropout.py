import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.nn.torch_parity import same_as_torch
from zennet import nn


@pytest.mark.parametrize("module", [nn.Dropout, nn.Dropout2d])
def test_p_zero_is_identity(rng, module):
    x = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    same_as_torch(module(0.0), getattr(torch.nn, module.__name__)(0.0), x, train=True)


@pytest.mark.parametrize("module", [nn.Dropout, nn.Dropout2d])
def test_eval_is_identity(rng, module):
    x = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
    same_as_torch(module(0.7), getattr(torch.nn, module.__name__)(0.7), x, train=False)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_mask_statistics_and_scaling(p):
    x = zn.ones(200, 500, requires_grad=True)
    y = nn.Dropout(p)(x)
    values = y.numpy()
    kept = values != 0
    # 100,000 Bernoulli draws: the dropped fraction is within 1% of p (about 4 sigma)
    assert abs(1 - kept.mean() - p) < 0.01
    np.testing.assert_allclose(values[kept], 1 / (1 - p), rtol=1e-6)
    assert abs(values.mean() - 1) < 0.05  # inverted dropout keeps the expectation
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # dy/dx is the scaled mask


def test_dropout_p_one_zeroes_everything(rng):
    x = zn.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    y = F.dropout(x, 1.0)
    assert not y.numpy().any() and np.isfinite(y.numpy()).all()


def test_dropout2d_drops_whole_channels():
    x = zn.ones(50, 40, 3, 3)
    values = nn.Dropout2d(0.5)(x).numpy()
    per_channel = values.reshape(50, 40, 9)
    assert (per_channel == per_channel[..., :1]).all()  # every pixel of a channel alike
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    assert abs((per_channel[..., 0] == 0).mean() - 0.5) < 0.06  # 2,000 channel draws


def test_dropout2d_accepts_n_c_l_and_warns_on_2d_as_pytorch():
    assert nn.Dropout2d(0.5)(zn.ones(2, 3, 4)).shape == (2, 3, 4)
    with pytest.warns(UserWarning, match=r"dropout2d: received a 2-D input"):
        nn.Dropout2d(0.5)(zn.ones(2, 3))


@pytest.mark.parametrize("module", [nn.Dropout, nn.Dropout2d])
def test_dropout_is_deterministic_under_manual_seed(module):
    x = zn.ones(4, 6, 3, 3)
    zn.manual_seed(7)
    first = module(0.5)(x).numpy()
    zn.manual_seed(7)
    again = module(0.5)(x).numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, module(0.5)(x).numpy())  # the next draw differs


def test_dropout_keeps_dtype():
    assert nn.Dropout(0.3)(zn.ones(4, 4, dtype="float64")).dtype == np.float64
    assert nn.Dropout(0.3)(zn.ones(4, 4)).dtype == np.float32


@pytest.mark.parametrize("module", [nn.Dropout, nn.Dropout2d])
def test_dropout_repr_and_bad_p(module):
    assert repr(module(0.25)) == repr(getattr(torch.nn, module.__name__)(0.25))
    with pytest.raises(ValueError, match=f"{module.__name__}: p is the probability"):
        module(1.5)
    with pytest.raises(ValueError, match="dropout: dropout probability p must be between 0 and 1"):
        F.dropout(zn.ones(2), -0.1)
    assert module(0.5).state_dict() == {}
