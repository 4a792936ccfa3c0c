"""Activations g of A = g(Z) against torch.nn.functional, on a shape grid and at extremes."""

import numpy as np
import pytest

from tests.op_inputs import both_functional, nonzero, randn

# name: (function of (functional module, tensor), maker of a smooth input)
ACTIVATIONS = {
    "relu": (lambda F, x: F.relu(x), nonzero),
    "relu_method": (lambda F, x: x.relu(), nonzero),
    "leaky_relu": (lambda F, x: F.leaky_relu(x), nonzero),
    "leaky_relu_slope": (lambda F, x: F.leaky_relu(x, 0.2), nonzero),
    "elu": (lambda F, x: F.elu(x), nonzero),
    "elu_alpha": (lambda F, x: F.elu(x, alpha=0.5), nonzero),
    "gelu": (lambda F, x: F.gelu(x), randn),
    "gelu_tanh": (lambda F, x: F.gelu(x, approximate="tanh"), randn),
    "sigmoid": (lambda F, x: x.sigmoid(), randn),
    "tanh": (lambda F, x: x.tanh(), randn),
    "softplus": (lambda F, x: F.softplus(x), randn),
    "softplus_beta": (lambda F, x: F.softplus(x, beta=2.0), randn),
    "softplus_threshold": (lambda F, x: F.softplus(x, beta=3.0, threshold=1.5), nonzero),
    "silu": (lambda F, x: F.silu(x), randn),
    "softmax": (lambda F, x: F.softmax(x, dim=-1), randn),
    "softmax_dim0": (lambda F, x: F.softmax(x, dim=0), randn),
    "softmax_method": (lambda F, x: x.softmax(-1), randn),
    "log_softmax": (lambda F, x: F.log_softmax(x, dim=-1), randn),
    "log_softmax_dim0": (lambda F, x: F.log_softmax(x, dim=0), randn),
    "log_softmax_method": (lambda F, x: x.log_softmax(0), randn),
}
SHAPES = [(), (5,), (3, 4), (2, 3, 2), (0, 3), (3, 0)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op", ACTIVATIONS)
def test_activation(rng, op, shape):
    fn, make = ACTIVATIONS[op]
    both_functional(fn, make(rng, shape))


@pytest.mark.parametrize("op", ACTIVATIONS)
def test_activation_of_transposed_input(rng, op):
    fn, make = ACTIVATIONS[op]
    both_functional(lambda F, x: fn(F, x.transpose(0, 1)), make(rng, (3, 4)))


# Exact gelu's Φ comes from a rational erfc approximation with relative error < 1.2e-7:
# float32 precision, but not float64's, so in float64 it gets that tolerance.
@pytest.mark.parametrize("op", ACTIVATIONS)
def test_activation_in_float64_equals_pytorch_closely(rng, op):
    fn, make = ACTIVATIONS[op]
    x = make(rng, (4, 5)).astype(np.float64)
    tol = 2e-7 if op == "gelu" else 1e-12
    both_functional(fn, x, rtol=tol, atol=tol, gradcheck=False)


def test_gelu_tail_keeps_its_precision_in_float32():
    import math

    import zennet as zn
    import zennet.functional as F

    x = np.array([-5.5, -6.0, -7.0], np.float32)  # 1 + erf(x/√2) would round to 0 here
    exact = [v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x.astype(np.float64)]
    np.testing.assert_allclose(F.gelu(zn.tensor(x)).numpy(), exact, rtol=1e-5)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_dims(rng, op, dim):
    both_functional(lambda F, x: getattr(F, op)(x, dim), randn(rng, (2, 3, 4)))


# At the kinks PyTorch's conventions: relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha,
# softplus switches to x strictly above the threshold.
@pytest.mark.parametrize(
    "op", ["relu", "leaky_relu_slope", "elu_alpha", "softplus_threshold", "gelu", "silu"]
)
def test_activation_at_zero_and_thresholds(op):
    x = np.array([-1.0, 0.0, 0.5, 1.5, 2.0], np.float32)
    both_functional(ACTIVATIONS[op][0], x, gradcheck=False)


EXTREMES = np.array([[1e4, -1e4, 0.0, 1.0], [-1e4, -1e4, -1e4, -1e4], [1e4, 1e4, 3.0, -1e4]])


@pytest.mark.parametrize(
    "op",
    [
        "sigmoid",
        "tanh",
        "softplus",
        "softplus_beta",
        "softmax",
        "softmax_dim0",
        "log_softmax",
        "log_softmax_dim0",
        "silu",
        "elu",
        "gelu",
        "gelu_tanh",
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_are_finite_and_equal_pytorch(op, dtype):
    fn = ACTIVATIONS[op][0]
    out = both_functional(fn, EXTREMES.astype(dtype), gradcheck=False)
    assert np.isfinite(out.numpy()).all()


def test_softmax_of_extremes_is_exact():
    out = both_functional(lambda F, x: F.softmax(x, -1), np.array([1e4, -1e4, 1e4], np.float32))
    np.testing.assert_array_equal(out.numpy(), [0.5, 0.0, 0.5])


def test_gelu_rejects_unknown_approximation():
    import zennet as zn
    import zennet.functional as F

    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(zn.zeros(3), approximate="erf")
