import numpy as np

from tests.helpers import compare


def test_mul_broadcast(rng):
    compare(
        lambda a, b: a * b + a,
        rng.standard_normal((4, 1)).astype(np.float32),
        rng.standard_normal((1, 5)).astype(np.float32),
    )
