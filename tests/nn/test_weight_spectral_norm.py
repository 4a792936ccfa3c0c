"""nn.utils.weight_norm / spectral_norm (and their removal) against torch.nn.utils': the
same state-dict keys, outputs and gradients from copied weights, the same power iteration
from the same u (float32 and float64), and float64 gradchecks of the re-parametrisations."""

import types
import warnings

import numpy as np
import pytest
import torch
from torch.nn.utils.spectral_norm import SpectralNorm as TorchSpectralNorm

import zennet as zn
from tests.helpers import compare
from tests.nn.torch_parity import load_into_torch, same_as_torch
from zennet import nn
from zennet.nn.utils.spectral_norm import SpectralNorm
from zennet.nn.utils.weight_norm import WeightNorm

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")  # torch's weight_norm notice
# float32: dg and dσ sum the whole weight's gradient, in another order than PyTorch's
TOLERANCES = {np.float32: (1e-4, 1e-5), np.float64: (1e-10, 1e-12)}
LAYERS = [
    ("Linear", (5, 4), (3, 5)),
    ("Conv2d", (3, 4, 3), (2, 3, 6, 5)),
    ("ConvTranspose2d", (3, 2, 3), (2, 3, 4, 4)),
    ("Conv1d", (2, 3, 2), (2, 2, 7)),
]


