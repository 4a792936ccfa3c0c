"""A run of dense layers in one compiled call (kernels.dense_layers) and zn.jit's replay of a
run of Linear and ReLU ops through it: each product is kernels.matmul's to the bit (cut
across threads as it cuts, or one compiled BLAS call as it makes the small ones); anything
it cannot take runs the ops one by one, so the replay stays the eager model's.

The ``threads`` fixture turns the compiled kernels on with three threads and cuts products
of ``CUT_FROM`` multiply-adds or more, so that these small layers include both kinds; it
returns the list of what each compiled run (kernels.dense_chain) returned."""

import numpy as np
import pytest

import zennet as zn
from zennet import backend, jit, kernels, nn, parallel

pytest.importorskip("numba")
pytest.importorskip("threadpoolctl")

CUT_FROM = 10_000


@pytest.fixture
def threads(monkeypatch):
    previous = kernels.use_compiled_kernels(True)
    monkeypatch.setitem(backend._THREADS, "n", 3)
    monkeypatch.setitem(parallel._STATE, "enabled", True)
    monkeypatch.setitem(kernels._STATE, "threads_spin", True)  # as tests/test_parallel.py
    monkeypatch.setattr(kernels, "GEMM_MIN", CUT_FROM)
    compiled, runs = kernels._compiled(), []
    chain = compiled["dense_chain"]

    def counted(*args):
        done = chain(*args)
        runs.append(done)
        return done

    monkeypatch.setitem(compiled, "dense_chain", counted)
    yield runs  # what each compiled call returned
    kernels.use_compiled_kernels(previous)


def layers(sizes, dtype, bias=True, seed=0):
    rng = np.random.default_rng(seed)
    weights = [
        (rng.standard_normal((n, k)) / np.sqrt(k)).astype(dtype) for k, n in zip(sizes, sizes[1:])
    ]
    biases = [rng.standard_normal(w.shape[0]).astype(dtype) if bias else None for w in weights]
    return weights, biases


def one_by_one(a, weights, biases, relus):
    """What the Linear and ReLU ops compute: matmul, then np.maximum."""
    for w, b, relu in zip(weights, biases, relus):
        a = kernels.matmul(a, w.T, bias=b)
        a = np.maximum(a, 0) if relu else a
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("rows", [1, 40])  # cut along n, along m
def test_products_zennet_cuts_are_matmuls_to_the_bit(threads, dtype, bias, rows):
    weights, biases = layers([300, 200, 120], dtype, bias)  # each product cut
    a = np.random.default_rng(1).standard_normal((rows, 300)).astype(dtype)
    for relus in [(True, True), (False, True), (True, False)]:
        got = kernels.dense_layers(a, weights, biases, relus)
        expected = one_by_one(a, weights, biases, relus)
        assert got.dtype == dtype and got.shape == (rows, 120)
        np.testing.assert_array_equal(got, expected)
        if relus[-1]:  # ReLU's zeros are +0, as np.maximum's
            assert (got == 0).any() and not np.signbit(got[got == 0]).any()


