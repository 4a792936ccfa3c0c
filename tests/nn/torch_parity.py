"""Run a zennet module and the PyTorch module with the same weights side by side.

    ours, out = same_as_torch(nn.Linear(5, 3), torch.nn.Linear(5, 3), x)

copies our state dict into the torch module (so the keys and shapes must be PyTorch's),
runs both on the same input in train or eval mode, and compares the outputs, the input's
gradient and every parameter's gradient.
"""

import numpy as np
import torch

import zennet as zn


def param_count(module):
    return sum(p.numel() for p in module.parameters())


def load_into_torch(ours, theirs):
    """Assert that the state dicts have the same keys (in order) and shapes; copy ours over."""
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(reference), (list(mine), list(reference))
    for key, value in mine.items():
        assert value.shape == tuple(reference[key].shape), key
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in mine.items()})
    assert param_count(ours) == param_count(theirs)


def _seed_like(out):
    return (np.cos(np.arange(out.size)).reshape(out.shape) + 1.5).astype(out.dtype)


def same_as_torch(ours, theirs, x, train=True, rtol=1e-5, atol=1e-6, grad=True):
    """Compare values and gradients of ``ours(x)`` and ``theirs(x)``; returns our output."""
    load_into_torch(ours, theirs)
    ours.train(train)
    theirs.train(train)
    x = np.asarray(x)
    wants = grad and np.issubdtype(x.dtype, np.floating)
    xt, xr = zn.tensor(x, requires_grad=wants), torch.tensor(x, requires_grad=wants)
    out, ref = ours(xt), theirs(xr)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    assert out.dtype == ref.detach().numpy().dtype
    if not grad:
        return out
    seed = _seed_like(out.numpy())
    out.backward(seed)
    ref.backward(torch.from_numpy(seed))
    if wants:
        np.testing.assert_allclose(xt.grad.numpy(), xr.grad.numpy(), rtol=rtol, atol=atol)
    reference = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        r = reference[name]
        if r.grad is None:
            assert p.grad is None, name
            continue
        np.testing.assert_allclose(
            p.grad.numpy(), r.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of {name}"
        )
    return out


def round_trip(ours, fresh, x):
    """Loading ours' state dict into ``fresh`` (same architecture) gives the same outputs."""
    fresh.load_state_dict(ours.state_dict())
    assert list(fresh.state_dict()) == list(ours.state_dict())
    for a, b in zip(fresh.state_dict().values(), ours.state_dict().values()):
        np.testing.assert_array_equal(a, b)
    ours.eval()
    fresh.eval()
    np.testing.assert_array_equal(ours(zn.tensor(x)).numpy(), fresh(zn.tensor(x)).numpy())


def _as_lib(value, lib, wants_grad=False):
    """A NumPy array as a zennet or torch tensor (anything else unchanged)."""
    if not isinstance(value, np.ndarray):
        return value
    if lib is torch:
        return torch.tensor(value, requires_grad=wants_grad)
    return zn.tensor(value, requires_grad=wants_grad)


def same_as_torch_inputs(ours, theirs, inputs, train=True, rtol=1e-5, atol=1e-6, **options):
    """``same_as_torch`` for modules of several inputs: ``inputs`` (NumPy arrays) are passed
    positionally and ``options`` (masks as NumPy arrays, flags) by keyword to both; the
    output (a tensor or the first of a tuple), every floating input's gradient and every
    parameter's gradient are compared. Returns our output."""
    load_into_torch(ours, theirs)
    ours.train(train)
    theirs.train(train)
    results = {}
    for lib, module in ((zn, ours), (torch, theirs)):
        xs = [_as_lib(x, lib, np.issubdtype(x.dtype, np.floating)) for x in inputs]
        kw = {k: _as_lib(v, lib) for k, v in options.items()}
        out = module(*xs, **kw)
        out = out[0] if isinstance(out, tuple) else out
        seed = _seed_like(out.detach().numpy())
        out.backward(seed if lib is zn else torch.from_numpy(seed))
        results[lib] = (out, xs)
    (out, xs), (ref, xrs) = results[zn], results[torch]
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    for i, (x, xr) in enumerate(zip(xs, xrs)):
        if xr.grad is not None:
            np.testing.assert_allclose(
                x.grad.numpy(), xr.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"input {i}"
            )
    reference = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        r = reference[name].grad
        if r is None:
            assert p.grad is None or not np.any(p.grad.numpy()), name
            continue
        np.testing.assert_allclose(
            p.grad.numpy(), r.numpy(), rtol=rtol, atol=atol, err_msg=f"grad of {name}"
        )
    return out
