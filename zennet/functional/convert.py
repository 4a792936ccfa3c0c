"""Moving and casting tensors: ``x.to(device or dtype)``, ``.cpu()``, ``.float()``, ...

Both are differentiable: the gradient goes back to the input's device and dtype.
"""

from zennet.backend import Device
from zennet.backend import device as as_device
from zennet.functional.arith import cast, clone
from zennet.ops.shape import ToDevice
from zennet.tensor import Tensor, _np_dtype, tensor_method


@tensor_method
def to(x, *args, dtype=None, device=None, non_blocking=False, copy=False):
    """x on ``device`` in ``dtype``, as ``torch.Tensor.to``: ``to(dtype)``, ``to(device)``,
    ``to(device, dtype)``, ``to(other)`` (other's device and dtype), or keywords.

    Returns x itself when nothing changes (unless ``copy=True``).

    >>> x.to("cpu", zn.float64)
    """
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
    def convert(x):
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
}.items():
    _dtype_method(_name, _dtype)
tensor_method("astype")(to)
