"""cross_entropy and nll_loss against PyTorch: labels and probabilities, (N, C) and
(N, C, d1, d2) inputs, class weights, ignore_index, label smoothing, every reduction."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import zennet as zn
import zennet.functional as F
from tests.helpers import compare
from zennet import nn

REDUCTIONS = ["mean", "sum", "none"]


def _labels(rng, shape, classes, ignored=()):
    """Random labels; the positions in ``ignored`` (flat indices) get ignore_index 3."""
    y = rng.integers(0, classes, size=shape)
    y.flat[list(ignored)] = 3 if ignored else 0
    return y


def _weight(rng, classes):
    return rng.uniform(0.5, 2.0, size=classes).astype(np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 2, 2)])
def test_cross_entropy_labels(rng, reduction, use_weight, ignore, smoothing, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    target_shape = shape[:1] + shape[2:]
    y = _labels(rng, target_shape, shape[1], ignored=(0, 2) if ignore else ())
    w = _weight(rng, shape[1]) if use_weight else None
    options = dict(
        ignore_index=3 if ignore else -100, reduction=reduction, label_smoothing=smoothing
    )
    compare(
        lambda x, y: F.cross_entropy(x, y, weight=w, **options),
        x,
        y,
        torch_fn=lambda x, y: TF.cross_entropy(
            x, y, weight=None if w is None else torch.tensor(w), **options
        ),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 2, 2)])
def test_cross_entropy_probabilities(rng, reduction, use_weight, smoothing, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    t = rng.dirichlet(np.ones(shape[1]), size=shape[:1] + shape[2:]).astype(np.float32)
    t = np.moveaxis(t, -1, 1)  # classes along dim 1
    w = _weight(rng, shape[1]) if use_weight else None
    options = dict(reduction=reduction, label_smoothing=smoothing)
    compare(
        lambda x, t: F.cross_entropy(x, t, weight=w, **options),
        x,
        t,
        torch_fn=lambda x, t: TF.cross_entropy(
            x, t, weight=None if w is None else torch.tensor(w), **options
        ),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_unbatched(rng, reduction):
    x = rng.standard_normal(6).astype(np.float32)
    compare(
        lambda x, y: F.cross_entropy(x, y, reduction=reduction),
        x,
        np.array(4),
        torch_fn=lambda x, y: TF.cross_entropy(x, y, reduction=reduction),
    )
    t = rng.dirichlet(np.ones(6)).astype(np.float32)
    compare(
        lambda x, t: F.cross_entropy(x, t, reduction=reduction),
        x,
        t,
        torch_fn=lambda x, t: TF.cross_entropy(x, t, reduction=reduction),
    )


@pytest.mark.parametrize("scale", [100.0, 1e4])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_extreme_logits_are_finite_and_match(rng, scale, smoothing):
    x = (np.sign(rng.standard_normal((6, 5))) * scale).astype(np.float32)
    y = rng.integers(0, 5, size=6)
    out = compare(
        lambda x, y: F.cross_entropy(x, y, label_smoothing=smoothing, reduction="none"),
        x,
        y,
        torch_fn=lambda x, y: TF.cross_entropy(x, y, label_smoothing=smoothing, reduction="none"),
        gradcheck=False,
    )
    assert np.isfinite(out.numpy()).all()


def test_cross_entropy_with_minus_inf_logit_of_other_class():
    x = np.array([[2.0, -np.inf, 0.5], [-np.inf, 1.0, 0.0]], dtype=np.float32)
    y = np.array([0, 1])
    out = compare(F.cross_entropy, x, y, torch_fn=TF.cross_entropy, gradcheck=False)
    assert np.isfinite(out.item())


def test_cross_entropy_all_ignored_mean_is_nan_like_pytorch():
    x = np.zeros((2, 3), dtype=np.float32)
    y = np.array([-100, -100])
    ours = F.cross_entropy(zn.tensor(x), y).item()
    theirs = TF.cross_entropy(torch.tensor(x), torch.tensor(y)).item()
    assert np.isnan(ours) and np.isnan(theirs)


def test_cross_entropy_float64_keeps_dtype(rng):
    x = zn.tensor(rng.standard_normal((3, 4)))
    assert F.cross_entropy(x, np.array([0, 1, 3])).dtype == np.float64


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (2, 4, 2, 2), (4,)])
def test_nll_loss(rng, reduction, use_weight, shape):
    logp = (
        TF.log_softmax(torch.tensor(rng.standard_normal(shape)), dim=-1 if len(shape) == 1 else 1)
        .numpy()
        .astype(np.float32)
    )
    y = _labels(
        rng, shape[:1] + shape[2:] if len(shape) > 1 else (), logp.shape[min(1, len(shape) - 1)]
    )
    if len(shape) > 1:
        y.flat[0] = 2  # one ignored sample
    w = _weight(rng, 4) if use_weight else None
    options = dict(ignore_index=2, reduction=reduction)
    compare(
        lambda p, y: F.nll_loss(p, y, weight=w, **options),
        logp,
        y,
        torch_fn=lambda p, y: TF.nll_loss(
            p, y, weight=None if w is None else torch.tensor(w), **options
        ),
    )


def test_log_softmax_then_nll_equals_cross_entropy(rng):
    x = zn.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    y = np.array([2, 0, 1, 1])
    np.testing.assert_allclose(
        F.nll_loss(F.log_softmax(x, 1), y).item(), F.cross_entropy(x, y).item(), rtol=1e-6
    )


def test_modules_match_functions(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    y = np.array([2, 0, 1, 1])
    w = _weight(rng, 3)
    module = nn.CrossEntropyLoss(weight=w, ignore_index=0, label_smoothing=0.1)
    expected = F.cross_entropy(zn.tensor(x), y, weight=w, ignore_index=0, label_smoothing=0.1)
    assert module(zn.tensor(x), y).item() == expected.item()
    assert list(module.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    nll = nn.NLLLoss(reduction="sum")
    assert nll(zn.tensor(x), y).item() == F.nll_loss(zn.tensor(x), y, reduction="sum").item()


# ----------------------------------------------------------------------- errors


def test_label_out_of_range_names_function_label_and_classes():
    x = zn.zeros(2, 10)
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: target contains label 10 but input "
        r"has 10 classes \(valid labels 0\.\.9\)",
    ):
        F.cross_entropy(x, np.array([3, 10]))
    with pytest.raises(ValueError, match=r"nll_loss: target contains label -1 but input has 10"):
        F.nll_loss(x, np.array([-1, 0]))
    with pytest.raises(
        ValueError, match=r"CrossEntropyLoss|cross_entropy: target contains label 12"
    ):
        nn.CrossEntropyLoss()(x, np.array([12, 0]))


def test_ignore_index_label_is_not_an_error():
    x = zn.zeros(2, 3)
    assert np.isfinite(F.cross_entropy(x, np.array([-100, 1])).item())
    assert np.isfinite(F.cross_entropy(x, np.array([7, 1]), ignore_index=7).item())


def test_float_labels_or_wrong_target_shape_are_explained():
    x = zn.zeros(4, 3)
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: .*integer tensor of shape \(4,\).*"
        r"probabilities of shape \(4, 3\); got dtype float32 and shape \(4,\)",
    ):
        F.cross_entropy(x, np.zeros(4, dtype=np.float32))
    with pytest.raises(ValueError, match=r"got dtype float32 and shape \(4, 2\)"):
        F.cross_entropy(x, np.zeros((4, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"cross_entropy: .*got dtype int64 and shape \(5,\)"):
        F.cross_entropy(x, np.zeros(5, dtype=np.int64))


def test_bad_options_are_errors():
    x = zn.zeros(4, 3)
    y = np.zeros(4, dtype=np.int64)
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: weight must hold one value per class, "
        r"shape \(3,\), got shape \(4,\)",
    ):
        F.cross_entropy(x, y, weight=np.ones(4))
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0, 1\]"):
        F.cross_entropy(x, y, label_smoothing=1.5)
    with pytest.raises(
        ValueError,
        match=r"cross_entropy: reduction must be one of 'mean', 'sum', "
        r"'none', got 'avg'",
    ):
        F.cross_entropy(x, y, reduction="avg")
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: reduction must be one of"):
        nn.CrossEntropyLoss(reduction="batchmean")
    with pytest.raises(ValueError, match=r"cross_entropy: input must have a class dimension"):
        F.cross_entropy(zn.tensor(1.0), np.array(0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_labels_take_one_op_that_rounds_as_the_general_one(rng, dtype, monkeypatch):
    """The common case (labels, mean, no weights or smoothing) is one op,
    MeanLabelCrossEntropy; its loss and gradient are bit for bit those of the general
    SoftmaxCrossEntropy with one-hot rows, summed and divided (so training matches PyTorch
    as closely as before: tests/models compares whole training runs). On NumPy's path:
    the compiled kernels' gradient is the same to the bit, their loss is summed in float64
    (tests/test_kernels.py)."""
    from zennet.functional.loss import _label_coefficients
    from zennet.ops import loss as ops

    monkeypatch.setattr(ops, "kernel", lambda *args: None)

    x = rng.standard_normal((64, 50)).astype(dtype)
    y = _labels(rng, (64,), 50)
    y[[3, 9]] = -100
    results = []
    for op in ("one", "general"):
        zx = zn.tensor(x, requires_grad=True)
        if op == "one":
            loss = F.cross_entropy(zx, zn.tensor(y))
            assert type(loss._ctx) is ops.MeanLabelCrossEntropy
        else:
            a, divisor = _label_coefficients("cross_entropy", y, x.shape, x.dtype, None, -100, 0)
            loss = ops.SoftmaxCrossEntropy.apply(zx, a, axis=1).sum() / divisor
        loss.backward()
        results.append((loss.numpy(), zx.grad.numpy()))
    (loss1, grad1), (loss2, grad2) = results
    assert loss1.dtype == dtype and loss1 == loss2
    np.testing.assert_array_equal(grad1, grad2)
