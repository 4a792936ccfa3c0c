"""Convolutions against PyTorch: values, input and parameter gradients, float64 gradchecks."""

import math

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.helpers import compare
from zennet import nn
from zennet.ops.conv import gemm

RTOL, ATOL = 1e-4, 1e-5  # float32 GEMMs sum in a different order than PyTorch's kernels


def compare_f(name, *arrays, **kwargs):
    """compare() of zennet's F.<name> and torch.nn.functional.<name> with the same kwargs."""
    return compare(
        lambda *t: getattr(F, name)(*t, **kwargs),
        *arrays,
        torch_fn=lambda *t: getattr(torch.nn.functional, name)(*t, **kwargs),
        rtol=RTOL,
        atol=ATOL,
    )


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


CONV2D_CASES = [
    # (input shape, weight shape, kwargs)
    ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ((2, 3, 7, 8), (4, 3, 3, 2), dict(stride=(2, 1), padding=(0, 2))),
    ((1, 2, 9, 7), (3, 2, 3, 3), dict(dilation=2, padding=2)),
    ((2, 2, 8, 7), (3, 2, 2, 3), dict(dilation=(1, 2), stride=(3, 2))),
    ((2, 4, 6, 5), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 3, 6, 6), (6, 1, 3, 3), dict(groups=3, padding=1)),  # depthwise, multiplier 2
    ((2, 4, 5, 5), (4, 1, 3, 3), dict(groups=4, stride=2)),  # depthwise
    ((2, 3, 5, 4), (5, 3, 1, 1), {}),  # 1×1: im2col is a view
    ((2, 3, 5, 4), (5, 3, 1, 1), dict(stride=2)),
    ((1, 1, 5, 5), (2, 1, 3, 3), {}),  # batch 1, one channel
    ((2, 2, 6, 5), (3, 2, 4, 2), dict(padding="same")),  # even kernel: odd pad after
    ((2, 2, 6, 5), (3, 2, 3, 2), dict(padding="same", dilation=2)),
    ((2, 2, 6, 5), (3, 2, 3, 3), dict(padding="valid")),
    ((2, 2, 3, 4), (3, 2, 3, 4), {}),  # kernel as large as the input: 1×1 output
    ((2, 2, 7, 7), (3, 2, 2, 2), dict(stride=3)),  # stride > kernel skips pixels
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on its own speed
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV2D_CASES)
def test_conv2d(rng, x_shape, w_shape, kwargs):
    x, w, b = randn(rng, *x_shape), randn(rng, *w_shape), randn(rng, w_shape[0])
    compare_f("conv2d", x, w, b, **kwargs)


def test_conv2d_without_bias(rng):
    compare_f("conv2d", randn(rng, 2, 3, 5, 5), randn(rng, 4, 3, 3, 3), stride=2, padding=1)


def test_conv2d_non_contiguous_input(rng):
    x = randn(rng, 2, 5, 6, 3).transpose(0, 3, 1, 2)  # channels-last memory, NCHW shape
    compare_f("conv2d", x, randn(rng, 4, 3, 3, 3), randn(rng, 4), padding=1)


def test_conv2d_unbatched_input(rng):
    compare_f("conv2d", randn(rng, 3, 5, 6), randn(rng, 4, 3, 3, 3), randn(rng, 4), padding=1)


CONV1D_CASES = [
    ((2, 3, 9), (4, 3, 3), {}),
    ((2, 3, 9), (4, 3, 3), dict(stride=2, padding=2, dilation=2)),
    ((1, 4, 8), (4, 1, 3), dict(groups=4, padding="same")),
    ((2, 4, 7), (6, 2, 2), dict(groups=2, padding="same")),
    ((2, 3, 5), (2, 3, 1), {}),
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV1D_CASES)
def test_conv1d(rng, x_shape, w_shape, kwargs):
    x, w, b = randn(rng, *x_shape), randn(rng, *w_shape), randn(rng, w_shape[0])
    compare_f("conv1d", x, w, b, **kwargs)


