"""Two-dimensional toy data sets, the ones a first network learns to separate: circles,
moons, spirals, XOR and Gaussian blobs (``zennet playground`` draws them).

Each generator takes ``n`` (points in all, split evenly between the two classes),
``noise`` (the standard deviation of Gaussian noise added to every coordinate, in the
data's own units: the points lie in about [−1, 1]²) and ``seed``, and returns
``x`` (n, 2) float32 and ``y`` (n,) int64 with classes 0 and 1. They are registered by
name in ``PLANAR``::

    x, y = PLANAR.get("spirals")(n=400, noise=0.1, seed=0)
"""

import numpy as np

from zennet.registry import Registry

PLANAR = Registry("2-D data set")

MAX_POINTS = 100_000


def _check(name, n, noise):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 2 <= n <= MAX_POINTS:
        raise ValueError(
            f"{name}: n must be a whole number of points from 2 to {MAX_POINTS:,}, got {n!r}."
        )
    if not isinstance(noise, (int, float, np.floating)) or not 0 <= noise <= 1:
        raise ValueError(
            f"{name}: noise must be a number from 0 to 1 (the noise's standard deviation, "
            f"the points lie in about [-1, 1]), got {noise!r}."
        )


def _finish(points, labels, noise, rng):
    """Add the noise, shuffle, and cast: (x (n, 2) float32, y (n,) int64)."""
    points = points + rng.normal(0.0, noise, points.shape)
    order = rng.permutation(len(points))
    return points[order].astype(np.float32), labels[order].astype(np.int64)


def _halves(n):
    """Class labels: n // 2 zeros, then the rest ones."""
    return np.repeat([0, 1], [n // 2, n - n // 2])


@PLANAR.register("circles")
def circles(n=400, noise=0.05, seed=0):
    """a disc (class 1) inside a ring (class 0)"""
    _check("circles", n, noise)
    rng = np.random.default_rng(seed)
    y = _halves(n)
    radius = np.where(y == 1, rng.uniform(0.0, 0.45, n), rng.uniform(0.65, 1.0, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    return _finish(radius[:, None] * np.c_[np.cos(angle), np.sin(angle)], y, noise, rng)


@PLANAR.register("moons")
def moons(n=400, noise=0.05, seed=0):
    """two interleaved half circles"""
    _check("moons", n, noise)
    rng = np.random.default_rng(seed)
    y = _halves(n)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.c_[np.cos(t), np.sin(t)]  # class 0: the upper half circle
    lower = np.c_[1 - np.cos(t), 0.5 - np.sin(t)]  # class 1: the lower one, shifted
    points = np.where(y[:, None] == 0, upper, lower)
    return _finish((points - [0.5, 0.25]) * [0.65, 0.9], y, noise, rng)  # centred in [-1, 1]


@PLANAR.register("spirals")
def spirals(n=400, noise=0.05, seed=0):
    """two spirals wound around each other, one and a half turns each"""
    _check("spirals", n, noise)
    rng = np.random.default_rng(seed)
    y = _halves(n)
    t = rng.uniform(0.0, 1.0, n)  # 0 at the centre, 1 at the outer end
    angle = 1.5 * 2 * np.pi * t + np.pi * y  # the second spiral is the first turned by π
    radius = 0.1 + 0.9 * t
    return _finish(radius[:, None] * np.c_[np.cos(angle), np.sin(angle)], y, noise, rng)


@PLANAR.register("xor")
def xor(n=400, noise=0.05, seed=0):
    """the four quadrants: class 1 where x and y have the same sign"""
    _check("xor", n, noise)
    rng = np.random.default_rng(seed)
    points = rng.uniform(-1.0, 1.0, (n, 2))
    points += np.sign(points) * 0.05  # a small gap along the axes
    y = (points[:, 0] * points[:, 1] > 0).astype(np.int64)
    return _finish(points, y, noise, rng)


@PLANAR.register("blobs")
def blobs(n=400, noise=0.05, seed=0):
    """two Gaussian blobs, centred at (−0.5, −0.5) and (0.5, 0.5)"""
    _check("blobs", n, noise)
    rng = np.random.default_rng(seed)
    y = _halves(n)
    centres = np.where(y[:, None] == 1, 0.5, -0.5)
    return _finish(centres + rng.normal(0.0, 0.2, (n, 2)), y, noise, rng)
