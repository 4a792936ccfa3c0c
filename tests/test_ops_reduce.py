"""Reductions against PyTorch: whole-tensor and along dims, with and without keepdim.

Inputs come from ``distinct`` (no two elements equal), so max/min have one winner and
the float64 gradient check never sits on a tie; ties get tests of their own.
"""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.helpers import compare
from tests.op_inputs import distinct, randn

# Our NaNs (no degrees of freedom, mean of nothing) are PyTorch's; its warnings are not news.
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom", "ignore:Mean of empty")

REDUCTIONS = {
    "sum": lambda x, dim, keep: x.sum(dim=dim, keepdim=keep),
    "mean": lambda x, dim, keep: x.mean(dim=dim, keepdim=keep),
    "var": lambda x, dim, keep: x.var(dim=dim, keepdim=keep),
    "var_biased": lambda x, dim, keep: x.var(dim=dim, correction=0, keepdim=keep),
    "std": lambda x, dim, keep: x.std(dim=dim, keepdim=keep),
    "std_biased": lambda x, dim, keep: x.std(dim=dim, correction=0, keepdim=keep),
    "amax": lambda x, dim, keep: x.amax(dim=dim, keepdim=keep),
    "amin": lambda x, dim, keep: x.amin(dim=dim, keepdim=keep),
}
# (shape, dim): None reduces everything; a 0-d tensor accepts dim 0 and -1, as in PyTorch.
SHAPE_DIMS = [
    ((5,), None),
    ((5,), 0),
    ((2, 3, 4), None),
    ((2, 3, 4), 0),
    ((2, 3, 4), 1),
    ((2, 3, 4), -1),
    ((2, 3, 4), (0, 2)),
    ((4, 1), 1),
]
SCALAR_DIMS = [((), None), ((), 0), ((), -1)]
EMPTY_DIMS = [((3, 0), 0), ((0, 3), 1)]  # a reduction that keeps a size-0 dim


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPE_DIMS, ids=str)
@pytest.mark.parametrize("op", REDUCTIONS)
def test_reduction(rng, op, shape, dim, keepdim):
    compare(lambda x: REDUCTIONS[op](x, dim, keepdim), distinct(rng, shape))


@pytest.mark.parametrize("shape,dim", SCALAR_DIMS, ids=str)
@pytest.mark.parametrize("op", ["sum", "mean", "var_biased", "amax", "amin"])
def test_reduction_of_scalar(rng, op, shape, dim):
    compare(lambda x: REDUCTIONS[op](x, dim, False), distinct(rng, shape))


@pytest.mark.parametrize("shape,dim", EMPTY_DIMS, ids=str)
@pytest.mark.parametrize("op", ["sum", "mean", "var", "amax", "amin"])
def test_reduction_keeping_an_empty_dim(op, shape, dim):
    compare(lambda x: REDUCTIONS[op](x, dim, True), np.zeros(shape, np.float32))


@pytest.mark.parametrize("op", ["sum", "mean", "var", "amax"])
def test_reduction_of_transposed_input(rng, op):
    compare(lambda x: REDUCTIONS[op](x.transpose(0, 1), 1, False), distinct(rng, (3, 4)))


@pytest.mark.parametrize(
    "fn", [lambda x: x.max(1).values, lambda x: x.min(0).values, lambda x: x.logsumexp(1)]
)
def test_max_min_logsumexp_of_strided_input(rng, fn):
    compare(lambda x: fn(x.transpose(0, 1)[:, ::2]), distinct(rng, (3, 4)))


@pytest.mark.parametrize("correction", [0, 1])
def test_std_of_a_constant_slice_has_zero_gradient(correction):
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], np.float32)
    compare(lambda t: t.std(1, correction=correction), x, gradcheck=False)


def test_sum_of_empty_is_zero_and_mean_of_empty_is_nan():
    compare(lambda x: x.sum(), np.zeros((0, 3), np.float32))
    with np.errstate(invalid="ignore", divide="ignore"):
        assert np.isnan(zn.zeros(0, 3).mean().item())


@pytest.mark.parametrize("shape,dim", [((5,), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((), 0)])
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_along_dim_returns_values_and_indices(rng, op, shape, dim, keepdim):
    x = distinct(rng, shape)
    fn = lambda t: getattr(t, op)(dim, keepdim=keepdim)  # noqa: E731
    compare(lambda t: fn(t).values, x)
    ours, theirs = fn(zn.tensor(x)), fn(torch.tensor(x))
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert ours.indices.dtype == np.int64 and ours[1].shape == ours[0].shape


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_whole_tensor(rng, op):
    compare(lambda x: getattr(x, op)(), distinct(rng, (3, 4)))


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_of_two_tensors_is_elementwise(rng, op):
    compare(lambda a, b: getattr(a, op)(b), randn(rng, (3, 1)), randn(rng, (4,)))


# Ties, following PyTorch: max()/amax share dy evenly among the tied elements;
# max(dim) gives all of it to the index it returns (the first one).
TIES = np.array([[3.0, 1.0, 3.0, 3.0], [2.0, 2.0, 0.0, -1.0]], dtype=np.float32)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.max(),
        lambda x: x.min(),
        lambda x: x.amax(dim=1),
        lambda x: x.amin(dim=(0, 1)),
        lambda x: x.max(1).values,
        lambda x: x.min(dim=0).values,
    ],
)
def test_ties_follow_pytorch(fn):
    compare(fn, TIES, gradcheck=False)


def test_max_dim_tie_picks_first_index():
    np.testing.assert_array_equal(zn.tensor(TIES).max(1).indices.numpy(), [0, 0])


@pytest.mark.parametrize(
    "shape,dim", [((5,), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), (0, 2)), ((), 0)]
)
@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp(rng, shape, dim, keepdim):
    compare(lambda x: x.logsumexp(dim, keepdim=keepdim), randn(rng, shape))


def test_logsumexp_of_empty_dim_is_minus_infinity():
    compare(lambda x: x.logsumexp(1), np.zeros((3, 0), np.float32), gradcheck=False)


@pytest.mark.parametrize("x", [[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4 - 1]])
def test_logsumexp_of_extreme_values_is_finite(x):
    out = compare(lambda t: t.logsumexp(0), np.array(x, np.float32), gradcheck=False)
    assert np.isfinite(out.item())


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(rng, op, dim, keepdim):
    x = distinct(rng, (3, 4))
    ours = getattr(zn.tensor(x), op)(dim, keepdim=keepdim)
    theirs = getattr(torch.tensor(x), op)(dim, keepdim=keepdim)
    assert ours.dtype == np.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_argmax_tie_picks_first_index():
    assert zn.tensor([3.0, 1.0, 3.0]).argmax().item() == 0


def test_reduction_dim_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match=r"sum: dim 2 is out of range .* 2 dimensions"):
        zn.zeros(2, 3).sum(2)
