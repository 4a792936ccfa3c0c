"""Tensor: an ndarray that remembers how it was made, and the backward pass.

``Tensor.backward`` is the whole of reverse-mode differentiation: sort the graph
topologically (iteratively, so a chain of 10,000 ops is fine), then walk it in
reverse, asking each op for the gradients of its inputs and summing the
gradients of tensors that were used more than once.
"""

import numpy as np

from zennet.backend import get_default_dtype, is_floating, xp


def _as_array(data, dtype=None):
    """An ndarray for ``data``: NumPy arrays keep their dtype, Python floats become float32."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return xp.asarray(data, dtype=_np_dtype(dtype))
    if isinstance(data, np.ndarray):
        return data
    array = xp.asarray(data)
    if array.dtype == np.float64 and not isinstance(data, np.generic):
        array = array.astype(get_default_dtype())  # Python floats never make float64
    return array


def _np_dtype(dtype):
    """Accept NumPy dtypes, their names, and Python's float/int/bool."""
    if dtype is float:
        return get_default_dtype()
    return np.dtype(dtype)


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    >>> x = zn.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad.numpy()
    array([2., 4.], dtype=float32)
    """

    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "__weakref__")
    __array_ufunc__ = None  # NumPy defers `ndarray * Tensor` to Tensor.__rmul__
    __hash__ = object.__hash__  # elementwise __eq__ must not make tensors unhashable

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data = _as_array(data, dtype)
        self.grad = None
        self._ctx = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data, ctx):
        """Wrap an op's output; ``ctx`` is the op that made it (None outside a graph)."""
        t = Tensor.__new__(Tensor)
        t.data = data if type(data) is np.ndarray else xp.asarray(data)
        t.grad = None
        t._ctx = ctx
        t._requires_grad = ctx is not None
        return t

    # ----------------------------------------------------------------- autograd

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        """Ask for (or stop asking for) this tensor's gradient; returns self."""
        if requires_grad and not is_floating(self.data.dtype):
            raise TypeError(
                f"requires_grad_: only floating-point tensors can require gradients, "
                f"got dtype {self.data.dtype}. Convert it first with .float()."
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False) applies to leaf tensors only; use .detach() on "
                "the result of an op."
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    def detach(self):
        """The same data, cut from the graph (shares memory, like PyTorch)."""
        return Tensor._from_op(self.data, None)

    def backward(self, grad=None, retain_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``grad`` is the gradient of some scalar with respect to ``self``; it may be
        omitted only when ``self`` holds a single element (then it is 1).
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad and has no graph. Create the "
                "inputs with requires_grad=True (parameters do) and run outside no_grad()."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be omitted only for a single-element tensor; this one "
                    f"has shape {self.shape}. Reduce it first (e.g. loss.sum() or loss.mean()) "
                    f"or pass backward(grad) with a tensor of shape {self.shape}."
                )
            grad = xp.ones_like(self.data)
        else:
            grad = _as_array(grad)
            if grad.shape != self.data.shape:
                raise ValueError(
                    f"backward: grad has shape {grad.shape} but the tensor has shape "
                    f"{self.shape}; they must match."
                )
        _run_backward(self, grad, retain_graph)

    # ------------------------------------------------------------ array access

    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    def size(self, dim=None):
        """The shape (as PyTorch's ``size()``), or the length of dimension ``dim``."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    def numpy(self):
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def item(self):
        """The value of a single-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item: only a single-element tensor can be converted, got shape {self.shape}."
            )
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn={type(self._ctx).__name__}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def to(self, dtype):
        """A copy in ``dtype`` (differentiable for floating dtypes); ``to("cpu")`` is self."""
        if isinstance(dtype, str) and dtype == "cpu":
            return self
        return F.cast(self, _np_dtype(dtype))

    astype = to

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def clone(self):
        return F.clone(self)

    def contiguous(self):
        return self

    def copy_(self, other):
        """Overwrite the data in place (outside the graph), like ``torch.no_grad(): p.copy_(x)``."""
        source = _as_array(other)
        if source.shape != self.data.shape:
            raise ValueError(f"copy_: got shape {source.shape}, expected {self.shape}.")
        self.data[...] = source
        return self

    def zero_(self):
        self.data[...] = 0
        return self

    def fill_(self, value):
        self.data[...] = value
        return self

    # -------------------------------------------------------------- operators

    def __add__(self, other):
        return F.add(self, other)

    def __radd__(self, other):
        return F.add(other, self)

    def __sub__(self, other):
        return F.sub(self, other)

    def __rsub__(self, other):
        return F.sub(other, self)

    def __mul__(self, other):
        return F.mul(self, other)

    def __rmul__(self, other):
        return F.mul(other, self)

    def __truediv__(self, other):
        return F.div(self, other)

    def __rtruediv__(self, other):
        return F.div(other, self)

    def __neg__(self):
        return F.neg(self)

    def __pow__(self, exponent):
        return F.pow(self, exponent)

    def __rpow__(self, base):
        return F.pow(base, self)

    def __matmul__(self, other):
        return F.matmul(self, other)

    def __rmatmul__(self, other):
        return F.matmul(other, self)

    def __abs__(self):
        return F.abs(self)

    def __getitem__(self, index):
        return F.getitem(self, index)

    def __setitem__(self, index, value):
        if self._requires_grad:
            raise RuntimeError(
                "__setitem__: in-place assignment into a tensor that requires grad would "
                "corrupt its graph; build a new tensor (zn.where, zn.cat) or use no_grad on data."
            )
        self.data[_index_arrays(index)] = _as_array(value)

    # Comparisons give boolean tensors outside the graph.
    def __eq__(self, other):
        return Tensor._from_op(self.data == _as_array(other), None)

    def __ne__(self, other):
        return Tensor._from_op(self.data != _as_array(other), None)

    def __lt__(self, other):
        return Tensor._from_op(self.data < _as_array(other), None)

    def __le__(self, other):
        return Tensor._from_op(self.data <= _as_array(other), None)

    def __gt__(self, other):
        return Tensor._from_op(self.data > _as_array(other), None)

    def __ge__(self, other):
        return Tensor._from_op(self.data >= _as_array(other), None)

    def __invert__(self):
        return Tensor._from_op(~self.data, None)

    def __and__(self, other):
        return Tensor._from_op(self.data & _as_array(other), None)

    def __or__(self, other):
        return Tensor._from_op(self.data | _as_array(other), None)

    @property
    def T(self):
        return F.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return F.transpose(self, -2, -1)