def both(name, args, dtype, wrap, **options):
    """The zennet and torch layers, each wrapped by its library's ``wrap`` function."""
    ours = getattr(nn, name)(*args, dtype=dtype)
    theirs = getattr(torch.nn, name)(*args).to(torch.from_numpy(np.zeros(0, dtype)).dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return getattr(nn.utils, wrap)(ours, **options), getattr(torch.nn.utils, wrap)(
            theirs, **options
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [0, 1, None, -2])
@pytest.mark.parametrize("name, args, shape", LAYERS)
def test_weight_norm_matches_torch(rng, dtype, dim, name, args, shape):
    ours, theirs = both(name, args, dtype, "weight_norm", dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    x = rng.standard_normal(shape).astype(dtype)
    rtol, atol = TOLERANCES[dtype]
    same_as_torch(ours, theirs, x, rtol=rtol, atol=atol)  # grads of weight_g, weight_v, bias
    for lib, module in ((nn, ours), (torch.nn, theirs)):
        lib.utils.remove_weight_norm(module)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(
        ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=rtol, atol=atol
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [{}, dict(n_power_iterations=3), dict(dim=1, eps=1e-6)])
@pytest.mark.parametrize("name, args, shape", LAYERS)
def test_spectral_norm_matches_torch_from_the_same_u(rng, dtype, options, name, args, shape):
    ours, theirs = both(name, args, dtype, "spectral_norm", **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rtol, atol = TOLERANCES[dtype]
    for step, train in enumerate((True, True, False, True)):
        x = rng.standard_normal(shape).astype(dtype)
        ours.zero_grad()
        theirs.zero_grad()
        same_as_torch(ours, theirs, x, train=train, rtol=rtol, atol=atol)  # loads our u, v
        for key in ("weight_u", "weight_v"):  # then both iterated from the same u
            np.testing.assert_allclose(
                getattr(ours, key).numpy(), getattr(theirs, key).numpy(), rtol=rtol,
                atol=atol, err_msg=f"step {step} {key}",
            )  # fmt: skip
    before = ours.weight_u.numpy().copy()
    ours.eval()(zn.tensor(x))
    np.testing.assert_array_equal(ours.weight_u.numpy(), before)  # eval: no power iteration
    for lib, module in ((nn, ours), (torch.nn, theirs)):
        lib.utils.remove_spectral_norm(module)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(
        ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=rtol, atol=atol
    )


def test_spectral_norm_finds_the_largest_singular_value(rng):
    layer = nn.utils.spectral_norm(nn.Linear(6, 8, dtype=zn.float64), n_power_iterations=30)
    layer(zn.tensor(rng.standard_normal((2, 6))))
    sigma = np.linalg.svd(layer.weight.numpy(), compute_uv=False)[0]
    np.testing.assert_allclose(sigma, 1.0, rtol=1e-8)


@pytest.mark.parametrize("dim, shape", [(0, (4, 3, 2)), (1, (4, 3, 2)), (None, (3, 5))])
def test_weight_norm_gradients_and_gradcheck(rng, dim, shape):
    g_shape = () if dim is None else tuple(n if d == dim else 1 for d, n in enumerate(shape))
    g, v = rng.standard_normal(g_shape) + 2, rng.standard_normal(shape)
    hook = WeightNorm("weight", dim)
    compare(
        lambda g, v: hook.compute_weight(types.SimpleNamespace(weight_g=g, weight_v=v)),
        g,
        v,
        torch_fn=lambda g, v: torch._weight_norm(v, g, -1 if dim is None else dim),
        rtol=1e-10,
        atol=1e-12,
    )


@pytest.mark.parametrize("dim", [0, 1])
def test_spectral_norm_gradients_and_gradcheck(rng, dim):
    w = rng.standard_normal((4, 3, 2))
    h = w.shape[dim]
    u, v = rng.standard_normal(h), rng.standard_normal(w.size // h)
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)

    def run(hook, lib, w):
        u_, v_ = lib.tensor(u).to(w.device), lib.tensor(v).to(w.device)  # on w's device
        state = types.SimpleNamespace(weight_orig=w, weight_u=u_, weight_v=v_)
        return hook.compute_weight(state, do_power_iteration=False)

    compare(
        lambda w: run(SpectralNorm(dim=dim), zn, w),
        w,
        torch_fn=lambda w: run(TorchSpectralNorm(dim=dim), torch, w),
        rtol=1e-10,
        atol=1e-12,
    )


def test_errors_name_the_problem():
    layer = nn.utils.weight_norm(nn.Linear(3, 2))
    with pytest.raises(RuntimeError, match="already has a weight_norm hook"):
        nn.utils.weight_norm(layer)
    with pytest.raises(ValueError, match="weight_norm of 'bias' not found in Linear"):
        nn.utils.remove_weight_norm(layer, "bias")
    with pytest.raises(ValueError, match="has no parameter 'kernel'"):
        nn.utils.spectral_norm(nn.Linear(3, 2), "kernel")
    with pytest.raises(ValueError, match="n_power_iterations must be positive"):
        nn.utils.spectral_norm(nn.Linear(3, 2), n_power_iterations=0)


def test_trains_and_round_trips_the_state_dict(rng):
    model = nn.Sequential(nn.utils.spectral_norm(nn.Linear(4, 8)), nn.ReLU(),
                          nn.utils.weight_norm(nn.Linear(8, 1)))  # fmt: skip
    opt = zn.optim.Adam(model.parameters(), lr=0.05)
    x, y = zn.tensor(rng.standard_normal((16, 4))), zn.tensor(rng.standard_normal((16, 1)))
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = ((model(x.float()) - y.float()) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    fresh = nn.Sequential(nn.utils.spectral_norm(nn.Linear(4, 8)), nn.ReLU(),
                          nn.utils.weight_norm(nn.Linear(8, 1)))  # fmt: skip
    fresh.load_state_dict(model.state_dict())
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(model(x.float()).numpy(), fresh(x.float()).numpy())
    load_into_torch(fresh, torch.nn.Sequential(
        torch.nn.utils.spectral_norm(torch.nn.Linear(4, 8)), torch.nn.ReLU(),
        torch.nn.utils.weight_norm(torch.nn.Linear(8, 1))))  # fmt: skip


# ------------------------------------------------- torch.nn.utils.parametrizations' forms


def both_parametrized(name, args, dtype, wrap, **options):
    ours = getattr(nn, name)(*args, dtype=dtype)
    theirs = getattr(torch.nn, name)(*args).to(torch.from_numpy(np.zeros(0, dtype)).dtype)
    wrapped = getattr(nn.utils.parametrizations, wrap)(ours, **options)
    return wrapped, getattr(torch.nn.utils.parametrizations, wrap)(theirs, **options)


PARAMETRIZATIONS = [
    ("weight_norm", {}),
    ("weight_norm", dict(dim=None)),
    ("spectral_norm", {}),
    ("spectral_norm", dict(dim=1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("wrap, options", PARAMETRIZATIONS)
@pytest.mark.parametrize("name, args, shape", LAYERS[:3])
def test_parametrizations_match_torch(rng, dtype, wrap, options, name, args, shape):
    ours, theirs = both_parametrized(name, args, dtype, wrap, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)  # ParametrizedLinear(... (parametrizations): ...)
    rtol, atol = TOLERANCES[dtype]
    for train in (True, True, False):
        ours.zero_grad()
        theirs.zero_grad()
        same_as_torch(ours, theirs, rng.standard_normal(shape).astype(dtype), train=train,
                      rtol=rtol, atol=atol)  # fmt: skip
        for key, value in theirs.state_dict().items():  # u and v after the power iteration
            np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=rtol,
                                       atol=atol, err_msg=key)  # fmt: skip
    for lib, module in ((nn, ours), (torch.nn, theirs)):
        lib.utils.parametrize.remove_parametrizations(module, "weight")
    assert type(ours) is getattr(nn, name) and list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(
        ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=rtol, atol=atol
    )


class Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).transpose(0, 1)


class TorchSymmetric(torch.nn.Module):
    forward = Symmetric.forward


def test_register_parametrization_chains_like_torch(rng):
    ours, theirs = nn.Linear(4, 4, dtype=zn.float64), torch.nn.Linear(4, 4).double()
    for lib, module, sym in ((nn, ours, Symmetric()), (torch.nn, theirs, TorchSymmetric())):
        lib.utils.parametrize.register_parametrization(module, "weight", sym)
        lib.utils.parametrizations.spectral_norm(module)  # chained after the first
        assert lib.utils.parametrize.is_parametrized(module, "weight")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    same_as_torch(ours, theirs, rng.standard_normal((3, 4)), rtol=1e-10, atol=1e-12)
    with pytest.raises(NotImplementedError, match="assigning to the parametrized tensor"):
        ours.weight = zn.zeros(4, 4)
