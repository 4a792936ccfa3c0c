"""The activations of nn/activation_extra.py against PyTorch's modules and functions,
float32 and float64: outputs, input gradients and (PReLU) weight gradients."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.nn.torch_parity import same_as_torch
from zennet import nn
from zennet.nn import functional as F

PAIRS = [
    ("ReLU6", (), {}),
    ("SELU", (), {}),
    ("CELU", (), {"alpha": 0.7}),
    ("Mish", (), {}),
    ("Hardswish", (), {}),
    ("Hardsigmoid", (), {}),
    ("Hardtanh", (-2.0, 1.5), {}),
    ("Softsign", (), {}),
    ("LogSigmoid", (), {}),
    ("Tanhshrink", (), {}),
    ("Softshrink", (0.7,), {}),
    ("Hardshrink", (), {}),
    ("Threshold", (0.3, -2.0), {}),
    ("GLU", (), {"dim": 1}),
    ("Softmin", (), {"dim": 2}),
    ("Softmax2d", (), {}),
    ("PReLU", (), {}),
    ("PReLU", (4,), {"init": 0.1}),
]


@pytest.mark.parametrize("name, args, kwargs", PAIRS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activation_matches_torch(rng, name, args, kwargs, dtype):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    x = (rng.standard_normal((3, 4, 6, 2)) * 3).astype(dtype)
    x[np.abs(np.abs(x) - 3) < 1e-2] += 0.05  # keep away from the kinks at ±3
    out = same_as_torch(ours, theirs, x)
    assert repr(ours) == repr(theirs)
    assert out.dtype == dtype


FUNCTIONS = [
    ("relu6", {}),
    ("selu", {}),
    ("celu", {"alpha": 2.0}),
    ("mish", {}),
    ("hardswish", {}),
    ("hardsigmoid", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 0.5}),
    ("softsign", {}),
    ("logsigmoid", {}),
    ("tanhshrink", {}),
    ("softshrink", {"lambd": 1.0}),
    ("hardshrink", {"lambd": 1.0}),
    ("threshold", {"threshold": 0.1, "value": 20.0}),
    ("glu", {"dim": -1}),
    ("softmin", {"dim": 0}),
]


@pytest.mark.parametrize("name, kwargs", FUNCTIONS)
def test_function_matches_torch(rng, name, kwargs):
    x = rng.standard_normal((4, 6)) * 3
    ours, theirs = zn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = (
        getattr(F, name)(ours, **kwargs),
        getattr(torch.nn.functional, name)(theirs, **kwargs),
    )
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    (out * zn.tensor(np.cos(x[:, : out.shape[1]]))).sum().backward()
    (ref * torch.tensor(np.cos(x[:, : out.shape[1]]))).sum().backward()
    # PyTorch's hardsigmoid backward multiplies by 1/6 held in float32 (relative error 3e-8)
    rtol = 1e-7 if name in ("hardsigmoid", "hardswish") else 1e-12
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=1e-12)


def test_prelu_weight_is_a_parameter_and_resets():
    layer = nn.PReLU(3, init=0.4)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    layer.weight.data[...] = 9
    layer.reset_parameters()
    np.testing.assert_array_equal(layer.weight.numpy(), np.float32([0.4] * 3))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="glu: dimension 1 .* odd size 3"):
        F.glu(zn.ones(2, 3), dim=1)
    with pytest.raises(ValueError, match="prelu: weight has 3 slopes"):
        nn.PReLU(3)(zn.ones(2, 4))
    with pytest.raises(ValueError, match="Hardtanh: min_val"):
        nn.Hardtanh(1.0, 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rrelu_training_draws_slopes_as_pytorch_does(dtype):
    """Random slopes: compared by their limits, mean and spread with PyTorch's, and the
    gradient of each element is its slope (1 where x > 0)."""
    lower, upper = 0.1, 0.4
    x = -np.abs(np.random.default_rng(0).standard_normal(20000)).astype(dtype) - 0.1
    x[:100] *= -1  # some positive inputs, passed through
    zn.manual_seed(0)
    xt = zn.tensor(x, requires_grad=True)
    y = nn.RReLU(lower, upper).train()(xt)
    y.sum().backward()
    xr = torch.tensor(x, requires_grad=True)
    yr = torch.nn.RReLU(lower, upper).train()(xr)
    yr.sum().backward()
    assert y.dtype == dtype
    slopes = {}
    runs = [("ours", y.numpy(), xt.grad.numpy()), ("theirs", yr.detach().numpy(), xr.grad.numpy())]
    for name, out, grad in runs:
        np.testing.assert_array_equal(out[:100], x[:100])
        np.testing.assert_array_equal(grad[:100], 1)
        a = out[100:] / x[100:]
        np.testing.assert_allclose(grad[100:], a, rtol=1e-5)
        assert lower <= a.min() and a.max() <= upper
        slopes[name] = a
    for stat in (np.mean, np.std):
        np.testing.assert_allclose(stat(slopes["ours"]), stat(slopes["theirs"]), rtol=0.02)
    np.testing.assert_allclose(np.std(slopes["ours"]), (upper - lower) / 12**0.5, rtol=0.02)


def test_rrelu_evaluation_and_gradcheck(rng):
    x = rng.standard_normal((3, 4))
    ours = F.rrelu(zn.tensor(x), 0.2, 0.3, training=False).numpy()
    theirs = torch.nn.functional.rrelu(torch.tensor(x), 0.2, 0.3, training=False).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)

    def seeded(t):  # the same slopes on every evaluation
        zn.manual_seed(1)
        return F.rrelu(t, training=True)

    assert zn.gradcheck(seeded, [zn.tensor(x + np.sign(x) * 0.1, requires_grad=True)])
