"""PyTorch's dtype names as NumPy dtypes, so that ``x.dtype == zn.float32`` and
``zn.zeros(2, dtype=zn.long)`` read as in PyTorch. (A module of its own: the aliases
``float``, ``int`` and ``bool`` would shadow the builtins anywhere else.)"""

import numpy as np

# PyTorch's dtype names, as NumPy dtypes: x.dtype == zn.float32, zn.zeros(2, dtype=zn.long)
float16 = half = np.dtype("float16")
float32 = float = np.dtype("float32")  # noqa: A001 (PyTorch's names)
float64 = double = np.dtype("float64")
int8, uint8 = np.dtype("int8"), np.dtype("uint8")
int16 = short = np.dtype("int16")
int32 = int = np.dtype("int32")  # noqa: A001
int64 = long = np.dtype("int64")
bool = np.dtype("bool")  # noqa: A001
