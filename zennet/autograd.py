"""The base of every differentiable primitive, and the switches of the engine.

A primitive is a subclass of :class:`Function` with two methods side by side::

    class Exp(Function):
        '''y = exp(x)   |   dx = dy * y'''
        def forward(self, x):
            self.y = self.xp.exp(x)
            return self.y
        def backward(self, dy):
            return dy * self.y

``forward`` gets arrays (or Python scalars) and returns an array; ``backward`` gets
the gradient of the output and returns one gradient per input (``None`` where none is
needed). ``self.needs_input_grad`` says which inputs want one, and ``self.xp`` is the
array module of the inputs' device (NumPy on the CPU, CuPy on a GPU): an op computes
with ``xp = self.xp``, never with a module it imported, so it runs on any device.
The engine (``Tensor.backward``) reduces each gradient to its input's shape
after broadcasting and sums the gradients of tensors used more than once.

An op may also have ``backward_graph(self, dy, y)``: the same derivative written with
Tensor ops on Tensors (``dy`` and the output ``y``; the inputs are ``self.parents``), so
the gradient it returns has a graph of its own. ``create_graph=True`` (second
derivatives) walks the graph with these; the ordinary backward never calls them::

        def backward_graph(self, dy, y):
            return dy * y
"""

import numpy as np

from zennet.backend import (  # noqa: F401 (re-exported: ops take these from here)
    CPU,
    broadcast_shape,
    device_of,
    get_default_dtype,
    unbroadcast,
)
from zennet.grad_mode import (  # noqa: F401 (re-exported: zn.no_grad, ...)
    check_finite,
    detect_anomaly,
    enable_grad,
    is_anomaly_enabled,
    is_grad_enabled,
    mode,
    no_grad,
)
from zennet.kernels import hold_blas, release_blas
from zennet.tensor import Tensor
from zennet.trace import report_while_recording
from zennet.trace import state as _trace

_FLOAT64 = np.dtype(np.float64)  # a dtype, not the type: comparing with it is cheaper
HOLD_FROM = 1 << 12  # elements of an op's first input from which BLAS is held to one thread


def _float_dtype_as_torch(arrays):
    """The dtype PyTorch gives a float result that NumPy made float64: the widest floating
    input with dimensions (int64 * float32 is float32, and so is float32 * a 0-d float64),
    else the widest 0-d one, else the default (int64 / 2 is float32)."""
    floats = [a for a in arrays if getattr(a, "ndim", None) is not None and a.dtype.kind == "f"]
    ranked = [a for a in floats if a.ndim] or floats
    if not ranked:
        return np.dtype(get_default_dtype())
    return max((a.dtype for a in ranked), key=lambda d: d.itemsize)


class Function:
    """One primitive op of the graph: ``forward`` on arrays and ``backward`` on gradients."""

    needs_input_grad = ()
    parents = ()
    promotes = True  # False for an op that picks its output dtype itself (Cast)
    # False for an op whose forward reaches BLAS only through kernels.matmul, which holds
    # it where it must, or not at all: run_forward then holds nothing (zennet.parallel)
    reaches_blas = True
    xp = np  # the array module of the inputs' device; apply sets it per call

    @classmethod
    def apply(cls, *inputs, **params):
        """Run ``forward`` on the inputs' arrays and link the result into the graph."""
        # This runs once per op: one pass over the inputs, no generators (per-op cost
        # is what a batch-1 forward pass is made of).
        fn = cls()
        arrays, needs, record, kind, first = [], [], False, None, None
        for x in inputs:
            if isinstance(x, Tensor):
                data = x.data
                if kind is None:
                    kind, first = type(data), data
                elif type(data) is not kind:
                    _check_same_device(cls, inputs)
                arrays.append(data)
                needs.append(x._requires_grad)
                record = record or x._requires_grad
            else:
                # a NumPy scalar acts as the Python number it holds, as in PyTorch:
                # x * np.sqrt(2) must not turn a float32 tensor into float64
                arrays.append(x.item() if isinstance(x, np.generic) else x)
                needs.append(False)
        fn.needs_input_grad = tuple(needs)
        out = run_forward(fn, arrays, params, first)
        if record and mode.enabled:
            fn.parents = inputs
            return Tensor._from_op(out, fn)
        return Tensor._from_op(out, None)

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    backward_graph = None  # an op that has one: backward_graph(self, dy, y) on Tensors

    def release(self):
        """Drop the saved arrays and the links to the inputs once backward has used them."""
        self.__dict__.clear()
        self.released = True

    def __repr__(self):
        return f"<{type(self).__name__}>"


