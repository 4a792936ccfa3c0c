"""``zn.cuda``: whether a GPU can be used (through CuPy), as ``torch.cuda``."""

from zennet.backend import cuda_is_available


def is_available():
    """True when CuPy is installed and sees an NVIDIA GPU."""
    return cuda_is_available()


def device_count():
    return 1 if cuda_is_available() else 0
