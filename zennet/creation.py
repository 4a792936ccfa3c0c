"""Functions that make tensors: zn.tensor, zeros, ones, rand, randn, arange, eye, ..."""

from zennet.backend import get_default_dtype, xp
from zennet.functional._util import sizes_arg
from zennet.random import get_rng
from zennet.tensor import Tensor, _np_dtype


def _dtype(dtype):
    return get_default_dtype() if dtype is None else _np_dtype(dtype)


def tensor(data, dtype=None, requires_grad=False):
    """A new tensor (a copy): NumPy arrays keep their dtype, Python floats become float32."""
    data = data.data if isinstance(data, Tensor) else data
    array = Tensor(data, dtype=dtype).data
    if array is data:
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


def _filled(fill, shape, dtype, requires_grad):
    return Tensor(fill(sizes_arg(shape), dtype=_dtype(dtype)), requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad=False):
    return _filled(xp.zeros, shape, dtype, requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return _filled(xp.ones, shape, dtype, requires_grad)


def empty(*shape, dtype=None, requires_grad=False):
    return _filled(xp.empty, shape, dtype, requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    """A tensor of ``fill_value``; its dtype follows the value (as torch.full): a float gives
    float32, an int int64, a bool bool."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype is None:
        dtype = Tensor(fill_value).dtype
    return Tensor(xp.full(shape, fill_value, dtype=_np_dtype(dtype)), requires_grad=requires_grad)


def zeros_like(x, dtype=None, requires_grad=False):
    return zeros(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def ones_like(x, dtype=None, requires_grad=False):
    return ones(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None, requires_grad=False):
    return full(x.shape, fill_value, dtype=dtype or x.dtype, requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform samples from [0, 1), drawn from zennet's seeded generator."""
    data = get_rng().random(sizes_arg(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal samples, drawn from zennet's seeded generator."""
    data = get_rng().standard_normal(sizes_arg(shape)).astype(_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def randint(low, high, size, dtype=None):
    data = get_rng().integers(low, high, size=size)
    return Tensor(data.astype(dtype or xp.int64))


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Evenly spaced values in [start, end): integers stay int64, floats become float32."""
    if end is None:
        start, end = 0, start
    data = xp.arange(start, end, step)
    if dtype is not None:
        data = data.astype(_np_dtype(dtype))
    elif data.dtype == xp.float64:
        data = data.astype(get_default_dtype())
    return Tensor(data, requires_grad=requires_grad)


def linspace(start, end, steps, dtype=None):
    return Tensor(xp.linspace(start, end, steps, dtype=_dtype(dtype)))


def eye(n, m=None, dtype=None, requires_grad=False):
    return Tensor(xp.eye(n, m, dtype=_dtype(dtype)), requires_grad=requires_grad)
