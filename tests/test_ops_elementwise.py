"""Elementwise primitives against PyTorch (values, gradients) and a float64 gradient check.

Every op runs on a grid of shapes (0-d, vectors, broadcasting pairs, different ranks,
size-0 dimensions) and on non-contiguous inputs (a transposed or strided view).
"""

import numpy as np
import pytest

from tests.helpers import compare
from tests.op_inputs import away_from, both, nonzero, positive, randn

# name: (function of one tensor, maker of an input where the function is smooth)
UNARY = {
    "neg": (lambda x: -x, randn),
    "exp": (lambda x: x.exp(), randn),
    "log": (lambda x: x.log(), positive),
    "sqrt": (lambda x: x.sqrt(), positive),
    "abs": (lambda x: x.abs(), nonzero),
    "abs_operator": (lambda x: abs(x), nonzero),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), away_from(-0.5, 0.5)),
    "clamp_min": (lambda x: x.clamp(min=0.2), away_from(0.2)),
    "clamp_max": (lambda x: x.clamp(max=-0.3), away_from(-0.3)),
    "clip": (lambda x: x.clip(-1.0, 1.0), away_from(-1.0, 1.0)),
    "pow_2": (lambda x: x**2, randn),
    "pow_3": (lambda x: x**3, randn),
    "pow_half": (lambda x: x**0.5, positive),
    "pow_negative": (lambda x: x**-1.5, positive),
    "pow_method": (lambda x: x.pow(2.5), positive),
    "rpow": (lambda x: 2.0**x, randn),
    "add_scalar": (lambda x: x + 1.5, randn),
    "radd_scalar": (lambda x: 1.5 + x, randn),
    "sub_scalar": (lambda x: x - 2.5, randn),
    "rsub_scalar": (lambda x: 2.5 - x, randn),
    "mul_scalar": (lambda x: x * 2.5, randn),
    "rmul_scalar": (lambda x: 2.5 * x, randn),
    "div_scalar": (lambda x: x / 4.0, randn),
    "rdiv_scalar": (lambda x: 1.5 / x, positive),
}
UNARY_SHAPES = [(), (5,), (2, 3), (2, 1, 3), (0,), (3, 0)]

# name: (function of two tensors, maker of a, maker of b)
BINARY = {
    "add": (lambda a, b: a + b, randn, randn),
    "sub": (lambda a, b: a - b, randn, randn),
    "mul": (lambda a, b: a * b, randn, randn),
    "div": (lambda a, b: a / b, randn, positive),
    "pow": (lambda a, b: a**b, positive, randn),
    "maximum": (lambda a, b: a.maximum(b), randn, randn),
    "minimum": (lambda a, b: a.minimum(b), randn, randn),
    "add_method": (lambda a, b: a.add(b), randn, randn),
    "sub_method": (lambda a, b: a.sub(b), randn, randn),
    "mul_method": (lambda a, b: a.mul(b), randn, randn),
    "div_method": (lambda a, b: a.div(b), randn, positive),
}
BINARY_SHAPES = [
    ((), ()),
    ((3,), ()),
    ((), (2, 3)),
    ((2, 3), (2, 3)),
    ((4, 1), (1, 5)),
    ((2, 3, 4), (4,)),
    ((3, 1, 2), (4, 1)),
    ((1,), (2, 3)),
    ((0, 3), (1, 3)),
    ((2, 0), ()),
]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("op", UNARY)
def test_unary(rng, op, shape):
    fn, make = UNARY[op]
    compare(fn, make(rng, shape))


@pytest.mark.parametrize("op", UNARY)
def test_unary_transposed_input(rng, op):
    fn, make = UNARY[op]
    compare(lambda x: fn(x.transpose(0, 1)), make(rng, (3, 4)))


@pytest.mark.parametrize("op", UNARY)
def test_unary_strided_input(rng, op):
    fn, make = UNARY[op]
    compare(lambda x: fn(x[:, 1::2]), make(rng, (2, 7)))


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("op", BINARY)
def test_binary(rng, op, shapes):
    fn, make_a, make_b = BINARY[op]
    compare(fn, make_a(rng, shapes[0]), make_b(rng, shapes[1]))


