"""3-d convolutions, pools and unpooling against PyTorch: values, input and parameter
gradients in float32 and float64, float64 gradchecks (compare() runs them)."""

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.helpers import compare
from tests.nn.torch_parity import same_as_torch
from zennet import nn

DTYPES = [np.float32, np.float64]
TOLERANCES = {np.float32: (1e-4, 1e-5), np.float64: (1e-10, 1e-12)}


def compare_f(name, dtype, *arrays, **kwargs):
    """compare() of F.<name> and torch's, on ``arrays`` cast to ``dtype``."""
    rtol, atol = TOLERANCES[dtype]
    return compare(
        lambda *t: getattr(F, name)(*t, **kwargs),
        *[a.astype(dtype) for a in arrays],
        torch_fn=lambda *t: getattr(torch.nn.functional, name)(*t, **kwargs),
        rtol=rtol,
        atol=atol,
    )


def randn(rng, *shape):
    return rng.standard_normal(shape)


CONV3D_CASES = [
    # (input shape, weight shape, kwargs)
    ((2, 3, 4, 5, 4), (4, 3, 2, 3, 2), {}),
    ((2, 2, 5, 5, 6), (3, 2, 3, 3, 3), dict(stride=2, padding=1)),
    ((1, 2, 5, 6, 5), (2, 2, 2, 2, 3), dict(stride=(1, 2, 1), padding=(1, 0, 2), dilation=2)),
    ((2, 4, 4, 4, 3), (6, 2, 3, 1, 2), dict(groups=2, padding="same")),
    ((2, 3, 3, 4, 4), (3, 1, 3, 3, 3), dict(groups=3, padding=1)),  # depthwise
    ((2, 3, 3, 4, 2), (5, 3, 1, 1, 1), {}),  # 1×1×1
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV3D_CASES)
def test_conv3d(rng, dtype, x_shape, w_shape, kwargs):
    x, w, b = randn(rng, *x_shape), randn(rng, *w_shape), randn(rng, w_shape[0])
    compare_f("conv3d", dtype, x, w, b, **kwargs)


def test_conv3d_unbatched_and_without_bias(rng):
    compare_f("conv3d", np.float32, randn(rng, 2, 4, 3, 5), randn(rng, 3, 2, 2, 2, 3), padding=1)


