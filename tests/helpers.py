"""The one helper every op test uses: run the same function through zennet and PyTorch.

    compare(lambda x, w: x @ w, x_array, w_array)

runs ``fn`` on zennet tensors and on torch tensors made from the same arrays,
compares the outputs, back-propagates the same output weights through both and
compares every input's gradient; then gradient-checks ``fn`` in float64.

zennet's side runs on ``DEVICE`` (``pytest --device cuda``; the CPU by default), so the
whole op suite runs on a GPU when one is there and is skipped, with the reason, when not.
"""

import numpy as np
import pytest
import torch

import zennet as zn

DEVICE = "cpu"  # set from pytest's --device option (tests/conftest.py)


def _device():
    """The device the comparisons run on; a skip naming what is missing when it is absent."""
    try:
        return zn.device(DEVICE)
    except RuntimeError as error:
        pytest.skip(str(error))


def _host(t):
    return t.cpu().numpy()


def _first(out):
    return out[0] if isinstance(out, (tuple, list)) else out


def _is_float(a):
    return np.issubdtype(np.asarray(a).dtype, np.floating)


def compare(
    fn,
    *arrays,
    torch_fn=None,
    rtol=1e-5,
    atol=1e-6,
    grad=True,
    gradcheck=True,
    gradcheck_atol=1e-5,
    gradcheck_rtol=1e-3,
    eps=1e-6,
):
    """Assert that ``fn`` gives PyTorch's values and gradients; returns the zennet output
    (in host memory)."""
    torch_fn = torch_fn or fn
    arrays = [np.asarray(a) for a in arrays]
    wants = [grad and _is_float(a) for a in arrays]
    device = _device()
    ours = [zn.tensor(a, requires_grad=w, device=device) for a, w in zip(arrays, wants)]
    theirs = [torch.tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
    out, ref = _first(fn(*ours)), _first(torch_fn(*theirs))
    assert out.device == device, f"the output is on {out.device}, the inputs on {device}"
    np.testing.assert_allclose(
        _host(out),
        ref.detach().numpy(),
        rtol=rtol,
        atol=atol,
        err_msg="forward values differ from PyTorch",
    )
    assert out.dtype == ref.detach().numpy().dtype, (out.dtype, ref.dtype)
    if not any(wants):
        return out.cpu()
    seed = (np.cos(np.arange(out.numel())).reshape(out.shape) + 1.5).astype(out.dtype)
    out.backward(device.put(seed))
    ref.backward(torch.tensor(seed))
    for k, (t, r, w) in enumerate(zip(ours, theirs, wants)):
        if not w:
            continue
        expected = np.zeros_like(arrays[k]) if r.grad is None else r.grad.numpy()
        got = np.zeros_like(arrays[k]) if t.grad is None else _host(t.grad)
        assert got.shape == arrays[k].shape and got.dtype == arrays[k].dtype
        np.testing.assert_allclose(
            got,
            expected,
            rtol=rtol,
            atol=atol,
            err_msg=f"gradient of input {k} differs from PyTorch",
        )
    if gradcheck:
        inputs = [
            zn.tensor(a.astype(np.float64), requires_grad=True) if w else a
            for a, w in zip(arrays, wants)
        ]
        assert zn.gradcheck(
            lambda *xs: _first(fn(*xs)), inputs, eps=eps, atol=gradcheck_atol, rtol=gradcheck_rtol
        )
    return out.cpu()
