"""The error function and its relatives on arrays, to float64 precision, with nothing but
the array module (NumPy has no erf): a Taylor series near 0, a continued fraction in
the tails, and Newton's method for the inverse."""

import math

from zennet.backend import array_module

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SERIES_LIMIT = 2.5  # |x| below it: the series; above: the continued fraction


def _erf_series(x):
    """erf x = 2/√π Σₙ (-1)ⁿ x²ⁿ⁺¹ / (n! (2n + 1)), enough terms for |x| <= 2.5."""
    term, total, x2 = x, x, x * x
    for n in range(1, 60):
        term = -term * x2 / n
        total = total + term / (2 * n + 1)
    return _TWO_OVER_SQRT_PI * total


def _erfc_fraction(z):
    """erfc z for z >= 2.5: e^(-z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + ...)))) (Lentz-free,
    evaluated from the back with 60 levels)."""
    xp = array_module(z)
    tail = xp.zeros_like(z)
    for k in range(60, 0, -1):
        tail = (k / 2) / (z + tail)
    return xp.exp(-z * z) / math.sqrt(math.pi) / (z + tail)


def erf(x):
    """The error function erf x = 2/√π ∫₀ˣ e^(-t²) dt."""
    xp = array_module(x)
    z = xp.abs(x)
    near = xp.minimum(z, _SERIES_LIMIT)
    far = xp.maximum(z, _SERIES_LIMIT)
    with xp.errstate(all="ignore"):
        value = xp.where(z < _SERIES_LIMIT, _erf_series(near), 1 - _erfc_fraction(far))
    return xp.where(xp.isnan(x), x, xp.sign(x) * value)


def erfc(x):
    """The complementary error function 1 - erf x, precise in the right tail."""
    xp = array_module(x)
    z = xp.abs(x)
    with xp.errstate(all="ignore"):
        right = xp.where(
            z < _SERIES_LIMIT,
            1 - _erf_series(xp.minimum(z, _SERIES_LIMIT)),
            _erfc_fraction(xp.maximum(z, _SERIES_LIMIT)),
        )  # erfc |x|
    return xp.where(xp.isnan(x), x, xp.where(x >= 0, right, 2 - right))


def erfinv(y):
    """erf⁻¹ y on (-1, 1): Giles' single-precision guess, then Newton steps
    x ← x - (erf x - y) / (2/√π e^(-x²)); ±inf at ±1, NaN outside."""
    xp = array_module(y)
    with xp.errstate(all="ignore"):
        w = -xp.log((1 - y) * (1 + y))
        central = w < 5
        w1, w2 = w - 2.5, xp.sqrt(w) - 3
        p1 = 2.81022636e-08
        for c in (
            3.43273939e-07,
            -3.5233877e-06,
            -4.39150654e-06,
            0.00021858087,
            -0.00125372503,
            -0.00417768164,
            0.246640727,
            1.50140941,
        ):
            p1 = c + p1 * w1
        p2 = -0.000200214257
        for c in (
            0.000100950558,
            0.00134934322,
            -0.00367342844,
            0.00573950773,
            -0.0076224613,
            0.00943887047,
            1.00167406,
            2.83297682,
        ):
            p2 = c + p2 * w2
        x = xp.where(central, p1, p2) * y
        for _ in range(3):
            x = x - (erf(x) - y) / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
        x = xp.where(y == 1, xp.inf, xp.where(y == -1, -xp.inf, x))
        return xp.where(xp.abs(y) > 1, xp.nan, x)
