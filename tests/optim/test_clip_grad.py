"""nn.utils.clip_grad_norm_ and clip_grad_value_ against torch.nn.utils."""

import numpy as np
import pytest
import torch

import zennet as zn
from zennet import nn


def _grads(rng, dtype):
    return [rng.standard_normal(s).astype(dtype) for s in [(3, 4), (5,), (2, 2, 2)]]


def _pair(grads, without_grad=True):
    """zennet and torch parameters carrying ``grads``, plus one parameter without a gradient."""
    ours = [nn.Parameter(np.zeros_like(g)) for g in grads]
    theirs = [
        torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True) for g in grads
    ]
    for p, t, g in zip(ours, theirs, grads):
        p.grad, t.grad = zn.tensor(g.copy()), torch.tensor(g.copy())
    if without_grad:
        ours.append(nn.Parameter(np.ones(3)))
        theirs.append(torch.ones(3, requires_grad=True))
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf"), 0.0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_pytorch(rng, dtype, norm_type, max_norm):
    ours, theirs = _pair(_grads(rng, dtype))
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    rtol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(total.numpy(), ref.numpy(), rtol=rtol)
    assert total.dtype == ref.numpy().dtype
    for p, t in zip(ours, theirs):
        if t.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=rtol)


def test_clipped_gradients_have_max_norm(rng):
    ours, _ = _pair(_grads(rng, np.float64), without_grad=False)
    before = nn.utils.clip_grad_norm_(ours, 0.5).item()
    after = np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in ours))
    assert before > 1 and abs(after - 0.5) < 1e-5


def test_single_tensor_empty_list_and_nonfinite():
    p = nn.Parameter(np.array([3.0, 4.0]))
    p.grad = zn.tensor(np.array([3.0, 4.0]))
    assert zn.nn.utils.clip_grad_norm_(p, 1.0).item() == 5.0
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)
    assert nn.utils.clip_grad_norm_([], 1.0).item() == 0.0
    p.grad = zn.tensor(np.array([np.inf, 1.0]))
    with pytest.raises(RuntimeError, match=r"clip_grad_norm_: the total norm .* is non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(TypeError, match=r"clip_grad_norm_: got a Module; pass model.parameters"):
        nn.utils.clip_grad_norm_(nn.Sequential(), 1.0)


def test_clip_grad_value_matches_pytorch(rng):
    ours, theirs = _pair(_grads(rng, np.float32))
    nn.utils.clip_grad_value_(ours, 0.3)
    torch.nn.utils.clip_grad_value_(theirs, 0.3)
    for p, t in zip(ours, theirs):
        if t.grad is not None:
            np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    assert max(np.abs(p.grad.numpy()).max() for p in ours if p.grad is not None) == np.float32(0.3)
