"""Loss modules take PyTorch's deprecated size_average / reduce in PyTorch's positional
slots and map them to a reduction as PyTorch does (torch.nn._reduction.legacy_get_string)."""

import inspect
import itertools
import warnings

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.helpers import compare
from zennet import nn


def _with_legacy_slots():
    for name in sorted(dir(torch.nn)):
        theirs = getattr(torch.nn, name)
        if name.endswith("Loss") and hasattr(nn, name):
            if "size_average" in inspect.signature(theirs.__init__).parameters:
                yield name


LEGACY = list(_with_legacy_slots())
SETTINGS = list(itertools.product((None, True, False), repeat=2))


def positional(cls, size_average, reduce):
    """cls(...) with size_average and reduce passed by position, the slots before them at
    their defaults (as a caller of PyTorch's old API writes it)."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    args = []
    for p in parameters:
        if p.name == "size_average":
            args.append(size_average)
        elif p.name == "reduce":
            args.append(reduce)
            break
        else:
            args.append(p.default)
    return cls(*args)


def test_every_legacy_loss_is_covered():
    assert len(LEGACY) == 17, LEGACY  # the nn losses with the slots in torch 2.13


@pytest.mark.parametrize("name", LEGACY)
@pytest.mark.parametrize("size_average, reduce", SETTINGS)
def test_legacy_arguments_give_pytorchs_reduction(name, size_average, reduce):
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = positional(getattr(torch.nn, name), size_average, reduce)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = positional(getattr(nn, name), size_average, reduce)
    assert ours.reduction == theirs.reduction
    assert [str(w.message) for w in ours_warned] == [str(w.message) for w in theirs_warned]


@pytest.mark.parametrize(
    "size_average, reduce, expected",
    [(None, None, "mean"), (False, None, "sum"), (True, False, "none"), (False, True, "sum")],
)
def test_legacy_cross_entropy_computes_the_mapped_reduction(rng, size_average, reduce, expected):
    logits, labels = rng.standard_normal((5, 4)), rng.integers(0, 4, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.CrossEntropyLoss(None, size_average, -100, reduce)
        theirs = torch.nn.CrossEntropyLoss(None, size_average, -100, reduce)
    assert ours.reduction == expected
    got = ours(zn.tensor(logits), zn.tensor(labels)).numpy()
    np.testing.assert_allclose(got, theirs(torch.tensor(logits), torch.tensor(labels)).numpy())


def _inputs(name, rng):
    """Arrays a loss function takes before its options (inputs and targets)."""
    x = rng.standard_normal((4, 3))
    if name in ("cross_entropy", "nll_loss", "multi_margin_loss"):
        return [x, rng.integers(0, 3, 4)]
    if name == "multilabel_margin_loss":
        return [x, np.array([[0, -1, 1], [2, 1, -1], [1, -1, 0], [0, 1, 2]])]
    if name == "binary_cross_entropy":
        return [rng.uniform(0.1, 0.9, (4, 3)), rng.uniform(0, 1, (4, 3))]
    if name in ("margin_ranking_loss", "cosine_embedding_loss"):
        shape = (4, 3) if name == "cosine_embedding_loss" else (4,)
        sign = rng.choice([-1.0, 1.0], 4)
        return [rng.standard_normal(shape), rng.standard_normal(shape), sign]
    if name in ("hinge_embedding_loss", "soft_margin_loss"):
        return [x, rng.choice([-1.0, 1.0], (4, 3))]
    if name == "triplet_margin_loss":
        return [x, rng.standard_normal((4, 3)), rng.standard_normal((4, 3))]
    if name in ("kl_div", "poisson_nll_loss"):  # probabilities, counts: non-negative targets
        return [x, rng.uniform(0, 1, (4, 3))]
    if name == "multilabel_soft_margin_loss":
        return [x, rng.integers(0, 2, (4, 3)).astype(float)]
    return [x, rng.standard_normal((4, 3))]


def _functionals_with_legacy_slots():
    for name in sorted(dir(torch.nn.functional)):
        theirs = getattr(torch.nn.functional, name)
        if name.endswith(("_loss", "entropy", "_logits")) or name == "kl_div":
            if callable(theirs) and "size_average" in inspect.signature(theirs).parameters:
                yield name


FUNCTIONALS = list(_functionals_with_legacy_slots())


def test_every_legacy_functional_is_covered():
    assert len(FUNCTIONALS) == 17, FUNCTIONALS


@pytest.mark.parametrize("name", FUNCTIONALS)
@pytest.mark.parametrize("size_average, reduce", [(None, None), (False, None), (True, False)])
def test_functional_legacy_slots_by_position(rng, name, size_average, reduce):
    """F.<name>(inputs..., <defaults>, size_average, ..., reduce) as PyTorch's positional
    order puts them, values equal to PyTorch's."""
    arrays = _inputs(name, rng)
    parameters = list(inspect.signature(getattr(torch.nn.functional, name)).parameters.values())
    args = []
    for p in parameters[len(arrays) :]:
        if p.name == "reduce":
            args.append(reduce)
            break
        args.append(size_average if p.name == "size_average" else p.default)
    results = []
    for lib, make in ((F, zn.tensor), (torch.nn.functional, torch.tensor)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results.append(getattr(lib, name)(*map(make, arrays), *args).numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_weight(rng, name, reduction):
    """PyTorch 2.13's weight= of mse, l1 and huber ("mean": Σ w·l / Σ w, but huber's is
    the plain mean of w·l)."""
    x, y, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(0, 2, (3, 4))
    compare(
        lambda x, y, w: getattr(F, name)(x, y, reduction=reduction, weight=w),
        x,
        y,
        w,
        torch_fn=lambda x, y, w: getattr(torch.nn.functional, name)(
            x, y, reduction=reduction, weight=w
        ),
        rtol=1e-10,
        atol=1e-12,
    )
    with pytest.raises(ValueError, match="weights and input must have the same size"):
        getattr(F, name)(zn.tensor(x), zn.tensor(y), weight=zn.ones(4))


def test_reduction_is_still_checked():
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="avg")
