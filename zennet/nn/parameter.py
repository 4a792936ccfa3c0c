"""``from zennet.nn.parameter import Parameter``, PyTorch's path to the class."""

from zennet.nn.module import Parameter

__all__ = ["Parameter"]
