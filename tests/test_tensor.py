"""The Tensor API (PyTorch's names and semantics) and the functions that create tensors."""

import numpy as np
import pytest
import torch

import zennet as zn

# ---------------------------------------------------------------- autograd attributes


def test_requires_grad_and_grad():
    x = zn.tensor([1.0, 2.0])
    assert not x.requires_grad and x.grad is None and x.is_leaf
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    y = zn.tensor([1.0, 2.0], requires_grad=True)
    (y * y).sum().backward()
    assert isinstance(y.grad, zn.Tensor) and not y.grad.requires_grad
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 4.0])


@pytest.mark.parametrize("values", [[1, 2], [True, False]])
def test_requires_grad_on_a_non_float_tensor_raises_type_error(values):
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        zn.tensor(values).requires_grad_()
    with pytest.raises(TypeError, match="Convert it first with .float()"):
        zn.tensor(values, requires_grad=True)


def test_requires_grad_false_on_an_op_result_raises():
    y = zn.tensor([1.0], requires_grad=True) * 2
    assert not y.is_leaf and y.grad_fn is not None
    with pytest.raises(RuntimeError, match=r"leaf tensors only; use .detach\(\)"):
        y.requires_grad_(False)


def test_detach_shares_data_and_leaves_the_graph():
    x = zn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 1.0).detach()
    assert not y.requires_grad and y.grad_fn is None
    d = x.detach()
    d.numpy()[0] = 5.0  # shares memory, as in PyTorch
    assert x.numpy()[0] == 5.0


def test_clone_is_a_differentiable_copy():
    x = zn.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert not np.shares_memory(c.numpy(), x.numpy())
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


# ---------------------------------------------------------------- array access


def test_numpy_array_and_item():
    x = zn.tensor([[1.0, 2.0, 3.0]])
    assert isinstance(x.numpy(), np.ndarray) and x.numpy() is x.data
    assert np.asarray(x) is x.data
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert np.array(x, copy=True) is not x.data
    assert zn.tensor([2.5]).item() == 2.5 and isinstance(zn.tensor(3).item(), int)
    assert float(zn.tensor(1.5)) == 1.5 and int(zn.tensor(7)) == 7
    assert x.tolist() == [[1.0, 2.0, 3.0]]
    with pytest.raises(ValueError, match=r"item: only a single-element .* shape \(1, 3\)"):
        x.item()


def test_shape_ndim_dtype_size():
    x = zn.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.dim() == 3 and x.dtype == np.float32
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24 and len(x) == 2
    assert [t.shape for t in x] == [(3, 4), (3, 4)]
    with pytest.raises(TypeError, match="len"):
        len(zn.tensor(1.0))


def test_repr_names_the_op():
    assert "grad_fn=Mul" in repr(zn.tensor([1.0], requires_grad=True) * 2)
    assert "requires_grad=True" in repr(zn.tensor([1.0], requires_grad=True))
    assert "dtype=float64" in repr(zn.tensor(np.zeros(2)))


@pytest.mark.parametrize(
    "method,dtype",
    [("float", np.float32), ("double", np.float64), ("long", np.int64), ("int", np.int32)],
)
def test_dtype_conversions(method, dtype):
    assert getattr(zn.tensor([1.5, 2.0]), method)().dtype == dtype


def test_cast_between_floats_is_differentiable():
    x = zn.tensor(np.array([1.0, 2.0]), requires_grad=True)  # float64
    y = x.float() * 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_transpose_properties():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(zn.tensor(x).T.numpy(), torch.tensor(x).permute(2, 1, 0))
    np.testing.assert_array_equal(zn.tensor(x).mT.numpy(), torch.tensor(x).mT)


def test_in_place_helpers_and_setitem():
    x = zn.zeros(2, 3)
    x[0, 1] = 5.0
    x[1] = zn.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.numpy(), [[0.0, 5.0, 0.0], [1.0, 2.0, 3.0]])
    x.fill_(2.0)
    assert (x.numpy() == 2.0).all()
    x.zero_()
    assert (x.numpy() == 0.0).all()
    x.copy_(np.ones((2, 3)))
    assert x.dtype == np.float32 and (x.numpy() == 1.0).all()
    with pytest.raises(ValueError, match=r"copy_: got shape \(3,\), expected \(2, 3\)"):
        x.copy_(np.ones(3))


