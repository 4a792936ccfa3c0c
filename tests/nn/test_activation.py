import numpy as np
import pytest
import torch

from tests.nn.torch_parity import param_count, same_as_torch
from zennet import nn

# (our module, torch module) pairs built with the same arguments
PAIRS = [
    ("ReLU", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("LeakyReLU", (), {}),
    ("ELU", (), {"alpha": 0.5}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (), {"beta": 2.0, "threshold": 5.0}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (), {"dim": -1}),
    ("LogSoftmax", (), {"dim": 1}),
    ("LogSoftmax", (0,), {}),
]


def _pair(name, args, kwargs):
    return getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


@pytest.mark.parametrize("name, args, kwargs", PAIRS)
@pytest.mark.parametrize("train", [True, False])
def test_activation_matches_torch(rng, name, args, kwargs, train):
    ours, theirs = _pair(name, args, kwargs)
    x = rng.standard_normal((3, 4, 5)).astype(np.float32) * 3
    # tanh-GELU: float32 rounding of the cubic differs from torch's by ~1e-6 near zero
    atol = 1e-5 if kwargs.get("approximate") == "tanh" else 1e-6
    out = same_as_torch(ours, theirs, x, train=train, atol=atol)
    assert out.shape == x.shape
    assert param_count(ours) == 0 and ours.state_dict() == {}


@pytest.mark.parametrize("name, args, kwargs", PAIRS)
def test_activation_repr_is_pytorchs(name, args, kwargs):
    ours, theirs = _pair(name, args, kwargs)
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name, args", [("ReLU", ()), ("LeakyReLU", (0.1,)), ("ELU", (1.0,))])
def test_inplace_is_accepted_and_shown_but_makes_a_new_tensor(rng, name, args):
    ours = getattr(nn, name)(*args, inplace=True)
    assert repr(ours) == repr(getattr(torch.nn, name)(*args, inplace=True))
    x = rng.standard_normal((3, 4)).astype(np.float32)
    before = x.copy()
    expected = getattr(torch.nn, name)(*args)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(x).numpy(), expected, rtol=1e-6)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((3, 4, 5), 0), ((2, 3, 4, 5), 1)])
def test_softmax_without_dim_follows_pytorchs_legacy_rule(rng, shape, dim):
    x = rng.standard_normal(shape).astype(np.float32)
    with pytest.warns(UserWarning, match="implicit dimension"):
        out = nn.Softmax()(x).numpy()
    np.testing.assert_allclose(out.sum(axis=dim), 1, rtol=1e-5)
    np.testing.assert_allclose(out, torch.softmax(torch.from_numpy(x), dim).numpy(), rtol=1e-5)


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("erf")
