"""zennet's own threads (zennet.parallel, zennet.kernels): cut GEMMs and kernel calls give what
one whole call gives, BLAS is held to one thread only while zennet's ops run, and the
switches (use_threads, ZENNET_THREADS, set_num_threads, a forked child) are obeyed.

Cutting needs the compiled kernels (numba) and threadpoolctl, both test dependencies; the
``cutting`` fixture cuts every call, however small, into three parts.
"""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

import zennet as zn
import zennet.functional as F
from zennet import backend, kernels, parallel

pytest.importorskip("numba")
threadpoolctl = pytest.importorskip("threadpoolctl")


def _blas_threads():
    """The thread count of the BLAS zennet holds (NumPy's)."""
    (count,) = {c.get_num_threads() for c in parallel._blas()}
    return count


@pytest.fixture
def cutting(monkeypatch):
    """Compiled kernels on, 3 threads, every GEMM and kernel call cut; the calls of the cut
    GEMM (either driver) counted in the list this returns."""
    previous = kernels.use_compiled_kernels(True)
    monkeypatch.setitem(backend._THREADS, "n", 3)
    monkeypatch.setitem(parallel._STATE, "enabled", True)
    # cut even where numba's threads are its sleeping "workqueue" ones (kernels.parts)
    monkeypatch.setitem(kernels._STATE, "threads_spin", True)
    monkeypatch.setattr(kernels, "GEMM_MIN", 0)
    monkeypatch.setattr(kernels, "MIN_SPLIT", 0)
    monkeypatch.setattr(kernels, "PART_ROWS", {})
    cut_calls, cut_gemm = [], kernels._cut_gemm

    def counted(*args):
        cut_calls.append(args[0].shape)
        return cut_gemm(*args)

    monkeypatch.setattr(kernels, "_cut_gemm", counted)
    compiled = kernels._compiled()
    gemm_2d = compiled["gemm_2d"]  # matmul's 2-d products, when it can cut them itself

    def counted_2d(a, *args):
        done = gemm_2d(a, *args)
        if done:
            cut_calls.append((1, 1) + a.shape)
        return done

    monkeypatch.setitem(compiled, "gemm_2d", counted_2d)
    yield cut_calls
    kernels.use_compiled_kernels(previous)


SHAPES = [  # a, b: along m, along n, split-K, batched, broadcast batches, a transposed b
    ((128, 70), (70, 40)),
    ((6, 50), (50, 90)),
    ((5, 400), (400, 7)),
    ((4, 9, 30), (30, 11)),
    ((2, 9, 30), (2, 30, 11)),
    ((2, 3, 8, 5), (2, 3, 5, 6)),
    ((8, 5), (4, 5, 6)),
    ((1, 3, 8, 5), (3, 5, 6)),
    ((2, 3, 8, 5), (3, 5, 6)),  # b broadcast along the first batch axis
    ((3, 8, 5), (2, 3, 5, 6)),
    ((2, 1, 8, 5), (1, 3, 5, 6)),  # each broadcast along one
    ((2, 2, 3, 8, 5), (3, 5, 6)),  # three batch axes, the first two merged
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_cut_gemm_equals_numpy(cutting, shapes, dtype):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(dtype) for s in shapes)
    expected = np.matmul(a, b)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(kernels.matmul(a, b), expected, rtol=tol, atol=tol)
    bt = np.ascontiguousarray(np.swapaxes(b, -1, -2))
    at = np.swapaxes(np.ascontiguousarray(np.swapaxes(a, -1, -2)), -1, -2)  # column-major
    out = np.full(expected.shape[::-1], np.nan, dtype).T  # not C-contiguous: written back
    got = kernels.matmul(at, np.swapaxes(bt, -1, -2), out=out)
    assert got is out
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
    assert len(cutting) == 2


def test_a_cut_gemm_into_an_out_of_another_dtype_casts_as_numpy(cutting):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 40, 30)).astype(np.float32), rng.standard_normal((30, 20))
    b = b.astype(np.float32)
    out = np.zeros((2, 40, 20), np.float64)
    assert kernels.matmul(a, b, out=out) is out
    np.testing.assert_allclose(out, np.matmul(a, b), rtol=1e-5, atol=1e-5)
    assert len(cutting) == 1


