"""Functions that make tensors: zn.tensor, zeros, ones, rand, randn, arange, eye, ...

Each takes ``dtype=`` and ``device=`` as PyTorch's do; arrays are made by the device's
array module, and random draws come from zennet's seeded generator on the host (so a
seed gives the same numbers on every device) and are then moved.
"""

import numpy as np

from zennet.backend import CPU, device_of, get_default_dtype
from zennet.backend import device as as_device
from zennet.random import get_rng
from zennet.tensor import Tensor, _np_dtype, tensor_method


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


def zeros_like(x, dtype=None, device=None, requires_grad=False, memory_format=None):
    return zeros(x.shape, **_like(x, dtype, device, requires_grad))


def ones_like(x, dtype=None, device=None, requires_grad=False, memory_format=None):
    return ones(x.shape, **_like(x, dtype, device, requires_grad))


def full_like(x, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return full(x.shape, fill_value, **_like(x, dtype, device, requires_grad))


def _host(array, device, requires_grad):
    """A tensor of a host array, moved to ``device``."""
    return Tensor(_device(device).put(array), requires_grad=requires_grad)


def rand(*shape, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples from [0, 1), drawn from zennet's seeded generator."""
    data = _rng(generator).random(sizes_arg(shape)).astype(_dtype(dtype))
    return _host(data, device, requires_grad)


def randn(*shape, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples, drawn from zennet's seeded generator."""
    data = _rng(generator).standard_normal(sizes_arg(shape)).astype(_dtype(dtype))
    return _host(data, device, requires_grad)


class Generator:
    """A random generator of its own, as ``torch.Generator``: pass it as ``generator=`` to
    the random functions to draw from it instead of zennet's global one.

    >>> g = zn.Generator().manual_seed(0); zn.rand(3, generator=g)
    """

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self.rng = np.random.default_rng()

    def manual_seed(self, seed):
        self.rng = np.random.default_rng(int(seed))
        return self

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state
        return self


def _rng(generator):
    return get_rng() if generator is None else generator.rng


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers from [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        *args, size = args
    low, high = (0, *args) if len(args) == 1 else args
    data = _rng(generator).integers(low, high, size=sizes_arg((size,)))
    return _host(data.astype(_np_dtype(dtype or np.int64)), device, requires_grad)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0 .. n-1."""
    data = _rng(generator).permutation(n).astype(_np_dtype(dtype or np.int64))
    return _host(data, device, requires_grad)


def _like_host(name, x, dtype, device, requires_grad, draw):
    kw = _like(x, dtype, device, requires_grad)
    return _host(draw(x.shape).astype(_np_dtype(kw["dtype"])), kw["device"], requires_grad)


def rand_like(x, dtype=None, device=None, requires_grad=False, generator=None):
    return _like_host("rand_like", x, dtype, device, requires_grad, _rng(generator).random)


def randn_like(x, dtype=None, device=None, requires_grad=False, generator=None):
    draw = _rng(generator).standard_normal
    return _like_host("randn_like", x, dtype, device, requires_grad, draw)


def randint_like(x, low=0, high=None, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    draw = lambda shape: get_rng().integers(low, high, size=shape)  # noqa: E731
    return _like_host("randint_like", x, dtype, device, requires_grad, draw)


def empty_like(x, dtype=None, device=None, requires_grad=False, memory_format=None):
    return empty(x.shape, **_like(x, dtype, device, requires_grad))


def normal(
    mean=0.0,
    std=1.0,
    size=None,
    generator=None,
    dtype=None,
    device=None,
    layout=None,
    requires_grad=False,
):
    """Samples of N(mean, std²); mean and std may be tensors (broadcast), else give size."""
    _check_layout("normal", layout)
    mean_a, std_a = np.asarray(_host_array(mean)), np.asarray(_host_array(std))
    shape = np.broadcast_shapes(mean_a.shape, std_a.shape) if size is None else sizes_arg((size,))
    data = _rng(generator).normal(mean_a, std_a, size=shape)
    like = next((t for t in (mean, std) if isinstance(t, Tensor)), None)
    dtype = dtype or (like.dtype if like is not None else None)
    device = device or (like.device if like is not None else None)
    return _host(data.astype(_dtype(dtype)), device, requires_grad)


def _check_layout(op, layout):
    if layout not in (None, "strided"):
        raise NotImplementedError(f"{op}: layout={layout!r} is not supported; only 'strided'.")


def bernoulli(p, generator=None):
    """1 with probability p, else 0, for every element of the tensor p."""
    draw = _rng(generator).random(p.shape) < _host_array(p)
    return _host(draw.astype(p.dtype), p.device, False)


def multinomial(probs, num_samples, replacement=False, generator=None):
    """Indices drawn in proportion to the rows of ``probs`` (1-D or 2-D), as torch.multinomial."""
    rows = np.atleast_2d(_host_array(probs)).astype(np.float64)
    rng = _rng(generator)
    picks = [
        rng.choice(row.size, num_samples, replace=replacement, p=row / row.sum()) for row in rows
    ]
    out = np.asarray(picks, dtype=np.int64).reshape(rows.shape[0], num_samples)
    return _host(out if probs.ndim == 2 else out[0], probs.device, False)


def _host_array(x):
    return np.asarray(x) if isinstance(x, Tensor) else x


def from_numpy(array):
    """A tensor sharing the NumPy array's memory (and dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}.")
    return Tensor(array)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor, sharing memory when it already is an array of that dtype."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    array = Tensor(data, dtype=dtype).data
    return Tensor(array if device is None else as_device(device).put(array))


def asarray(obj, dtype=None, device=None, copy=None, requires_grad=False):
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype, device)
    return t.requires_grad_(requires_grad) if requires_grad else t


def scalar_tensor(value, dtype=None, device=None, requires_grad=False):
    return tensor(
        float(value), dtype=dtype or get_default_dtype(), device=device, requires_grad=requires_grad
    )


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    exponents = np.linspace(start, end, steps)
    data = np.power(base, exponents)
    return _host(data.astype(_dtype(dtype)), device, requires_grad)


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


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    data = np.linspace(_host_array(start), _host_array(end), steps)
    return _host(data.astype(_dtype(dtype)), device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    array = _device(device).xp.eye(n, m, dtype=_dtype(dtype))
    return Tensor(array, requires_grad=requires_grad)


def _new(x, dtype, device, requires_grad):
    return dict(dtype=dtype or x.dtype, device=device or x.device, requires_grad=requires_grad)


@tensor_method
def new_zeros(x, *size, dtype=None, device=None, requires_grad=False):
    """zeros of ``size`` with x's dtype and device (unless given)."""
    return zeros(*size, **_new(x, dtype, device, requires_grad))


@tensor_method
def new_ones(x, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, **_new(x, dtype, device, requires_grad))


@tensor_method
def new_empty(x, *size, dtype=None, device=None, requires_grad=False):
    return empty(*size, **_new(x, dtype, device, requires_grad))


@tensor_method
def new_full(x, size, fill_value, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, **_new(x, dtype, device, requires_grad))


@tensor_method
def new_tensor(x, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, **_new(x, dtype, device, requires_grad))


def _fill_with(x, draw):
    """Write ``draw(shape)`` into x's own array (outside the graph); returns x."""
    x.data[...] = x.device.put(np.asarray(draw(x.shape)).astype(x.dtype))
    return x


@tensor_method
def uniform_(x, a=0.0, b=1.0, generator=None):
    return _fill_with(x, lambda shape: _rng(generator).uniform(a, b, shape))


@tensor_method
def normal_(x, mean=0.0, std=1.0, generator=None):
    return _fill_with(x, lambda shape: _rng(generator).normal(mean, std, shape))


@tensor_method
def exponential_(x, lambd=1.0, generator=None):
    return _fill_with(x, lambda shape: _rng(generator).exponential(1 / lambd, shape))


@tensor_method
def cauchy_(x, median=0.0, sigma=1.0, generator=None):
    return _fill_with(x, lambda shape: median + sigma * _rng(generator).standard_cauchy(shape))


@tensor_method
def log_normal_(x, mean=1.0, std=2.0, generator=None):
    return _fill_with(x, lambda shape: _rng(generator).lognormal(mean, std, shape))


@tensor_method
def geometric_(x, p, generator=None):
    return _fill_with(x, lambda shape: _rng(generator).geometric(p, shape))


@tensor_method
def bernoulli_(x, p=0.5, generator=None):
    p = _host_array(p)
    return _fill_with(x, lambda shape: _rng(generator).random(shape) < p)


@tensor_method
def random_(x, low=0, high=None, generator=None):
    """Integers from [low, high) (from [0, low) with one bound; [0, 2^24) for float32 with none)."""
    if high is None and low:
        low, high = 0, low
    elif high is None:
        high = 2 ** (np.finfo(x.dtype).nmant + 1) if x.dtype.kind == "f" else np.iinfo(x.dtype).max
    return _fill_with(x, lambda shape: _rng(generator).integers(low, high, shape))


def zero_(x):
    """Fill with zeros in place (``torch.zero_``)."""
    return x.zero_()