def test_a_nan_stays_nan_through_the_run(threads):
    weights, biases = layers([300, 200, 120], np.float32)
    a = np.random.default_rng(3).standard_normal((4, 300)).astype(np.float32)
    a[1, 7] = np.nan
    got = kernels.dense_layers(a, weights, biases, (True, True))
    assert np.isnan(got[1]).all() and np.isfinite(got[[0, 2, 3]]).all()
    np.testing.assert_array_equal(got, one_by_one(a, weights, biases, (True, True)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_products_in_a_run_are_matmuls_to_the_bit(threads, dtype):
    weights, biases = layers([300, 200, 10, 6], dtype)  # 300x200 cut; 200x10, 10x6 small
    a = np.random.default_rng(2).standard_normal((1, 300)).astype(dtype)
    for relus in [(True, True, False), (True, False, True)]:
        got = kernels.dense_layers(a, weights, biases, relus)
        np.testing.assert_array_equal(got, one_by_one(a, weights, biases, relus))
    tol = 1e-6 if dtype == np.float32 else 1e-14  # and both near float64's
    exact = np.maximum(a.astype(np.float64) @ weights[0].T.astype(np.float64) + biases[0], 0)
    for w, b, relu in zip(weights[1:], biases[1:], relus[1:]):
        exact = exact @ w.T.astype(np.float64) + b
        exact = np.maximum(exact, 0) if relu else exact
    np.testing.assert_allclose(got, exact, rtol=10 * tol, atol=10 * tol)


def test_matmul_makes_small_products_as_the_run_does(threads, monkeypatch):
    """kernels.matmul's small 2-d products: one compiled BLAS call (gemm_2d_whole), near
    NumPy's; a bias of another shape than (n,) is NumPy's add, broadcast or refused."""
    rng = np.random.default_rng(4)
    a, w = rng.standard_normal((3, 50)).astype(np.float32), rng.standard_normal((7, 50))
    w, b = w.astype(np.float32), rng.standard_normal(7).astype(np.float32)
    calls, whole = [], kernels._compiled()["gemm_2d_whole"]
    counted = lambda *args: calls.append(1) or whole(*args)  # noqa: E731
    monkeypatch.setitem(kernels._compiled(), "gemm_2d_whole", counted)
    got = kernels.matmul(a, w.T, bias=b)
    rows = kernels.matmul(a, w.T, bias=b[None])  # (1, n): broadcast by NumPy
    with pytest.raises(ValueError):
        kernels.matmul(a, w.T, bias=b[:5])
    assert calls == [1]
    np.testing.assert_allclose(got, a @ w.T + b, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(rows, a @ w.T + b[None])


def test_what_the_run_cannot_take_is_left_to_the_ops(threads, monkeypatch):
    weights, biases = layers([300, 200, 120], np.float32)
    a = np.ones((1, 300), np.float32)
    relus = (True, False)
    assert kernels.dense_layers(a, weights, biases, relus) is not None
    assert kernels.dense_layers(a.astype(np.float64), weights, biases, relus) is None  # dtype
    assert kernels.dense_layers(np.ones((1, 299), np.float32), weights, biases, relus) is None
    assert kernels.dense_layers(a[0], weights, biases, relus) is None  # 1-d
    strided = np.ones((1, 600), np.float32)[:, ::2]  # no axis of unit stride
    assert kernels.dense_layers(strided, weights, biases, relus) is None
    wrong_bias = [biases[0], biases[1][:5]]
    assert kernels.dense_layers(a, weights, wrong_bias, relus) is None
    no_fit = [weights[0], weights[1][:, :150]]  # 200 outputs, then 150 inputs
    assert kernels.dense_layers(a, no_fit, biases, relus) is None
    fortran = [weights[0], np.asfortranarray(weights[1])]  # BLAS takes it another way
    assert kernels.dense_layers(a, fortran, biases, relus) is None
    long_k = layers([4000, 4], np.float32)  # cut along k by matmul: not gemm_2d's
    assert kernels.dense_layers(np.ones((1, 4000), np.float32), *long_k, (False,)) is None
    small = layers([30, 20, 10], np.float32)  # nothing to cut: the ops' own products
    assert kernels.dense_layers(np.ones((1, 30), np.float32), *small, relus) is None
    monkeypatch.setitem(parallel._STATE, "enabled", False)  # zennet's threads off
    assert kernels.dense_layers(a, weights, biases, relus) is None


def mlp(sizes=(300, 200, 120, 10)):
    zn.manual_seed(0)
    parts = []
    for k, n in zip(sizes, sizes[1:]):
        parts += [nn.Linear(k, n), nn.ReLU()]
    return nn.Sequential(*parts[:-1]).eval()


def eager(model, x):
    """The model's ops one by one: with a graph to record, Sequential fuses no layers."""
    out = model(x)
    return tuple(o.detach() for o in out) if isinstance(out, tuple) else out.detach()


def test_a_traced_mlp_replays_its_layers_in_one_step(threads):
    model = mlp()
    x = zn.randn(1, 300)
    traced = jit.trace(model, x)
    (plan,) = traced._plans.values()
    assert len(plan.steps) == 1  # five ops, one step
    del threads[:]
    np.testing.assert_array_equal(traced(x).numpy(), eager(model, x).numpy())
    assert threads == [True]  # one compiled call
    cut_only = mlp((300, 200, 120))
    traced = jit.trace(cut_only, x)
    np.testing.assert_array_equal(traced(x).numpy(), eager(cut_only, x).numpy())
    del threads[:]
    with zn.autograd.detect_anomaly():  # checks each op's output: the ops one by one
        np.testing.assert_array_equal(traced(x).numpy(), eager(cut_only, x).numpy())
    assert threads == []
    small = mlp((30, 20, 10))  # no product to cut at this shape: not fused
    (plan,) = jit.trace(small, zn.randn(1, 30))._plans.values()
    assert len(plan.steps) == 3


def test_the_replay_reads_the_weights_as_they_are_now(threads):
    model = mlp((300, 200, 120))
    x = zn.randn(4, 300)
    traced = jit.trace(model, x)
    del threads[:]
    traced(x)
    with zn.no_grad():
        model[0].weight.mul_(0.5)  # in place: the same array
    np.testing.assert_array_equal(traced(x).numpy(), eager(model, x).numpy())
    model[2].weight.data = np.ascontiguousarray(model[2].weight.data[::-1])  # another array
    np.testing.assert_array_equal(traced(x).numpy(), eager(model, x).numpy())
    assert threads == [True] * 3
    model[2].weight.data = model[2].weight.data.astype(np.float64)  # one it cannot take
    expected = eager(model, x)
    np.testing.assert_array_equal(traced(x).numpy(), expected.numpy())
    assert threads == [True] * 3


class Tapped(nn.Module):
    """An MLP whose hidden activation is also read elsewhere: the run must stop there."""

    def __init__(self):
        super().__init__()
        self.body = mlp((300, 200, 120))
        self.head = nn.Linear(120, 50)

    def forward(self, x):
        hidden = self.body(x)
        return self.head(hidden), hidden * 2


def test_a_value_read_outside_the_run_ends_it(threads):
    model = Tapped().eval()
    x = zn.randn(2, 300)
    traced = jit.trace(model, x)
    (plan,) = traced._plans.values()
    assert len(plan.steps) == 3  # the body's three ops in one step; the head; the product
    for got, expected in zip(traced(x), eager(model, x)):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_without_zennets_threads_the_replay_is_the_eager_models(threads, monkeypatch):
    model = mlp()
    x = zn.randn(1, 300)
    traced = jit.trace(model, x)
    monkeypatch.setitem(parallel._STATE, "enabled", False)
    del threads[:]
    np.testing.assert_array_equal(traced(x).numpy(), eager(model, x).numpy())
    assert threads == []


def test_threads_may_replay_a_fused_run_at_once(threads):
    from concurrent.futures import ThreadPoolExecutor

    model = mlp((300, 200, 120))  # products all cut: the replay is the eager output to the bit
    traced = jit.trace(model, zn.randn(3, 300))
    inputs = [zn.randn(3, 300) for _ in range(32)]
    del threads[:]
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(traced, inputs))
    assert threads == [True] * len(inputs)
    for x, out in zip(inputs, outs):
        np.testing.assert_array_equal(out.numpy(), eager(model, x).numpy())


class Summed(nn.Module):
    """The hidden activation is also read by an op with parameters (a sum over an axis)."""

    def __init__(self):
        super().__init__()
        self.first, self.second = nn.Linear(300, 200), nn.Linear(200, 120)

    def forward(self, x):
        hidden = self.first(x).relu()
        return self.second(hidden) + hidden.sum(dim=1, keepdim=True)


def test_a_value_read_by_an_op_with_parameters_ends_the_run(threads):
    model = Summed().eval()
    x = zn.randn(2, 300)
    traced = jit.trace(model, x)
    (plan,) = traced._plans.values()
    assert len(plan.steps) == 4  # the first layer and its ReLU in one; the second; sum; add
    np.testing.assert_array_equal(traced(x).numpy(), eager(model, x).numpy())


# Sequential under no_grad: a run of its Linear and ReLU layers in one compiled call
# (zennet/nn/fusion.py), the layers' own output to the bit, and the layers one by one
# wherever that call could be told from them.


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 5, 40])
def test_sequential_without_a_graph_runs_its_dense_layers_in_one_call(threads, dtype, rows):
    model = mlp().double() if dtype == np.float64 else mlp()
    no_bias = nn.Sequential(nn.Linear(300, 200, bias=False), nn.Linear(200, 120, bias=False))
    for net in (model, no_bias.to(dtype=dtype)):
        x = zn.randn(rows, 300).to(dtype=dtype)
        expected = eager(net, x)
        for mode in (zn.no_grad, zn.inference_mode):
            del threads[:]
            with mode():
                got = net(x)
            assert threads == [True] and not got.requires_grad
            assert got.dtype == expected.dtype and got.shape == expected.shape
            np.testing.assert_array_equal(got.numpy(), expected.numpy())