def test_gemms_it_does_not_cut_are_numpys(cutting):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal(3)  # a vector
    np.testing.assert_array_equal(kernels.matmul(a, b), a @ b)
    ints = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(kernels.matmul(ints, ints.T), ints @ ints.T)
    mixed = kernels.matmul(a.astype(np.float32), rng.standard_normal((3, 2)))
    assert mixed.dtype == np.float64
    a3, b3 = rng.standard_normal((2, 4, 3)), rng.standard_normal((3, 3, 5))  # batches 2 and 3
    with pytest.raises(ValueError):
        kernels.matmul(a3, b3)
    assert cutting == []


@pytest.mark.parametrize("whole", [False, True])  # cut into parts; one compiled call
def test_operands_with_an_axis_of_length_one_go_to_blas_the_right_way(cutting, monkeypatch, whole):
    """A (1, k) view of a column has strides (s, s): unit stride along both axes. It must
    go to BLAS as a transposed operand (zennet passed it as rows 1 apart until this test:
    oneMKL refused the leading dimension and the product was wrong); (k, 1) ones too."""
    monkeypatch.setattr(kernels, "GEMM_MIN", 1 << 40 if whole else 0)
    rng = np.random.default_rng(5)
    row = rng.standard_normal((30, 1)).T  # (1, 30), strides (8, 8)
    col = rng.standard_normal((30, 1))  # strides (8, 8) too
    wide, tall = rng.standard_normal((30, 20)), rng.standard_normal((20, 30))
    for a, b in [(row, wide), (tall, col), (row, col), (col, row), (row, wide[:, :1])]:
        assert a.strides[0] == a.strides[1] or b.strides[0] == b.strides[1]
        np.testing.assert_allclose(kernels.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
        bias = rng.standard_normal(b.shape[1])
        got = kernels.matmul(a, b, bias=bias)
        np.testing.assert_allclose(got, a @ b + bias, rtol=1e-12, atol=1e-12)


def test_every_cut_kernel_says_how_to_cut_each_argument():
    import inspect

    for name, roles in kernels.SPLITS.items():
        fn = kernels.PYTHON_KERNELS[name]
        assert len(roles) == len(inspect.signature(fn).parameters), name
        assert roles[0] == kernels.CUT and set(roles) <= {kernels.CUT, kernels.SUM, kernels.WHOLE}


def test_a_cut_kernel_call_adds_the_parts_sums_to_what_was_there(cutting):
    """channel_sums cut into 3 parts of its first axis: each part's sums are added into the
    caller's accumulators, which keep what they held."""
    rng = np.random.default_rng(0)
    u, x = rng.standard_normal((2, 7, 4, 5))
    k = rng.standard_normal(4)
    s1, s2 = np.full(4, 10.0), np.full(4, -1.0)
    kernels.kernel("channel_sums", u, x)(u, x, k, s1, s2)
    np.testing.assert_allclose(s1, 10 + u.sum(axis=(0, 2)))
    np.testing.assert_allclose(s2, -1 + (u * (x - k[:, None])).sum(axis=(0, 2)))


def _train(x, y, steps=2):
    """Parameters after SGD steps of a model with every cut kernel and GEMM: conv (im2col
    and col2im), batch norm, ReLU, pooling, layer norm, self-attention, an LSTM, linear. (Not
    Adam: it scales each gradient to about ±lr, also the ones that are rounding noise around
    0, such as the gradient of the keys' bias, so one-thread and cut runs would part.)"""
    zn.manual_seed(0)

    class Model(zn.nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = zn.nn.Sequential(
                zn.nn.Conv2d(3, 4, 3, padding=1), zn.nn.ReLU(),
                zn.nn.Conv2d(4, 8, 3, padding=1), zn.nn.BatchNorm2d(8), zn.nn.ReLU(),
                zn.nn.MaxPool2d(2),
            )  # fmt: skip
            self.norm = zn.nn.LayerNorm(8)
            self.attention = zn.nn.MultiheadAttention(8, 2, batch_first=True)
            self.lstm = zn.nn.LSTM(8, 6, batch_first=True)
            self.out = zn.nn.Linear(6, 3)

        def forward(self, x):
            h = self.convs(x).flatten(2).transpose(1, 2)  # (N, 25 pixels, 8)
            h = self.norm(h)
            h = h + self.attention(h, h, h, need_weights=False)[0]
            return self.out(self.lstm(h)[0][:, -1])

    model = Model()
    optimizer = zn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(zn.tensor(x)), zn.tensor(y)).backward()
        optimizer.step()
    return [p.numpy().copy() for p in model.parameters()]


def test_training_cut_into_parts_equals_one_thread(cutting, monkeypatch):
    previous = zn.use_conv_algorithm("im2col")
    try:
        x = np.random.default_rng(1).standard_normal((7, 3, 10, 10)).astype(np.float32)
        y = np.arange(7) % 3
        monkeypatch.setitem(backend._THREADS, "n", 1)
        alone = _train(x, y)
        assert cutting == []
        monkeypatch.setitem(backend._THREADS, "n", 3)
        cut = _train(x, y)
    finally:
        zn.use_conv_algorithm(previous)
    assert len(cutting) > 20
    for a, b in zip(alone, cut):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class _ReadsBlasThreads(zn.autograd.Function):
    seen = []

    def forward(self, x):
        self.seen.append(("forward", _blas_threads()))
        return x * 2

    def backward(self, dy):
        self.seen.append(("backward", _blas_threads()))
        return dy * 2


def test_blas_is_held_to_one_thread_while_zennet_runs_and_set_back(cutting, monkeypatch):
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads() == 2
        _ReadsBlasThreads.seen = []
        big = zn.tensor(np.ones(zn.autograd.HOLD_FROM), requires_grad=True)
        _ReadsBlasThreads.apply(big).sum().backward()
        small = zn.tensor(np.ones(3), requires_grad=True)
        _ReadsBlasThreads.apply(small)
        assert _ReadsBlasThreads.seen == [("forward", 1), ("backward", 1), ("forward", 2)]
        assert _blas_threads() == 2  # the user's NumPy keeps BLAS's threads
        monkeypatch.setitem(parallel._STATE, "enabled", False)  # use_threads(False)
        _ReadsBlasThreads.seen = []
        _ReadsBlasThreads.apply(big).sum().backward()
        assert _ReadsBlasThreads.seen == [("forward", 2), ("backward", 2)]


def test_ops_that_reach_blas_only_through_its_gemms_hold_nothing_themselves(cutting, monkeypatch):
    # Linear's GEMM on oneMKL and ReLU reach no BLAS of NumPy's: no hold (Function.reaches_blas)
    monkeypatch.setattr(parallel, "blas_name", lambda: "mkl")
    holds, hold = [], parallel.hold_blas
    monkeypatch.setattr(parallel, "hold_blas", lambda: holds.append(1) or hold())
    x = zn.tensor(np.ones((64, zn.autograd.HOLD_FROM // 64), np.float32))
    layer = zn.nn.Linear(x.shape[1], 8)
    with zn.no_grad():
        zn.functional.relu(x)
        layer(x)
        assert holds == []
        _ReadsBlasThreads.seen = []
        _ReadsBlasThreads.apply(x)  # an op of another kind is held
        assert holds == [1]


@pytest.mark.parametrize("blas", ["mkl", "openblas"])
def test_matmul_holds_blas_only_where_its_threads_could_start(cutting, monkeypatch, blas):
    """A product OpenBLAS runs on one thread anyway (under BLAS_ONE_THREAD_BELOW multiply-
    adds) is not held, nor one zennet's compiled calls make on oneMKL (run sequentially: a
    cut one, or a whole 2-d one under GEMM_MIN); the rest are."""
    monkeypatch.setattr(kernels, "GEMM_MIN", 10_000)
    monkeypatch.setattr(parallel, "blas_name", lambda: blas)
    holds, hold = [], parallel.hold_blas
    monkeypatch.setattr(parallel, "hold_blas", lambda: holds.append(1) or hold())
    rng = np.random.default_rng(0)
    mkl = blas == "mkl"
    for (m, k, n), held in [((1, 512, 10), 0), ((1, 100, 95), not mkl), ((128, 50, 40), not mkl)]:
        holds.clear()
        a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
        np.testing.assert_allclose(kernels.matmul(a, b), a @ b, rtol=1e-12)
        assert len(holds) == held, (m, k, n)


def test_use_threads_and_zennet_threads_off(monkeypatch):
    monkeypatch.setitem(parallel._STATE, "enabled", None)
    monkeypatch.setenv("ZENNET_THREADS", "off")
    assert not parallel.threads_enabled()
    monkeypatch.setitem(backend._THREADS, "n", 2)
    monkeypatch.setitem(parallel._STATE, "enabled", None)
    monkeypatch.delenv("ZENNET_THREADS")
    assert parallel.threads_enabled()
    assert parallel.use_threads(False) is True
    assert not parallel.threads_enabled() and kernels.parts(1 << 30, 0) == 1
    monkeypatch.setitem(backend._THREADS, "n", 1)
    parallel.use_threads(True)
    assert not parallel.threads_enabled()  # one thread: nothing to cut
    monkeypatch.setitem(backend._THREADS, "n", 2)
    assert parallel.threads_enabled()
    monkeypatch.setitem(parallel._STATE, "cblas", False)  # a BLAS zennet cannot call itself
    assert not parallel.threads_enabled() and not kernels.hold_blas()


def test_set_num_threads_sets_zennets_threads(monkeypatch):
    monkeypatch.setitem(backend._THREADS, "n", None)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert zn.get_num_threads() == 3
    monkeypatch.setattr(backend, "_threadpool_limits", lambda n: None)
    zn.set_num_threads(2)
    assert zn.get_num_threads() == 2 == backend.compute_threads()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_after_the_threads_started_runs_whole(cutting):
    """numba stops a forked child that uses GNU OpenMP's threads started by its parent."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((40, 30)), rng.standard_normal((30, 20))
    kernels.matmul(a, b)  # the parent's threads are running now
    assert len(cutting) == 1
    pid = os.fork()
    if pid == 0:  # the child: exit 0 if the call finishes, whole and right
        whole = kernels.parts(1 << 30, 0) == 1
        os._exit(0 if whole and np.allclose(kernels.matmul(a, b), a @ b) else 1)
    for _ in range(300):  # up to 30 s, then the child is taken to hang
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        pytest.fail("the forked child hung")
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize(
    "shapes", [((128, 70), (70, 40)), ((6, 50), (50, 90)), ((5, 400), (400, 7))]
)
def test_cut_gemm_adds_the_bias_to_every_row(cutting, shapes):
    rng = np.random.default_rng(0)
    (a, b), bias = (rng.standard_normal(s) for s in shapes), rng.standard_normal(shapes[1][1])
    np.testing.assert_allclose(kernels.matmul(a, b, bias=bias), a @ b + bias, rtol=1e-12)
    assert len(cutting) == 1


def test_an_empty_product_is_numpys_not_cut(cutting):
    a, b, bias = np.zeros((0, 8, 5), np.float32), np.ones((5, 6), np.float32), np.ones(6)
    got = kernels.matmul(a, b, bias=bias.astype(np.float32))
    assert got.shape == (0, 8, 6) and got.dtype == np.float32 and cutting == []


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shapes, transposed",
    [
        (((1, 784), (784, 512)), True),  # a batch-1 layer: cut along n, x @ W.T
        (((128, 70), (70, 40)), False),  # cut along m
        (((5, 400), (400, 7)), False),  # k long: gemm_2d leaves it to _cut_gemm
    ],
)
def test_two_d_products_cut_in_one_compiled_call_as_by_the_general_driver(
    cutting, monkeypatch, shapes, transposed, dtype
):
    """matmul's 2-d products go to gemm_2d, which must give _cut_gemm's result to the bit
    (the same BLAS calls on the same pieces), with and without a bias; an operand BLAS
    cannot take as it is (every other column) falls back to _cut_gemm, which copies it."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shapes[0]).astype(dtype)
    b = rng.standard_normal(shapes[1][::-1]).astype(dtype).T if transposed else None
    b = rng.standard_normal(shapes[1]).astype(dtype) if b is None else b
    bias = rng.standard_normal(shapes[1][1]).astype(dtype)
    two_d = kernels._compiled()["gemm_2d"]
    taken = [two_d(a, b, np.empty((a.shape[0], b.shape[1]), dtype), 3, bias)]
    got = [kernels.matmul(a, b), kernels.matmul(a, b, bias=bias)]
    strided = np.repeat(a, 2, axis=1)[:, ::2]  # no axis of unit stride: copied first
    assert not two_d(strided, b, np.empty((a.shape[0], b.shape[1]), dtype), 3, bias)
    got.append(kernels.matmul(strided, b, bias=bias))
    monkeypatch.setitem(kernels._compiled(), "gemm_2d", lambda *args: False)
    del cutting[:]
    expected = [kernels.matmul(a, b), kernels.matmul(a, b, bias=bias)]
    assert len(cutting) == 2  # _cut_gemm's
    for g, e in zip(got, expected + expected[1:]):
        np.testing.assert_array_equal(g, e)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got[1], a @ b + bias, rtol=tol, atol=tol)
    assert taken == [shapes[0][1] <= 4 * max(shapes[0][0], shapes[1][1])]


def test_column_sums_kernel_equals_numpy(cutting):
    from zennet.ops.linalg import column_sums

    x = np.random.default_rng(0).standard_normal((301, 17)).astype(np.float32)
    assert kernels.MIN_SPLIT == 0  # the cutting fixture's: large enough for the kernel
    got = column_sums(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, x.sum(axis=0, dtype=np.float64), rtol=1e-6)
    kernels.use_compiled_kernels(False)
    np.testing.assert_array_equal(column_sums(x), x.sum(axis=0))


def test_column_sums_are_cut_only_over_many_rows(cutting, monkeypatch):
    # PART_ROWS: a part of a bias gradient's column sums gets 512 rows at least
    monkeypatch.setattr(kernels, "PART_ROWS", {"column_sums": 512})
    monkeypatch.setattr(kernels, "MIN_SPLIT", 1 << 16)
    rows = {n: np.zeros((n, 512), np.float32) for n in (128, 1023, 1024, 1536, 4096)}
    assert [kernels.part_count("column_sums", x) for x in rows.values()] == [1, 1, 2, 3, 3]
    assert kernels.part_count("relu", rows[128].reshape(-1)) == 3  # others as before
    x = np.random.default_rng(1).standard_normal((128, 512)).astype(np.float32)
    from zennet.ops.linalg import column_sums

    # whole: the rows summed in order in float64, as NumPy sums them along axis 0
    np.testing.assert_array_equal(
        column_sums(x), x.sum(axis=0, dtype=np.float64).astype(np.float32)
    )


def test_mpi_ranks_on_one_machine_share_its_cpus(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    for env, ranks, expected in [
        ({}, 1, cpus),
        ({"MPI_LOCALNRANKS": "2"}, 2, max(cpus // 2, 1)),
        ({"OMPI_COMM_WORLD_LOCAL_SIZE": str(4 * cpus)}, 4 * cpus, 1),
    ]:
        for name in backend.LOCAL_RANKS:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setitem(backend._THREADS, "n", None)
        assert backend.compute_threads() == expected, (env, ranks)


def test_blas_keeps_its_threads_when_the_kernels_are_off(monkeypatch):
    """Without the compiled kernels nothing is cut, so BLAS's threads are all a GEMM gets."""
    monkeypatch.setitem(backend._THREADS, "n", 2)
    monkeypatch.setitem(parallel._STATE, "enabled", True)
    previous = kernels.use_compiled_kernels(False)
    try:
        with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
            _ReadsBlasThreads.seen = []
            big = zn.tensor(np.ones(zn.autograd.HOLD_FROM), requires_grad=True)
            _ReadsBlasThreads.apply(big).sum().backward()
            assert _ReadsBlasThreads.seen == [("forward", 2), ("backward", 2)]
    finally:
        kernels.use_compiled_kernels(previous)


def _with_blas(monkeypatch, name):
    """parallel.cblas_gemm() as ZENNET_BLAS=name finds it (cached state restored after)."""
    monkeypatch.setenv("ZENNET_BLAS", name)
    monkeypatch.setitem(parallel._STATE, "cblas", None)
    return parallel.cblas_gemm()


@pytest.mark.parametrize("name", ["openblas", "mkl"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_blas_gemm_equals_numpy_in_every_layout(monkeypatch, name, dtype):
    if name == "mkl" and parallel._mkl_library() is None:
        pytest.skip("the mkl wheel (the mkl extra, x86-64 only) is not installed")
    found = _with_blas(monkeypatch, name)
    assert found is not None and parallel.blas_name() == name
    gemm = found[0 if dtype == np.float32 else 1]
    rng = np.random.default_rng(0)
    m, k, n = 7, 5, 6
    for trans_a in (False, True):
        for trans_b in (False, True):
            a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
            b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
            c = np.full((m, n + 2), np.nan, dtype)  # ldc past the row: the gap is left alone
            gemm(kernels.ROW_MAJOR, (kernels.NO_TRANS, kernels.TRANS)[trans_a],
                 (kernels.NO_TRANS, kernels.TRANS)[trans_b], m, n, k, 1.0, a.ctypes.data,
                 a.shape[1], b.ctypes.data, b.shape[1], 0.0, c.ctypes.data, n + 2)  # fmt: skip
            expected = (a.T if trans_a else a) @ (b.T if trans_b else b)
            tol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(c[:, :n], expected, rtol=tol, atol=tol)
            assert np.isnan(c[:, n:]).all()


def test_zennet_blas_must_name_a_blas_it_knows(monkeypatch):
    with pytest.raises(ValueError, match="ZENNET_BLAS='atlas'.*'mkl', 'openblas'"):
        _with_blas(monkeypatch, "atlas")


@pytest.mark.parametrize("name", ["openblas", "mkl"])
def test_a_process_cuts_its_gemms_on_the_blas_it_is_given(name):
    """A fresh process with ZENNET_BLAS=name, on numba's OpenMP threads (not TBB's, which
    numba would take first when the tbb wheel is there), cuts a GEMM on that BLAS; the
    compiled kernels cached by one BLAS's process run with the other."""
    if name == "mkl" and parallel._mkl_library() is None:
        pytest.skip("the mkl wheel (the mkl extra, x86-64 only) is not installed")
    code = (
        "import numpy as np, numba\n"
        "from zennet import kernels, parallel\n"
        "a, b = np.random.default_rng(0).standard_normal((2, 300, 300)).astype(np.float32)\n"
        "assert kernels.parts(1 << 30, 0) == 2\n"
        "assert np.allclose(kernels.matmul(a, b), a @ b, rtol=1e-4, atol=1e-4)\n"
        "print(parallel.blas_name(), numba.threading_layer())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_THREADING")}
    env.update(ZENNET_BLAS=name, OMP_NUM_THREADS="2", ZENNET_THREADS="on", ZENNET_KERNELS="numba")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [name, "omp"]


def test_numba_is_asked_for_openmp_unless_the_user_chose_a_layer(monkeypatch):
    import numba

    monkeypatch.setattr(numba.config, "THREADING_LAYER_PRIORITY", ["tbb", "omp", "workqueue"])
    monkeypatch.delenv("NUMBA_THREADING_LAYER_PRIORITY", raising=False)
    monkeypatch.setenv("NUMBA_THREADING_LAYER", "tbb")
    kernels._prefer_openmp(numba)
    assert numba.config.THREADING_LAYER_PRIORITY == ["tbb", "omp", "workqueue"]
    monkeypatch.delenv("NUMBA_THREADING_LAYER")
    kernels._prefer_openmp(numba)
    assert numba.config.THREADING_LAYER_PRIORITY == ["omp", "tbb", "workqueue"]
