"""Adam's step of a whole parameter group in one compiled call (Adam._step_at_once, on
zennet.kernels.adam_all) against the same step parameter by parameter: the same bits, the
same step counts, and each case it must leave to the one-by-one step left to it.

The rest of the suite runs the NumPy path (conftest.py switches the kernels off); here the
compiled kernels are on, on one thread or cut across three."""

import numpy as np
import pytest

import zennet as zn
from zennet import backend, kernels, nn, parallel
from zennet.optim import adam

pytest.importorskip("numba")


@pytest.fixture(params=[1, 3], ids=["one thread", "three threads"])
def compiled(request, monkeypatch):
    """The compiled kernels on; with three threads, every call cut (as tests/test_parallel.py)."""
    previous = kernels.use_compiled_kernels(True)
    if request.param > 1:
        monkeypatch.setitem(backend._THREADS, "n", request.param)
        monkeypatch.setitem(parallel._STATE, "enabled", True)
        monkeypatch.setitem(kernels._STATE, "threads_spin", True)
        monkeypatch.setattr(kernels, "MIN_SPLIT", 0)
    yield
    kernels.use_compiled_kernels(previous)


@pytest.fixture
def at_once(monkeypatch):
    """The number of groups stepped at once so far (adam_all's calls)."""
    calls, real = [], adam.adam_all

    def counted(rows, scalars):
        calls.append(len(rows))
        return real(rows, scalars)

    monkeypatch.setattr(adam, "adam_all", counted)
    return calls


def _train(optimizer, steps=4, dtype=np.float32, one_by_one=False, skip=None, **options):
    """A small MLP trained ``steps`` steps from seed 0; its parameters and optimizer after.
    ``skip``: (step, parameter index) whose gradient is dropped before that step."""
    zn.manual_seed(0)
    model = nn.Sequential(nn.Linear(7, 33), nn.ReLU(), nn.Linear(33, 5)).to(dtype=dtype)
    opt = optimizer(model.parameters(), lr=1e-2, **options)
    if one_by_one:
        opt._step_at_once = lambda group: False
    rng = np.random.default_rng(0)
    x = zn.tensor(rng.standard_normal((20, 7)).astype(dtype))
    y = zn.tensor(rng.integers(0, 5, 20))
    for step in range(steps):
        loss = zn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        if skip and skip[0] == step:
            list(model.parameters())[skip[1]].grad = None
        opt.step()
    return [p.data.copy() for p in model.parameters()], opt


def _same(a, b):
    (params_a, opt_a), (params_b, opt_b) = a, b
    for p, q in zip(params_a, params_b):
        np.testing.assert_array_equal(p, q)
    states_a, states_b = list(opt_a.state.values()), list(opt_b.state.values())
    assert [s["step"] for s in states_a] == [s["step"] for s in states_b]
    for s, t in zip(states_a, states_b):
        np.testing.assert_array_equal(s["exp_avg"], t["exp_avg"])
        np.testing.assert_array_equal(s["exp_avg_sq"], t["exp_avg_sq"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "options",
    [{}, dict(weight_decay=0.1), dict(weight_decay=0.1, decoupled_weight_decay=True)],
    ids=["plain", "l2", "decoupled"],
)
def test_a_group_at_once_is_the_one_by_one_step_to_the_bit(compiled, at_once, dtype, options):
    got = _train(zn.optim.Adam, dtype=dtype, **options)
    assert at_once == [4, 4, 4]  # the first step makes the state one by one; then at once
    _same(got, _train(zn.optim.Adam, dtype=dtype, one_by_one=True, **options))
    assert [s["step"] for s in got[1].state.values()] == [4] * 4


def test_adamw_steps_at_once(compiled, at_once):
    got = _train(zn.optim.AdamW, weight_decay=0.05)
    assert len(at_once) == 3
    _same(got, _train(zn.optim.AdamW, one_by_one=True, weight_decay=0.05))


@pytest.mark.parametrize(
    "optimizer, options",
    [
        (zn.optim.Adam, dict(amsgrad=True)),
        (zn.optim.Adam, dict(maximize=True)),
        (zn.optim.NAdam, {}),  # a subclass with its own update
    ],
    ids=["amsgrad", "maximize", "subclass"],
)
def test_what_adam_all_cannot_do_goes_one_by_one(compiled, at_once, optimizer, options):
    got = _train(optimizer, **options)
    assert at_once == []
    _same(got, _train(optimizer, one_by_one=True, **options))


def test_parameters_at_other_step_counts_go_one_by_one(compiled, at_once):
    # the second layer's weight misses step 1's update: from then on its count differs
    got = _train(zn.optim.Adam, steps=5, skip=(1, 2))
    assert at_once == [3]  # step 1 (3 gradients, all at count 1) only
    _same(got, _train(zn.optim.Adam, steps=5, skip=(1, 2), one_by_one=True))
    assert [s["step"] for s in got[1].state.values()] == [5, 5, 4, 5]


def test_a_strided_gradient_or_another_dtype_goes_one_by_one(compiled, at_once):
    w = zn.tensor(np.ones((4, 6), np.float32), requires_grad=True)
    b = zn.tensor(np.ones(4, np.float32), requires_grad=True)
    opt = zn.optim.Adam([w, b], lr=0.1)
    for grad_w in (np.full((6, 4), 0.5, np.float32).T, np.full((4, 6), 0.5, np.float64)):
        w.grad, b.grad = zn.tensor(grad_w), zn.tensor(np.full(4, 0.25, np.float32))
        opt.step()
    assert at_once == []  # step 1 makes the state; step 2 has a gradient of another dtype
    w.grad = zn.tensor(np.zeros((4, 6), np.float32))
    w.grad.data = np.full((6, 4), 0.5, np.float32).T  # a transposed view
    opt.step()
    assert at_once == []
    w.grad = zn.tensor(np.full((4, 6), 0.5, np.float32))
    opt.step()
    assert at_once == [2]
    expected = zn.tensor(np.ones((4, 6), np.float32), requires_grad=True)
    reference = zn.optim.Adam([expected], lr=0.1)
    for _ in range(4):
        expected.grad = zn.tensor(np.full((4, 6), 0.5, np.float32))
        reference.step()
    np.testing.assert_allclose(w.data, expected.data, rtol=1e-6)


def test_arrays_in_one_other_dense_layout_step_at_once(compiled, at_once):
    # Fortran-ordered weights, gradients and moments: one dense layout, as adam_update takes it
    grads = np.random.default_rng(0).standard_normal((3, 4, 6)).astype(np.float32)
    params = [zn.tensor(np.ones((4, 6), np.float32), requires_grad=True) for _ in range(2)]
    params[0].data = np.asfortranarray(params[0].data)
    opt = zn.optim.Adam(params, lr=0.1)
    for g in grads:
        params[0].grad = zn.tensor(np.zeros((4, 6), np.float32))
        params[0].grad.data = np.asfortranarray(g)
        params[1].grad = zn.tensor(g)
        opt.step()
    assert opt.state[params[0]]["exp_avg"].flags.f_contiguous
    assert at_once == [2, 2]
    np.testing.assert_array_equal(params[0].data, params[1].data)


def test_the_numpy_path_is_left_as_it_was(at_once):
    previous = kernels.use_compiled_kernels(False)
    try:
        _train(zn.optim.Adam)
    finally:
        kernels.use_compiled_kernels(previous)
    assert at_once == []
