"""zennet.parallel: an elementwise update split across threads gives the same bits."""

import numpy as np
import pytest

import zennet as zn
from zennet import parallel
from zennet.optim.adam import adam_update


@pytest.fixture
def threaded(monkeypatch):
    """Three threads, and slices of 7 elements: tiny arrays take the threaded path."""
    monkeypatch.setenv("ZENNET_NUM_THREADS", "3")
    monkeypatch.setattr(parallel, "MIN_SLICE", 7)


def _adam_arrays(rng, shape):
    param, grad = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    exp_avg = rng.standard_normal(shape).astype(np.float32)
    exp_avg_sq = rng.random(shape).astype(np.float32)
    return [param, grad, exp_avg, exp_avg_sq]


@pytest.mark.parametrize("amsgrad", [False, True])
def test_threaded_adam_is_bitwise_the_sequential_one(threaded, rng, amsgrad):
    ours = _adam_arrays(rng, (10, 11))
    reference = [a.copy() for a in ours]
    options = dict(step=3, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1)
    vmax = np.abs(rng.standard_normal((10, 11))).astype(np.float32) if amsgrad else None
    vmax_ref = None if vmax is None else vmax.copy()
    calls = []

    def counted(*arrays, **params):
        calls.append(arrays[0].shape)
        adam_update(*arrays, **params)

    work = np.empty((10, 11), np.float32)
    parallel.elementwise(counted, *ours, max_exp_avg_sq=vmax, work=work, **options)
    adam_update(*reference, max_exp_avg_sq=vmax_ref, **options)
    assert len(calls) == 3 and sum(n for (n,) in calls) == 110  # three slices, all covered
    for a, b in zip(ours, reference):
        np.testing.assert_array_equal(a, b)
    if amsgrad:
        np.testing.assert_array_equal(vmax, vmax_ref)


def test_small_or_strided_arrays_run_in_one_call(threaded, rng):
    calls = []

    def record(a, b):
        calls.append(a.shape)
        a += b

    a, b = np.zeros((4, 3)), np.ones((4, 3))
    parallel.elementwise(record, a, b)  # 12 elements: one slice of >= 7 only
    strided = np.zeros((20, 20))[:, ::2]
    parallel.elementwise(record, strided, np.ones((20, 10)))
    assert calls == [(4, 3), (20, 10)]
    np.testing.assert_array_equal(strided, 1.0)


def test_a_worker_s_exception_reaches_the_caller(threaded):
    def fail_on_late_slices(a):
        if a.base is not None and a[0] > 10:
            raise FloatingPointError("slice failed")

    with pytest.raises(FloatingPointError, match="slice failed"):
        parallel.elementwise(fail_on_late_slices, np.arange(30.0))


def test_thread_count_is_opt_in(monkeypatch):
    monkeypatch.setenv("ZENNET_NUM_THREADS", "5")
    assert parallel.cpu_threads() == 5
    monkeypatch.setenv("ZENNET_NUM_THREADS", "not a number")
    assert parallel.cpu_threads() == 1
    monkeypatch.delenv("ZENNET_NUM_THREADS")
    monkeypatch.setenv("OMP_NUM_THREADS", "4")  # BLAS's and PyTorch's limit is not ours
    assert parallel.cpu_threads() == 1


def test_adam_optimizer_threaded_matches_unthreaded(monkeypatch, rng):
    data = rng.standard_normal((30, 20)).astype(np.float32)
    grads = [rng.standard_normal((30, 20)).astype(np.float32) for _ in range(3)]
    results = []
    for threads in ("1", "2"):
        monkeypatch.setenv("ZENNET_NUM_THREADS", threads)
        monkeypatch.setattr(parallel, "MIN_SLICE", 50)
        p = zn.nn.Parameter(data.copy())
        opt = zn.optim.AdamW([p], lr=0.1, amsgrad=True)
        for g in grads:
            p.grad = zn.tensor(g)
            opt.step()
        results.append(p.numpy().copy())
    np.testing.assert_array_equal(results[0], results[1])
