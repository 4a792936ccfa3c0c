"""Moving and casting tensors: ``x.to(device or dtype)``, ``.cpu()``, ``.float()``, ...

Both are differentiable: the gradient goes back to the input's device and dtype.
"""

from zennet.backend import Device
from zennet.backend import device as as_device
from zennet.functional.arith import cast, clone
from zennet.ops.shape import ToDevice
from zennet.tensor import Tensor, _np_dtype, tensor_method

# PyTorch's memory formats: zennet's arrays have one layout, so only the two that leave it
# as it is are accepted.
preserve_format, contiguous_format = "preserve_format", "contiguous_format"
channels_last, channels_last_3d = "channels_last", "channels_last_3d"


def check_memory_format(op, memory_format):
    if memory_format not in (None, preserve_format, contiguous_format):
        raise NotImplementedError(
            f"{op}: memory_format={memory_format!r} is not supported; zennet keeps one "
            f"(row-major) layout. Leave memory_format out."
        )


@tensor_method
def to(x, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """x on ``device`` in ``dtype``, as ``torch.Tensor.to``: ``to(dtype)``, ``to(device)``,
    ``to(device, dtype)``, ``to(other)`` (other's device and dtype), or keywords.

    Returns x itself when nothing changes (unless ``copy=True``).

    >>> x.to("cpu", zn.float64)
    """
    check_memory_format("to", memory_format)
    device, dtype = to_arguments(*args, dtype=dtype, device=device)
    y = x
    if device is not None:
        target = as_device(device)
        if y.device is not target:
            y = ToDevice.apply(y, target)
    if dtype is not None:
        y = cast(y, _np_dtype(dtype))
    return clone(y) if copy and y is x else y


def to_arguments(*args, dtype=None, device=None, non_blocking=False, copy=False):
    """(device, dtype) from the arguments of ``Tensor.to`` / ``Module.to``; None where not given."""
    for arg in args:
        if isinstance(arg, bool):  # to(dtype, non_blocking, copy) positionally
            continue
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, Device) or (isinstance(arg, str) and _names_a_device(arg)):
            device = arg
        else:
            dtype = arg
    return device, dtype


def _names_a_device(name):
    return name.partition(":")[0] in ("cpu", "cuda") or _registered(name)


def _registered(name):
    try:
        as_device(name)
    except ValueError:
        return False
    return True


@tensor_method
def cpu(x):
    """x in host memory (itself when it is there)."""
    return to(x, "cpu")


@tensor_method
def cuda(x, device=None, non_blocking=False):
    """x on the GPU; a clear error when CuPy or a GPU is missing."""
    return to(x, "cuda" if device is None else device)


def _dtype_method(name, dtype):
    def convert(x, memory_format=None):
        check_memory_format(name, memory_format)
        return to(x, dtype)

    convert.__name__ = convert.__qualname__ = name
    convert.__doc__ = f"x as {dtype} (itself when it is {dtype} already)."
    return tensor_method(convert)


for _name, _dtype in {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "long": "int64",
    "int": "int32",
    "bool": "bool",
    "byte": "uint8",
    "char": "int8",
    "short": "int16",
}.items():
    _dtype_method(_name, _dtype)
tensor_method("astype")(to)


_TYPE_NAMES = {
    "float32": "torch.FloatTensor",
    "float64": "torch.DoubleTensor",
    "float16": "torch.HalfTensor",
    "int64": "torch.LongTensor",
    "int32": "torch.IntTensor",
    "int16": "torch.ShortTensor",
    "int8": "torch.CharTensor",
    "uint8": "torch.ByteTensor",
    "bool": "torch.BoolTensor",
}


@tensor_method("type")
def type_(x, dtype=None, non_blocking=False):
    """With no argument, the type name PyTorch gives (``'torch.FloatTensor'``); with a dtype
    (or such a name), x converted to it."""
    if dtype is None:
        return _TYPE_NAMES.get(str(x.dtype), str(x.dtype))
    if isinstance(dtype, str) and dtype in _TYPE_NAMES.values():
        dtype = next(k for k, v in _TYPE_NAMES.items() if v == dtype)
    return to(x, dtype)


@tensor_method
def type_as(x, other):
    """x in other's dtype."""
    return to(x, other.dtype)
