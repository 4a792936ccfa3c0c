"""A stand-in device for tests: "tracked", whose arrays are a NumPy subclass.

Its array module is NumPy with every array it makes returned as ``Tracked``. An op that
makes an array with a module it imported (``numpy.zeros``) instead of its inputs' module
hands a plain ndarray into the graph, which the next op refuses (two devices) or a test
finds. It checks the device seam without a GPU: ``pytest --device tracked`` runs every
op test through it.
"""

import numpy as np

from zennet.backend import register_device, unregister_device

NAME = "tracked"


class Tracked(np.ndarray):
    """A NumPy array that stands for another device's arrays."""


def _track(value):
    if isinstance(value, np.ndarray) and not isinstance(value, Tracked):
        return value.view(Tracked)
    if isinstance(value, (tuple, list)):
        return type(value)(_track(v) for v in value)
    return value


class _Wrapped:
    """A NumPy function (or ufunc, with its methods) whose arrays come back Tracked."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, *args, **kwargs):
        return _track(self._fn(*args, **kwargs))

    def __getattr__(self, name):
        attr = getattr(self._fn, name)
        return _Wrapped(attr) if callable(attr) and not isinstance(attr, type) else attr


class TrackedNumpy:
    """The stand-in device's array module: NumPy, with every array it makes Tracked."""

    def __getattr__(self, name):
        attr = getattr(np, name)
        if isinstance(attr, type) or not callable(attr):
            return attr  # dtypes, classes (ndarray, errstate), constants, submodules
        return _Wrapped(attr)


def register():
    return register_device(
        NAME, TrackedNumpy(), Tracked, lambda a: np.array(a).view(Tracked), np.asarray
    )


def unregister():
    unregister_device(NAME)