CONV_TRANSPOSE2D_CASES = [
    ((2, 3, 4, 5), (3, 4, 3, 3), {}),
    ((2, 3, 4, 5), (3, 4, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((2, 3, 4, 3), (3, 2, 2, 3), dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2))),
    ((1, 4, 3, 4), (4, 3, 3, 2), dict(groups=2, stride=2)),
    ((2, 4, 3, 3), (4, 1, 3, 3), dict(groups=4, padding=1)),  # depthwise
    ((2, 2, 4, 4), (2, 3, 3, 3), dict(dilation=2, stride=1, output_padding=1)),  # op < dilation
    ((2, 3, 4, 5), (3, 4, 1, 1), dict(stride=2)),
    ((2, 3, 3, 3), (3, 2, 2, 2), dict(stride=2)),  # kernel == stride: no overlap
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV_TRANSPOSE2D_CASES)
def test_conv_transpose2d(rng, x_shape, w_shape, kwargs):
    groups = kwargs.get("groups", 1)
    x, w, b = randn(rng, *x_shape), randn(rng, *w_shape), randn(rng, w_shape[1] * groups)
    compare_f("conv_transpose2d", x, w, b, **kwargs)


def test_conv_transpose1d(rng):
    x, w, b = randn(rng, 2, 3, 5), randn(rng, 3, 2, 3), randn(rng, 2)
    compare_f("conv_transpose1d", x, w, b, stride=2, padding=1, output_padding=1)


def test_conv2d_large_enough_for_thin_gemm_pieces(rng):
    """(N·H·W, 9) @ (9, 32) and its dW are cut into row blocks and split-K pieces."""
    x, w, b = randn(rng, 8, 1, 40, 41), randn(rng, 32, 1, 3, 3), randn(rng, 32)
    compare(
        lambda *t: F.conv2d(*t, padding=1),
        x,
        w,
        b,
        torch_fn=lambda *t: torch.nn.functional.conv2d(*t, padding=1),
        rtol=RTOL,
        atol=2e-3,  # dW (up to ~200) sums 13,000 products: PyTorch's float32 rounding is ~1e-3
        gradcheck=False,  # too large for central differences; the small cases check the math
    )


@pytest.mark.parametrize("m, k, n", [(70001, 3, 5), (4, 90001, 7), (3000, 40, 30), (5, 7, 9)])
def test_gemm_pieces_equal_one_matmul(rng, m, k, n):
    a, b = randn(rng, m, k), randn(rng, k, n)
    expected = a.astype(np.float64) @ b
    for operand in (a, np.asfortranarray(a)):
        np.testing.assert_allclose(gemm(operand, b), expected, rtol=1e-4, atol=1e-3)
        out = np.full((m, n), np.nan, dtype=np.float32)
        assert gemm(operand, b, out=out) is out
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-3)


