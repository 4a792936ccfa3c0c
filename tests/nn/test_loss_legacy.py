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


def test_legacy_slots_in_the_functionals_that_have_them(rng):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    with pytest.warns(UserWarning, match="reduction='sum'"):
        ours = F.poisson_nll_loss(zn.tensor(x), zn.tensor(y), True, False, False)
    theirs = torch.nn.functional.poisson_nll_loss(torch.tensor(x), torch.tensor(y), reduction="sum")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_reduction_is_still_checked():
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="avg")
