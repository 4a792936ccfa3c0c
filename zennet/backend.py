"""Array backend: the module every op takes its array functions from.

Ops write ``xp.exp(x)``, never ``numpy.exp(x)``, so that a GPU array module
(CuPy) can slot in later without rewriting them. Today ``xp`` is NumPy.
"""

import numpy as np

from zennet.allocator import tune_malloc

xp = np

malloc_tuned = tune_malloc()  # glibc keeps freed arrays' memory for the next step (allocator.py)

_default_dtype = np.float32


def get_default_dtype():
    """The floating dtype of new tensors made from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype):
    """Make ``dtype`` (float32 or float64) the dtype of new floating tensors."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"set_default_dtype: expected float32 or float64, got {dtype}.")
    _default_dtype = dtype.type


def is_floating(dtype):
    return np.issubdtype(dtype, np.floating)
