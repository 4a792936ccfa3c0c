import math

import numpy as np
import pytest
import torch

import zennet as zn
from tests.nn.torch_parity import param_count, round_trip, same_as_torch
from zennet import nn


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 5), (5,)])
def test_linear_matches_torch(rng, bias, shape, train):
    ours = nn.Linear(5, 3, bias=bias)
    out = same_as_torch(
        ours, torch.nn.Linear(5, 3, bias=bias), rng.standard_normal(shape, np.float32), train
    )
    assert out.shape == shape[:-1] + (3,)
    assert param_count(ours) == 5 * 3 + 3 * bias


def test_linear_state_dict_round_trip(rng):
    round_trip(nn.Linear(5, 3), nn.Linear(5, 3), rng.standard_normal((2, 5), np.float32))


def test_dense_is_linear():
    assert nn.Dense is nn.Linear


def test_linear_default_init_is_pytorchs(rng):
    """weight and bias ~ U(-1/√in, 1/√in): bound respected, std close to bound/√3."""
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert p.dtype == np.float32 and p.requires_grad
        assert np.abs(p.numpy()).max() <= bound
    assert abs(layer.weight.numpy().std() / (bound / math.sqrt(3)) - 1) < 0.02
    assert np.abs(layer.bias.numpy()).max() > 0.9 * bound


def test_linear_init_is_seeded():
    zn.manual_seed(3)
    a = nn.Linear(4, 2).weight.numpy().copy()
    zn.manual_seed(3)
    np.testing.assert_array_equal(a, nn.Linear(4, 2).weight.numpy())


def test_linear_repr_is_pytorchs():
    assert repr(nn.Linear(784, 10)) == repr(torch.nn.Linear(784, 10))
    assert repr(nn.Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))


def test_linear_wrong_input_names_the_fix():
    layer = nn.Linear(784, 10)
    with pytest.raises(
        ValueError,
        match=r"Linear\(in_features=784\) got input of shape \(32, 28, 28\); expected "
        r"\(batch, 784\)\. Add nn.Flatten\(\) before it\.",
    ):
        layer(zn.zeros(32, 28, 28))
    with pytest.raises(
        ValueError, match=r"got input of shape \(32, 100\); expected \(batch, 784\)"
    ):
        layer(zn.zeros(32, 100))


def test_linear_bad_constructor_arguments():
    with pytest.raises(ValueError, match="Linear: in_features must be a non-negative int"):
        nn.Linear(2.5, 3)


@pytest.mark.parametrize(
    "args, shape", [((), (2, 3, 4, 5)), ((0, -1), (2, 3, 4, 5)), ((1, 2), (2, 3, 4, 5))]
)
def test_flatten_matches_torch(rng, args, shape):
    out = same_as_torch(
        nn.Flatten(*args), torch.nn.Flatten(*args), rng.standard_normal(shape, np.float32)
    )
    assert out.shape == tuple(torch.nn.Flatten(*args)(torch.zeros(shape)).shape)
    assert repr(nn.Flatten(*args)) == repr(torch.nn.Flatten(*args))


@pytest.mark.parametrize(
    "dim, sizes, shape", [(1, (1, 4, 4), (3, 16)), (-1, (2, -1), (3, 2, 6)), (0, (2, 3), (6, 4))]
)
def test_unflatten_matches_torch(rng, dim, sizes, shape):
    x = rng.standard_normal(shape, np.float32)
    out = same_as_torch(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), x)
    assert out.shape == tuple(torch.nn.Unflatten(dim, sizes)(torch.from_numpy(x)).shape)
    assert repr(nn.Unflatten(dim, sizes)) == repr(torch.nn.Unflatten(dim, sizes))


def test_unflatten_bad_size():
    with pytest.raises(
        ValueError, match=r"dimension 1 has size 10, which cannot be split into \(3, 4\)"
    ):
        nn.Unflatten(1, (3, 4))(zn.zeros(2, 10))
