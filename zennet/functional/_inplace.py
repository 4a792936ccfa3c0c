"""In-place variants (``x.add_(y)``, ``x[i] = v``) by a copy-on-write rule autograd can follow.

``x.op_(...)`` computes ``y = op(x, ...)`` out of place (reading a stand-in for x's
current value and graph node), then makes x *be* y:

- outside a graph (no_grad, or nothing requires grad) the result is written into x's own
  array, so views of it and optimizer updates see the change, as in PyTorch;
- inside a graph x takes y's array and y's place in the graph; the old array stays intact
  for the ops that saved it, so backward still sees the values they used;
- a tensor in a graph given a constant (``zero_``, ``fill_``) leaves the graph;
- a leaf that requires grad cannot change in place inside a graph: PyTorch refuses too.

The limit of the rule: an op that read x *before* it changed in place follows x's new
node in backward (PyTorch keeps the old one, or raises if it needed the old values).
Where that makes the graph loop (``y[0] = y[2] * 4``), backward raises and says to clone
first; where it does not (``z = y * 2; y.mul_(3)``), z's gradient goes through the change.
Change a tensor in place only before other ops read it, as masks are (``s[mask] = -inf``).
"""

from zennet.backend import array_module
from zennet.grad_mode import is_grad_enabled
from zennet.tensor import Tensor, tensor_method
from zennet.trace import rebound


def assign(op, x, result):
    """Make the tensor ``x`` hold ``result`` (same shape; cast to x's dtype); returns x."""
    if not isinstance(result, Tensor):
        result = Tensor(result)
    if result.shape != x.shape:
        raise RuntimeError(
            f"{op}: the result has shape {result.shape} but the tensor changed in place has "
            f"shape {x.shape}; an in-place op cannot change a tensor's shape (use the "
            f"out-of-place {op.rstrip('_')})."
        )
    if result.dtype != x.dtype and x.dtype.kind in "biu" and result.dtype.kind == "f":
        raise TypeError(
            f"{op}: the result is {result.dtype} and cannot be stored in the {x.dtype} tensor "
            f"changed in place; use the out-of-place {op.rstrip('_')} or convert with .float()."
        )
    rebound(x, result)  # a recorder (zn.onnx.export, zn.jit.trace) follows x to its new value
    if result.requires_grad:
        if x.is_leaf and x.requires_grad:
            raise RuntimeError(
                f"{op}: in-place assignment into a leaf tensor that requires grad would change "
                f"a graph input; wrap the update in zn.no_grad() or build a new tensor "
                f"(an out-of-place op, zn.where, zn.cat)."
            )
        if result.dtype != x.dtype:
            result = result.to(x.dtype)
        x.data, x._ctx, x._requires_grad = result.data, result._ctx, True
    elif x._ctx is not None and is_grad_enabled():  # a constant now: cut from the graph
        x.data, x._ctx, x._requires_grad = result.data, None, False
    else:
        x.data[...] = result.data
    return x


def shadow(x):
    """A stand-in for x's current value and place in the graph, for the out-of-place op to
    read: x itself is about to become the op's result, and the graph must not loop back
    into it."""
    if x._ctx is None and not x._requires_grad:
        return x
    stand_in = Tensor._from_op(x.data, x._ctx)
    stand_in._requires_grad = x._requires_grad
    return stand_in


def inplace_variant(fn, name=None):
    """Register ``fn``'s in-place Tensor method ``name`` (default ``fn.__name__ + "_"``)."""
    name = name or fn.__name__ + "_"

    def method(x, *args, **kwargs):
        before = shadow(x)
        args = [before if a is x else a for a in args]  # x.mul_(x) reads x twice
        return assign(name, x, fn(before, *args, **kwargs))

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In place: x = {fn.__name__}(x, ...) (see zennet/functional/_inplace.py)."
    tensor_method(method)
    return method


def fill(x, value):
    """A tensor shaped like x, every element ``value`` (``torch.fill``)."""
    xp = array_module(x.data)
    return Tensor._from_op(
        xp.full_like(x.data, value.item() if isinstance(value, Tensor) else value), None
    )


inplace_variant(fill)
tensor_method("zero_")(lambda x: assign("zero_", x, fill(x, 0)))
