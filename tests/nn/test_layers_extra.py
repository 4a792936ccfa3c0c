"""The layers of issue 16 against PyTorch's modules with the same weights, float32 and
float64: outputs, input gradients and parameter gradients (tests/nn/torch_parity.py),
repr, and train/eval behaviour."""

import warnings

import numpy as np
import pytest
import torch

import zennet as zn
from tests.nn.torch_parity import param_count, same_as_torch
from zennet import nn
from zennet.nn import functional as F

# (class name, args, kwargs, input shape); the same arguments build both modules
CASES = [
    ("ZeroPad1d", (2,), {}, (2, 3, 5)),
    ("ZeroPad2d", ((1, 0, 2, 3),), {}, (2, 3, 4, 5)),
    ("ConstantPad1d", ((1, 2), 3.5), {}, (3, 5)),
    ("ConstantPad2d", (1, -1.0), {}, (2, 3, 4, 5)),
    ("ConstantPad3d", ((1, 0, 0, 1, 2, 0),), {"value": 0.5}, (1, 2, 3, 4, 5)),
    ("ReflectionPad1d", ((3, 1),), {}, (2, 3, 5)),
    ("ReflectionPad2d", ((1, 2, 3, 0),), {}, (2, 3, 4, 5)),
    ("ReflectionPad3d", (1,), {}, (1, 2, 3, 4, 5)),
    ("ReplicationPad1d", ((3, 1),), {}, (2, 3, 5)),
    ("ReplicationPad2d", (2,), {}, (2, 3, 4, 5)),
    ("ReplicationPad3d", ((1, 0, 2, 0, 0, 1),), {}, (1, 2, 3, 4, 5)),
    ("CircularPad1d", ((3, 1),), {}, (2, 3, 5)),
    ("CircularPad2d", ((1, 2, 3, 0),), {}, (2, 3, 4, 5)),
    ("CircularPad3d", (1,), {}, (1, 2, 3, 4, 5)),
    ("PixelShuffle", (2,), {}, (2, 8, 3, 4)),
    ("PixelUnshuffle", (2,), {}, (2, 3, 4, 6)),
    ("ChannelShuffle", (3,), {}, (2, 6, 3, 2)),
    ("GroupNorm", (2, 6), {}, (3, 6, 4, 5)),
    ("GroupNorm", (3, 6), {"affine": False, "eps": 1e-3}, (3, 6, 7)),
    ("InstanceNorm1d", (4,), {}, (3, 4, 7)),
    ("InstanceNorm2d", (4,), {"affine": True}, (3, 4, 5, 6)),
    ("InstanceNorm2d", (4,), {"affine": True}, (4, 5, 6)),
    ("InstanceNorm3d", (2,), {"track_running_stats": True}, (3, 2, 3, 4, 5)),
    ("RMSNorm", (6,), {}, (3, 4, 6)),
    ("RMSNorm", ((4, 6),), {"eps": 1e-4}, (3, 4, 6)),
    ("RMSNorm", (6,), {"elementwise_affine": False}, (3, 6)),
    ("LocalResponseNorm", (3,), {}, (2, 6, 4, 5)),
    ("LocalResponseNorm", (4,), {"alpha": 0.1, "beta": 0.5, "k": 2.0}, (2, 6, 7)),
    ("BatchNorm3d", (3,), {}, (2, 3, 2, 3, 4)),
    ("Unfold", (2,), {}, (2, 3, 5, 6)),
    ("Unfold", ((3, 2),), {"stride": 2, "padding": 1, "dilation": (1, 2)}, (2, 3, 7, 6)),
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
    ("Dropout1d", (0.3,), {}, (2, 3, 5)),
    ("Dropout3d", (0.3,), {}, (2, 3, 2, 3, 4)),
    ("AlphaDropout", (0.3,), {}, (2, 3, 5)),
    ("FeatureAlphaDropout", (0.3,), {}, (2, 3, 5)),
]
RANDOM_IN_TRAINING = ("Dropout1d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")


def _pair(name, args, kwargs, dtype):
    zn.manual_seed(0)
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    return ours, theirs