CONV_TRANSPOSE3D_CASES = [
    ((2, 3, 3, 2, 3), (3, 2, 2, 3, 2), {}),
    ((2, 2, 3, 3, 2), (2, 3, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 2, 3, 2), (4, 1, 2, 2, 3), dict(groups=2, stride=(2, 1, 3), dilation=(1, 2, 1))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape, w_shape, kwargs", CONV_TRANSPOSE3D_CASES)
def test_conv_transpose3d(rng, dtype, x_shape, w_shape, kwargs):
    groups = kwargs.get("groups", 1)
    x, w, b = randn(rng, *x_shape), randn(rng, *w_shape), randn(rng, w_shape[1] * groups)
    compare_f("conv_transpose3d", dtype, x, w, b, **kwargs)


MAX_POOL3D_CASES = [
    (2, {}),
    (3, dict(stride=2, padding=1)),
    (3, dict(stride=2, ceil_mode=True)),
    ((2, 3, 2), dict(stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True)),
    (2, dict(dilation=2)),
    ((2, 2, 3), dict(stride=1, dilation=(1, 2, 1), padding=(0, 1, 1))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel, kwargs", MAX_POOL3D_CASES)
def test_max_pool3d(rng, dtype, kernel, kwargs):
    compare_f("max_pool3d", dtype, randn(rng, 2, 2, 5, 6, 7), kernel_size=kernel, **kwargs)


@pytest.mark.parametrize("kernel, kwargs", MAX_POOL3D_CASES[:4])
def test_max_pool3d_indices_and_unpool3d_match_torch(rng, kernel, kwargs):
    """return_indices gives PyTorch's flat (D, H, W) indices; max_unpool3d puts the maxima
    back, with the gradient flowing through both."""
    shape = (2, 2, 5, 6, 7)
    x = randn(rng, *shape)
    results = []
    for lib, make in ((F, zn.tensor), (torch.nn.functional, torch.tensor)):
        image = make(x, requires_grad=True)
        values, indices = lib.max_pool3d(image, kernel, return_indices=True, **kwargs)
        stride = kwargs.get("stride", kernel)
        padding = kwargs.get("padding", 0)
        out = lib.max_unpool3d(values, indices, kernel, stride, padding, output_size=shape[2:])
        seed = np.cos(np.arange(out.numel())).reshape(tuple(out.shape))
        (out * make(seed)).sum().backward()
        results.append((indices.numpy(), out.detach().numpy(), image.grad.numpy()))
    (index, out, grad), (index_t, out_t, grad_t) = results
    assert index.dtype == np.int64
    np.testing.assert_array_equal(index, index_t)
    np.testing.assert_array_equal(out, out_t)
    np.testing.assert_allclose(grad, grad_t, rtol=1e-15, atol=1e-15)  # overlaps sum in any order


@pytest.mark.parametrize("kernel, kwargs", MAX_POOL3D_CASES[4:])
def test_max_pool3d_indices_with_dilation(rng, kernel, kwargs):
    x = randn(rng, 2, 2, 5, 6, 7)
    ours = F.max_pool3d(zn.tensor(x), kernel, return_indices=True, **kwargs)[1]
    theirs = torch.nn.functional.max_pool3d(torch.tensor(x), kernel, return_indices=True, **kwargs)
    np.testing.assert_array_equal(ours.numpy(), theirs[1].numpy())


AVG_POOL3D_CASES = [
    (2, {}),
    (3, dict(stride=2, padding=1)),
    (3, dict(stride=2, padding=1, count_include_pad=False)),
    (3, dict(stride=2, padding=1, ceil_mode=True)),
    (3, dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ((2, 3, 2), dict(stride=(1, 2, 3), padding=(1, 0, 1))),
    (2, dict(divisor_override=3)),
    (3, dict(stride=1, padding=1, ceil_mode=True, divisor_override=7)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel, kwargs", AVG_POOL3D_CASES)
def test_avg_pool3d(rng, dtype, kernel, kwargs):
    compare_f("avg_pool3d", dtype, randn(rng, 2, 2, 5, 6, 7), kernel_size=kernel, **kwargs)


def test_avg_pool3d_unbatched(rng):
    compare_f("avg_pool3d", np.float64, randn(rng, 3, 4, 5, 6), kernel_size=2, stride=1)


# ------------------------------------------------------------------------------ modules

MODULE_CASES = [
    ("Conv3d", (3, 4, 3), dict(stride=2, padding=1)),
    ("Conv3d", (4, 6, (3, 2, 1)), dict(groups=2, dilation=(1, 2, 1), bias=False)),
    ("Conv3d", (3, 2, 3), dict(padding=1, padding_mode="reflect")),
    ("Conv3d", (3, 2, 2), dict(padding="same", padding_mode="circular")),
    ("ConvTranspose3d", (3, 4, 3), dict(stride=2, padding=1, output_padding=1)),
    ("ConvTranspose3d", (4, 2, (2, 3, 2)), dict(groups=2, dilation=2)),
    ("MaxPool3d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ("MaxPool3d", (2,), dict(stride=1, dilation=2)),
    ("AvgPool3d", (3,), dict(stride=2, padding=1, count_include_pad=False)),
    ("AvgPool3d", ((2, 3, 2),), dict(ceil_mode=True, divisor_override=5)),
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, args, kwargs", MODULE_CASES)
def test_module_matches_torch(rng, dtype, name, args, kwargs):
    ours = getattr(nn, name)(*args, **kwargs, **({"dtype": dtype} if "Conv" in name else {}))
    theirs = getattr(torch.nn, name)(*args, **kwargs).to(torch.from_numpy(np.zeros(0, dtype)).dtype)
    assert repr(ours) == repr(theirs)
    x = randn(rng, 2, 4 if kwargs.get("groups") else 3, 5, 6, 5).astype(dtype)
    rtol, atol = TOLERANCES[dtype]
    out = same_as_torch(ours, theirs, x, rtol=rtol, atol=atol)
    assert out.dtype == dtype


def test_max_pool3d_module_returns_indices_and_unpool_module_inverts(rng):
    x = randn(rng, 1, 2, 4, 6, 4)
    ours = nn.MaxPool3d(2, return_indices=True)(zn.tensor(x))
    theirs = torch.nn.MaxPool3d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    back = nn.MaxUnpool3d(2)(*ours)
    np.testing.assert_array_equal(back.numpy(), torch.nn.MaxUnpool3d(2)(*theirs).numpy())
    assert repr(nn.MaxUnpool3d(2)) == repr(torch.nn.MaxUnpool3d(2))


def test_3d_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"expected 5-D \(N, 3, D, H, W\)"):
        nn.Conv3d(3, 4, 3)(zn.zeros(3, 4, 5))
    with pytest.raises(ValueError, match=r"conv3d: weight must be 5-D"):
        F.conv3d(zn.zeros(1, 2, 4, 4, 4), zn.zeros(3, 2, 3, 3))
    with pytest.raises(ValueError, match=r"max_pool3d: padding 2 must be at most half"):
        F.max_pool3d(zn.zeros(1, 1, 5, 5, 5), 3, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool3d: input of spatial size \(2, 5, 5\)"):
        F.avg_pool3d(zn.zeros(1, 1, 2, 5, 5), 3)
    with pytest.raises(ValueError, match=r"max_unpool3d: an index is out of range"):
        F.max_unpool3d(zn.zeros(1, 1, 1, 1, 1), zn.tensor(np.full((1, 1, 1, 1, 1), 9)), 2)
    with pytest.raises(ValueError, match=r"max_unpool3d: output_size \(5, 6, 7\) is invalid"):
        F.max_unpool3d(zn.zeros(1, 1, 2, 2, 2), zn.zeros(1, 1, 2, 2, 2, dtype="int64"), 2,
                       output_size=(5, 6, 7))  # fmt: skip
