"""The backward engine: accumulation, depth, no_grad, freeing the graph, errors, dtypes."""

import weakref

import numpy as np
import pytest
import torch

import zennet as zn
from zennet.autograd import Function


def leaf(values, dtype=np.float32):
    return zn.tensor(np.array(values, dtype=dtype), requires_grad=True)


def test_reused_tensor_gets_the_sum_of_its_gradients():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x + x.exp() + x  # three uses of x (and two inside x * x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + np.exp(x.numpy()) + 1, rtol=1e-6)


def test_diamond_graph_matches_pytorch():
    values = np.array([0.5, -1.0, 2.0], np.float32)

    def f(x):
        h = x * 2
        return (h.sigmoid() * h.tanh() + h).sum()

    ours, theirs = leaf(values), torch.tensor(values, requires_grad=True)
    f(ours).backward()
    f(theirs).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


def test_leaf_used_by_two_ops_gets_correct_unaliased_gradients():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = a + a
    z = a * b + a
    (y.sum() + z.sum()).backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2 + b.numpy() + 1)
    np.testing.assert_array_equal(b.grad.numpy(), a.numpy())
    a.grad.numpy()[:] = 100.0  # changing one gradient in place must not change another
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0])


def test_inputs_of_one_add_get_gradients_that_do_not_share_memory():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).backward(np.ones(2, np.float32))
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_seed_passed_to_backward_is_not_aliased_by_a_gradient():
    a = leaf([1.0, 2.0])
    seed = np.ones(2, np.float32)
    (a * 1.0).backward(seed)
    a.grad.zero_()
    np.testing.assert_array_equal(seed, [1.0, 1.0])


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 3 + 2 * x.numpy())


def test_chain_of_10000_ops_backpropagates_without_recursion_error():
    x = leaf([1.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001**10_000], rtol=1e-3)


def test_no_grad_builds_no_graph():
    x = leaf([1.0, 2.0])
    with zn.no_grad():
        y = (x * 2).exp().sum()
    assert not y.requires_grad and y.grad_fn is None
    assert zn.is_grad_enabled()
    with zn.no_grad(), zn.enable_grad():
        assert (x * 2).requires_grad


def test_no_grad_as_a_decorator():
    @zn.no_grad()
    def predict(x):
        return x * 2

    assert predict(leaf([1.0])).grad_fn is None and zn.is_grad_enabled()


def test_op_on_tensors_without_requires_grad_builds_no_graph():
    y = zn.tensor([1.0, 2.0]) * 3
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf


def _intermediate_and_root():
    x = leaf([1.0, 2.0])
    h = x * 2  # the intermediate whose lifetime is tested
    root = (h.exp() * 3).sum()
    return x, weakref.ref(h), root


def test_graph_is_freed_after_backward():
    x, h, root = _intermediate_and_root()
    assert h() is not None  # the graph keeps it alive until backward
    root.backward()
    assert h() is None  # at once: the graph holds no reference cycle for gc to find
    assert x.grad is not None


def test_retain_graph_keeps_the_graph_for_a_second_backward():
    x, h, root = _intermediate_and_root()
    root.backward(retain_graph=True)
    assert h() is not None
    first = x.grad.numpy().copy()
    root.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_second_backward_without_retain_graph_raises():
    x, _, root = _intermediate_and_root()
    root.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        root.backward()


def test_backward_on_a_non_scalar_needs_a_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"grad can be omitted only .* shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 0.5], np.float32))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 1.0])


def test_backward_with_gradient_of_the_wrong_shape_raises():
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the tensor has shape \(2,\)"):
        (leaf([1.0, 2.0]) * 2).backward(np.ones(3, np.float32))


def test_backward_on_a_tensor_without_graph_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        zn.tensor([1.0]).sum().backward()


@pytest.mark.parametrize(
    "op,name",
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "sub"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: a / b, "div"),
        (lambda a, b: a**b, "pow"),
        (lambda a, b: zn.maximum(a, b), "maximum"),
        (lambda a, b: zn.minimum(a, b), "minimum"),
    ],
)
def test_mismatched_shapes_name_the_op_and_both_shapes(op, name):
    message = rf"{name}: shapes \(3, 4\) and \(5,\) cannot be broadcast together"
    with pytest.raises(ValueError, match=message):
        op(zn.ones(3, 4, requires_grad=True), zn.ones(5))


