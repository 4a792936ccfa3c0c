"""The base of every differentiable primitive, and the switches of the engine.

A primitive is a subclass of :class:`Function` with two methods side by side::

    class Exp(Function):
        '''y = exp(x)   |   dx = dy * y'''
        def forward(self, x):
            self.y = xp.exp(x)
            return self.y
        def backward(self, dy):
            return dy * self.y

``forward`` gets NumPy arrays (or Python scalars) and returns an array;
``backward`` gets the gradient of the output and returns one gradient per input
(``None`` where none is needed). ``self.needs_input_grad`` says which inputs want
one. The engine (``Tensor.backward``) reduces each gradient to its input's shape
after broadcasting and sums the gradients of tensors used more than once.
"""

import contextlib
import threading

import numpy as np

from zennet.backend import get_default_dtype, xp
from zennet.tensor import Tensor


class _GradMode(threading.local):
    enabled = True
    anomaly = False


_mode = _GradMode()


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return _mode.enabled


class _GradModeSwitch(contextlib.ContextDecorator):
    """Set grad mode for a ``with`` block or a decorated function, then restore it.

    A class rather than ``@contextlib.contextmanager``: entering and leaving cost a
    fraction of a generator's, and inference runs one per call."""

    enabled = True

    def __enter__(self):
        self.previous, _mode.enabled = _mode.enabled, self.enabled

    def __exit__(self, *exc_info):
        _mode.enabled = self.previous

    def _recreate_cm(self):  # a decorated function gets a fresh switch per call (recursion)
        return type(self)()


class no_grad(_GradModeSwitch):  # noqa: N801 (PyTorch's name)
    """Run ops without recording a graph: inference and parameter updates."""

    enabled = False


class enable_grad(_GradModeSwitch):  # noqa: N801
    """Record a graph again inside ``no_grad()``."""


@contextlib.contextmanager
def detect_anomaly():
    """Check every op's forward and backward for NaN/Inf and name the first op that made one.

    Off by default; when off it costs one attribute look-up per op.
    """
    previous, _mode.anomaly = _mode.anomaly, True
    try:
        yield
    finally:
        _mode.anomaly = previous


def is_anomaly_enabled():
    return _mode.anomaly


def check_finite(fn, phase, arrays):
    """Raise naming ``fn`` when one of ``arrays`` holds NaN or Inf (detect_anomaly)."""
    for i, a in enumerate(arrays):
        if a is None or not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.inexact):
            continue
        if not np.isfinite(a).all():
            what = "output" if phase == "forward" else f"gradient of input {i}"
            raise FloatingPointError(
                f"detect_anomaly: {type(fn).__name__}.{phase} produced NaN or Inf in its {what} "
                f"(shape {a.shape}). Look at the inputs of this op: a log of 0, a division by 0, "
                f"an overflowing exp or a learning rate that is too high are the usual causes."
            )


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


_FLOAT64 = np.dtype(np.float64)  # a dtype, not the type: comparing with it is cheaper


def _float_dtype_as_torch(arrays):
    """The dtype PyTorch gives a float result that NumPy made float64: the widest floating
    input with dimensions (int64 * float32 is float32, and so is float32 * a 0-d float64),
    else the widest 0-d one, else the default (int64 / 2 is float32)."""
    floats = [a for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    ranked = [a for a in floats if a.ndim] or floats
    if not ranked:
        return np.dtype(get_default_dtype())
    return max((a.dtype for a in ranked), key=lambda d: d.itemsize)


class Function:
    """One primitive op of the graph: ``forward`` on arrays and ``backward`` on gradients."""

    needs_input_grad = ()
    parents = ()
    promotes = True  # False for an op that picks its output dtype itself (Cast)

    @classmethod
    def apply(cls, *inputs, **params):
        """Run ``forward`` on the inputs' arrays and link the result into the graph."""
        # This runs once per op: one pass over the inputs, no generators (per-op cost
        # is what a batch-1 forward pass is made of).
        fn = cls()
        arrays, needs, record = [], [], False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x.data)
                needs.append(x._requires_grad)
                record = record or x._requires_grad
            else:
                # a NumPy scalar acts as the Python number it holds, as in PyTorch:
                # x * np.sqrt(2) must not turn a float32 tensor into float64
                arrays.append(x.item() if isinstance(x, np.generic) else x)
                needs.append(False)
        fn.needs_input_grad = tuple(needs)
        out = fn.forward(*arrays, **params)
        if getattr(out, "dtype", None) == _FLOAT64 and cls.promotes:
            out = out.astype(_float_dtype_as_torch(arrays), copy=False)
        if _mode.anomaly:
            check_finite(fn, "forward", [out])
        if record and _mode.enabled:
            fn.parents = inputs
            return Tensor._from_op(out, fn)
        return Tensor._from_op(out, None)

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def release(self):
        """Drop the saved arrays and the links to the inputs once backward has used them."""
        self.__dict__.clear()
        self.released = True

    def __repr__(self):
        return f"<{type(self).__name__}>"


def ensure_same_shape(op, a, b):
    """Raise a ValueError naming ``op`` when two arrays that must match in shape do not."""
    if a.shape != b.shape:
        raise ValueError(
            f"{op}: got shapes {tuple(a.shape)} and {tuple(b.shape)}; they must match."
        )


def broadcast_shape(op, *shapes):
    """The broadcast of ``shapes``, or a ValueError that names ``op`` and the shapes."""
    try:
        return xp.broadcast_shapes(*shapes)
    except ValueError:
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(
            f"{op}: shapes {listed} cannot be broadcast together; each dimension must be equal "
            f"or 1 (align them with reshape, unsqueeze or transpose)."
        ) from None