def _index_arrays(index):
    """Replace Tensors inside an index with their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _topological_order(root):
    """Every tensor the root depends on (through tensors that require grad), inputs first."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        fn = node._ctx
        if fn is not None:
            if getattr(fn, "released", False):
                raise RuntimeError(
                    "backward: trying to go through the graph a second time; its saved arrays "
                    "were freed. Pass retain_graph=True to the first backward() if you need to."
                )
            for parent in fn.parents:
                if isinstance(parent, Tensor) and parent._requires_grad:
                    if id(parent) not in visited:
                        stack.append((parent, False))
    return order


def _owned(array, seen):
    """True when ``array`` can become a leaf's .grad without aliasing another gradient."""
    return array.base is None and array.flags.writeable and id(array) not in seen


def _run_backward(root, seed, retain_graph):
    from zennet.autograd import check_finite, is_anomaly_enabled, unbroadcast

    anomaly = is_anomaly_enabled()
    grads = {id(root): seed}
    seen = {id(seed)}  # arrays already handed to a leaf (or owned by the caller)
    for node in reversed(_topological_order(root)):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        fn = node._ctx
        if fn is None:  # a leaf: accumulate into .grad
            if node.grad is None:
                if grad.dtype != node.data.dtype:
                    grad = grad.astype(node.data.dtype)
                elif not _owned(grad, seen):
                    grad = grad.copy()
                seen.add(id(grad))
                node.grad = Tensor._from_op(grad, None)
            else:
                node.grad.data += grad
            continue
        input_grads = fn.backward(grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if anomaly:
            check_finite(fn, "backward", input_grads)
        for parent, needed, g in zip(fn.parents, fn.needs_input_grad, input_grads):
            if not needed or g is None:
                continue
            if type(g) is not np.ndarray:
                g = xp.asarray(g)
            if g.dtype != parent.data.dtype:  # a gradient has its tensor's dtype, as in PyTorch
                g = g.astype(parent.data.dtype)
            if g.shape != parent.data.shape:
                g = unbroadcast(g, parent.data.shape)
            previous = grads.get(id(parent))
            grads[id(parent)] = g if previous is None else previous + g
        if not retain_graph:
            fn.release()


# Bound last: the op modules import Tensor from this module.
from zennet import functional as F  # noqa: E402

# Tensor methods that are the functional API with the tensor first: x.sum(1) is F.sum(x, 1).
for _name in (
    "add sub mul div neg pow exp log sqrt abs clamp clip maximum minimum matmul "
    "sum mean var std max min amax amin logsumexp argmax argmin "
    "reshape view flatten transpose permute squeeze unsqueeze expand broadcast_to repeat "
    "split chunk relu sigmoid tanh softmax log_softmax"
).split():
    setattr(Tensor, _name, getattr(F, _name))
