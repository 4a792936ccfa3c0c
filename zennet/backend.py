"""Devices: where a tensor's array lives, and the array module that computes on it.

Every Tensor knows its device from its array: a NumPy ndarray is on ``"cpu"``, a CuPy
array on ``"cuda"``. An op takes its array module (``xp``: NumPy or CuPy, the same
functions) from its inputs, never from a module fixed at import time, so the same
formula runs on either device::

    xp = array_module(x)            # numpy for an ndarray, cupy for a cupy array
    y = xp.exp(x)

A device is registered once with its array module, its array type and the two moves
to and from host (NumPy) memory; ``"cpu"`` is always there, ``"cuda"`` is registered
on first use when CuPy imports and sees a GPU. Tests register a stand-in device to check
that no op falls back to NumPy behind the inputs' backs.

This module also holds the floating dtype of new tensors (float32 unless changed) and
the two array helpers the engine needs below every op (``unbroadcast``,
``broadcast_shape``).
"""

import os

import numpy as np


class Device:
    """A place where arrays live: ``Device("cpu")``, ``Device("cuda")``.

    ``str(d)`` is its name; it compares equal to the same device and to its name.
    ``d.xp`` is its array module, ``d.put(array)`` moves an array onto it.
    """

    __slots__ = ("type", "xp", "array_type", "from_host", "to_host")

    def __init__(self, type, xp, array_type, from_host, to_host):  # noqa: A002 (PyTorch's name)
        self.type, self.xp, self.array_type = type, xp, array_type
        self.from_host, self.to_host = from_host, to_host  # NumPy array <-> this device's

    def put(self, array):
        """``array`` on this device (itself when it is there already)."""
        source = device_of(array)
        if source is self:
            return array
        return self.from_host(source.to_host(array))

    def __eq__(self, other):
        if isinstance(other, str):
            return other == self.type or other == f"{self.type}:0"
        return self is other

    def __hash__(self):
        return hash(self.type)

    def __str__(self):
        return self.type

    def __repr__(self):
        return f"device(type={self.type!r})"


_DEVICES = {}  # name -> Device
_BY_TYPE = {}  # array type -> Device (filled as types are met)


def register_device(name, xp, array_type, from_host=None, to_host=None):
    """Make ``name`` a device whose arrays are ``array_type``, computed on by ``xp``.

    ``from_host`` turns a NumPy array into one of this device's arrays, ``to_host`` the
    reverse (both default to ``xp.asarray`` and ``numpy.asarray``)."""
    device = Device(
        name, xp, array_type, from_host or xp.asarray, to_host or (lambda a: np.asarray(a))
    )
    _DEVICES[name] = device
    _BY_TYPE[array_type] = device
    return device


def unregister_device(name):
    """Remove a device registered with :func:`register_device` (tests use stand-ins)."""
    device = _DEVICES.pop(name)
    for array_type in [t for t, d in _BY_TYPE.items() if d is device]:
        del _BY_TYPE[array_type]


CPU = register_device("cpu", np, np.ndarray, np.asarray, lambda a: a)


def _register_cuda():
    """Register "cuda" from CuPy, or raise one line that says why it cannot be used."""
    try:
        import cupy
    except ImportError:
        raise RuntimeError(
            "device 'cuda' is not available: CuPy is not installed. Install it with "
            "pip install 'zennet[cuda]' on a machine with an NVIDIA GPU, or use 'cpu'."
        ) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:  # noqa: BLE001 (CUDA raises its own error types)
        count = 0
    if count == 0:
        raise RuntimeError("device 'cuda' is not available: CuPy sees no GPU. Use 'cpu'.")
    return register_device("cuda", cupy, cupy.ndarray, cupy.asarray, cupy.asnumpy)


def device(name):
    """The device called ``name`` ("cpu", "cuda", "cuda:0"), as ``torch.device``.

    >>> zn.device("cpu")
    device(type='cpu')
    """
    if isinstance(name, Device):
        return name
    if not isinstance(name, str):
        raise TypeError(f"device: expected a device name such as 'cpu', got {name!r}.")
    kind, _, index = name.partition(":")
    if kind not in _DEVICES and kind == "cuda":
        _register_cuda()
    if kind not in _DEVICES:
        known = ", ".join(repr(n) for n in sorted({*_DEVICES, "cuda"}))
        raise ValueError(f"device: unknown device {name!r}; expected one of {known}.")
    if index not in ("", "0"):
        raise NotImplementedError(f"device: only device index 0 is supported, got {name!r}.")
    return _DEVICES[kind]


