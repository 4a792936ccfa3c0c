"""The fused self-attention op (ops.attention.SelfAttention) that MultiheadAttention runs for
self-attention without weights or dropout: against PyTorch's composition of the same steps
(values and gradients, float32), gradient-checked in float64, taken only where it applies,
and its compiled softmax kernels against the NumPy path."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.helpers import compare
from zennet import kernels
from zennet.ops import attention as ops

RTOL, ATOL = 1e-4, 1e-5  # attention sums long products in another order than PyTorch


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def torch_self_attention(x, w, b, heads, mask):
    """The steps of SelfAttention in PyTorch: projection, heads, softmax(QKᵀ/√d + M)·V."""
    N, L, E = x.shape
    qkv = torch.nn.functional.linear(x, w, b).reshape(N, L, 3, heads, E // heads)
    q, k, v = qkv.permute(2, 0, 3, 1, 4)  # (N, h, L, d) each
    scores = q @ k.mT / (E // heads) ** 0.5
    if mask is not None:
        scores = scores + torch.tensor(mask)
    weights = torch.softmax(scores, -1).nan_to_num()  # a fully masked query: 0, as ours
    return (weights @ v).transpose(1, 2).reshape(N, L, E)


def masks(rng, N, heads, L):
    causal = np.where(np.tril(np.ones((L, L), bool)), 0, -np.inf).astype(np.float32)
    padding = np.zeros((N, 1, 1, L), np.float32)
    padding[0, ..., 2:] = -np.inf  # sample 0 attends to its first two keys only
    return {
        "none": None,
        "causal": causal,
        "padding": padding,
        "float_per_head": randn(rng, N, heads, L, L),
    }


@pytest.mark.parametrize("mask", ["none", "causal", "padding", "float_per_head"])
@pytest.mark.parametrize("bias", [True, False])
def test_self_attention_against_pytorch_and_gradcheck(rng, mask, bias):
    N, L, E, heads = 2, 5, 6, 2
    m = masks(rng, N, heads, L)[mask]
    x, w, b = randn(rng, N, L, E), randn(rng, 3 * E, E) * 0.5, randn(rng, 3 * E)
    arrays = (x, w, b) if bias else (x, w)

    def ours(x, w, b=None):
        return ops.SelfAttention.apply(x, w, b, heads=heads, mask=m)

    def theirs(x, w, b=None):
        return torch_self_attention(x, w, b, heads, m)

    compare(ours, *arrays, torch_fn=theirs, rtol=RTOL, atol=ATOL)


def test_fully_masked_query_gives_zero_and_finite_gradients(rng):
    mask = np.zeros((4, 4), np.float32)
    mask[1] = -np.inf  # query 1 may attend to no key
    x = zn.tensor(randn(rng, 2, 4, 6), requires_grad=True)
    w = zn.tensor(randn(rng, 18, 6), requires_grad=True)
    y = ops.SelfAttention.apply(x, w, None, heads=3, mask=mask)
    assert np.all(y.numpy()[:, 1] == 0) and np.isfinite(y.numpy()).all()
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all() and np.isfinite(w.grad.numpy()).all()


@pytest.fixture
def fused_calls(monkeypatch):
    """The number of SelfAttention ops run since the fixture started."""
    calls = []
    apply = ops.SelfAttention.apply

    def counting(*args, **kwargs):
        calls.append(1)
        return apply(*args, **kwargs)

    monkeypatch.setattr(ops.SelfAttention, "apply", counting)
    return calls


@pytest.mark.parametrize(
    "kwargs, fused",
    [
        ({"need_weights": False}, True),
        ({"need_weights": False, "is_causal": True}, True),
        ({}, False),  # the weights are returned: the composed path
    ],
)
def test_multihead_attention_fuses_only_self_attention_without_weights(
    rng, fused_calls, kwargs, fused
):
    mha = zn.nn.MultiheadAttention(6, 2, batch_first=True)
    x = zn.tensor(randn(rng, 2, 4, 6))
    mha(x, x, x, **kwargs)
    mha(x, zn.tensor(randn(rng, 2, 4, 6)), x, need_weights=False)  # not self-attention
    zn.nn.MultiheadAttention(6, 2, dropout=0.5, batch_first=True)(x, x, x, need_weights=False)
    assert len(fused_calls) == (1 if fused else 0)


def test_fused_and_composed_paths_agree(rng):
    mha = zn.nn.MultiheadAttention(8, 4).double()
    x = zn.tensor(rng.standard_normal((5, 3, 8)), requires_grad=True)
    padding = np.arange(5)[None, :] >= np.array([5, 2, 4])[:, None]
    results = []
    for need_weights in (False, True):
        mha.zero_grad()
        x.grad = None
        out = mha(x, x, x, key_padding_mask=padding, need_weights=need_weights)[0]
        (out * zn.tensor(np.cos(np.arange(out.numel())).reshape(out.shape))).sum().backward()
        results.append([out.numpy(), x.grad.numpy()] + [p.grad.numpy() for p in mha.parameters()])
    for fused, composed in zip(*results):
        np.testing.assert_allclose(fused, composed, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------ the compiled softmax


@pytest.fixture
def compiled():
    pytest.importorskip("numba")
    previous = kernels.use_compiled_kernels(True)
    yield
    kernels.use_compiled_kernels(previous)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_kernels_equal_numpy(compiled, dtype):
    rng = np.random.default_rng(3)
    scores = (rng.standard_normal((2, 3, 7, 5)) * 4).astype(dtype)
    scores[0, 1, :, 2] = -np.inf  # a query with every key masked
    scores[1, 2, 3, :] = -np.inf  # a masked key
    dp = rng.standard_normal(scores.shape).astype(dtype)
    results = []
    for on in (True, False):
        kernels.use_compiled_kernels(on)
        p = ops._softmax_over_keys(scores.copy(), np)
        results.append((p, ops._softmax_over_keys_backward(dp.copy(), p, np)))
    tol = 1e-6 if dtype == np.float32 else 1e-14
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    p = results[0][0]
    np.testing.assert_allclose(p[0, 1, :, 2], 0)
    np.testing.assert_allclose(np.delete(p, 2, axis=-1).sum(-2)[0, 1], 1, rtol=tol)


def test_softmax_kernels_run_in_the_op_and_match_torch(compiled, monkeypatch, rng):
    ran = []

    def spy(name, *arrays):
        found = kernels.kernel(name, *arrays)
        if all(type(a) is np.ndarray for a in arrays):  # not the stand-in device's arrays
            ran.append(name if found is not None else None)
        return found

    monkeypatch.setattr(ops, "kernel", spy)
    N, L, E, heads = 2, 5, 6, 2
    mask = masks(rng, N, heads, L)["padding"]
    x, w, b = randn(rng, N, L, E), randn(rng, 3 * E, E) * 0.5, randn(rng, 3 * E)
    compare(
        lambda x, w, b: ops.SelfAttention.apply(x, w, b, heads=heads, mask=mask),
        x,
        w,
        b,
        torch_fn=lambda x, w, b: torch_self_attention(x, w, b, heads, mask),
        rtol=RTOL,
        atol=ATOL,
    )
    assert {"softmax_shift", "softmax_normalize", "softmax_backward"} <= set(ran)
    assert None not in ran


def test_python_softmax_kernels_are_the_formula():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 3))
    x[1, :, 0] = -np.inf
    y = x.copy()
    kernels.softmax_shift(y)
    np.exp(y, out=y)
    kernels.softmax_normalize(y)
    e = np.exp(x - np.nan_to_num(x.max(1, keepdims=True), neginf=0))
    total = e.sum(1, keepdims=True)
    expected = e / np.where(total > 0, total, 1)
    np.testing.assert_allclose(y, expected, atol=1e-15)
    dy, dx = rng.standard_normal(x.shape), np.empty_like(x)
    kernels.softmax_backward(dy, y, dx)
    np.testing.assert_allclose(dx, y * (dy - (dy * y).sum(1, keepdims=True)), atol=1e-15)


def test_empty_batch(compiled):
    mha = zn.nn.MultiheadAttention(4, 2, batch_first=True)
    x = zn.tensor(np.zeros((0, 3, 4), np.float32), requires_grad=True)
    out = mha(x, x, x, need_weights=False)[0]
    out.sum().backward()
    assert out.shape == (0, 3, 4) and x.grad.shape == x.shape
