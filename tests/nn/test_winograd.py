"""Winograd F(2×2, 3×3) (zennet/ops/winograd.py): its transforms against the formula, the
convolution against im2col and PyTorch (values, input and weight gradients, float64
gradchecks), and the switch that picks the path."""

import math

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.helpers import compare
from zennet.ops import winograd
from zennet.ops.winograd import AT, BT, G, use_conv_algorithm

RTOL, ATOL = 1e-4, 1e-5  # float32 sums in another order than PyTorch's (as tests/nn/test_conv)


@pytest.fixture
def algorithm():
    """use_conv_algorithm, with the process's choice restored after the test."""
    previous = use_conv_algorithm("auto")
    yield use_conv_algorithm
    use_conv_algorithm(previous)


@pytest.fixture
def calls(monkeypatch):
    """Counts the calls of winograd_conv2d (the spy still runs it)."""
    seen = []
    real = winograd.winograd_conv2d

    def spy(xpad, w, b, out_size):
        seen.append((xpad.shape, w.shape))
        return real(xpad, w, b, out_size)

    monkeypatch.setattr(winograd, "winograd_conv2d", spy)
    return seen


def test_input_transform_is_bt_d_b_per_tile(rng):
    xpad = rng.standard_normal((2, 6, 8, 3))  # 2 × 3 tiles of 4×4, overlapping by 2
    v = winograd.input_transform(xpad, (2, 3))  # (4, 4, N, th, tw, C)
    for n, i, j, c in np.ndindex(2, 2, 3, 3):
        d = xpad[n, 2 * i : 2 * i + 4, 2 * j : 2 * j + 4, c]
        np.testing.assert_allclose(v[:, :, n, i, j, c], BT @ d @ BT.T, rtol=1e-12, atol=1e-12)


def test_weight_transform_is_g_g_gt(rng):
    w = rng.standard_normal((4, 3, 3, 3))  # (K, C, 3, 3)
    u = winograd.weight_transform(w)  # (16, C, K)
    for k, c in np.ndindex(4, 3):
        np.testing.assert_allclose(u[:, c, k].reshape(4, 4), G @ w[k, c] @ G.T, rtol=1e-12)


def test_output_transform_is_at_m_a_per_tile(rng):
    n, th, tw, k = 2, 2, 3, 5
    m = rng.standard_normal((16, n * th * tw, k))
    out = np.empty((n, th, 2, tw, 2, k))
    winograd.output_transform(m, out)
    tiles = m.reshape(4, 4, n, th, tw, k)
    for b, i, j, o in np.ndindex(n, th, tw, k):
        expected = AT @ tiles[:, :, b, i, j, o] @ AT.T
        np.testing.assert_allclose(out[b, i, :, j, :, o], expected, rtol=1e-12, atol=1e-12)


def direct_conv(xpad, w):
    """y[n, i, j, k] = Σ_{c, a, b} xpad[n, i + a, j + b, c] · w[k, c, a, b], by the definition."""
    n, hp, wp, _ = xpad.shape
    y = np.zeros((n, hp - 2, wp - 2, w.shape[0]))
    for a, b in np.ndindex(3, 3):
        y += np.einsum("nijc,kc->nijk", xpad[:, a : a + hp - 2, b : b + wp - 2], w[:, :, a, b])
    return y


@pytest.mark.parametrize("size", [(4, 4), (5, 7), (3, 3), (8, 6)])
def test_winograd_conv2d_equals_the_definition(rng, size):
    ho, wo = size[0] - 2, size[1] - 2
    x = rng.standard_normal((2, *size, 3))
    w, b = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    xpad = np.pad(x, ((0, 0), (0, ho % 2), (0, wo % 2), (0, 0)))  # a whole last tile
    y = winograd.winograd_conv2d(xpad, w, b, (ho, wo))
    np.testing.assert_allclose(y, direct_conv(x, w) + b, rtol=1e-12, atol=1e-12)


def test_winograd_conv2d_in_chunks_of_images(rng, monkeypatch):
    monkeypatch.setattr(winograd, "CHUNK_BYTES", 1)  # one image a chunk
    x, w = rng.standard_normal((3, 6, 6, 2)), rng.standard_normal((2, 2, 3, 3))
    y = winograd.winograd_conv2d(x, w, None, (4, 4))
    np.testing.assert_allclose(y, direct_conv(x, w), rtol=1e-12, atol=1e-12)


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


CASES = [
    # (input shape, C_out, padding): odd and even sizes, padding 0 to 3, 1 channel, batch 1
    ((2, 3, 7, 6), 4, 0),
    ((2, 3, 6, 6), 4, 1),
    ((1, 2, 5, 9), 3, 2),
    ((2, 1, 6, 5), 2, 1),
    ((2, 1, 6, 6), 3, 0),  # 1 channel, no padding: x's C axis keeps its NCHW stride
    ((1, 1, 3, 3), 1, 0),  # one output pixel
    ((2, 4, 4, 5), 3, 3),  # padding 3: dx by col2im (Winograd's dy would need padding -1)
    ((1, 5, 9, 8), 6, (0, 2)),
]


