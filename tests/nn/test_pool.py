"""Pooling and interpolation against PyTorch: values, input gradients, float64 gradchecks."""

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.helpers import compare
from tests.nn.test_conv import check_module, compare_f, randn
from zennet import nn

MAX_POOL2D_CASES = [
    (2, {}),
    (3, dict(stride=2, padding=1)),
    (3, dict(stride=2, ceil_mode=True)),
    (3, dict(stride=2, padding=1, ceil_mode=True)),
    ((2, 3), dict(stride=(1, 2))),
    (2, dict(dilation=2)),
    (3, dict(stride=1, padding=1)),  # overlapping windows
    (1, dict(stride=2)),
    ((3, 2), dict(stride=(3, 2), ceil_mode=True)),  # disjoint windows, last one clipped
]


@pytest.mark.parametrize(
    "kernel, kwargs",
    [(2, {}), (3, dict(stride=2, padding=1, ceil_mode=True)), (2, dict(dilation=3))],
)
def test_max_pool1d(rng, kernel, kwargs):
    compare_f("max_pool1d", randn(rng, 2, 3, 11), kernel_size=kernel, **kwargs)


@pytest.mark.parametrize("kernel, kwargs", [(2, {}), (3, dict(stride=1, padding=1))])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(rng, kernel, kwargs):
    x = rng.integers(0, 3, size=(2, 2, 6, 6)).astype(np.float32)  # many equal maxima
    compare(
        lambda t: F.max_pool2d(t, kernel, **kwargs),
        x,
        torch_fn=lambda t: torch.nn.functional.max_pool2d(t, kernel, **kwargs),
        gradcheck=False,  # not differentiable at ties
    )


def test_pools_keep_channels_last_memory(rng):
    x = randn(rng, 2, 7, 6, 3).transpose(0, 3, 1, 2)  # what a conv hands over
    compare_f("max_pool2d", x, kernel_size=2)
    compare_f("avg_pool2d", x, kernel_size=3, stride=2, padding=1)


