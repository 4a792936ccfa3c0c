"""Regression, binary and KL losses against PyTorch (values and gradients), their
modules, and the errors users read."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import zennet as zn
import zennet.functional as F
from tests.helpers import compare
from zennet import nn

REDUCTIONS = ["mean", "sum", "none"]


def _pair(rng, shape=(3, 4)):
    return rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(
        np.float32
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_mse_and_l1(rng, name, reduction):
    compare(
        lambda x, y: getattr(F, name)(x, y, reduction=reduction),
        *_pair(rng),
        torch_fn=lambda x, y: getattr(TF, name)(x, y, reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber(rng, reduction, delta):
    compare(
        lambda x, y: F.huber_loss(x, y, reduction=reduction, delta=delta),
        *_pair(rng),
        torch_fn=lambda x, y: TF.huber_loss(x, y, reduction=reduction, delta=delta),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0])
def test_smooth_l1(rng, reduction, beta):
    compare(
        lambda x, y: F.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
        *_pair(rng),
        torch_fn=lambda x, y: TF.smooth_l1_loss(x, y, reduction=reduction, beta=beta),
    )


def _probabilities(rng, shape=(3, 4)):
    p = rng.uniform(0.05, 0.95, size=shape).astype(np.float32)
    y = rng.uniform(0.0, 1.0, size=shape).astype(np.float32)  # soft targets: dy is tested too
    return p, y


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (4,), (3, 4)])
def test_binary_cross_entropy(rng, reduction, weight_shape):
    w = None if weight_shape is None else rng.uniform(0.5, 2, weight_shape).astype(np.float32)
    compare(
        lambda p, y: F.binary_cross_entropy(p, y, weight=w, reduction=reduction),
        *_probabilities(rng),
        torch_fn=lambda p, y: TF.binary_cross_entropy(
            p, y, weight=None if w is None else torch.tensor(w), reduction=reduction
        ),
    )


def test_binary_cross_entropy_at_0_and_1_is_clamped_like_pytorch():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype=np.float32)
    out = compare(
        lambda p, y: F.binary_cross_entropy(p, y, reduction="none"),
        p,
        y,
        torch_fn=lambda p, y: TF.binary_cross_entropy(p, y, reduction="none"),
        grad=False,
    )
    np.testing.assert_array_equal(out.numpy(), [100, 100, 0, 0, np.log(2).astype(np.float32)])
    x = zn.tensor(p, requires_grad=True)
    F.binary_cross_entropy(x, y).backward()
    xt = torch.tensor(p, requires_grad=True)
    TF.binary_cross_entropy(xt, torch.tensor(y)).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6)
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
def test_bce_with_logits(rng, reduction, use_weight):
    x, _ = _pair(rng)
    _, y = _probabilities(rng)
    w = rng.uniform(0.5, 2, (3, 1)).astype(np.float32) if use_weight else None
    compare(
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, weight=w, reduction=reduction),
        x,
        y,
        torch_fn=lambda x, y: TF.binary_cross_entropy_with_logits(
            x, y, weight=None if w is None else torch.tensor(w), reduction=reduction
        ),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pos_shape", [(4,), (3, 4)])
def test_bce_with_logits_pos_weight(rng, reduction, pos_shape):
    x, _ = _pair(rng)
    _, y = _probabilities(rng)
    pw = rng.uniform(0.5, 3, pos_shape).astype(np.float32)
    compare(
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction=reduction, pos_weight=pw),
        x,
        y,
        torch_fn=lambda x, y: TF.binary_cross_entropy_with_logits(
            x, y, reduction=reduction, pos_weight=torch.tensor(pw)
        ),
    )
    # PyTorch does not differentiate pos_weight; zennet does, checked numerically.
    assert zn.gradcheck(
        lambda pw: F.binary_cross_entropy_with_logits(x, y, reduction=reduction, pos_weight=pw),
        [zn.tensor(pw.astype(np.float64), requires_grad=True)],
    )


@pytest.mark.parametrize("scale", [100.0, 1e4])
@pytest.mark.parametrize("use_pos_weight", [False, True])
def test_bce_with_logits_extreme_logits(scale, use_pos_weight):
    x = np.array([scale, -scale, scale, -scale, 0.0], dtype=np.float32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.3], dtype=np.float32)
    pw = np.full(5, 2.5, dtype=np.float32) if use_pos_weight else None
    out = compare(
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none", pos_weight=pw),
        x,
        y,
        torch_fn=lambda x, y: TF.binary_cross_entropy_with_logits(
            x, y, reduction="none", pos_weight=None if pw is None else torch.tensor(pw)
        ),
        gradcheck=False,
    )
    assert np.isfinite(out.numpy()).all()
    assert out.numpy()[2] == scale and out.numpy()[0] < 1e-30  # log(1 + e^-scale)


def test_bce_with_logits_equals_sigmoid_then_bce(rng):
    x, _ = _pair(rng)
    _, y = _probabilities(rng)
    a = F.binary_cross_entropy_with_logits(zn.tensor(x), y).item()
    b = F.binary_cross_entropy(F.sigmoid(zn.tensor(x)), y).item()
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_integer_binary_targets_are_accepted(rng):
    x = rng.standard_normal(4).astype(np.float32)
    y = np.array([0, 1, 1, 0])
    out = F.binary_cross_entropy_with_logits(zn.tensor(x), y)
    ref = TF.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(y).float())
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-6)
    assert out.dtype == np.float32


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # PyTorch's own warning
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(rng, reduction, log_target):
    logq = TF.log_softmax(torch.tensor(rng.standard_normal((3, 4))), 1).numpy()
    p = rng.dirichlet(np.ones(4), size=3)
    target = np.log(p) if log_target else p
    compare(
        lambda i, t: F.kl_div(i, t, reduction=reduction, log_target=log_target),
        logq.astype(np.float32),
        target.astype(np.float32),
        torch_fn=lambda i, t: TF.kl_div(i, t, reduction=reduction, log_target=log_target),
    )


def test_kl_div_zero_target_counts_as_zero(rng):
    logq = np.log(np.full((2, 3), 1 / 3, dtype=np.float32))
    p = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]], dtype=np.float32)
    compare(
        lambda i: F.kl_div(i, zn.tensor(p, device=i.device), reduction="none"),
        logq,
        torch_fn=lambda i: TF.kl_div(i, torch.tensor(p), reduction="none"),
    )


# --------------------------------------------------------------------- modules


@pytest.mark.parametrize(
    "module, function, kwargs",
    [
        (nn.MSELoss, F.mse_loss, {"reduction": "sum"}),
        (nn.L1Loss, F.l1_loss, {"reduction": "none"}),
        (nn.HuberLoss, F.huber_loss, {"delta": 0.3}),
        (nn.SmoothL1Loss, F.smooth_l1_loss, {"beta": 0.3}),
        (nn.KLDivLoss, F.kl_div, {"reduction": "batchmean", "log_target": True}),
    ],
)
def test_modules_call_their_function(rng, module, function, kwargs):
    x, y = (zn.tensor(a) for a in _pair(rng))
    np.testing.assert_array_equal(module(**kwargs)(x, y).numpy(), function(x, y, **kwargs).numpy())


def test_weighted_modules_keep_weights_as_buffers(rng):
    p, y = (zn.tensor(a) for a in _probabilities(rng))
    w = rng.uniform(0.5, 2, 4).astype(np.float32)
    bce = nn.BCELoss(weight=w, reduction="sum")
    assert bce(p, y).item() == F.binary_cross_entropy(p, y, weight=w, reduction="sum").item()
    logits = nn.BCEWithLogitsLoss(pos_weight=w)
    assert list(logits.state_dict()) == ["pos_weight"]
    expected = F.binary_cross_entropy_with_logits(p, y, pos_weight=w)
    assert logits(p, y).item() == expected.item()
    assert "reduction='sum'" in repr(bce)


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "name",
    ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "kl_div", "binary_cross_entropy"],
)
def test_shape_mismatch_names_the_function(name):
    x, y = zn.full((4, 1), 0.5), zn.full((4,), 0.5)
    with pytest.raises(
        ValueError, match=rf"{name}: input has shape \(4, 1\) but target has shape \(4,\)"
    ):
        getattr(F, name)(x, y)


def test_bad_values_and_options():
    p, y = zn.tensor([0.2, 1.5]), zn.tensor([0.0, 1.0])
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy: input must hold probabilities .* "
        r"from 0\.2 to 1\.5.*binary_cross_entropy_with_logits",
    ):
        F.binary_cross_entropy(p, y)
    with pytest.raises(ValueError, match=r"huber_loss: delta must be > 0, got 0"):
        F.huber_loss(y, y, delta=0)
    with pytest.raises(ValueError, match=r"smooth_l1_loss: beta must be >= 0, got -1"):
        F.smooth_l1_loss(y, y, beta=-1)
    with pytest.raises(ValueError, match=r"kl_div: reduction must be one of .*'batchmean', got"):
        F.kl_div(y, y, reduction="avg")
    with pytest.raises(
        ValueError, match=r"mse_loss: reduction must be one of 'mean', 'sum', 'none'"
    ):
        F.mse_loss(y, y, reduction="batchmean")
    with pytest.raises(
        ValueError,
        match=r"binary_cross_entropy_with_logits: pos_weight of shape "
        r"\(3,\) does not broadcast to the input's shape \(2,\)",
    ):
        F.binary_cross_entropy_with_logits(y, y, pos_weight=np.ones(3))
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="avg")


@pytest.mark.parametrize(
    "name, options",
    [("l1_loss", {}), ("huber_loss", {"delta": 0.5}), ("smooth_l1_loss", {"beta": 0.5})],
)
def test_kinks_match_pytorch(name, options):
    # d = 0 (l1's sign(0) = 0) and |d| = delta exactly, where the two pieces meet
    x = np.array([1.0, 1.5, 0.5, 2.0, -0.25], dtype=np.float32)
    y = np.array([1.0, 1.0, 1.0, 1.0, 0.25], dtype=np.float32)
    compare(
        lambda x, y: getattr(F, name)(x, y, reduction="sum", **options),
        x,
        y,
        torch_fn=lambda x, y: getattr(TF, name)(x, y, reduction="sum", **options),
        gradcheck=False,
    )
