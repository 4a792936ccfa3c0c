import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.helpers import compare
from tests.nn.torch_parity import load_into_torch, param_count, round_trip, same_as_torch
from zennet import nn

TF = torch.nn.functional

BATCH_NORMS = [
    ("BatchNorm1d", (6, 3)),
    ("BatchNorm1d", (4, 3, 5)),
    ("BatchNorm2d", (4, 3, 2, 3)),
]
OPTIONS = [
    {},
    {"affine": False},
    {"momentum": None},
    {"momentum": 0.3, "eps": 1e-3},
    {"bias": False},
    {"track_running_stats": False},
]


def _pair(name, **kwargs):
    return getattr(nn, name)(3, **kwargs), getattr(torch.nn, name)(3, **kwargs)


@pytest.mark.parametrize("name, shape", BATCH_NORMS)
@pytest.mark.parametrize("kwargs", OPTIONS)
def test_batch_norm_matches_torch_over_train_steps_then_eval(rng, name, shape, kwargs):
    ours, theirs = _pair(name, **kwargs)
    if ours.weight is not None:  # non-trivial γ, β so that their gradients are tested
        ours.weight.data[...] = rng.uniform(0.5, 1.5, 3)
    if ours.bias is not None:
        ours.bias.data[...] = rng.standard_normal(3)
    out = same_as_torch(ours, theirs, rng.standard_normal(shape).astype(np.float32), train=True)
    assert out.shape == shape
    for step in (1, 2):  # same_as_torch copied our state into torch; now both go on alone
        _step_both(ours, theirs, (rng.standard_normal(shape) * 2 + step).astype(np.float32))
    for key, value in theirs.state_dict().items():  # running stats after 3 train steps
        np.testing.assert_allclose(ours.state_dict()[key], value.numpy(), rtol=1e-5, atol=1e-6)
    x = rng.standard_normal(shape).astype(np.float32)
    ours.zero_grad()
    theirs.zero_grad()
    same_as_torch(ours, theirs, x, train=False)