class Doubled(nn.Linear):
    pass


def test_sequential_runs_its_layers_one_by_one_where_the_call_would_show(threads, monkeypatch):
    model, x = mlp(), zn.randn(2, 300)
    expected = eager(model, x).numpy()
    seen = []

    def check(net=model, inputs=x, want=expected):
        del threads[:]
        with zn.no_grad():
            np.testing.assert_array_equal(net(inputs).numpy(), want)
        return threads

    assert check() == [True]
    with zn.autograd.detect_anomaly():
        assert check() == []
    handle = model[2].register_forward_hook(lambda m, args, out: seen.append(out.shape))
    assert check() == [] and seen == [(2, 120)]  # the hook sees its layer's output
    handle.remove()
    assert check() == [True]
    model[4].forward = model[4].forward  # a forward set on the instance: it might do more
    assert check() == []
    del model[4].forward
    subclass = nn.Sequential(Doubled(300, 200), nn.ReLU(), nn.Linear(200, 120), nn.ReLU())
    assert check(subclass, x, eager(subclass, x).numpy()) == [True]  # the last two only
    assert subclass._fused[1][:2] == [subclass[0], subclass[1]]  # a subclass: one by one
    twice = type("Twice", (nn.Module,), {"forward": lambda self, w: w * 2})()
    nn.utils.parametrize.register_parametrization(model[0], "weight", twice)  # a new class
    assert check(model, x, eager(model, x).numpy()) == []
    monkeypatch.setitem(parallel._STATE, "enabled", False)  # zennet's threads off
    assert check(subclass, x, eager(subclass, x).numpy()) == []  # (the products: NumPy's now)


