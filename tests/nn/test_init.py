import math

import numpy as np
import pytest
import torch

import zennet as zn
from zennet import nn
from zennet.nn import init

GAINS = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv_transpose2d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", math.sqrt(5)),
    ("selu", None),
]


@pytest.mark.parametrize("nonlinearity, param", GAINS)
def test_calculate_gain_equals_torch(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-12)


def test_calculate_gain_unknown():
    with pytest.raises(ValueError, match="calculate_gain: unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def _weight(*shape):
    return nn.Parameter(np.zeros(shape, np.float32))


def _check_uniform(w, bound):
    values = w.numpy()
    assert np.abs(values).max() <= bound * (1 + 1e-6)
    assert np.abs(values).max() > 0.95 * bound  # the bound is used, not just respected
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def _check_normal(w, std, mean=0.0):
    values = w.numpy()
    assert values.mean() == pytest.approx(mean, abs=4 * std / math.sqrt(values.size))
    assert values.std() == pytest.approx(std, rel=0.03)


def test_kaiming_uniform_fan_in_relu():
    w = _weight(256, 128)
    assert init.kaiming_uniform_(w, nonlinearity="relu") is w
    _check_uniform(w, math.sqrt(2) * math.sqrt(3 / 128))


def test_kaiming_uniform_pytorch_linear_default_is_one_over_sqrt_fan_in():
    w = init.kaiming_uniform_(_weight(200, 64), a=math.sqrt(5))
    _check_uniform(w, 1 / math.sqrt(64))


def test_kaiming_normal_fan_out_of_a_conv_weight():
    w = init.kaiming_normal_(_weight(64, 16, 3, 3), mode="fan_out", nonlinearity="relu")
    _check_normal(w, math.sqrt(2) / math.sqrt(64 * 9))


def test_kaiming_leaky_relu_slope():
    w = init.kaiming_normal_(_weight(300, 100), a=0.2)
    _check_normal(w, math.sqrt(2 / (1 + 0.04)) / math.sqrt(100))


def test_xavier_uniform_and_normal():
    _check_uniform(init.xavier_uniform_(_weight(300, 100)), math.sqrt(6 / 400))
    _check_uniform(init.xavier_uniform_(_weight(300, 100), gain=2.0), 2 * math.sqrt(6 / 400))
    _check_normal(init.xavier_normal_(_weight(32, 8, 3, 3)), math.sqrt(2 / (72 + 288)))


def test_normal_uniform_constant_keep_dtype_and_object():
    w = nn.Parameter(np.zeros((200, 200), np.float64))
    assert init.normal_(w, 2.0, 0.5) is w and w.dtype == np.float64
    _check_normal(w, 0.5, mean=2.0)
    init.uniform_(w, -3, 1)
    assert w.numpy().min() >= -3 and w.numpy().max() < 1
    assert w.numpy().mean() == pytest.approx(-1, abs=0.02)
    init.constant_(w, 0.25)
    assert (w.numpy() == 0.25).all()
    init.zeros_(w)
    assert not w.numpy().any()
    init.ones_(w)
    assert (w.numpy() == 1).all() and w.dtype == np.float64


def test_trunc_normal_bounds_and_std():
    w = init.trunc_normal_(_weight(200, 200), mean=0.5, std=1.0, a=-1.5, b=2.5)
    values = w.numpy()
    assert values.min() >= -1.5 and values.max() <= 2.5
    assert values.std() == pytest.approx(0.8796, rel=0.02)  # N(0, 1) cut at ±2 sigma
    assert values.mean() == pytest.approx(0.5, abs=0.01)
    with pytest.raises(ValueError, match="trunc_normal_: need a < b"):
        init.trunc_normal_(_weight(2, 2), a=1, b=1)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (6, 6)])
def test_orthogonal(shape):
    w = init.orthogonal_(_weight(*shape), gain=2.0)
    flat = w.numpy().reshape(shape[0], -1).astype(np.float64) / 2
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, np.eye(len(small)), atol=1e-6)


def test_fan_needs_two_dimensions():
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(_weight(5))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(_weight(3, 3), mode="fan_avg")


@pytest.mark.parametrize(
    "fill",
    [init.normal_, init.uniform_, init.xavier_normal_, init.kaiming_uniform_, init.orthogonal_],
)
def test_init_is_deterministic_under_manual_seed(fill):
    zn.manual_seed(11)
    first = fill(_weight(4, 6)).numpy().copy()
    zn.manual_seed(11)
    np.testing.assert_array_equal(first, fill(_weight(4, 6)).numpy())


def test_primer_init_on_weights_and_biases_only():
    model = nn.Sequential(nn.Linear(500, 200), nn.BatchNorm1d(200), nn.ReLU(), nn.Linear(200, 10))
    assert init.primer_(model) is model
    _check_normal(model[0].weight, 0.01)
    assert not model[0].bias.numpy().any() and not model[3].bias.numpy().any()
    assert (model[1].weight.numpy() == 1).all()  # norm layers keep γ = 1
    init.primer_(model, std=0.1)
    assert model[3].weight.numpy().std() == pytest.approx(0.1, rel=0.05)
