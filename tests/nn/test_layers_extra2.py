"""Pooling, resizing and bag layers of issue 16 against PyTorch (float32 and float64),
F.interpolate's modes, F.one_hot, and the rest of nn.init."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.helpers import compare
from tests.nn.torch_parity import same_as_torch, same_as_torch_inputs
from zennet import nn
from zennet.nn import functional as F

CASES = [
    ("AdaptiveMaxPool1d", (3,), (2, 3, 8)),
    ("AdaptiveMaxPool2d", ((3, 2),), (2, 3, 7, 5)),
    ("AdaptiveMaxPool2d", (1,), (2, 3, 4, 4)),
    ("AdaptiveMaxPool3d", ((2, 3, None),), (2, 3, 5, 7, 3)),
    ("AdaptiveAvgPool3d", ((2, 3, 1),), (2, 3, 5, 6, 4)),
    ("LPPool1d", (2, 3), (2, 3, 9)),
    ("LPPool2d", (3, 2), (2, 3, 6, 4)),
    ("LPPool2d", (1.5, (3, 2), 2), (2, 3, 7, 6)),
    ("UpsamplingNearest2d", (None, 2), (2, 3, 3, 4)),
    ("UpsamplingBilinear2d", ((5, 7),), (2, 3, 3, 4)),
]


@pytest.mark.parametrize("name, args, shape", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_matches_torch(rng, name, args, shape, dtype):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    x = rng.standard_normal(shape).astype(dtype)
    if name.startswith("LPPool"):
        x = np.abs(x) + 0.1  # fractional powers of negative sums are NaN in both
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    out = same_as_torch(ours, theirs, x, rtol=rtol, atol=atol)
    assert out.dtype == dtype and repr(ours) == repr(theirs)


INTERPOLATIONS = [
    ("nearest-exact", dict(size=(7, 3)), 4),
    ("area", dict(size=(2, 3)), 4),
    ("bicubic", dict(size=(7, 9)), 4),
    ("bicubic", dict(scale_factor=1.5, align_corners=True), 4),
    ("bicubic", dict(size=(3, 4)), 4),
    ("trilinear", dict(size=(5, 3, 7)), 5),
    ("trilinear", dict(scale_factor=2, align_corners=True), 5),
    ("nearest", dict(scale_factor=(2, 1, 3)), 5),
    ("area", dict(size=4), 3),
]


@pytest.mark.parametrize("mode, kwargs, ndim", INTERPOLATIONS)
def test_interpolate_matches_torch(rng, mode, kwargs, ndim):
    x = rng.standard_normal((2, 3, 5, 6, 4)[:ndim])
    ours, theirs = zn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = F.interpolate(ours, mode=mode, **kwargs)
    ref = torch.nn.functional.interpolate(theirs, mode=mode, **kwargs)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.cos(np.arange(out.numel())).reshape(out.shape)
    out.backward(seed)
    ref.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


BAGS = [
    (dict(mode="mean"), np.array([[1, 2, 4], [4, 3, 9]]), None, None),
    (dict(mode="sum"), np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4]), None),
    (dict(mode="max"), np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 3]), None),
    (dict(mode="sum"), np.array([1, 2, 4, 5]), np.array([0, 1]), np.array([0.5, 1, 2, 3])),
    (dict(mode="mean", padding_idx=2), np.array([1, 2, 4, 2, 2]), np.array([0, 3]), None),
    (dict(mode="sum", include_last_offset=True), np.array([1, 2, 4, 5]), np.array([0, 1, 4]), None),
]


@pytest.mark.parametrize("kwargs, indices, offsets, weights", BAGS)
def test_embedding_bag_matches_torch(kwargs, indices, offsets, weights):
    zn.manual_seed(0)
    ours, theirs = nn.EmbeddingBag(10, 3, **kwargs), torch.nn.EmbeddingBag(10, 3, **kwargs)
    if weights is not None:
        weights = weights.astype(np.float32)
    options = {} if offsets is None else {"offsets": offsets}
    if weights is not None:
        options["per_sample_weights"] = weights
    same_as_torch_inputs(ours, theirs, (indices,), **options)
    assert repr(ours) == repr(theirs)


def test_one_hot_matches_torch():
    labels = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(
        F.one_hot(zn.tensor(labels)).numpy(), torch.nn.functional.one_hot(torch.tensor(labels))
    )
    assert F.one_hot(zn.tensor(labels), 6).shape == (2, 2, 6)
    with pytest.raises(ValueError, match="label 3 is out of range for 2 classes"):
        F.one_hot(zn.tensor(labels), 2)


@pytest.mark.parametrize("shape, groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 1, 3, 3), 1)])
def test_dirac_matches_torch(shape, groups):
    ours, theirs = zn.empty(*shape), torch.empty(*shape)
    nn.init.dirac_(ours, groups)
    torch.nn.init.dirac_(theirs, groups)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_eye_and_sparse():
    w = nn.init.eye_(zn.empty(3, 5))
    np.testing.assert_array_equal(w.numpy(), np.eye(3, 5))
    s = nn.init.sparse_(zn.empty(10, 4), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) >= 3).all() and s.std() > 0


@pytest.mark.parametrize(
    "nd, size, shape",
    [(1, 3, (2, 3, 8)), (2, (3, 2), (2, 3, 7, 5)), (3, (2, None, 3), (1, 2, 5, 3, 7)),
     (2, 2, (3, 4, 4))],
)  # fmt: skip
def test_adaptive_max_pool_indices_match_torch(rng, nd, size, shape):
    x = rng.integers(0, 4, size=shape).astype(np.float64)  # ties: the first maximum wins
    ours = getattr(nn, f"AdaptiveMaxPool{nd}d")(size, return_indices=True)(zn.tensor(x))
    theirs = getattr(torch.nn, f"AdaptiveMaxPool{nd}d")(size, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(ours[0].numpy(), theirs[0].numpy())
    np.testing.assert_array_equal(ours[1].numpy(), theirs[1].numpy())
    assert ours[1].dtype == np.int64


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize(
    "name, args, kwargs, shape",
    [
        ("Conv1d", (3, 4, 3), {"padding": 2}, (2, 3, 9)),
        ("Conv2d", (3, 4, (3, 2)), {"padding": (1, 1), "stride": 2}, (2, 3, 7, 6)),
        ("Conv2d", (3, 4, 4), {"padding": "same", "dilation": 2}, (2, 3, 9, 10)),
    ],
)
def test_conv_padding_modes_match_torch(rng, mode, name, args, kwargs, shape):
    ours = getattr(nn, name)(*args, padding_mode=mode, **kwargs)
    theirs = getattr(torch.nn, name)(*args, padding_mode=mode, **kwargs)
    same_as_torch(ours, theirs, rng.standard_normal(shape).astype(np.float32))
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_affine_grid_and_grid_sample_match_torch(rng, align_corners, mode, padding_mode):
    theta, x = rng.standard_normal((2, 2, 3)) * 0.8, rng.standard_normal((2, 3, 5, 6))
    results = []
    for lib, functional in ((zn, F), (torch, torch.nn.functional)):
        t, image = lib.tensor(theta, requires_grad=True), lib.tensor(x, requires_grad=True)
        grid = functional.affine_grid(t, (2, 3, 4, 7), align_corners=align_corners)
        out = functional.grid_sample(
            image, grid, mode=mode, padding_mode=padding_mode, align_corners=align_corners
        )
        seed = np.cos(np.arange(out.numel())).reshape(tuple(out.shape))
        (out * lib.tensor(seed)).sum().backward()
        theta_grad = np.zeros((2, 2, 3)) if t.grad is None else t.grad.numpy()
        results.append((out.detach().numpy(), image.grad.numpy(), theta_grad))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize(
    "mode, padding_mode",
    [("bicubic", "zeros"), ("bicubic", "border"), ("bicubic", "reflection"),
     ("bilinear", "reflection"), ("nearest", "reflection")],
)  # fmt: skip
def test_grid_sample_bicubic_and_reflection(rng, dtype, align_corners, mode, padding_mode):
    """Grid points up to 2.5 image widths outside (several reflections), away from pixel
    boundaries where nearest and the folds are not differentiable; gradchecked in float64.
    float32: bicubic's grid gradient sums 16 taps whose weight derivatives cancel where the
    taps hold equal values (the border), leaving float32 rounding of ~1e-5 of terms ~10."""
    x = rng.standard_normal((2, 2, 4, 5)).astype(dtype)
    grid = rng.uniform(-2.5, 2.5, (2, 3, 4, 2)).astype(dtype)
    options = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    compare(
        lambda x, g: F.grid_sample(x, g, **options),
        x,
        grid,
        torch_fn=lambda x, g: torch.nn.functional.grid_sample(x, g, **options),
        rtol=1e-4 if dtype == np.float32 else 1e-10,
        atol=1e-4 if dtype == np.float32 else 1e-12,
    )


def test_gumbel_softmax_samples_and_hard_one_hot():
    zn.manual_seed(0)
    logits = zn.tensor(np.log(np.array([[0.7, 0.2, 0.1]] * 4000)), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.numpy().sum(-1), 1.0, rtol=1e-12)
    hard = F.gumbel_softmax(logits, hard=True)
    assert set(np.unique(hard.numpy())) == {0.0, 1.0}
    frequencies = hard.numpy().mean(0)  # a Gumbel-max sample is categorical(softmax(logits))
    np.testing.assert_allclose(frequencies, [0.7, 0.2, 0.1], atol=0.03)
    (hard[:, 0]).sum().backward()
    assert np.abs(logits.grad.numpy()).sum() > 0  # straight-through: the soft gradient


@pytest.mark.parametrize(
    "nd, kwargs, shape",
    [
        (2, dict(kernel_size=2), (2, 3, 6, 8)),
        (2, dict(kernel_size=3, stride=2, padding=1), (2, 3, 7, 8)),
        (1, dict(kernel_size=3, stride=2), (2, 3, 9)),
        (2, dict(kernel_size=2), (3, 6, 8)),
    ],
)
def test_max_pool_indices_and_unpool_match_torch(rng, nd, kwargs, shape):
    x = rng.standard_normal(shape)
    results = []
    for lib in (nn, torch.nn):
        pool = getattr(lib, f"MaxPool{nd}d")(return_indices=True, **kwargs)
        unpool = getattr(lib, f"MaxUnpool{nd}d")(**kwargs)
        image = (zn if lib is nn else torch).tensor(x, requires_grad=True)
        values, indices = pool(image)
        out = unpool(values, indices, output_size=shape[-nd:])
        seed = np.cos(np.arange(out.numel())).reshape(tuple(out.shape))
        (out * (zn if lib is nn else torch).tensor(seed)).sum().backward()
        results.append((indices.numpy(), out.detach().numpy(), image.grad.numpy()))
        assert repr(unpool) == repr(getattr(torch.nn, f"MaxUnpool{nd}d")(**kwargs))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