@pytest.mark.parametrize("name, args, kwargs, shape", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_matches_torch(rng, name, args, kwargs, shape, dtype):
    ours, theirs = _pair(name, args, kwargs, dtype)
    x = rng.standard_normal(shape).astype(dtype)
    train = name not in RANDOM_IN_TRAINING
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    out = same_as_torch(ours, theirs, x, train=train, rtol=rtol, atol=atol)
    assert out.dtype == dtype
    assert repr(ours) == repr(theirs)
    if train:  # and again in eval mode (running statistics where there are any)
        same_as_torch(ours, theirs, x, train=False, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", ["Dropout1d", "Dropout3d"])
def test_channel_dropout_zeroes_whole_channels(rng, name):
    x = zn.tensor(np.ones((8, 16) + (5,) * (1 if name == "Dropout1d" else 3), np.float32))
    out = getattr(nn, name)(0.5)(x).numpy()
    per_channel = out.reshape(8, 16, -1)
    assert np.all(per_channel.min(-1) == per_channel.max(-1))  # one value per channel
    assert set(np.unique(per_channel)) <= {0.0, 2.0} and 0 < (per_channel == 0).mean() < 1


def test_alpha_dropout_keeps_mean_and_variance():
    zn.manual_seed(1)
    x = zn.tensor(np.random.default_rng(1).standard_normal(200_000).astype(np.float32))
    out = nn.AlphaDropout(0.2)(x).numpy()
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1) < 0.01


def test_dropout2d_on_2d_input_warns_as_pytorch():
    with pytest.warns(UserWarning, match="dropout2d: received a 2-D input"):
        out = nn.Dropout2d(0.5)(zn.ones(4, 6))
    assert out.shape == (4, 6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.Dropout2d(0.5)(zn.ones(2, 4, 6))  # 3-D: channel dropout, no warning


class _Two(torch.nn.Module):
    """Calls a two-input module on x[0], x[1], so that same_as_torch can compare it."""

    def __init__(self, module):
        super().__init__()
        self.m = module

    def forward(self, x):
        return self.m(x[0], x[1])


class _OurTwo(nn.Module):
    def __init__(self, module):
        super().__init__()
        self.m = module

    def forward(self, x):
        return self.m(x[0], x[1])


TWO_INPUTS = [
    ("Bilinear", (5, 5, 3), {}, (2, 4, 5)),
    ("Bilinear", (5, 5, 2), {"bias": False}, (2, 3, 4, 5)),
    ("CosineSimilarity", (), {}, (2, 4, 5)),
    ("CosineSimilarity", (), {"dim": -1, "eps": 1e-3}, (2, 3, 4, 5)),
    ("PairwiseDistance", (), {}, (2, 4, 5)),
    ("PairwiseDistance", (), {"p": 1.0, "keepdim": True}, (2, 4, 5)),
    ("PairwiseDistance", (), {"p": 3.0}, (2, 4, 5)),
    ("PairwiseDistance", (), {"p": float("inf")}, (2, 4, 5)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", TWO_INPUTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_two_input_layer_matches_torch(rng, name, args, kwargs, shape, dtype):
    ours, theirs = _pair(name, args, kwargs, dtype)
    x = rng.standard_normal(shape).astype(dtype)
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    same_as_torch(_OurTwo(ours), _Two(theirs), x, rtol=rtol, atol=atol)
    assert repr(ours) == repr(theirs)


def test_lazy_linear_takes_in_features_from_its_first_input(rng):
    layer = nn.LazyLinear(3)
    weight = layer.weight
    opt = zn.optim.SGD(layer.parameters(), lr=0.1)
    out = layer(zn.tensor(rng.standard_normal((2, 7)).astype(np.float32)))
    assert out.shape == (2, 3) and layer.weight is weight and weight.shape == (3, 7)
    assert type(layer) is nn.Linear and layer.in_features == 7 and param_count(layer) == 24
    out.sum().backward()
    opt.step()  # the optimizer made before the first call holds the same parameters
    layer.zero_grad()
    theirs = torch.nn.Linear(7, 3)
    same_as_torch(layer, theirs, rng.standard_normal((4, 7)).astype(np.float32))


FUNCTIONS = [
    ("normalize", {}, (3, 4)),
    ("normalize", {"p": 1.0, "dim": 0}, (3, 4)),
    ("pdist", {}, (5, 3)),
    ("pdist", {"p": 1.0}, (5, 3)),
    ("pixel_shuffle", {"upscale_factor": 3}, (2, 9, 2, 2)),
    ("local_response_norm", {"size": 2}, (2, 5, 3)),
    ("glu", {"dim": 0}, (4, 3)),
]


@pytest.mark.parametrize("name, kwargs, shape", FUNCTIONS)
def test_function_matches_torch(rng, name, kwargs, shape):
    x = rng.standard_normal(shape)
    ours, theirs = zn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, name)(ours, **kwargs)
    ref = getattr(torch.nn.functional, name)(theirs, **kwargs)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    seed = np.cos(np.arange(out.numel())).reshape(out.shape)
    out.backward(seed)
    ref.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(1, 2, 0, 3), (-1, 2, 2, -1), (3, 3, 3, 3)])
def test_pad_modes_and_negative_padding(rng, mode, pad):
    x = rng.standard_normal((2, 3, 4, 5))
    ours, theirs = zn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = F.pad(ours, pad, mode=mode), torch.nn.functional.pad(theirs, pad, mode=mode)
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    seed = np.cos(np.arange(out.numel())).reshape(out.shape)
    out.backward(seed)
    ref.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="reflect padding \\(5, 0\\) must be smaller"):
        F.pad(zn.ones(1, 2, 5), (5, 0), mode="reflect")
    with pytest.raises(ValueError, match="pad: mode must be one of"):
        F.pad(zn.ones(1, 2, 5), (1, 0), mode="mirror")
    with pytest.raises(ValueError, match="GroupNorm: num_channels=5 must be divisible"):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match="pixel_shuffle: the channels \\(6\\)"):
        F.pixel_shuffle(zn.ones(1, 6, 2, 2), 2)
    with pytest.raises(ValueError, match="ZeroPad2d: padding must be an int or 4 ints"):
        nn.ZeroPad2d((1, 2))
