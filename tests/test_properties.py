"""Property tests: for random broadcast-compatible shapes, the gradient of (a op b).sum()
has each input's shape and equals PyTorch's."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import zennet as zn

OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
}

shape_pairs = mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=3
)


def _grads(lib, op, a, b):
    ta, tb = lib.tensor(a, requires_grad=True), lib.tensor(b, requires_grad=True)
    OPS[op](ta, tb).sum().backward()
    return ta.grad.numpy(), tb.grad.numpy()


@pytest.mark.parametrize("op", OPS)
@settings(max_examples=25, deadline=None)
@given(shapes=shape_pairs, seed=st.integers(0, 2**32 - 1))
def test_gradient_of_broadcast_op_has_input_shape_and_equals_pytorch(op, shapes, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shapes.input_shapes[0]).astype(np.float32)
    b = rng.uniform(0.5, 2.0, shapes.input_shapes[1]).astype(np.float32)  # a safe denominator
    ours, theirs = _grads(zn, op, a, b), _grads(torch, op, a, b)
    for got, expected, x in zip(ours, theirs, (a, b)):
        assert got.shape == x.shape and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(shapes=shape_pairs, seed=st.integers(0, 2**32 - 1))
def test_forward_shape_is_the_broadcast_shape(shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes.input_shapes)
    assert (zn.tensor(a) * zn.tensor(b)).shape == shapes.result_shape