AVG_POOL2D_CASES = [
    (2, {}),
    (3, dict(stride=2, padding=1)),
    (3, dict(stride=2, padding=1, count_include_pad=False)),
    (3, dict(stride=2, padding=1, ceil_mode=True)),
    (3, dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    (3, dict(stride=2, ceil_mode=True)),
    ((2, 3), dict(stride=(1, 2), padding=(1, 0))),
    (2, dict(divisor_override=3)),
    (3, dict(stride=1, padding=1, divisor_override=5)),
]


POOL2D_CASES = [("max_pool2d", *case) for case in MAX_POOL2D_CASES] + [
    ("avg_pool2d", *case) for case in AVG_POOL2D_CASES
]


@pytest.mark.parametrize("name, kernel, kwargs", POOL2D_CASES)
@pytest.mark.parametrize("shape", [(2, 2, 7, 6), (1, 1, 8, 9)])
def test_pool2d(rng, shape, name, kernel, kwargs):
    compare_f(name, randn(rng, *shape), kernel_size=kernel, **kwargs)


@pytest.mark.parametrize(
    "kernel, kwargs",
    [(2, {}), (3, dict(stride=2, padding=1)), (3, dict(padding=1, count_include_pad=False))],
)
def test_avg_pool1d(rng, kernel, kwargs):
    compare_f("avg_pool1d", randn(rng, 2, 3, 10), kernel_size=kernel, **kwargs)


@pytest.mark.parametrize(
    "shape, size",
    [
        ((2, 3, 7, 9), (3, 4)),  # uneven, overlapping windows
        ((2, 3, 6, 6), (2, 3)),  # divides evenly
        ((1, 2, 5, 4), 1),  # global average pooling
        ((2, 2, 5, 4), (None, 3)),
        ((2, 2, 3, 4), (5, 7)),  # output larger than input
    ],
)
def test_adaptive_avg_pool2d(rng, shape, size):
    compare_f("adaptive_avg_pool2d", randn(rng, *shape), output_size=size)


def test_adaptive_avg_pool1d(rng):
    compare_f("adaptive_avg_pool1d", randn(rng, 2, 3, 10), output_size=4)


INTERPOLATE_CASES = [
    dict(size=(5, 9)),
    dict(scale_factor=2),
    dict(scale_factor=1.5),
    dict(scale_factor=(0.5, 1.7)),
    dict(size=(3, 2)),  # downsample
    dict(size=(5, 9), mode="bilinear", align_corners=False),
    dict(size=(5, 9), mode="bilinear", align_corners=True),
    dict(scale_factor=2, mode="bilinear"),
    dict(scale_factor=2, mode="bilinear", align_corners=True),
    dict(scale_factor=0.6, mode="bilinear"),
    dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
    dict(size=(1, 1), mode="bilinear", align_corners=True),
]


@pytest.mark.parametrize("kwargs", INTERPOLATE_CASES)
def test_interpolate_2d(rng, kwargs):
    compare_f("interpolate", randn(rng, 2, 3, 4, 6), **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [dict(size=7), dict(scale_factor=2.5), dict(size=9, mode="linear", align_corners=True)],
)
def test_interpolate_1d(rng, kwargs):
    compare_f("interpolate", randn(rng, 2, 3, 5), **kwargs)


# ------------------------------------------------------------------------------ modules

MODULE_CASES = [
    ("MaxPool2d", (3,), dict(stride=2, padding=1, ceil_mode=True)),
    ("MaxPool1d", (2,), {}),
    ("AvgPool2d", (3,), dict(stride=2, padding=1, count_include_pad=False)),
    ("AvgPool1d", (3,), dict(stride=2)),
    ("AdaptiveAvgPool2d", ((2, 3),), {}),
    ("Upsample", (), dict(scale_factor=2, mode="nearest")),
    ("Upsample", (), dict(size=(5, 7), mode="bilinear", align_corners=True)),
]


@pytest.mark.parametrize("name, args, kwargs", MODULE_CASES)
def test_module_matches_torch(rng, name, args, kwargs):
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.parameters()) == []
    x = randn(rng, 2, 3, 6, 7) if "1d" not in name else randn(rng, 2, 3, 9)
    check_module(ours, theirs, x)


def test_conv_relu_pool_stack_matches_torch(rng):
    """The layout hand-over (channels-last views) through a small CNN, end to end."""
    ours = nn.Sequential(
        nn.Conv2d(2, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 3, 3, padding=1)
    )
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 3, 3, padding=1),
    )
    check_module(ours, theirs, randn(rng, 2, 2, 9, 10))


# ------------------------------------------------------------------------------ errors


def test_pool_errors():
    x = zn.zeros(1, 2, 5, 5)
    with pytest.raises(ValueError, match=r"max_pool2d: padding 2 must be at most half"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(
        ValueError, match=r"avg_pool2d: input of spatial size \(5, 5\) is too small"
    ):
        F.avg_pool2d(x, 6)
    with pytest.raises(ValueError, match=r"max_pool2d got input of shape \(5, 5\): expected 4-D"):
        F.max_pool2d(zn.zeros(5, 5), 2)
    with pytest.raises(ValueError, match=r"kernel_size must be an int >= 1"):
        nn.MaxPool2d(0)(x)
    with pytest.raises(ValueError, match=r"output_size must be a positive int"):
        F.adaptive_avg_pool2d(x, (0, 2))


def test_interpolate_errors():
    x = zn.zeros(1, 2, 5, 5)
    with pytest.raises(ValueError, match=r"mode must be one of"):
        F.interpolate(x, size=3, mode="lanczos")
    with pytest.raises(ValueError, match=r"exactly one of size and scale_factor"):
        F.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match=r"align_corners can only be set"):
        F.interpolate(x, size=3, align_corners=True)
    with pytest.raises(ValueError, match=r"mode='bilinear' got input of shape \(1, 2, 5\)"):
        F.interpolate(zn.zeros(1, 2, 5), size=3, mode="bilinear")
