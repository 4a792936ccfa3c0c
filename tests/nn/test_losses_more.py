"""The losses of nn/losses_more.py against torch.nn's modules, every reduction, float32 and
float64: the loss and the gradient of every floating input."""

import numpy as np
import pytest
import torch

import zennet as zn
from zennet import nn
from zennet.nn import functional as F


def _signs(rng, *shape):
    return np.where(rng.random(shape) < 0.5, -1.0, 1.0)


def _inputs(name, rng):
    """The positional inputs of loss ``name`` as NumPy arrays (floats get gradients)."""
    x = rng.standard_normal((5, 4))
    if name == "PoissonNLLLoss":
        return [x, rng.poisson(2.0, (5, 4)).astype(float)]
    if name == "PoissonNLLLoss-rate":
        return [rng.random((5, 4)) + 0.1, rng.poisson(2.0, (5, 4)).astype(float)]
    if name == "GaussianNLLLoss":
        return [x, rng.standard_normal((5, 4)), rng.random((5, 4)) + 0.05]
    if name == "GaussianNLLLoss-row":
        return [x, rng.standard_normal((5, 4)), rng.random((5, 1)) + 0.05]
    if name in ("MarginRankingLoss",):
        return [rng.standard_normal(6), rng.standard_normal(6), _signs(rng, 6)]
    if name == "HingeEmbeddingLoss":
        return [np.abs(x), _signs(rng, 5, 4)]
    if name == "SoftMarginLoss":
        return [x, _signs(rng, 5, 4)]
    if name == "CosineEmbeddingLoss":
        return [x, rng.standard_normal((5, 4)), _signs(rng, 5)]
    if name == "MultiLabelSoftMarginLoss":
        return [x, (rng.random((5, 4)) < 0.4).astype(float)]
    if name == "MultiMarginLoss":
        return [x, rng.integers(0, 4, 5)]
    if name == "MultiLabelMarginLoss":
        target = np.array(
            [[3, 0, -1, 1], [1, 2, 3, 0], [2, -1, 0, 0], [0, 0, -1, 2], [-1, 1, 1, 1]]
        )
        return [x, target]
    if name.startswith("TripletMargin"):
        return [x, x + 0.3 * rng.standard_normal((5, 4)), rng.standard_normal((5, 4))]
    raise KeyError(name)


CASES = [
    ("PoissonNLLLoss", {}),
    ("PoissonNLLLoss", {"full": True}),
    ("PoissonNLLLoss-rate", {"log_input": False}),
    ("GaussianNLLLoss", {}),
    ("GaussianNLLLoss", {"full": True, "eps": 0.1}),
    ("GaussianNLLLoss-row", {}),
    ("MarginRankingLoss", {"margin": 0.3}),
    ("HingeEmbeddingLoss", {}),
    ("HingeEmbeddingLoss", {"margin": 0.5}),
    ("SoftMarginLoss", {}),
    ("CosineEmbeddingLoss", {"margin": 0.2}),
    ("MultiLabelSoftMarginLoss", {}),
    ("MultiLabelSoftMarginLoss", {"weight": np.array([1.0, 2.0, 0.5, 0.0])}),
    ("MultiMarginLoss", {}),
    ("MultiMarginLoss", {"p": 2, "margin": 0.7, "weight": np.array([1.0, 2.0, 0.5, 3.0])}),
    ("MultiLabelMarginLoss", {}),
    ("TripletMarginLoss", {}),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True}),
    ("TripletMarginWithDistanceLoss", {"swap": True}),
]


def _module(lib, name, kwargs, dtype):
    kwargs = {
        k: (lib.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v)
        for k, v in kwargs.items()
    }
    return getattr(lib.nn, name.split("-")[0])(**kwargs)


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_loss_matches_torch(rng, name, kwargs, reduction, dtype):
    arrays = _inputs(name, rng)
    results = []
    for lib in (zn, torch):
        loss_fn = _module(lib, name, dict(kwargs, reduction=reduction), dtype)
        # targets are data (PyTorch refuses gradients for some, gives NaN for others)
        data = {1} if name.startswith(("Poisson", "Gaussian")) else {len(arrays) - 1}
        data = set() if name.startswith("Triplet") else data
        inputs = [
            lib.tensor(a.astype(dtype), requires_grad=i not in data)
            if a.dtype.kind == "f"
            else lib.tensor(a)
            for i, a in enumerate(arrays)
        ]
        loss = loss_fn(*inputs)
        seed = np.asarray(np.cos(np.arange(loss.numel())).reshape(tuple(loss.shape)) + 1.5, dtype)
        loss.backward(seed if lib is zn else torch.from_numpy(seed))
        results.append((loss, inputs))
    (out, ours), (ref, theirs) = results
    rtol, atol = (2e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=rtol, atol=atol)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if b.grad is not None:
            np.testing.assert_allclose(
                a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"input {i}"
            )


def test_functional_forms_exist_and_match_modules(rng):
    x, y = rng.standard_normal((3, 4)), np.array([0, 3, 1])
    np.testing.assert_allclose(
        F.multi_margin_loss(zn.tensor(x), zn.tensor(y)).numpy(),
        torch.nn.functional.multi_margin_loss(torch.tensor(x), torch.tensor(y)).numpy(),
    )
    a, p, n = (rng.standard_normal((3, 4)) for _ in range(3))
    dist = lambda u, v: 1 - F.cosine_similarity(u, v)  # noqa: E731
    ours = F.triplet_margin_with_distance_loss(*map(zn.tensor, (a, p, n)), distance_function=dist)
    theirs = torch.nn.functional.triplet_margin_with_distance_loss(
        *map(torch.tensor, (a, p, n)),
        distance_function=lambda u, v: 1 - torch.nn.functional.cosine_similarity(u, v),
    )
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_registered_for_the_trainer():
    assert nn.get_loss("poisson_nll") is F.poisson_nll_loss
    assert nn.get_loss("multi_margin") is F.multi_margin_loss


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="MultiMarginLoss: p must be 1 or 2"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="gaussian_nll_loss: var of shape"):
        F.gaussian_nll_loss(zn.ones(3, 4), zn.ones(3, 4), zn.ones(2))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.SoftMarginLoss(reduction="avg")
