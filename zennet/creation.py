"""Functions that make tensors: zn.tensor, zeros, ones, rand, randn, arange, eye, ...

Each takes ``dtype=`` and ``device=`` as PyTorch's do; arrays are made by the device's
array module, and random draws come from zennet's seeded generator on the host (so a
seed gives the same numbers on every device) and are then moved.
"""

import numpy as np

from zennet.backend import CPU, device_of, get_default_dtype
from zennet.backend import device as as_device
from zennet.random import get_rng
from zennet.tensor import Tensor, _np_dtype


def _dtype(dtype):
    return get_default_dtype() if dtype is None else _np_dtype(dtype)


def _device(device):
    return CPU if device is None else as_device(device)


def sizes_arg(shape):
    """Accept zeros(2, 3) and zeros((2, 3)) alike, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor (a copy): arrays keep their dtype, Python floats become float32."""
    data = data.data if isinstance(data, Tensor) else data
    array = Tensor(data, dtype=dtype).data
    if array is data:
        array = array.copy()
    if device is not None:
        array = as_device(device).put(array)
    return Tensor(array, requires_grad=requires_grad)


def _filled(name, shape, dtype, device, requires_grad):
    array = getattr(_device(device).xp, name)(sizes_arg(shape), dtype=_dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def zeros(*shape, dtype=None, device=None, requires_grad=False):
    return _filled("zeros", shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False):
    return _filled("ones", shape, dtype, device, requires_grad)


def empty(*shape, dtype=None, device=None, requires_grad=False):
    return _filled("empty", shape, dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``fill_value``; its dtype follows the value (as torch.full): a float gives
    float32, an int int64, a bool bool."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype is None:
        dtype = Tensor(fill_value).dtype
    array = _device(device).xp.full(shape, fill_value, dtype=_np_dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def _like(x, dtype, device, requires_grad):
    """The keywords that make a tensor like ``x``: its dtype and device unless given."""
    device = device or device_of(x.data)
    return dict(dtype=dtype or x.dtype, device=device, requires_grad=requires_grad)


def zeros_like(x, dtype=None, device=None, requires_grad=False):
    return zeros(x.shape, **_like(x, dtype, device, requires_grad))


def ones_like(x, dtype=None, device=None, requires_grad=False):
    return ones(x.shape, **_like(x, dtype, device, requires_grad))


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False):
    return full(x.shape, fill_value, **_like(x, dtype, device, requires_grad))


def _host(array, device, requires_grad):
    """A tensor of a host array, moved to ``device``."""
    return Tensor(_device(device).put(array), requires_grad=requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad=False):
    """Uniform samples from [0, 1), drawn from zennet's seeded generator."""
    data = get_rng().random(sizes_arg(shape)).astype(_dtype(dtype))
    return _host(data, device, requires_grad)


def randn(*shape, dtype=None, device=None, requires_grad=False):
    """Standard normal samples, drawn from zennet's seeded generator."""
    data = get_rng().standard_normal(sizes_arg(shape)).astype(_dtype(dtype))
    return _host(data, device, requires_grad)


def randint(low, high, size, dtype=None, device=None):
    data = get_rng().integers(low, high, size=size)
    return _host(data.astype(dtype or np.int64), device, False)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Evenly spaced values in [start, end): integers stay int64, floats become float32."""
    if end is None:
        start, end = 0, start
    xp = _device(device).xp
    data = xp.arange(start, end, step)
    if dtype is not None:
        data = data.astype(_np_dtype(dtype))
    elif data.dtype == np.float64:
        data = data.astype(get_default_dtype())
    return Tensor(data, requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None, device=None):
    return Tensor(_device(device).xp.linspace(start, end, steps, dtype=_dtype(dtype)))


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    array = _device(device).xp.eye(n, m, dtype=_dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)