def _step_both(ours, theirs, x):
    """One more training forward in both, comparing outputs (running stats update)."""
    ours.train()
    theirs.train()
    np.testing.assert_allclose(
        ours(zn.tensor(x)).numpy(),
        theirs(torch.from_numpy(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.parametrize("name, shape", BATCH_NORMS)
def test_batch_norm_state_dict_and_params(rng, name, shape):
    ours, theirs = _pair(name)
    load_into_torch(ours, theirs)
    assert list(ours.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert param_count(ours) == 6 and ours.num_batches_tracked.dtype == np.int64
    ours(zn.tensor(rng.standard_normal(shape).astype(np.float32)))  # move the running stats
    round_trip(ours, getattr(nn, name)(3), rng.standard_normal(shape).astype(np.float32))
    assert int(ours.state_dict()["num_batches_tracked"]) == 1


@pytest.mark.parametrize("kwargs", OPTIONS)
def test_batch_norm_repr_is_pytorchs(kwargs):
    for name in ("BatchNorm1d", "BatchNorm2d"):
        ours, theirs = _pair(name, **kwargs)
        assert repr(ours) == repr(theirs)


def test_batch_norm_eval_does_not_touch_running_stats(rng):
    layer = nn.BatchNorm2d(3).eval()
    layer(zn.tensor(rng.standard_normal((2, 3, 2, 2)).astype(np.float32)))
    assert int(layer.num_batches_tracked.data) == 0
    np.testing.assert_array_equal(layer.running_mean.numpy(), 0)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 4), (2, 3, 2, 3)])
def test_batch_norm_op_gradcheck_and_torch(rng, training, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    w, b = rng.uniform(0.5, 1.5, 3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    stats = (None, None) if training else (mean, var)

    def run(lib, as_stat):
        def fn(x, w, b):
            rm, rv = (as_stat(s) if s is not None else None for s in stats)
            return lib.batch_norm(x, rm, rv, w, b, training=training, eps=1e-3)

        return fn

    compare(
        run(F, lambda s: s.astype(np.float32)),
        x,
        w,
        b,
        torch_fn=run(TF, lambda s: torch.from_numpy(s.astype(np.float32))),
    )


def test_batch_norm_without_affine_gradcheck(rng):
    x = rng.standard_normal((4, 2, 3))
    assert zn.gradcheck(
        lambda x: F.batch_norm(x, None, None, training=True), [zn.tensor(x, requires_grad=True)]
    )


def test_batch_norm_wrong_channels_names_the_layer():
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d\(num_features=16\) got input of shape \(8, 3, 4, 4\); expected "
        r"\(batch, 16, height, width\)",
    ):
        nn.BatchNorm2d(16)(zn.zeros(8, 3, 4, 4))
    with pytest.raises(
        ValueError, match=r"BatchNorm1d\(num_features=4\) got input of shape \(8, 3, 4, 4\)"
    ):
        nn.BatchNorm1d(4)(zn.zeros(8, 3, 4, 4))
    with pytest.raises(ValueError, match="batch_norm: input of shape .* has 3 channels"):
        F.batch_norm(zn.zeros(2, 3), zn.zeros(4), zn.ones(4))


def test_batch_norm_single_value_per_channel_in_training():
    with pytest.raises(ValueError, match="expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(zn.zeros(1, 3))
    assert nn.BatchNorm1d(3).eval()(zn.zeros(1, 3)).shape == (1, 3)


def test_batch_norm_bad_num_features():
    with pytest.raises(ValueError, match="BatchNorm2d: num_features must be a positive int"):
        nn.BatchNorm2d(0)


LAYER_NORMS = [
    (5, (4, 5), {}),
    ((3, 4), (2, 3, 4), {}),
    (4, (2, 3, 4), {"elementwise_affine": False}),
    (4, (2, 4), {"bias": False, "eps": 1e-3}),
]


@pytest.mark.parametrize("normalized_shape, shape, kwargs", LAYER_NORMS)
@pytest.mark.parametrize("train", [True, False])
def test_layer_norm_matches_torch(rng, normalized_shape, shape, kwargs, train):
    ours = nn.LayerNorm(normalized_shape, **kwargs)
    theirs = torch.nn.LayerNorm(normalized_shape, **kwargs)
    for p in ours.parameters():
        p.data[...] = rng.uniform(0.5, 1.5, p.shape)
    out = same_as_torch(
        ours, theirs, rng.standard_normal(shape).astype(np.float32) * 3 + 1, train=train
    )
    assert out.shape == shape
    assert param_count(ours) == param_count(theirs)
    assert repr(ours) == repr(theirs)
    round_trip(
        ours,
        nn.LayerNorm(normalized_shape, **kwargs),
        rng.standard_normal(shape).astype(np.float32),
    )


def test_layer_norm_op_gradcheck_and_torch(rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    w, b = (
        rng.uniform(0.5, 1.5, (3, 4)).astype(np.float32),
        rng.standard_normal((3, 4)).astype(np.float32),
    )
    compare(
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b, eps=1e-3),
        x,
        w,
        b,
        torch_fn=lambda x, w, b: TF.layer_norm(x, (3, 4), w, b, eps=1e-3),
    )
    compare(lambda x: F.layer_norm(x, 4), x, torch_fn=lambda x: TF.layer_norm(x, (4,)))


def test_layer_norm_mismatched_shape():
    with pytest.raises(
        ValueError,
        match=r"LayerNorm\(normalized_shape=\(10,\)\) got input of shape \(4, 5\); its last 1 "
        r"dimension\(s\) must be \(10,\)",
    ):
        nn.LayerNorm(10)(zn.zeros(4, 5))
    with pytest.raises(ValueError, match=r"layer_norm: input of shape \(4,\) does not end in"):
        F.layer_norm(zn.zeros(4), (2, 4))
