"""Ops that move elements (reshape, permute, expand, join, split, pad, index) against PyTorch."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.helpers import compare
from tests.op_inputs import both, both_functional, randn

# (input shape, function of one tensor): each works the same on zennet and torch tensors.
MOVES = [
    ((2, 3, 4), lambda x: x.reshape(6, 4)),
    ((2, 3, 4), lambda x: x.reshape((4, -1))),
    ((2, 3, 4), lambda x: x.view(-1)),
    ((), lambda x: x.reshape(1, 1)),
    ((1, 1), lambda x: x.reshape(())),
    ((0, 3), lambda x: x.reshape(3, 0)),
    ((2, 3, 4), lambda x: x.flatten()),
    ((2, 3, 4), lambda x: x.flatten(1)),
    ((2, 3, 4, 5), lambda x: x.flatten(1, 2)),
    ((), lambda x: x.flatten()),
    ((2, 3), lambda x: x.transpose(0, 1)),
    ((2, 3, 4), lambda x: x.transpose(-1, 0)),
    ((2, 3), lambda x: x.T),
    ((2, 3, 4), lambda x: x.permute(2, 0, 1)),
    ((2, 3, 4), lambda x: x.permute((1, 2, 0))),
    ((0, 2, 3), lambda x: x.permute(2, 1, 0)),
    ((2, 1, 3, 1), lambda x: x.squeeze()),
    ((2, 1, 3, 1), lambda x: x.squeeze(1)),
    ((2, 1, 3, 1), lambda x: x.squeeze(-1)),
    ((2, 1, 3), lambda x: x.squeeze(0)),  # not of length 1: unchanged
    ((2, 3), lambda x: x.unsqueeze(0)),
    ((2, 3), lambda x: x.unsqueeze(-1)),
    ((2, 3), lambda x: x.unsqueeze(1)),
    ((), lambda x: x.unsqueeze(0)),
    ((3, 1), lambda x: x.expand(3, 4)),
    ((3, 1), lambda x: x.expand(2, -1, 4)),
    ((3,), lambda x: x.expand(2, 3)),
    ((), lambda x: x.expand(2, 2)),
    ((1, 3), lambda x: x.broadcast_to((4, 3))),
    ((2, 3), lambda x: x.repeat(2, 1)),
    ((2, 3), lambda x: x.repeat(1, 2, 3)),
    ((3,), lambda x: x.repeat((2, 2))),
    ((2, 3), lambda x: x.repeat(0, 1)),
]


@pytest.mark.parametrize("shape,fn", MOVES)
def test_move(rng, shape, fn):
    compare(fn, randn(rng, shape))


@pytest.mark.parametrize("shape,fn", [m for m in MOVES if len(m[0]) == 2 and 0 not in m[0]])
def test_move_of_transposed_input(rng, shape, fn):
    compare(lambda x: fn(x.transpose(0, 1)), randn(rng, shape[::-1]))


# ---------------------------------------------------------------- joining


@pytest.mark.parametrize(
    "shapes,dim",
    [
        ([(2, 3), (4, 3)], 0),
        ([(2, 3), (2, 1), (2, 5)], 1),
        ([(2, 3), (2, 3)], -1),
        ([(2, 2, 3), (2, 1, 3)], 1),
        ([(0, 3), (2, 3)], 0),
        ([(3,)], 0),
    ],
    ids=str,
)
def test_cat(rng, shapes, dim):
    both(lambda m, *xs: m.cat(list(xs), dim), *[randn(rng, s) for s in shapes])


@pytest.mark.parametrize(
    "shape,n,dim", [((2, 3), 2, 0), ((2, 3), 3, 1), ((2, 3), 2, -1), ((), 3, 0)]
)
def test_stack(rng, shape, n, dim):
    both(lambda m, *xs: m.stack(xs, dim), *[randn(rng, shape) for _ in range(n)])


def test_cat_of_transposed_inputs(rng):
    both(lambda m, a, b: m.cat([a.T, b], 0), randn(rng, (3, 2)), randn(rng, (4, 3)))


def test_cat_and_stack_errors_name_the_shapes():
    with pytest.raises(
        ValueError, match=r"cat: shapes \[\(2, 3\), \(2, 4\)\] differ outside dim 0"
    ):
        zn.cat([zn.zeros(2, 3), zn.zeros(2, 4)])
    with pytest.raises(ValueError, match=r"stack: .* same shape, got \[\(2, 3\), \(3, 2\)\]"):
        zn.stack([zn.zeros(2, 3), zn.zeros(3, 2)])


# ---------------------------------------------------------------- splitting


# Every piece goes into the output (each scaled differently), so each one's gradient counts.
def _weighted_pieces(m, pieces):
    return m.cat([p.reshape(-1) * (i + 1) for i, p in enumerate(pieces)])


@pytest.mark.parametrize(
    "shape,size,dim",
    [((5, 3), 2, 0), ((2, 6), 3, 1), ((2, 7), 3, -1), ((4, 3), [1, 3], 0), ((2, 5), [2, 0, 3], 1)],
    ids=str,
)
def test_split(rng, shape, size, dim):
    both(lambda m, x: _weighted_pieces(m, x.split(size, dim)), randn(rng, shape))


@pytest.mark.parametrize("shape,chunks,dim", [((6, 2), 3, 0), ((2, 7), 3, 1), ((5,), 2, 0)])
def test_chunk(rng, shape, chunks, dim):
    both(lambda m, x: _weighted_pieces(m, x.chunk(chunks, dim)), randn(rng, shape))


def test_split_pieces_have_pytorch_shapes(rng):
    x = randn(rng, (2, 7))
    ours = [p.shape for p in zn.tensor(x).split(3, 1)]
    assert ours == [tuple(p.shape) for p in torch.tensor(x).split(3, 1)]


# ---------------------------------------------------------------- padding


@pytest.mark.parametrize(
    "shape,pad,value",
    [
        ((2, 3), (1, 2), 0.0),
        ((2, 3), (0, 1, 2, 0), 0.0),
        ((1, 2, 3, 3), (1, 1, 1, 1), -1.5),
        ((3,), (2, 0), 0.0),
    ],
    ids=str,
)
def test_pad(rng, shape, pad, value):
    both_functional(lambda F, x: F.pad(x, pad, value=value), randn(rng, shape))


def test_pad_of_transposed_input(rng):
    both_functional(lambda F, x: F.pad(x.transpose(0, 1), (1, 2, 0, 1)), randn(rng, (4, 3)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: m.cat([x, x * 2], 1),
        lambda m, x: m.stack([x, x + 1], 2),
        lambda m, x: _weighted_pieces(m, x.split(2, 0)),
        lambda m, x: _weighted_pieces(m, x.chunk(2, 1)),
    ],
)
def test_join_split_pad_of_transposed_input(rng, fn):
    both(lambda m, x: fn(m, x.transpose(0, 1)), randn(rng, (4, 3)))


# ---------------------------------------------------------------- indexing

INDICES = [
    ((4, 3), 1),
    ((4, 3), -1),
    ((4, 3), (2, 1)),
    ((4, 3), slice(1, 3)),
    ((4, 3), slice(None, None, 2)),
    ((4, 3), (slice(None), 1)),
    ((4, 3), (slice(None), slice(0, 3, 2))),
    ((4, 3), None),
    ((4, 3), (None, slice(None), None)),
    ((2, 3, 4), Ellipsis),
    ((2, 3, 4), (Ellipsis, 1)),
    ((2, 3, 4), (1, Ellipsis, None)),
    ((2, 3, 4), (0, slice(1, None), Ellipsis)),
    ((4, 3), slice(2, 2)),  # empty
]


@pytest.mark.parametrize("shape,index", INDICES, ids=str)
def test_getitem_basic(rng, shape, index):
    compare(lambda x: x[index], randn(rng, shape))


@pytest.mark.parametrize(
    "shape,index",
    [
        ((5,), [0, 2, 0, 0]),  # repeated indices: their gradients add up
        ((4, 3), [[0, 1], [1, 1]]),
        ((4, 3), ([0, 3, 0], [2, 2, 2])),
        ((4, 3), (slice(None), [2, 0, 2])),
        ((2, 3, 4), (Ellipsis, [1, 1])),
        ((2, 3, 4), ([1, 0], slice(None), [3, 3])),
    ],
    ids=str,
)
def test_getitem_integer_arrays(rng, shape, index):
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [np.array(p, np.int64) for p in parts if isinstance(p, list)]
    compare(lambda x, *arrays: x[_with_arrays(parts, arrays)], randn(rng, shape), *arrays)


def _with_arrays(parts, arrays):
    """``parts`` with its lists replaced, in order, by ``arrays`` (tensors of either library)."""
    arrays = iter(arrays)
    index = tuple(next(arrays) if isinstance(p, list) else p for p in parts)
    return index if len(index) > 1 else index[0]


def test_getitem_integer_array_with_slices_and_ellipsis(rng):
    i = np.array([1, 1, 0])
    compare(lambda x: x[..., i], randn(rng, (2, 3, 4)))
    compare(lambda x: x[i, 1:], randn(rng, (2, 3)))


def test_getitem_python_list(rng):
    compare(lambda x: x[[0, 0, 2]], randn(rng, (3, 2)))


def test_getitem_repeated_indices_sum_in_backward():
    x = zn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 0, 2]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 2)], ids=str)
def test_getitem_boolean_mask(rng, shape):
    compare(lambda x, m: x[m], randn(rng, shape), rng.random(shape) > 0.5)


def test_getitem_mask_from_comparison(rng):
    compare(lambda x: x[x > 0], randn(rng, (3, 4)))


def test_getitem_mask_on_first_dim(rng):
    compare(lambda x, m: x[m], randn(rng, (4, 3)), np.array([True, False, True, True]))


def test_getitem_of_transposed_input(rng):
    compare(lambda x: x.T[1:, [0, 2, 2]], randn(rng, (3, 4)))


def test_shape_errors_are_clear():
    with pytest.raises(ValueError, match=r"reshape: cannot view .* shape \(2, 3\) .* as \(4, 2\)"):
        zn.zeros(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(2, 3\) to \(4, 3\)"):
        zn.zeros(2, 3).expand(4, 3)
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not a permutation"):
        zn.zeros(2, 3).permute(0, 0)
    with pytest.raises(ValueError, match=r"flatten: start_dim 2 comes after end_dim 1"):
        zn.zeros(2, 3, 4).flatten(2, 1)
    with pytest.raises(ValueError, match=r"expand: -1 .* in \(-1, 3\) .* new leading dimension"):
        zn.zeros(3).expand(-1, 3)


@pytest.mark.parametrize("index", [slice(None, None, -1), slice(3, 0, -2), (slice(None), -1)])
def test_getitem_negative_steps_as_numpy(rng, index):
    """PyTorch has no negative steps; the gradient is dy put back where NumPy took it from."""
    x = zn.tensor(randn(rng, (4, 3)), requires_grad=True)
    assert zn.gradcheck(lambda t: t[index], [x])
    seed = np.arange(x[index].numel(), dtype=np.float32).reshape(x[index].shape)
    x[index].backward(seed)
    expected = np.zeros((4, 3), np.float32)
    expected[index] = seed
    np.testing.assert_array_equal(x.grad.numpy(), expected)