def cuda_is_available():
    """True when CuPy is installed and sees a GPU."""
    try:
        device("cuda")
    except RuntimeError:
        return False
    return True


def device_of(array):
    """The device an array lives on (Python and NumPy scalars are on the CPU)."""
    found = _BY_TYPE.get(type(array))
    if found is not None:
        return found
    for array_type, dev in list(_BY_TYPE.items()):
        if dev is not CPU and isinstance(array, array_type):
            _BY_TYPE[type(array)] = dev
            return dev
    if type(array).__module__.startswith("cupy") and "cuda" not in _DEVICES:
        return device("cuda")  # a CuPy array made outside zennet: register its device
    return CPU


def array_module(array):
    """The array module (numpy, cupy, ...) that computes on ``array``."""
    found = _BY_TYPE.get(type(array))
    return found.xp if found is not None else device_of(array).xp


# ----------------------------------------------------------------------- dtypes

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


# ------------------------------------------------------------- shape helpers


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def broadcast_shape(op, *shapes):
    """The broadcast of ``shapes``, or a ValueError that names ``op`` and the shapes."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(
            f"{op}: shapes {listed} cannot be broadcast together; each dimension must be equal "
            f"or 1 (align them with reshape, unsqueeze or transpose)."
        ) from None


def memory_order(x):
    """x's axes from the largest stride to the smallest: x.transpose(order) walks memory in
    C order (for a channels-last (N, C, H, W) array: (0, 2, 3, 1))."""
    return tuple(sorted(range(x.ndim), key=lambda i: -x.strides[i]))


def zeros_written(xp, shape, dtype):
    """``xp.zeros(shape, dtype)`` with its memory written now, for an array a loop then adds
    into. NumPy's zeros comes from calloc, which may hand over fresh pages from the kernel
    untouched; the adds then fault them in one by one, a read and a write fault per page,
    in the middle of the loop: the CNN preset's col2im took 12.5 ms with np.zeros and 2.5
    (plus 1 for this fill) without (docs/performance.md). A fill in one pass, as PyTorch's
    zeros does, costs less."""
    out = xp.empty(shape, dtype=dtype)
    out.fill(0)
    return out


# ----------------------------------------------------------------- threads


_THREADS = {"n": None}  # set_num_threads's count; None: compute_threads's default


def set_num_threads(n):
    """Let zennet (zennet.parallel) and BLAS (through threadpoolctl, an optional dependency)
    use ``n`` threads."""
    if int(n) < 1:
        raise ValueError(f"set_num_threads: got {n}; pass a number of threads >= 1.")
    _threadpool_limits(n)
    _THREADS["n"] = int(n)


LOCAL_RANKS = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE")  # MPICH's, Open MPI's


def compute_threads():
    """How many threads zennet uses: ``set_num_threads``'s count, else ``OMP_NUM_THREADS``
    when set, else the CPUs this process may run on, shared among the MPI ranks that the
    launcher started on this machine (as torchrun gives each of its processes one thread:
    ranks whose threads outnumber the cores spin against each other)."""
    if _THREADS["n"] is None:
        wanted = os.environ.get("OMP_NUM_THREADS", "").strip()
        if wanted.isdigit() and int(wanted) > 0:
            _THREADS["n"] = int(wanted)
        else:
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
            ranks = [os.environ.get(name, "").strip() for name in LOCAL_RANKS]
            local = max([int(r) for r in ranks if r.isdigit() and int(r) > 0] or [1])
            _THREADS["n"] = max((cpus or os.cpu_count() or 1) // local, 1)
    return _THREADS["n"]


def get_num_threads():
    """The number of threads zennet uses (``set_num_threads``)."""
    return compute_threads()


_limits = []  # the active threadpool limit, kept alive until replaced


def _threadpool_limits(n):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        raise RuntimeError(
            "set_num_threads needs threadpoolctl: pip install threadpoolctl."
        ) from None
    _limits[:] = [threadpool_limits(limits=int(n))]
