"""The micro-benchmarks' timer: median µs of a call (benchmarks.gemm_shapes, benchmarks.tanh32)."""

import statistics
import time


def median_us(fn, calls=100, warmup=10):
    """Median µs of ``calls`` calls of ``fn`` after ``warmup`` calls not timed."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6