def run_forward(fn, arrays, params, first):
    """``fn.forward(*arrays, **params)`` as :meth:`Function.apply` runs it (zn.jit's replay
    too): the op's array module set from ``first`` (its first tensor input's array, or None),
    BLAS held to one thread for a large input of an op that may reach it (``reaches_blas``),
    a scalar result made an array, a float64 one given PyTorch's float dtype, checked for
    NaN in anomaly mode. Returns the array."""
    kind = type(first)
    if kind is not np.ndarray and first is not None:
        fn.xp = device_of(first).xp
    if kind is np.ndarray and fn.reaches_blas and first.size >= HOLD_FROM:  # parallel: why
        held = hold_blas()
        try:
            out = fn.forward(*arrays, **params)
        finally:
            release_blas(held)
    else:
        out = fn.forward(*arrays, **params)
    if type(out) is not np.ndarray and device_of(out) is CPU:  # a scalar, not an array
        out = fn.xp.asarray(out)
    if out.dtype == _FLOAT64 and fn.promotes:
        out = out.astype(_float_dtype_as_torch(arrays), copy=False)
    if mode.anomaly:
        check_finite(fn, "forward", [out])
    return out


def _reporting_apply(cls, *inputs, **params):
    """Function.apply while a recorder (zn.onnx.export, zn.jit.trace) listens (zennet/trace.py)."""
    result = _plain_apply(cls, *inputs, **params)
    _trace.recorder.primitive(cls, inputs, params, result)
    return result


_plain_apply = Function.apply.__func__
report_while_recording(Function, "apply", classmethod(_reporting_apply))


def same_backward(fn, dy, y):
    """``backward_graph`` for an op whose gradient is dy times something that does not
    depend on the inputs' values, or only piecewise (negation, a copy, relu's mask, a
    clamp): its array ``backward`` run on the Tensor ``dy`` is already differentiable.

    >>> class Neg(Function):
    ...     backward_graph = same_backward
    """
    return fn.backward(dy)


def _check_same_device(op, inputs):
    """Raise naming ``op`` and both devices when its tensor inputs live on different ones."""
    devices = {str(x.device): x.device for x in inputs if isinstance(x, Tensor)}
    if len(devices) > 1:
        raise RuntimeError(
            f"{op.__name__}: expected all tensors on the same device, got "
            f"{' and '.join(devices)}. Move them with .to(device) first."
        )


class inference_mode(no_grad):  # noqa: N801 (PyTorch's name)
    """``no_grad`` under PyTorch's other name; ``inference_mode(False)`` records as usual."""

    def __init__(self, mode=True):
        self.enabled = not mode

    def _recreate_cm(self):
        return type(self)(not self.enabled)


def grad(
    outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False
):
    """d(outputs)/d(inputs) as a tuple of tensors, without touching any ``.grad``
    (``torch.autograd.grad``). ``grad_outputs`` weight the outputs (1 for a scalar).

    With ``create_graph=True`` the gradients are built from differentiable ops and carry
    a graph, so they can be differentiated again (Hessians, gradient penalties); every op
    on the way needs a ``backward_graph``, else NotImplementedError names the op. The
    graph is kept unless ``retain_graph=False``."""
    from zennet.tensor import _as_array, _run_backward, _run_backward_graph

    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outputs)
    retain_graph = True if retain_graph is None else retain_graph
    captured = {id(x): None for x in inputs}
    for out, weight in zip(outputs, grad_outputs):
        if weight is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"autograd.grad: grad_outputs can be omitted only for single-element "
                    f"outputs; got shape {out.shape}."
                )
            weight = out.data * 0 + 1
        found = dict.fromkeys(captured)
        if create_graph:
            seed = weight if isinstance(weight, Tensor) else Tensor(weight, dtype=out.dtype)
            _run_backward_graph(out, seed, retain_graph, found)
        else:
            seed = _as_array(weight).astype(out.data.dtype)
            _run_backward(out, seed, retain_graph, found)
        for key, g in found.items():
            if g is not None:
                captured[key] = g if captured[key] is None else captured[key] + g
    result = []
    for x in inputs:
        g = captured[id(x)]
        if g is None and not allow_unused:
            raise RuntimeError(
                "autograd.grad: one of the inputs was not used to compute the outputs; pass "
                "allow_unused=True to get None for it."
            )
        if g is not None and not create_graph:
            g = Tensor._from_op(g, None)
        result.append(g)
    return tuple(result)
