"""Trace a model twice and check that the trace holds for other inputs.

The model runs on the example and on another input (one more sample when the batch is
dynamic, other values always). Both runs must record the same ops; an argument that
differs between them depends on the input: a Reshape or Expand shape that follows the
batch size becomes a :class:`Dyn` (computed in the graph), anything else is refused
with the op and the line that called it (an op that read the input's values through
code the tracer cannot see, or Python control flow on them).
"""

import numpy as np

from zennet.autograd import no_grad
from zennet.nn.module import Module
from zennet.onnx.emit import Broadcast, Dyn, op_name, wanted
from zennet.onnx.graph import call, lookup
from zennet.onnx.recorder import Const, Recorder
from zennet.ops import shape as sh
from zennet.tensor import Tensor
from zennet.trace import recording

_DYNAMIC = {sh.Reshape: "shape", sh.Expand: "shape"}  # op -> the ints that may follow n


def is_unit(module, args, kwargs):
    """True when ``module`` is recorded whole by its converter: a converted layer called on
    one tensor, without hooks (otherwise the ops inside it are recorded)."""
    converter, _ = lookup(module)
    if converter is None or converter.children is not None or converter.run is not call:
        return False
    if converter.check is not None and converter.check(module) is not None:
        return False
    hooked = module._forward_hooks or module._forward_pre_hooks or module._backward_hooks
    return len(args) == 1 and isinstance(args[0], Tensor) and not kwargs and not hooked


def parameter_names(model):
    names = {id(p): name for name, p in model.named_parameters()}
    names.update({id(b): name for name, b in model.named_buffers()})
    return names


def trace(model, x):
    """(records, the model's output, the recorder) for one run on the array ``x``."""
    t = Tensor(x)
    recorder = Recorder(t, parameter_names(model), is_unit, wanted)
    converter, _ = lookup(model)
    with no_grad(), recording(recorder):
        if converter is not None and converter.run is not call:  # attention: run(model, x)
            out = recorder.whole(model, lambda: converter.run(model, t), t)
        else:
            out = model(t)
    return recorder.records, out, recorder


def other_input(x, axis, seed=0):
    """Another input like ``x``: one more sample along ``axis`` (None: as many), other
    values (floats moved by noise, ints and bools drawn from the example's own values)."""
    rng = np.random.default_rng(seed)
    if axis is not None:
        x = np.take(x, rng.integers(0, x.shape[axis], x.shape[axis] + 1), axis=axis)
    if x.dtype.kind == "f":
        scale = float(np.std(x)) if x.size and np.isfinite(x).all() else 1.0
        return (x + rng.standard_normal(x.shape) * 0.5 * (scale or 1.0)).astype(x.dtype)
    if x.size == 0:
        return x
    return rng.choice(x.reshape(-1), size=x.shape).astype(x.dtype)


def _same(a, b):
    if isinstance(a, Const) and isinstance(b, Const):
        if a.name or b.name:
            return a.name == b.name
        return a.array.shape == b.array.shape and np.array_equal(a.array, b.array, equal_nan=True)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and np.array_equal(a, b)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(p, q) for p, q in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, Module) or isinstance(b, Module):
        return a is b
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


def _follow_batch(ints, other, n, n_other):
    """A Dyn for int tuples that move linearly with the batch size, else None."""
    if n_other == n or not all(isinstance(v, (tuple, list)) for v in (ints, other)):
        return None
    if len(ints) != len(other):
        return None
    slope = tuple((b - a) // (n_other - n) for a, b in zip(ints, other))
    offset = tuple(a - s * n for a, s in zip(ints, slope))
    if any(s * n_other + o != b for s, o, b in zip(slope, offset, other)):
        return None
    return Dyn(tuple(ints), slope, offset)


class _Differs(Exception):
    pass


def _base(array, axes):
    """``array`` with the ``axes`` cut to length 1, if it repeats along them; else None."""
    for axis in axes:
        first = array.take([0], axis=axis)
        if array.shape[axis] and not np.array_equal(array, np.broadcast_to(first, array.shape)):
            return None
        array = first
    return array


def _merge(a, b, n, n_other):
    """The first trace's argument ``a``, where it differs from the second's ``b`` only by
    following the batch size: a constant repeated along batch-sized axes as a Broadcast."""
    if isinstance(a, Const) and isinstance(b, Const) and not _same(a, b):
        dyn = _follow_batch(a.array.shape, b.array.shape, n, n_other)
        axes = [i for i, (p, q) in enumerate(zip(a.array.shape, b.array.shape)) if p != q]
        if dyn is None or a.name or b.name:
            raise _Differs
        base, other = _base(a.array, axes), _base(b.array, axes)
        if base is None or other is None or not np.array_equal(base, other, equal_nan=True):
            raise _Differs
        return Broadcast(base, dyn)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b):
        if type(a) is not type(b):
            raise _Differs
        merged = [_merge(p, q, n, n_other) for p, q in zip(a, b)]
        return (
            merged
            if isinstance(a, list)
            else type(a)(merged)
            if not hasattr(a, "_fields")
            else type(a)(*merged)
        )
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return {k: _merge(a[k], b[k], n, n_other) for k in a}
    if not _same(a, b):
        raise _Differs
    return a


def align(records, others, n, n_other):
    """Check the second trace against the first; returns the records (batch-following
    shapes as Dyn, batch-sized constants as Broadcast) and the problems [(op, where, why)]."""
    why_other = "another batch size or other values" if n != n_other else "other values"
    for i, (r, o) in enumerate(zip(records, others)):
        if r.kind != o.kind or r.key is not o.key:
            return records, [
                (
                    op_name(r),
                    r.where,
                    f"the model runs other ops for {why_other} (Python control flow on the input?)",
                )
            ]
        kwargs = dict(r.kwargs)
        param = _DYNAMIC.get(r.key) if r.kind == "op" else None
        if param and not _same(kwargs.get(param), o.kwargs.get(param)):
            dyn = _follow_batch(kwargs.get(param), o.kwargs.get(param), n, n_other)
            if dyn is None:
                return records, [
                    (
                        op_name(r),
                        r.where,
                        f"its shape {kwargs.get(param)} "
                        f"changes with {why_other} in a way the graph cannot follow",
                    )
                ]
            kwargs[param] = dyn
            o = o._replace(kwargs={**o.kwargs, param: dyn})
        try:
            args, kwargs = _merge((r.args, kwargs), (o.args, o.kwargs), n, n_other)
        except _Differs:
            return records, [
                (
                    op_name(r),
                    r.where,
                    f"an argument changes with {why_other}: it "
                    "depends on the input through code the exporter cannot see "
                    "(NumPy on .data, .item(), .tolist()); keep such values in "
                    "tensors and zennet ops, or export with dynamic_batch=False if "
                    "it follows the batch size",
                )
            ]
        records[i] = r._replace(args=args, kwargs=kwargs)
    if len(records) != len(others):
        where = (records or others)[min(len(records), len(others)) - 1].where
        return records, [("(model)", where, f"the model runs more or fewer ops for {why_other}")]
    return records, []


def outputs_of(out, recorder):
    """The model's output tensors, flattened, each as its Ref (or the Tensor if constant)."""
    if isinstance(out, Tensor):
        return [recorder.refs.get(id(out), out)]
    if isinstance(out, (tuple, list)):
        return [r for o in out for r in outputs_of(o, recorder)]
    raise TypeError(f"onnx.export: the model returned {type(out).__name__}; expected tensors.")