def test_setitem_on_a_tensor_that_requires_grad_raises():
    x = zn.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place assignment .* requires grad"):
        x[0] = 1.0


def test_non_contiguous_leaf(rng):
    base = rng.standard_normal((4, 3)).astype(np.float32)
    x = zn.Tensor(np.asarray(base).T, requires_grad=True)  # a transposed view, no copy
    assert not x.numpy().flags.c_contiguous
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * base.T)


# ---------------------------------------------------------------- creation


@pytest.mark.parametrize(
    "data",
    [
        np.zeros(3, np.float64),
        np.zeros(3, np.float32),
        np.zeros(3, np.int32),
        np.zeros(3, np.bool_),
        np.float64(1.5),
        [1.5, 2.0],
        [[1, 2], [3, 4]],
        [True, False],
        2.5,
        7,
    ],
    ids=repr,
)
def test_tensor_dtype_follows_torch_tensor(data):
    assert zn.tensor(data).dtype == torch.tensor(data).numpy().dtype


def test_tensor_copies_and_keeps_values():
    source = np.array([1.0, 2.0])
    x = zn.tensor(source)
    source[0] = 9.0
    assert x.numpy()[0] == 1.0
    assert zn.tensor(zn.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]


def test_tensor_dtype_argument():
    assert zn.tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert zn.tensor([1.0], dtype=zn.float64).dtype == np.float64
    assert zn.tensor([1.7], dtype="int64").tolist() == [1]


@pytest.mark.parametrize("make", [zn.zeros, zn.ones, zn.empty, zn.rand, zn.randn])
def test_filled_and_random_creation(make):
    assert make(2, 3).shape == make((2, 3)).shape == (2, 3)
    assert make(2, 3).dtype == np.float32
    assert make(4, dtype=np.float64).dtype == np.float64
    assert make(2, requires_grad=True).requires_grad
    assert make(()).shape == ()


def test_zeros_and_ones_values():
    assert (zn.zeros(2, 2).numpy() == 0).all() and (zn.ones(3).numpy() == 1).all()


@pytest.mark.parametrize("fill", [1.5, 3, True])
def test_full_infers_dtype_like_torch(fill):
    ours, theirs = zn.full((2, 3), fill), torch.full((2, 3), fill)
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert zn.full(4, 2.0, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("make", [zn.zeros_like, zn.ones_like])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_like_creation_keeps_shape_and_dtype(make, dtype):
    x = zn.tensor(np.zeros((2, 3), dtype))
    assert make(x).shape == (2, 3) and make(x).dtype == dtype
    assert make(x, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize(
    "args", [(5,), (2, 7), (1, 2, 0.25), (0.0, 1.0, 0.3), (5.0,), (-3, 3, 2)], ids=str
)
def test_arange_follows_torch(args):
    ours, theirs = zn.arange(*args), torch.arange(*args)
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2)], ids=str)
def test_eye(args):
    np.testing.assert_array_equal(zn.eye(*args).numpy(), torch.eye(*args).numpy())
    assert zn.eye(*args).dtype == np.float32


def test_rand_is_in_unit_interval_and_randn_is_standard():
    zn.manual_seed(0)
    u, g = zn.rand(10_000).numpy(), zn.randn(10_000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(g.mean()) < 0.05 and abs(g.std() - 1) < 0.05


def test_manual_seed_makes_draws_reproducible():
    zn.manual_seed(42)
    first = (zn.rand(3).numpy(), zn.randn(2, 2).numpy())
    zn.manual_seed(42)
    second = (zn.rand(3).numpy(), zn.randn(2, 2).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    zn.manual_seed(43)
    assert not np.array_equal(zn.rand(3).numpy(), first[0])


def test_manual_seed_rejects_a_bad_seed():
    with pytest.raises(ValueError, match="manual_seed: expected a non-negative int"):
        zn.manual_seed(-1)
