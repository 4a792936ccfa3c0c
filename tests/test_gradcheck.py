"""zn.gradcheck: it accepts correct gradients and names the input and element of a wrong one."""

import numpy as np
import pytest

import zennet as zn
from zennet.autograd import Function


class WrongExp(Function):
    """y = exp(x), with the classic slip dx = dy (the derivative of x, not of exp)."""

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, dy):
        return dy


class WrongAtOneElement(Function):
    """y = a * b; the gradient of b is right except at element (1, 2)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, dy):
        db = dy * self.a
        db[1, 2] += 1.0
        return dy * self.b, db


class MissingGradient(Function):
    """y = x * 2, whose backward forgets to return a gradient."""

    def forward(self, x):
        return x * 2

    def backward(self, dy):
        return None


def inputs(rng, *shapes, requires_grad=True):
    return [zn.tensor(rng.standard_normal(s), requires_grad=requires_grad) for s in shapes]


@pytest.mark.parametrize(
    "fn,shapes",
    [
        (lambda x: x.exp(), [(2, 3)]),
        (lambda x, w: (x @ w).tanh().sum(1), [(3, 4), (4, 2)]),
        (lambda x: x.softmax(-1), [(2, 5)]),
        (lambda a, b: a / (b * b + 1), [(3, 1), (1, 4)]),
        (lambda x: x[[0, 0, 1]].sigmoid(), [(2, 3)]),
        (lambda x: x.sum(), [()]),
    ],
)
def test_correct_gradients_pass(rng, fn, shapes):
    assert zn.gradcheck(fn, inputs(rng, *shapes)) is True


def test_wrong_backward_raises_naming_input_and_element(rng):
    with pytest.raises(AssertionError, match=r"gradcheck: input 0 \(shape \(2, 3\)\) element \("):
        zn.gradcheck(lambda x: WrongExp.apply(x), inputs(rng, (2, 3)))


def test_names_the_wrong_element_of_the_wrong_input(rng):
    message = r"input 1 \(shape \(2, 3\)\) element \(1, 2\): autograd gives .*, central"
    with pytest.raises(AssertionError, match=message):
        zn.gradcheck(lambda a, b: WrongAtOneElement.apply(a, b), inputs(rng, (2, 3), (2, 3)))


def test_missing_gradient_is_caught(rng):
    with pytest.raises(AssertionError, match="input 0"):
        zn.gradcheck(lambda x: MissingGradient.apply(x), inputs(rng, (3,)))


def test_checks_only_inputs_that_require_grad(rng):
    x, w = inputs(rng, (2, 3)) + inputs(rng, (3, 3), requires_grad=False)
    assert zn.gradcheck(lambda x, w: WrongExp.apply(w) @ x.T, [x, w])
    with pytest.raises(AssertionError, match="input 1"):
        zn.gradcheck(lambda x, w: WrongExp.apply(w) @ x.T, [x, w.requires_grad_()])


def test_float32_inputs_are_checked_in_float64(rng):
    x = zn.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    seen = []
    assert zn.gradcheck(lambda t: seen.append(t.dtype) or t.exp(), [x])
    assert seen and all(dtype == np.float64 for dtype in seen)


def test_non_tensor_and_integer_inputs_pass_through(rng):
    (x,) = inputs(rng, (4, 3))
    index = np.array([0, 2, 2])
    assert zn.gradcheck(lambda x, i: x[i].exp(), [x, index])


def test_nothing_to_check_is_an_error(rng):
    with pytest.raises(ValueError, match="gradcheck: no input requires grad"):
        zn.gradcheck(lambda x: x.exp(), inputs(rng, (2,), requires_grad=False))
