"""matmul (1-D, 2-D, batched with broadcasting) and linear (Z = A·Wᵀ + b) against PyTorch."""

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.helpers import compare
from tests.op_inputs import both_functional, randn

T = torch.tensor

MATMUL_SHAPES = [
    ((3,), (3,)),  # dot product: a 0-d result
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),
    ((3,), (2, 3, 4)),
    ((2, 2, 3), (3,)),
    ((2, 1, 2, 3), (3, 3, 2)),  # batch dims (2, 1) and (3,) broadcast to (2, 3)
    ((1, 2, 3), (2, 3, 1)),
    ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),  # empty inner dimension: zeros
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul(rng, sa, sb):
    compare(lambda a, b: a @ b, randn(rng, sa), randn(rng, sb))


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES[:5], ids=str)
def test_matmul_function_and_method(rng, sa, sb):
    compare(lambda a, b: a.matmul(b), randn(rng, sa), randn(rng, sb))


def test_matmul_of_transposed_inputs(rng):
    compare(lambda a, b: a.T @ b.transpose(0, 1), randn(rng, (3, 2)), randn(rng, (4, 3)))


def test_matmul_with_ndarray_operand(rng):
    w, v = randn(rng, (3, 4)), randn(rng, (5, 2))
    compare(lambda a: v @ a @ w, randn(rng, (2, 3)), torch_fn=lambda a: T(v) @ a @ T(w))


@pytest.mark.parametrize(
    "sa,sb,message",
    [
        ((2, 3), (4, 5), r"matmul: shapes \(2, 3\) and \(4, 5\) do not chain.*\(3\).*\(4\)"),
        ((3,), (4,), r"matmul: shapes \(3,\) and \(4,\) do not chain"),
        ((2, 2, 3), (3, 3, 4), r"matmul \(batch dimensions\): shapes \(2,\) and \(3,\) cannot"),
        ((), (3,), r"matmul: both operands need at least 1 dimension"),
    ],
)
def test_matmul_mismatch_is_a_clear_error(sa, sb, message):
    with pytest.raises(ValueError, match=message):
        zn.zeros(sa) @ zn.zeros(sb)


LINEAR_SHAPES = [
    ((5, 3), (4, 3)),
    ((2, 5, 3), (4, 3)),  # 3-D input: every leading axis is a sample
    ((3,), (4, 3)),
    ((0, 3), (2, 3)),
]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("sx,sw", LINEAR_SHAPES, ids=str)
def test_linear(rng, sx, sw, bias):
    x, w, b = randn(rng, sx), randn(rng, sw), randn(rng, sw[:1])
    if bias:
        both_functional(lambda F, x, w, b: F.linear(x, w, b), x, w, b)
    else:
        both_functional(lambda F, x, w: F.linear(x, w), x, w)


def test_linear_of_transposed_input(rng):
    both_functional(
        lambda F, x, w, b: F.linear(x.transpose(0, 1), w, b),
        randn(rng, (3, 5)),
        randn(rng, (4, 3)),
        randn(rng, (4,)),
    )


def test_linear_is_the_primers_formula(rng):
    """Z = W·A + b with samples as columns is Z = A·Wᵀ + b with samples as rows."""
    a, w, b = randn(rng, (6, 3)), randn(rng, (4, 3)), randn(rng, (4,))
    z = F.linear(zn.tensor(a), zn.tensor(w), zn.tensor(b)).numpy()
    np.testing.assert_allclose(z.T, w @ a.T + b[:, None], rtol=1e-6)


def test_linear_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\) .* weight of shape"):
        F.linear(zn.zeros(2, 5), zn.zeros(4, 3))
