"""The LSTM kernels' tanh (zennet.kernels.tanh32) against numba's math.tanh and NumPy's.

    python -m benchmarks.tanh32

A compiled loop over 32,768 float32s of N(0, 3²) (the LSTM's gates and cells run such loops):
median µs of 200 calls, and the largest error against float64's tanh. Numba without Intel's
SVML calls libm per element for math.tanh; tanh32's rational function vectorizes.
"""

import math

import numba
import numpy as np

from benchmarks.timing import median_us
from zennet import kernels

tanh32 = numba.njit(inline="always", error_model="numpy")(kernels.tanh32)


@numba.njit(error_model="numpy")
def loop_tanh32(x, out):
    for i in range(x.size):
        out[i] = tanh32(x[i])


@numba.njit(error_model="numpy")
def loop_math_tanh(x, out):
    for i in range(x.size):
        out[i] = math.tanh(x[i])


def main():
    x = (np.random.default_rng(0).standard_normal(32768) * 3).astype(np.float32)
    exact = np.tanh(x.astype(np.float64))
    out = np.empty_like(x)
    for name, run in (
        ("kernels.tanh32 (numba loop)", lambda: loop_tanh32(x, out)),
        ("math.tanh (numba loop)", lambda: loop_math_tanh(x, out)),
        ("np.tanh", lambda: np.tanh(x, out=out)),
    ):
        us = median_us(run, calls=200, warmup=1)
        print(f"{name:28s} {us:7.1f} µs   max error {np.abs(out - exact).max():.1e}")


if __name__ == "__main__":
    main()