def test_a_dropout_in_eval_mode_is_part_of_the_run_and_one_training_is_not(threads):
    zn.manual_seed(0)
    model = nn.Sequential(  # as the mlp preset: Linear-ReLU-Dropout blocks, a Linear head
        nn.Linear(300, 200), nn.ReLU(), nn.Dropout(0.5), nn.Linear(200, 120), nn.Dropout(0.5)
    ).eval()
    x = zn.randn(4, 300)
    expected = eager(model, x).numpy()
    del threads[:]
    with zn.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), expected)
        assert threads == [True] and len(model._fused[1]) == 1  # one run of five modules
        model.train()  # the dropouts draw their masks, as the layers one by one do
        zn.manual_seed(1)
        dropped = model(x).numpy()
    zn.manual_seed(1)
    np.testing.assert_array_equal(dropped, eager(model, x).numpy())
    assert threads == [True] and (dropped == 0).mean() > 0.4


def test_sequential_gives_its_layers_errors_and_other_inputs_to_them(threads):
    model = mlp()
    x3 = zn.randn(2, 3, 300)  # 3-d: the layers one by one
    x64 = zn.randn(2, 300).double()  # another dtype than the weights': as the layers take it
    ones = np.ones((2, 300), np.float32)  # an array: Linear takes it, as eagerly
    expected = [eager(model, x).numpy() for x in (x3, x64, zn.tensor(ones))]
    del threads[:]
    with zn.no_grad():
        with pytest.raises(ValueError, match=r"Linear\(in_features=300\)"):
            model(zn.randn(2, 299))
        for x, want in zip((x3, x64, ones), expected):
            np.testing.assert_array_equal(model(x).numpy(), want)
    assert threads == []


def test_sequential_follows_changes_to_its_layers_and_weights(threads):
    import copy

    model, x = mlp((300, 200, 120)), zn.randn(3, 300)
    with zn.no_grad():
        model(x)
        model[0].weight.mul_(0.5)  # in place
        np.testing.assert_array_equal(model(x).numpy(), eager(model, x).numpy())
        model[2].weight.data = np.ascontiguousarray(model[2].weight.data[::-1])  # replaced
        np.testing.assert_array_equal(model(x).numpy(), eager(model, x).numpy())
        model[2] = nn.Linear(200, 60)  # another layer
        assert model(x).shape == (3, 60)
        np.testing.assert_array_equal(model(x).numpy(), eager(model, x).numpy())
        model.append(nn.ReLU())
        np.testing.assert_array_equal(model(x).numpy(), eager(model, x).numpy())
        twin = copy.deepcopy(model)  # its own weights, read afresh
        twin[0].weight.mul_(2.0)
        np.testing.assert_array_equal(twin(x).numpy(), eager(twin, x).numpy())
        np.testing.assert_array_equal(model(x).numpy(), eager(model, x).numpy())
    del threads[:]
    assert model(x).requires_grad and threads == []  # a graph to record: one by one


def test_threads_may_call_a_fused_sequential_at_once(threads):
    from concurrent.futures import ThreadPoolExecutor

    model = mlp()
    inputs = [zn.randn(3, 300) for _ in range(32)]

    def call(x):
        with zn.no_grad():
            return model(x)

    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(call, inputs))
    for x, out in zip(inputs, outs):
        np.testing.assert_array_equal(out.numpy(), eager(model, x).numpy())
