"""The tensor surface of issue 15 beyond what op_db checks: float32 against PyTorch with a
float64 gradient check (tests/helpers.py), in-place ops and ``x[i] = v`` inside a graph,
autograd.grad and hooks, dtypes, generators, and the errors users read."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.helpers import compare
from tests.op_inputs import away_from, both, distinct, positive, randn

# name: (f(lib, x) for zennet and torch alike, maker of x, shape)
SURFACE = {
    "sin": (lambda m, x: m.sin(x), randn, (3, 4)),
    "atan2": (lambda m, x: m.atan2(x, x.cos() + 2), randn, (3, 4)),
    "erf": (lambda m, x: m.erf(x), randn, (3, 4)),
    "erfinv": (lambda m, x: m.erfinv(x * 0.3), randn, (3, 4)),
    "logaddexp": (lambda m, x: m.logaddexp(x, x * 2), randn, (3, 4)),
    "xlogy": (lambda m, x: m.xlogy(x, x), positive, (3, 4)),
    "remainder": (lambda m, x: m.remainder(x, 0.7), away_from(0.0, 0.7, 1.4, -0.7, -1.4), (5,)),
    "gather": (lambda m, x: m.gather(x, 1, m.tensor([[0, 2], [1, 1], [3, 0]])), randn, (3, 4)),
    "addcdiv": (lambda m, x: m.addcdiv(x, x, x.exp(), value=0.5), randn, (3, 4)),
    "slice_scatter": (lambda m, x: m.slice_scatter(x, x[:, ::2] * 2, 1, 0, None, 2), randn, (3, 4)),
    "scatter_add": (
        lambda m, x: x.new_zeros(3, 5).scatter_add(1, m.tensor([[0, 1, 0, 4]] * 3), x),
        randn,
        (3, 4),
    ),
    "index_add": (lambda m, x: x.index_add(0, m.tensor([2, 0]), x[:2] * 3), randn, (3, 4)),
    "masked_fill": (
        lambda m, x: x.masked_fill(m.tensor([True, False, True, False]), -1.0),
        randn,
        (3, 4),
    ),  # fmt: skip
    "sort": (lambda m, x: m.sort(x, dim=1, descending=True).values, distinct, (3, 4)),
    "topk": (lambda m, x: m.topk(x, 2, dim=0).values, distinct, (3, 4)),
    "cumsum": (lambda m, x: m.cumsum(x, 1), randn, (3, 4)),
    "cumprod": (lambda m, x: m.cumprod(x, 0), randn, (3, 4)),
    "logcumsumexp": (lambda m, x: m.logcumsumexp(x, 1), randn, (3, 4)),
    "tril": (lambda m, x: m.tril(x, -1), randn, (3, 4)),
    "roll": (lambda m, x: m.roll(x, (1, -2), (0, 1)), randn, (3, 4)),
    "diag_embed": (lambda m, x: m.diag_embed(x, 1), randn, (3, 4)),
    "einsum_attention": (lambda m, x: m.einsum("ij,kj->ik", x, x * 2).softmax(-1), randn, (3, 4)),
    "bmm": (lambda m, x: m.bmm(x.reshape(1, 3, 4), x.reshape(1, 4, 3)), randn, (3, 4)),
    "prod_with_zero": (lambda m, x: (x * m.tensor([1.0, 0.0, 1.0, 1.0])).prod(1), randn, (3, 4)),
    "linalg_solve": (lambda m, x: m.linalg.solve(x @ x.T + m.eye(3), x), randn, (3, 4)),
    "linalg_det": (lambda m, x: m.linalg.det(x @ x.T + m.eye(3)), randn, (3, 4)),
}


@pytest.mark.parametrize("name", SURFACE)
def test_surface_op_matches_pytorch(name, rng):
    f, make, shape = SURFACE[name]
    both(f, make(rng, shape), rtol=1e-4, atol=1e-5)


def test_erf_family_is_float64_precise():
    x = np.linspace(-6, 6, 2001)
    np.testing.assert_allclose(zn.erf(zn.tensor(x)).numpy(), torch.erf(torch.tensor(x)), 1e-13)
    np.testing.assert_allclose(zn.erfc(zn.tensor(x)).numpy(), torch.erfc(torch.tensor(x)), 1e-10)
    y = np.linspace(-0.999, 0.999, 2001)
    np.testing.assert_allclose(
        zn.erfinv(zn.tensor(y)).numpy(), torch.erfinv(torch.tensor(y)), 1e-10
    )


# ------------------------------------------------------------ in place and x[i] = v


def _chain(m, x):
    """y = 2x; y += x; y *= 3; y[0] = -1; y[mask] = 0 — in place inside a graph."""
    y = x * 2
    y.add_(x)
    y.mul_(3)
    y[0] = -1.0
    y[y > 10] = 0.0
    return y.sin()


def test_in_place_ops_and_setitem_inside_a_graph_match_pytorch(rng):
    compare(lambda x: _chain(zn, x), rng.uniform(0.5, 2.0, (4, 3)).astype(np.float32),
            torch_fn=lambda x: _chain(torch, x))  # fmt: skip


def test_setitem_with_a_tensor_value_passes_its_gradient(rng):
    def f(m, x, v):
        y = x.clone()
        y[1:, 0] = v * 3
        return y

    both(f, randn(rng, (3, 2)), randn(rng, (2,)))


def test_in_place_outside_a_graph_writes_the_same_array():
    x = zn.ones(3, requires_grad=True)
    array = x.data
    with zn.no_grad():
        x.mul_(2).add_(1)
    assert x.data is array and x.is_leaf and x.tolist() == [3.0, 3.0, 3.0]


def test_in_place_on_a_leaf_that_requires_grad_is_refused():
    x = zn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x[0] = 2.0


def test_a_graph_that_loops_through_an_in_place_change_is_named():
    x = zn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    y[0] = y[2] * 4  # y[2] was read from the y that changes
    with pytest.raises(RuntimeError, match="changed in place"):
        y.sum().backward()
    y = x.clone()
    y[0] = x[2] * 4  # reading the input instead is fine
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 5.0]


def test_in_place_result_keeps_the_tensor_dtype_and_refuses_a_float_into_an_int():
    x = zn.zeros(2, dtype=zn.float32)
    x.add_(zn.ones(2, dtype=zn.float64))
    assert x.dtype == zn.float32
    with pytest.raises(TypeError, match="cannot be stored"):
        zn.zeros(2, dtype=zn.long).add_(0.5)


# ------------------------------------------------------------ autograd


def test_autograd_grad_matches_pytorch_and_leaves_grad_alone(rng):
    a, b = randn(rng, (3,)), randn(rng, (3,))
    x, w = zn.tensor(a, requires_grad=True), zn.tensor(b, requires_grad=True)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    gx, gw = zn.autograd.grad((x * w).sin().sum(), (x, w))
    ex, ew = torch.autograd.grad((tx * tw).sin().sum(), (tx, tw))
    np.testing.assert_allclose(gx.numpy(), ex.numpy(), rtol=1e-6)
    np.testing.assert_allclose(gw.numpy(), ew.numpy(), rtol=1e-6)
    assert x.grad is None and w.grad is None


def test_autograd_grad_errors():
    x, unused = zn.ones(2, requires_grad=True), zn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        zn.autograd.grad((x * 2).sum(), (x, unused))
    assert zn.autograd.grad((x * 2).sum(), (x, unused), allow_unused=True)[1] is None
    with pytest.raises(NotImplementedError, match="create_graph=True: Atan has no"):
        zn.autograd.grad(x.atan().sum(), x, create_graph=True)


def test_hooks_and_retain_grad_match_pytorch():
    def run(m):
        x = m.tensor([1.0, -2.0, 3.0], requires_grad=True)
        h = x * 3
        h.retain_grad()
        h.register_hook(lambda g: g * 10)
        (h * h).sum().backward()
        return h.grad.numpy(), x.grad.numpy()

    for ours, theirs in zip(run(zn), run(torch)):
        np.testing.assert_allclose(ours, theirs)


def test_inference_mode_records_no_graph():
    x = zn.ones(2, requires_grad=True)
    with zn.inference_mode():
        assert not (x * 2).requires_grad
    with zn.inference_mode(False):
        assert (x * 2).requires_grad


# ------------------------------------------------------------ dtypes and creation


def test_dtypes_compare_equal_to_tensor_dtypes():
    assert zn.zeros(2).dtype == zn.float32 == zn.float
    assert zn.zeros(2, dtype=zn.long).dtype == zn.int64
    assert zn.arange(3).long().type() == "torch.LongTensor"
    assert zn.ones(2).type(zn.half).dtype == zn.float16
    assert zn.ones(2).type_as(zn.zeros(1, dtype=zn.double)).dtype == zn.float64
    assert zn.is_tensor(zn.ones(1)) and not zn.is_tensor(np.ones(1))
    assert zn.numel(zn.ones(2, 3)) == 6


def test_generator_gives_repeatable_draws_apart_from_the_global_one():
    a = zn.rand(4, generator=zn.Generator().manual_seed(3))
    zn.manual_seed(0)
    b = zn.randn(2, 2, generator=zn.Generator().manual_seed(3))
    c = zn.rand(4, generator=zn.Generator().manual_seed(3))
    assert a.tolist() == c.tolist() and b.shape == (2, 2)
    assert sorted(zn.randperm(5, generator=zn.Generator().manual_seed(1)).tolist()) == [
        0,
        1,
        2,
        3,
        4,
    ]


def test_from_numpy_shares_memory_and_new_methods_keep_dtype():
    array = np.zeros(3, dtype=np.float64)
    x = zn.from_numpy(array)
    array[0] = 5
    assert x[0].item() == 5 and x.new_ones(2).dtype == zn.float64
    assert x.new_full((2,), 7).tolist() == [7.0, 7.0]


# ------------------------------------------------------------ refusals users read


def test_unsupported_argument_combinations_name_the_argument():
    x = zn.ones(2, 3)
    with pytest.raises(NotImplementedError, match="linalg.svd: driver='gesvdj'"):
        zn.linalg.svd(x, driver="gesvdj")
    with pytest.raises(NotImplementedError, match="memory_format"):
        x.float(memory_format="channels_last")
    with pytest.raises(ValueError, match="gather: index has 1 dimensions"):
        x.gather(1, zn.tensor([0, 1]))
