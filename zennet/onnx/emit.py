"""From records to ONNX nodes: the registries of op emitters and the walk over a trace.

An emitter turns one recorded op into ONNX nodes:

    @primitive(ops.elementwise.Exp)
    def exp(g, args, kwargs, outs):      # args: Values for tensors, Python values else
        return g.node("Exp", [args[0].name])

``outs`` are the Values (without names) of the op's outputs; the emitter returns their
names, flat or nested as the op's result. An op it cannot express raises
:class:`Unsupported` with the reason; every such op is listed before anything is written.
"""

from typing import NamedTuple

import numpy as np

from zennet.onnx.graph import Value
from zennet.onnx.recorder import Const, Ref

PRIMITIVES = {}  # Function subclass -> emitter
FUNCTIONS = {}  # traced function name -> Function_


class Unsupported(Exception):
    """Raised by an emitter: this op (with these arguments) has no ONNX equivalent."""


class Function_(NamedTuple):
    emit: object
    when: object  # (arguments by name) -> True to record the call whole; None: always


def primitive(*classes):
    def decorate(emit):
        for cls in classes:
            PRIMITIVES[cls] = emit
        return emit

    return decorate


def function(*names, when=None):
    """Register ``emit`` for the traced functions ``names``; ``when(arguments)`` (encoded,
    by name) says whether a call is recorded whole or left to its primitives. The emitter
    gets the arguments by name as ``kwargs`` (``args`` is empty)."""

    def decorate(emit):
        for name in names:
            FUNCTIONS[name] = Function_(emit, when)
        return emit

    return decorate


def has_ref(obj):
    """True when an encoded argument holds a tensor computed from the input."""
    if isinstance(obj, Ref):
        return True
    if isinstance(obj, (tuple, list)):
        return any(has_ref(o) for o in obj)
    return False


def wanted(name, arguments):
    spec = FUNCTIONS.get(name)
    return spec is None or spec.when is None or spec.when(arguments)


def op_name(record):
    if record.kind == "op":
        return record.key.__name__
    if record.kind == "module":
        return type(record.key).__name__
    return record.key


class Dyn(NamedTuple):
    """Ints that follow the batch size n: value (for the example) = slope·n + offset."""

    value: tuple
    slope: tuple
    offset: tuple


class Broadcast(NamedTuple):
    """A constant repeated along axes that follow the batch size: Expand(base, shape)."""

    base: np.ndarray
    shape: Dyn


def _decode(g, obj, values):
    if isinstance(obj, Ref):
        return values[obj]
    if isinstance(obj, Broadcast):
        base = g.const(obj.base, obj.base.dtype, "constant")
        name = g.node("Expand", [base, batch_ints(g, obj.shape)])
        return Value(name, tuple(obj.shape.value), obj.base.dtype)
    if isinstance(obj, Const):
        array = obj.array
        name = g.weight(obj.name, array) if obj.name else g.const(array, array.dtype, "constant")
        return Value(name, tuple(array.shape), array.dtype)
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_decode(g, o, values) for o in obj)
    if isinstance(obj, list):
        return [_decode(g, o, values) for o in obj]
    if isinstance(obj, dict):
        return {k: _decode(g, v, values) for k, v in obj.items()}
    return obj


def _missing(obj, values):
    """True when an argument depends on an op that could not be exported."""
    if isinstance(obj, Ref):
        return values.get(obj) is None
    if isinstance(obj, (tuple, list)):
        return any(_missing(o, values) for o in obj)
    if isinstance(obj, dict):
        return any(_missing(v, values) for v in obj.values())
    return False


def _flat_names(names):
    if isinstance(names, str):
        return [names]
    return [n for part in names for n in _flat_names(part)]


def _emitter(record, module_emitter):
    if record.kind == "op":
        return PRIMITIVES.get(record.key)
    if record.kind == "function":
        spec = FUNCTIONS.get(record.key)
        return None if spec is None else spec.emit
    return module_emitter(record.key)


def emit(g, records, input_value, module_emitter):
    """Emit every record; returns ({Ref: Value}, [(op, where, why)] for the ops left out)."""
    values, problems = {Ref(-1, 0): input_value}, []
    for i, record in enumerate(records):
        refs = [Ref(i, k) for k in range(len(record.outputs))]
        emitter = _emitter(record, module_emitter)
        if _missing((record.args, record.kwargs), values):
            continue  # its input is already reported
        if emitter is None:
            why = "no ONNX equivalent"
            if record.kind == "function":
                why = "computed outside the graph, and no ONNX equivalent"
            problems.append((op_name(record), record.where, why))
            continue
        args, kwargs = _decode(g, record.args, values), _decode(g, record.kwargs, values)
        outs = [Value("", shape, dtype) for shape, dtype in record.outputs]
        g.current = op_name(record)  # emitters shared by several functions read it
        try:
            with g.scope(op_name(record)):
                names = _flat_names(emitter(g, args, kwargs, outs))
        except Unsupported as why:
            problems.append((op_name(record), record.where, str(why)))
            continue
        for ref, name, out in zip(refs, names, outs, strict=True):
            values[ref] = out.renamed(name)
    return values, problems


def batch_ints(g, ints):
    """An int64 tensor for a tuple of ints, or for a :class:`Dyn` computed from the batch
    size in the graph: Add(Mul(n, slope), offset)."""
    if not isinstance(ints, Dyn):
        return g.ints(list(ints))
    n = g.node("Gather", [g.node("Shape", [g.input_name]), g.ints([g.batch_axis])], axis=0)
    scaled = g.node("Mul", [n, g.ints(list(ints.slope))])
    return g.node("Add", [scaled, g.ints(list(ints.offset))])


def example(ints):
    """The example's values of ints that may be a :class:`Dyn`."""
    return tuple(ints.value) if isinstance(ints, Dyn) else ints


def tensor(g, x, dtype):
    """The graph name of ``x`` (a Value, or a Python number or array made a constant) as
    ``dtype``: a Cast where a Value has another dtype."""
    dtype = np.dtype(dtype)
    if isinstance(x, Value):
        if np.dtype(x.dtype) == dtype:
            return x.name
        return g.node("Cast", [x.name], to=onnx_type(g, dtype))
    return g.const(np.asarray(x, dtype=dtype), dtype, "scalar")


def onnx_type(g, dtype):
    return g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def reduce(g, op, x, axes, keepdims):
    """Reduce ``x`` (a name) over ``axes`` (None: all of ``ndim``): axes as an input from
    opset 18 (opset 13 for ReduceSum), as an attribute before."""
    if op == "ReduceSum" or g.opset >= 18:
        inputs = [x] if axes is None else [x, g.ints(list(axes))]
        return g.node(op, inputs, keepdims=int(keepdims))
    attributes = {} if axes is None else {"axes": list(axes)}
    return g.node(op, [x], keepdims=int(keepdims), **attributes)