def test_conv_transpose2d_is_the_input_gradient_of_conv2d(rng):
    x, w, dy = randn(rng, 2, 3, 7, 7), randn(rng, 4, 3, 3, 3), randn(rng, 2, 4, 4, 4)
    xt = zn.tensor(x, requires_grad=True)
    F.conv2d(xt, zn.tensor(w), stride=2, padding=1).backward(dy)
    y = F.conv_transpose2d(zn.tensor(dy), zn.tensor(w), stride=2, padding=1, output_padding=0)
    np.testing.assert_allclose(y.numpy(), xt.grad.numpy(), rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------------------ modules


def copy_to_torch(ours, theirs):
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            p.copy_(torch.tensor(ours.state_dict()[name]))


def check_module(ours, theirs, x):
    """Same weights -> same output, input gradient and parameter gradients."""
    copy_to_torch(ours, theirs)
    xz, xt = zn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yz, yt = ours(xz), theirs(xt)
    np.testing.assert_allclose(yz.numpy(), yt.detach().numpy(), rtol=RTOL, atol=ATOL)
    seed = np.cos(np.arange(yz.numel())).reshape(yz.shape).astype(np.float32)
    yz.backward(seed)
    yt.backward(torch.tensor(seed))
    np.testing.assert_allclose(xz.grad.numpy(), xt.grad.numpy(), rtol=RTOL, atol=ATOL)
    for name, p in theirs.named_parameters():
        got = dict(ours.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(got, p.grad.numpy(), rtol=RTOL, atol=ATOL, err_msg=name)


MODULE_CASES = [
    ("Conv2d", (3, 8, 3), dict(stride=2, padding=1), (2, 3, 9, 8)),
    ("Conv2d", (4, 6, (3, 2)), dict(groups=2, dilation=2, bias=False), (2, 4, 9, 8)),
    ("Conv2d", (3, 4, 3), dict(padding="same"), (1, 3, 5, 6)),
    ("Conv1d", (3, 5, 3), dict(padding=1), (2, 3, 10)),
    (
        "ConvTranspose2d",
        (4, 6, 3),
        dict(stride=2, padding=1, output_padding=1, groups=2),
        (2, 4, 4, 5),
    ),
    ("ConvTranspose1d", (3, 2, 4), dict(stride=2), (2, 3, 5)),
]


@pytest.mark.parametrize("name, args, kwargs, x_shape", MODULE_CASES)
def test_module_matches_torch(rng, name, args, kwargs, x_shape):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in theirs.state_dict().items():
        assert ours.state_dict()[key].shape == tuple(value.shape)
    check_module(ours, theirs, randn(rng, *x_shape))


@pytest.mark.parametrize(
    "name, args",
    [("Conv2d", (6, 8, 3, 1, 0, 1, 2)), ("ConvTranspose2d", (6, 8, (3, 2), 1, 0, 0, 2))],
)
def test_default_init_matches_torch_bound(name, args):
    zn.manual_seed(0)
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)
    bound = 1 / math.sqrt(fan_in)
    for p in (ours.weight, ours.bias):
        values = p.numpy()
        assert values.dtype == np.float32
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.7 * bound  # spread over the whole interval
    assert abs(ours.weight.numpy().std() - bound / math.sqrt(3)) < 0.15 * bound
    zn.manual_seed(0)
    again = getattr(nn, name)(*args)
    np.testing.assert_array_equal(again.weight.numpy(), ours.weight.numpy())


def test_state_dict_round_trip_loads_torch_weights(rng):
    theirs = torch.nn.Conv2d(3, 4, 3)
    ours = nn.Conv2d(3, 4, 3)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = randn(rng, 1, 3, 5, 5)
    np.testing.assert_allclose(
        ours(zn.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=RTOL, atol=ATOL
    )


# ------------------------------------------------------------------------------ errors


def test_wrong_channel_count_names_the_layer():
    conv = nn.Conv2d(3, 8, 3)
    message = (
        r"Conv2d\(in_channels=3\) got input of shape \(8, 1, 28, 28\): "
        r"expected 3 channels at dim 1"
    )
    with pytest.raises(ValueError, match=message):
        conv(zn.zeros(8, 1, 28, 28))


def test_wrong_rank():
    with pytest.raises(ValueError, match=r"expected 4-D \(N, 3, H, W\)"):
        nn.Conv2d(3, 8, 3)(zn.zeros(28, 28))
    with pytest.raises(ValueError, match=r"conv1d got input of shape \(2, 3, 4, 5\)"):
        F.conv1d(zn.zeros(2, 3, 4, 5), zn.zeros(2, 3, 3))


def test_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"larger than the padded input \(4, 4\)"):
        F.conv2d(zn.zeros(1, 1, 2, 2), zn.zeros(1, 1, 5, 5), padding=1)


def test_channels_not_divisible_by_groups():
    with pytest.raises(
        ValueError, match=r"in_channels=3 and out_channels=6 .* divisible by groups=2"
    ):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(
        ValueError, match=r"out_channels \(weight.shape\[0\] = 5\) must be divisible"
    ):
        F.conv2d(zn.zeros(1, 4, 5, 5), zn.zeros(5, 2, 3, 3), groups=2)
    message = r"has 3 channels at dim 1, but weight of shape \(4, 2, 3, 3\) with groups=2 expects 4"
    with pytest.raises(ValueError, match=message):
        F.conv2d(zn.zeros(1, 3, 5, 5), zn.zeros(4, 2, 3, 3), groups=2)


def test_same_padding_needs_stride_one():
    with pytest.raises(ValueError, match=r"padding='same' needs stride 1"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"conv2d: padding='same' needs stride 1"):
        F.conv2d(zn.zeros(1, 1, 5, 5), zn.zeros(1, 1, 3, 3), stride=2, padding="same")


def test_other_bad_arguments():
    x, w = zn.zeros(1, 2, 5, 5), zn.zeros(3, 2, 3, 3)
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\), got \(4,\)"):
        F.conv2d(x, w, zn.zeros(4))
    with pytest.raises(ValueError, match=r"stride must be an int >= 1"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(ValueError, match=r"padding must be 'valid', 'same', an int or a tuple"):
        F.conv2d(x, w, padding="full")
    with pytest.raises(TypeError, match=r"same dtype, got float64, float32"):
        F.conv2d(zn.zeros(1, 2, 5, 5, dtype="float64"), w)
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than stride"):
        F.conv_transpose2d(x, zn.zeros(2, 3, 3, 3), stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"padding must be an int or a tuple, got 'same'"):
        nn.ConvTranspose2d(2, 3, 3, padding="same")