@pytest.mark.parametrize("op", BINARY)
def test_binary_transposed_inputs(rng, op):
    fn, make_a, make_b = BINARY[op]
    compare(lambda a, b: fn(a.transpose(0, 1), b[::2]), make_a(rng, (4, 3)), make_b(rng, (6, 4)))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow", "maximum"])
def test_binary_same_tensor_twice(rng, op):
    fn, make, _ = BINARY[op]
    compare(lambda a: fn(a, a), make(rng, (2, 3)))


# Ties: PyTorch gives each side half of dy (the float64 check is skipped: ties are kinks).
@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_gradient(op):
    a = np.array([[1.0, 2.0, -3.0], [0.5, 0.5, 0.5]], dtype=np.float32)
    b = np.array([[1.0, 0.0, -3.0]], dtype=np.float32)
    out = compare(BINARY[op][0], a, b, gradcheck=False)
    assert out.shape == (2, 3)


def test_maximum_tie_gives_each_side_half():
    import zennet as zn

    a, b = zn.tensor([2.0], requires_grad=True), zn.tensor([2.0], requires_grad=True)
    zn.maximum(a, b).sum().backward()
    assert a.grad.item() == b.grad.item() == 0.5


WHERE_SHAPES = [
    ((2, 3), (2, 3), (2, 3)),
    ((3, 1), (1, 4), ()),
    ((4,), (2, 1), (4,)),
    ((0,), (0,), ()),
]


@pytest.mark.parametrize("shapes", WHERE_SHAPES, ids=str)
def test_where(rng, shapes):
    cond = rng.random(shapes[0]) > 0.5
    both(lambda m, c, a, b: m.where(c, a, b), cond, randn(rng, shapes[1]), randn(rng, shapes[2]))


def test_where_python_scalar_branch(rng):
    both(lambda m, c, a: m.where(c, a, 0.0), rng.random((3, 4)) > 0.5, randn(rng, (3, 4)))


# At the kinks the derivative is a convention; PyTorch's: relu'(0) = 0 (here via abs),
# |x|'(0) = 0, clamp passes dy at the bounds themselves.
@pytest.mark.parametrize(
    "fn", [lambda x: x.abs(), lambda x: x.clamp(-1.0, 1.0), lambda x: x.clamp(min=0.0)]
)
def test_kinks_follow_pytorch(fn):
    compare(fn, np.array([-1.0, 0.0, 1.0, 2.0], dtype=np.float32), gradcheck=False)


def test_pow_tensor_exponent_with_scalar_base_keeps_float32(rng):
    out = compare(lambda x: 3.0**x, randn(rng, (4,)))
    assert out.dtype == np.float32


# At a = 0 PyTorch's pow gradients are 0 where the function is flat (a⁰; 0^b for b >= 0).
@pytest.mark.filterwarnings("ignore:divide by zero")  # 0 ** -1 = inf, as in PyTorch
@pytest.mark.parametrize(
    "a,b",
    [
        ([0.0, 1.0, 2.0], 0.0),
        ([0.0, 0.0, 1.0, 2.0], [0.0, 2.0, 0.0, 0.5]),
        ([0.0, 0.0], [-1.0, 0.5]),
    ],
    ids=str,
)
def test_pow_at_zero_follows_pytorch(a, b):
    a, b = np.array(a, np.float32), np.array(b, np.float32)
    compare(lambda a, b: a**b, a, b, gradcheck=False)
    compare(lambda a: a ** float(b.flat[0]), a, gradcheck=False)


CLAMP_X = np.array([[-1.5, -0.8, -0.2], [0.2, 0.8, 1.5]], np.float32)
CLAMP_LOW, CLAMP_HIGH = (
    np.array([-1.0, -0.5, 0.1], np.float32),
    np.array([[0.5], [1.0]], np.float32),
)


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x, lo, hi: m.clamp(x, min=lo, max=hi),
        lambda m, x, lo, hi: x.clamp(min=lo),
        lambda m, x, lo, hi: x.clip(max=hi),
        lambda m, x, lo, hi: x.clamp(lo, hi.min()),
    ],
)
def test_clamp_with_tensor_bounds(fn):
    both(fn, CLAMP_X, CLAMP_LOW, CLAMP_HIGH)
