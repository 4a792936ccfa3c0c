"""Argument handling shared by the functional API."""

import numpy as np

from zennet.backend import array_module
from zennet.creation import sizes_arg  # noqa: F401 (the functional API uses it too)
from zennet.tensor import Tensor


def array_of(x):
    """The array behind a Tensor, or x itself (scalars and arrays)."""
    return x.data if isinstance(x, Tensor) else x


def shape_of(x):
    """The shape of a Tensor, an array, or anything NumPy can make an array of."""
    if isinstance(x, Tensor):
        return x.data.shape
    return x.shape if getattr(x, "ndim", None) is not None else np.shape(x)


def normalize_dim(op, dim, ndim):
    """A non-negative axis (or tuple of axes) for ``dim``; a clear error when out of range."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(normalize_dim(op, d, ndim) for d in dim)
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(
            f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions "
            f"(expected -{max(ndim, 1)} <= dim < {max(ndim, 1)})."
        )
    return dim % max(ndim, 1)


def module_of(*xs):
    """The array module (numpy, cupy, ...) of the first tensor or array among ``xs``."""
    for x in xs:
        data = array_of(x)
        if getattr(data, "ndim", None) is not None:
            return array_module(data)
    return np


def as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def check_numbers(op, x, floating=True, hint=""):
    """Raise a TypeError naming ``op`` unless ``x`` holds numbers: floats when ``floating``
    (layers with float weights, softmax, cross-entropy), else any bool, int or float."""
    dtype = getattr(array_of(x), "dtype", None) or np.asarray(x).dtype
    if dtype.kind == "f" or (not floating and dtype.kind in "biu"):
        return
    if dtype.kind in "biu":
        raise TypeError(
            f"{op} got input of dtype {dtype}; it needs floating-point numbers. Convert it "
            f"with x.float(){hint}."
        )
    raise TypeError(
        f"{op} got input of dtype {dtype}, which does not hold numbers; convert the data to "
        f"floats first, e.g. zn.tensor(np.asarray(data, dtype=np.float32))."
    )
