"""The tracer: one forward pass recorded op by op (zennet/trace.py is the seam it listens at).

A record is one primitive (a Function subclass), one traced function (an op computed
outside the graph, by name), or one module with a converter of its own, with its
arguments encoded: a tensor computed from the model's input becomes a :class:`Ref` to
the record that made it, any other tensor a :class:`Const` (a parameter or buffer by its
state-dict key, else a copy of its values). Ops on constants only are not recorded:
their results are constants themselves. Nothing is recorded inside a record.
"""

import inspect
import os
import sys
import threading
from typing import NamedTuple

import numpy as np

from zennet.tensor import Tensor

_ZENNET = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_INSIDE = (
    "autograd.py",
    "tensor.py",
    "trace.py",
    "ops",
    "functional",
    "onnx",
    "nn/module.py",
    "nn/hooks.py",
)


class Ref(NamedTuple):
    """The ``index``-th output tensor of record ``record`` (-1: the model's input)."""

    record: int
    index: int


INPUT = Ref(-1, 0)


class Const(NamedTuple):
    """A tensor that does not depend on the input: its values, and its state-dict key if any."""

    array: np.ndarray
    name: str | None


class Record(NamedTuple):
    kind: str  # "op", "function" or "module"
    key: object  # the Function subclass, the function's name, or the module
    args: tuple
    kwargs: dict
    outputs: tuple  # (shape, dtype) of each output tensor, flattened
    structure: object  # the output as returned, tensors replaced by their output numbers
    where: str  # the first caller outside zennet's engine, functional and onnx code


def caller():
    """'file:line in function' of the innermost frame outside zennet's own op code."""
    frame = sys._getframe(2)
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        relative = os.path.relpath(path, _ZENNET).replace(os.sep, "/")
        if relative.startswith("..") or not relative.startswith(_INSIDE):
            shown = relative if not relative.startswith("..") else path
            where = f"zennet/{shown}" if not relative.startswith("..") else shown
            return f"{where}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return "(unknown)"


def flatten(out, found):
    """``out`` with each tensor replaced by its number in ``found`` (appended there)."""
    if isinstance(out, Tensor):
        found.append(out)
        return len(found) - 1
    if isinstance(out, (tuple, list)):
        return tuple(flatten(o, found) for o in out)
    return None


class Recorder:
    """Records ops computed from the tensor ``x`` while active (see zennet.trace.recording).

    names: {id(tensor): state-dict key} for the model's parameters and buffers.
    unit: (module, args, kwargs) -> True when the module is to be recorded whole.
    wanted: (function name, encoded arguments by name) -> True when a traced function
        is to be recorded whole (else its primitives are).
    """

    def __init__(self, x, names, unit, wanted):
        self.records, self.refs, self.alive = [], {id(x): INPUT}, [x]
        self.names, self.unit, self.wanted = names, unit, wanted
        self.depth, self.thread = 0, threading.get_ident()

    def _listening(self):
        return self.depth == 0 and threading.get_ident() == self.thread

    def encode(self, obj):
        """(obj with tensors as Ref or Const, whether any Ref is in it)."""
        if isinstance(obj, Tensor):
            ref = self.refs.get(id(obj))
            if ref is not None:
                return ref, True
            name = self.names.get(id(obj))
            return Const(obj.data if name else np.array(obj.data), name), False
        if isinstance(obj, (tuple, list)):
            parts = [self.encode(o) for o in obj]
            encoded = [p for p, _ in parts]
            return (encoded if isinstance(obj, list) else tuple(encoded)), any(t for _, t in parts)
        if isinstance(obj, dict):
            parts = {k: self.encode(v) for k, v in obj.items()}
            return {k: p for k, (p, _) in parts.items()}, any(t for _, t in parts.values())
        if isinstance(obj, np.ndarray):
            return obj.copy(), False
        return obj, False

    def _add(self, kind, key, args, kwargs, out):
        tensors = []
        structure = flatten(out, tensors)
        index = len(self.records)
        for i, t in enumerate(tensors):
            self.refs[id(t)] = Ref(index, i)
        self.alive += tensors
        outputs = tuple((t.shape, t.dtype) for t in tensors)
        self.records.append(Record(kind, key, args, kwargs, outputs, structure, caller()))

    def primitive(self, cls, inputs, params, result):
        if not self._listening():
            return
        args, traced = self.encode(inputs)
        if traced:
            self._add("op", cls, args, self.encode(params)[0], result)

    def function(self, name, fn, args, kwargs):
        """A traced function: recorded with its arguments bound to their names."""
        if not self._listening():
            return fn(*args, **kwargs)
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError:
            return fn(*args, **kwargs)  # the function itself reports the bad call
        bound.apply_defaults()
        arguments, traced = self.encode(dict(bound.arguments))
        if not traced or not self.wanted(name, arguments):
            return fn(*args, **kwargs)
        self.depth += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            self.depth -= 1
        self._add("function", name, (), arguments, args[0] if out is None else out)
        return out

    def module(self, module, call, args, kwargs):
        if not self._listening() or not self.unit(module, args, kwargs):
            return call(module, args, kwargs)
        eargs, traced = self.encode(args)
        if not traced:
            return call(module, args, kwargs)
        self.depth += 1
        try:
            out = call(module, args, kwargs)
        finally:
            self.depth -= 1
        self._add("module", module, eargs, {}, out)
        return out

    def whole(self, module, run, x):
        """Record ``run()`` (the model applied to its input ``x``) as the module ``module``."""
        self.depth += 1
        try:
            out = run()
        finally:
            self.depth -= 1
        self._add("module", module, (self.refs[id(x)],), {}, out)
        return out

    def rebind(self, tensor, result):
        """``tensor`` changed in place and now holds ``result``."""
        if not self._listening():
            return
        ref = self.refs.get(id(result))
        if ref is None:
            self.refs.pop(id(tensor), None)
        else:
            self.refs[id(tensor)] = ref
            self.alive.append(tensor)
