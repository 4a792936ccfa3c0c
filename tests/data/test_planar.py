"""The 2-D toy data sets of zennet.data.datasets.planar (what ``zennet playground`` draws)."""

import numpy as np
import pytest

from zennet.data.datasets import PLANAR, circles, spirals, xor


@pytest.mark.parametrize("name", PLANAR.names())
def test_shapes_classes_and_seed(name):
    make = PLANAR.get(name)
    x, y = make(n=201, noise=0.1, seed=3)
    assert x.shape == (201, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1} and 0.3 < y.mean() < 0.7
    assert np.abs(x).max() < 2.0  # about [-1, 1]² plus noise
    again, _ = make(n=201, noise=0.1, seed=3)
    other, _ = make(n=201, noise=0.1, seed=4)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, other)


def test_the_shapes_are_what_their_names_say():
    x, y = circles(n=400, noise=0.0)
    radius = np.hypot(*x.T)
    assert radius[y == 1].max() < radius[y == 0].min()  # the disc is inside the ring
    x, y = xor(n=400, noise=0.0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] > 0).astype(int))
    x, y = spirals(n=400, noise=0.0)
    # at the same radius, the two spirals are half a turn apart
    angle = np.arctan2(x[:, 1], x[:, 0])
    radius = np.hypot(*x.T)
    expected = 1.5 * 2 * np.pi * (radius - 0.1) / 0.9 + np.pi * y
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-4)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"n": 1}, "n must be a whole number"), ({"n": 2.5}, "n must be a whole number"),
     ({"noise": -0.1}, "noise must be a number from 0 to 1"), ({"noise": "a"}, "noise")],
)  # fmt: skip
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        spirals(**kwargs)
