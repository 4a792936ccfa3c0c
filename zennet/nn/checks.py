"""The checks every layer makes on its input before its own (rank, width) checks."""

import numpy as np

from zennet.functional._util import check_numbers
from zennet.tensor import Tensor


def check_input(layer, x, floating=True):
    """``x`` as a Tensor, or a TypeError naming ``layer`` (e.g. "Linear(in_features=4)").

    Layers take Tensors (NumPy arrays are accepted too), holding floating-point numbers
    when ``floating`` (the layer has float weights), else any numbers. As in PyTorch,
    ``Linear`` refuses integer input instead of silently converting it.
    """
    if isinstance(x, Tensor) and x.data.dtype.kind == "f":  # the usual case, checked first
        return x
    if not isinstance(x, (Tensor, np.ndarray)):
        raise TypeError(
            f"{layer} expects a Tensor, got {type(x).__name__}. Wrap the data with zn.tensor(...)."
        )
    check_numbers(layer, x, floating, hint=" (pixels 0..255: x.float() / 255)")
    return x if isinstance(x, Tensor) else Tensor(x)
