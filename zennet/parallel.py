"""Elementwise work on several cores, opt-in: ``ZENNET_NUM_THREADS=2`` (or more).

BLAS runs matrix products on all cores, but each NumPy ufunc loops on one. The loops
release the GIL, so Python threads that each take a slice of the arrays do run at the
same time. ``elementwise`` splits one in-place elementwise update (an optimizer's step on
a large parameter) that way; below ``MIN_SLICE`` elements per thread, waking a thread
costs more than it saves and the update runs in the calling thread.

It is off by default because it lost where it counts. Alone, Adam over the benchmark
MLP's 669k parameters took 1.2 ms on two threads against 2.1 ms on one; inside a
training step the whole step was 12% slower with it (docs/performance.md): right after
the backward pass's matrix products, OpenBLAS's worker threads keep spinning on the
other core for a while, and the second slice waits for them. zennet never sets
thread variables itself.
"""

import os
import threading

import numpy as np

MIN_SLICE = 2**16  # elements per thread: a 64k-element pass takes ~15 µs, a hand-off ~5-20 µs


def cpu_threads():
    """How many threads elementwise work may use: ``ZENNET_NUM_THREADS``, else 1."""
    value = os.environ.get("ZENNET_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


_pool = None
_pool_lock = threading.Lock()


def _get_pool(workers):
    global _pool
    from concurrent.futures import ThreadPoolExecutor  # here: it costs import time

    with _pool_lock:
        if _pool is None or _pool._max_workers < workers:
            _pool = ThreadPoolExecutor(workers, thread_name_prefix="zennet")
        return _pool


def _forget_pool():  # a forked child has none of its parent's threads
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def elementwise(fn, *arrays, **params):
    """``fn(*arrays, **params)``, run on matching slices of the flattened arrays in threads.

    ``fn`` must be elementwise (element k of every output depends only on element k of
    the inputs) and write its results into its arguments in place. Arrays are positional
    and share one size; None passes through; ``params`` may hold arrays of that size too
    (a workspace), sliced the same way, and anything else, passed as is.
    """
    size = next(a.size for a in arrays if a is not None)
    parts = min(cpu_threads(), size // MIN_SLICE)
    sliceable = {k: v for k, v in params.items() if _is_sliceable(v, size)}
    everything = [a for a in arrays if a is not None] + list(sliceable.values())
    if parts < 2 or not all(a.flags.c_contiguous for a in everything):
        return fn(*arrays, **params)  # small, or strided: 1-D slices would be copies
    bounds = np.linspace(0, size, parts + 1).astype(int)
    sliceable = {k: v.reshape(-1) for k, v in sliceable.items()}  # views: contiguous
    flat = [None if a is None else a.reshape(-1) for a in arrays]

    def run(start, stop):
        fn(
            *(None if a is None else a[start:stop] for a in flat),
            **{**params, **{k: v[start:stop] for k, v in sliceable.items()}},
        )

    pool = _get_pool(parts - 1)
    futures = [pool.submit(run, bounds[i], bounds[i + 1]) for i in range(1, parts)]
    run(bounds[0], bounds[1])  # the calling thread takes the first slice
    for future in futures:
        future.result()  # re-raises a worker's exception here
    return None


def _is_sliceable(value, size):
    return isinstance(value, np.ndarray) and value.size == size and value.ndim > 0