@pytest.mark.parametrize("x_shape, c_out, padding", CASES)
def test_conv2d_forced_winograd_matches_torch(rng, algorithm, calls, x_shape, c_out, padding):
    algorithm("winograd")
    x, w, b = randn(rng, *x_shape), randn(rng, c_out, x_shape[1], 3, 3), randn(rng, c_out)
    compare(
        lambda *t: F.conv2d(*t, padding=padding),
        x,
        w,
        b,
        torch_fn=lambda *t: torch.nn.functional.conv2d(*t, padding=padding),
        rtol=RTOL,
        atol=ATOL,
    )
    assert calls, "Winograd never ran"


def test_conv2d_forced_winograd_non_contiguous_input_without_bias(rng, algorithm, calls):
    algorithm("winograd")
    x = randn(rng, 2, 5, 7, 3).transpose(0, 3, 2, 1)  # (2, 3, 7, 5), a strided view
    compare(
        lambda x, w: F.conv2d(x, w, padding=1),
        x,
        randn(rng, 4, 3, 3, 3),
        torch_fn=lambda x, w: torch.nn.functional.conv2d(x, w, padding=1),
        rtol=RTOL,
        atol=ATOL,
    )
    assert calls


def run_conv(x, w, b, padding):
    xt, wt, bt = (zn.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, padding=padding)
    y.backward(zn.tensor(np.cos(np.arange(y.numel())).reshape(y.shape).astype(x.dtype)))
    return [t.numpy() for t in (y, xt.grad, wt.grad, bt.grad)]


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_winograd_equals_im2col(rng, algorithm, calls, padding):
    x, w, b = randn(rng, 3, 16, 9, 10), randn(rng, 8, 16, 3, 3) / 12, randn(rng, 8)
    algorithm("im2col")
    expected = run_conv(x, w, b, padding)
    assert not calls
    algorithm("winograd")
    for got, want, name in zip(run_conv(x, w, b, padding), expected, ("y", "dx", "dw", "db")):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=name)
    assert len(calls) == 2  # forward and dx


def test_batch_of_zero(rng, algorithm, calls):
    algorithm("winograd")
    x = zn.tensor(randn(rng, 0, 3, 6, 6), requires_grad=True)
    w = zn.tensor(randn(rng, 4, 3, 3, 3), requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    y.sum().backward()
    assert y.shape == (0, 4, 6, 6) and x.grad.shape == x.shape
    np.testing.assert_array_equal(w.grad.numpy(), 0)
    assert calls


@pytest.mark.parametrize(
    "w_shape, kwargs",
    [
        ((4, 3, 3, 3), dict(stride=2)),
        ((4, 3, 3, 3), dict(dilation=2)),
        ((6, 1, 3, 3), dict(groups=3)),
        ((4, 3, 5, 5), {}),
        ((4, 3, 3, 1), {}),
    ],
)
def test_forced_winograd_leaves_what_it_does_not_cover_to_im2col(
    rng, algorithm, calls, w_shape, kwargs
):
    algorithm("winograd")
    x, w = randn(rng, 2, 3, 9, 9), randn(rng, *w_shape)
    compare(
        lambda x, w: F.conv2d(x, w, **kwargs),
        x,
        w,
        torch_fn=lambda x, w: torch.nn.functional.conv2d(x, w, **kwargs),
        rtol=RTOL,
        atol=ATOL,
        gradcheck=False,
    )
    assert not calls


def test_auto_follows_the_documented_rule(rng, algorithm, calls):
    algorithm("auto")
    c, pixels = winograd.MIN_CHANNELS_IN, winograd.MIN_PIXELS
    assert winograd.winograd_pays(c, 1, 2, (pixels // 2, 1))
    assert not winograd.winograd_pays(c - 1, 1, 2, (pixels // 2, 1))
    assert not winograd.winograd_pays(c, 1, 1, (pixels - 1, 1))
    size = math.isqrt(pixels - 1) + 1  # the smallest square output with ≥ MIN_PIXELS
    assert size * (size - 1) < pixels  # so cutting a row takes it below
    x = randn(rng, 1, c, size, size)
    with zn.no_grad():
        F.conv2d(zn.tensor(x[:, 1:]), zn.tensor(randn(rng, 2, c - 1, 3, 3)), padding=1)
        F.conv2d(zn.tensor(x[:, :, 1:]), zn.tensor(randn(rng, 2, c, 3, 3)), padding=1)
        assert not calls
        F.conv2d(zn.tensor(x), zn.tensor(randn(rng, 2, c, 3, 3)), padding=1)
    assert len(calls) == 1


def test_the_switch_reads_the_environment(monkeypatch):
    monkeypatch.setitem(winograd._STATE, "algorithm", None)
    monkeypatch.setenv("ZENNET_CONV", "Winograd")
    assert winograd.conv_algorithm() == "winograd"
    monkeypatch.setitem(winograd._STATE, "algorithm", None)
    monkeypatch.delenv("ZENNET_CONV")
    assert winograd.conv_algorithm() == "auto"
    monkeypatch.setitem(winograd._STATE, "algorithm", None)
    monkeypatch.setenv("ZENNET_CONV", "fft")
    with pytest.raises(ValueError, match="ZENNET_CONV='fft'.*auto, im2col, winograd"):
        winograd.conv_algorithm()


def test_use_conv_algorithm_returns_the_previous_choice_and_refuses_unknown_names(algorithm):
    assert algorithm("im2col") == "auto"
    assert algorithm("winograd") == "im2col"
    with pytest.raises(ValueError, match="use_conv_algorithm got 'gemm'"):
        algorithm("gemm")
    assert winograd.conv_algorithm() == "winograd"