def test_where_mismatch_names_all_three_shapes():
    with pytest.raises(ValueError, match=r"where: shapes \(3, 1\) and \(3, 4\) and \(5,\)"):
        zn.where(zn.ones(3, 1) > 0, zn.ones(3, 4), zn.ones(5))


def test_mismatched_shapes_with_an_ndarray_operand():
    with pytest.raises(ValueError, match=r"add: shapes \(5,\) and \(3, 4\)"):
        np.ones(5, np.float32) + zn.ones(3, 4)


def test_matmul_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) do not chain"):
        zn.ones(3, 4) @ zn.ones(5, 2)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x * 2.5,
        lambda x: 2.5 * x,
        lambda x: 2.5 - x,
        lambda x: x / 3,
        lambda x: 1 / x,
        lambda x: x**2,
        lambda x: x**0.5,
        lambda x: 2.0**x,
        lambda x: x + np.float64(1.5),
        lambda x: x * np.sqrt(2.0),
        lambda x: np.float64(2.0) ** x,
        lambda x: x.clamp(0.1, 0.9),
        lambda x: zn.where(x > 1, x, 0.0),
        lambda x: x.mean() * 1e-3,
    ],
)
def test_float32_stays_float32_with_python_scalars(fn):
    x = leaf([1.0, 2.0])
    y = fn(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_float64_stays_float64():
    x = leaf([1.0, 2.0], np.float64)
    y = (x * 2.5).sigmoid().sum()
    assert y.dtype == np.float64
    y.backward()
    assert x.grad.dtype == np.float64


INTS = np.array([1, 2, 3])


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, i: i * 0.5,
        lambda m, i: i / 2,
        lambda m, i: i / i,
        lambda m, i: i + 1,
        lambda m, i: i * i,
        lambda m, i: i.exp(),
        lambda m, i: i.sqrt(),
        lambda m, i: i.sigmoid(),
        lambda m, i: i**0.5,
        lambda m, i: 2.5**i,
        lambda m, i: m.where(i > 1, i, 0.5),
        lambda m, i: i * m.tensor([0.5, 1.0, 2.0]),
        lambda m, i: m.tensor([0.5, 1.0, 2.0]) - i,
        lambda m, i: i * m.tensor(np.array([0.5, 1.0, 2.0])),
        lambda m, i: m.tensor([True, False, True]) + 1.5,
        lambda m, i: i + m.tensor(np.float64(1.5)),  # a 0-d float64 wins over ints
        lambda m, i: m.tensor([0.5, 1.0, 2.0]) * m.tensor(np.float64(1.5)),  # not over float32
        lambda m, i: m.tensor(np.float32(2.0)) * m.tensor(np.float64(1.5)),
    ],
)
def test_integer_tensors_promote_to_float_like_pytorch(fn):
    ours, theirs = fn(zn, zn.tensor(INTS)), fn(torch, torch.tensor(INTS))
    assert ours.dtype == theirs.numpy().dtype
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_every_gradient_has_its_tensors_dtype():
    dtypes = []

    class Spy(Function):
        def forward(self, x):
            return x

        def backward(self, dy):
            dtypes.append(dy.dtype)
            return dy

    x = leaf([1.0, 2.0, 3.0])
    y = Spy.apply(x) * INTS  # float32 * int64: the gradient of Spy's output is float32 too
    Spy.apply(y / 3).sum().backward()
    assert dtypes == [np.float32, np.float32] and x.grad.dtype == np.float32


@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_comparisons_give_bool_tensors_outside_the_graph(op):
    x = leaf([1.0, 2.0, 3.0])
    result = getattr(x, op)(2.0)
    expected = getattr(torch.tensor([1.0, 2.0, 3.0]), op)(2.0)
    assert result.dtype == np.bool_
    assert not result.requires_grad and result.grad_fn is None
    np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_tensor_with_elementwise_eq_stays_hashable():
    x = zn.tensor([1.0])
    assert {x: 1}[x] == 1


def test_detached_tensor_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = (x * 2).detach() * x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.numpy())


def test_only_inputs_that_require_grad_get_one():
    a, b = leaf([1.0]), zn.tensor([2.0])
    (a * b).sum().backward()
    assert a.grad is not None and b.grad is None


def test_detect_anomaly_names_the_op_that_made_nan():
    x = leaf([-1.0, 2.0])
    with zn.detect_anomaly(), pytest.raises(FloatingPointError, match="Log.forward"):
        with np.errstate(invalid="ignore"):
            x.log()
