"""Tensor: an ndarray that remembers how it was made, and the backward pass.

``Tensor.backward`` is the whole of reverse-mode differentiation: sort the graph
topologically (iteratively, so a chain of 10,000 ops is fine), then walk it in
reverse, asking each op for the gradients of its inputs and summing the
gradients of tensors that were used more than once.
"""

import numpy as np

from zennet import kernels
from zennet.backend import (
    CPU,
    array_module,
    device_of,
    get_default_dtype,
    is_floating,
    unbroadcast,
)
from zennet.grad_mode import check_finite, mode
from zennet.trace import traced


def _as_array(data, dtype=None):
    """An array for ``data``: arrays keep their device and dtype, Python floats become
    float32 (the default dtype) on the CPU."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return array_module(data).asarray(data, dtype=_np_dtype(dtype))
    if isinstance(data, np.ndarray) or device_of(data) is not CPU:
        return data
    array = np.asarray(data)
    if array.dtype == np.float64 and not isinstance(data, np.generic):
        array = array.astype(get_default_dtype())  # Python floats never make float64
    return array


def _np_dtype(dtype):
    """Accept NumPy dtypes, their names, and Python's float/int/bool."""
    if dtype is float:
        return get_default_dtype()
    return np.dtype(dtype)


def tensor_method(*names):
    """Attach the decorated function to :class:`Tensor` as a method, under its own name or
    ``names``: the layer that defines an op makes it a method, so tensor.py lists none.

    >>> @tensor_method("view", "reshape")
    ... def reshape(x, *shape): ...
    """
    if len(names) == 1 and callable(names[0]):
        return tensor_method()(names[0])

    def attach(fn):
        for name in names or (fn.__name__,):
            setattr(Tensor, name, fn)
        return fn

    return attach


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    >>> x = zn.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad.numpy()
    array([2., 4.], dtype=float32)
    """

    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "_hooks", "__weakref__")
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
        if type(data) is not np.ndarray and device_of(data) is CPU:
            data = np.asarray(data)
        t.data = data
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

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient during backward; a Tensor it
        returns replaces the gradient. Returns a handle whose ``remove()`` undoes it."""
        if not self._requires_grad:
            raise RuntimeError(
                "register_hook: the tensor does not require grad, so no gradient will reach "
                "the hook; create it with requires_grad=True."
            )
        hooks = getattr(self, "_hooks", None)
        if hooks is None:
            hooks = self._hooks = []
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def retain_grad(self):
        """Keep this (non-leaf) tensor's gradient in ``.grad`` after backward."""
        if self._ctx is None:  # a leaf keeps its gradient anyway
            return
        if any(getattr(h, "retains", False) for h in getattr(self, "_hooks", None) or ()):
            return

        def keep(grad):
            _store_grad(self, grad)

        keep.retains = True
        self.register_hook(keep)

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    def detach(self):
        """The same data, cut from the graph (shares memory, like PyTorch)."""
        return Tensor._from_op(self.data, None)

    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``grad`` is the gradient of some scalar with respect to ``self``; it may be
        omitted only when ``self`` holds a single element (then it is 1). With
        ``create_graph=True`` the gradients are built from differentiable ops, so each
        ``leaf.grad`` has a graph of its own and can be differentiated again (second
        derivatives); the graph is then kept unless ``retain_graph=False``.
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
            seed = array_module(self.data).ones_like(self.data)
        else:
            seed = self.device.put(_as_array(grad))
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"backward: grad has shape {seed.shape} but the tensor has shape "
                    f"{self.shape}; they must match."
                )
        retain_graph = create_graph if retain_graph is None else retain_graph
        if create_graph:
            graph_seed = grad if isinstance(grad, Tensor) else Tensor._from_op(seed, None)
            _run_backward_graph(self, graph_seed, retain_graph)
        else:
            _run_backward(self, seed, retain_graph)

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

    @property
    def device(self):
        """The device the data lives on: ``device(type='cpu')`` or ``device(type='cuda')``."""
        return device_of(self.data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def size(self, dim=None):
        """The shape (as PyTorch's ``size()``), or the length of dimension ``dim``."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self):
        return self.data.size

    def dim(self):
        return self.data.ndim

    def numpy(self):
        """The underlying ndarray (shared, not copied); a CPU tensor's only, as in PyTorch."""
        if type(self.data) is not np.ndarray and self.device is not CPU:
            raise TypeError(
                f"numpy: the tensor is on {self.device}; copy it to host memory first with "
                f".cpu().numpy()."
            )
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
        if type(self.data) is not np.ndarray:
            return np.asarray(self.device.to_host(self.data), dtype=dtype)
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
        body = np.array2string(np.asarray(self), separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype not in (np.float32, np.int64, np.bool_):
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn={type(self._ctx).__name__}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        if self.device is not CPU:
            extra = f", device='{self.device}'" + extra
        return f"tensor({body}{extra})"

    def contiguous(self):
        return self

    def copy_(self, other):
        """Overwrite the data in place (outside the graph), like ``torch.no_grad(): p.copy_(x)``."""
        source = self.device.put(_as_array(other))
        if source.shape != self.data.shape:
            raise ValueError(f"copy_: got shape {source.shape}, expected {self.shape}.")
        self.data[...] = source
        return self

    # Comparisons give boolean tensors outside the graph.
    @traced("eq")
    def __eq__(self, other):
        return Tensor._from_op(self.data == _as_array(other), None)

    @traced("ne")
    def __ne__(self, other):
        return Tensor._from_op(self.data != _as_array(other), None)

    @traced("lt")
    def __lt__(self, other):
        return Tensor._from_op(self.data < _as_array(other), None)

    @traced("le")
    def __le__(self, other):
        return Tensor._from_op(self.data <= _as_array(other), None)

    @traced("gt")
    def __gt__(self, other):
        return Tensor._from_op(self.data > _as_array(other), None)

    @traced("ge")
    def __ge__(self, other):
        return Tensor._from_op(self.data >= _as_array(other), None)

    @traced("bitwise_not")
    def __invert__(self):
        return Tensor._from_op(~self.data, None)

    @traced("bitwise_and")
    def __and__(self, other):
        return Tensor._from_op(self.data & _as_array(other), None)

    @traced("bitwise_or")
    def __or__(self, other):
        return Tensor._from_op(self.data | _as_array(other), None)


class _HookHandle:
    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _store_grad(tensor, grad):
    tensor.grad = grad.detach() if tensor.grad is None else tensor.grad + grad.detach()


def _runs_last(hook):
    return getattr(hook, "retains", False)


def _call_hooks(node, grad):
    """Run node's hooks on its gradient array; returns the (maybe replaced) array.
    retain_grad's hook runs last, so .grad holds what the other hooks made (as PyTorch)."""
    for hook in sorted(node._hooks, key=_runs_last):
        replaced = hook(Tensor._from_op(grad, None))
        if replaced is not None:
            grad = _as_array(replaced)
    return grad


def _index_arrays(index):
    """Replace Tensors inside an index with their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _topological_order(root):
    """Every tensor the root depends on (through tensors that require grad), inputs first."""
    order, visited, done = [], set(), set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            done.add(id(node))
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
                    elif id(parent) not in done:  # on the current path: the graph loops
                        raise RuntimeError(
                            "backward: the graph loops through a tensor that was changed in "
                            "place after an op read it (x[i] = f(x), x.op_() on a tensor "
                            "another op used); take a copy first: x = x.clone()."
                        )
    return order


def _owned(array, seen):
    """True when ``array`` can become a leaf's .grad without aliasing another gradient."""
    writeable = getattr(array.flags, "writeable", True)
    return array.base is None and writeable and id(array) not in seen


def _run_backward(root, seed, retain_graph, captured=None):
    """Back-propagate ``seed`` from root; with ``captured`` (a dict of id -> None) the
    gradients of those tensors are stored there instead of in any leaf's .grad. BLAS is
    held to one thread for the pass while zennet cuts its calls across threads (zennet.parallel)."""
    held = kernels.hold_blas()
    try:
        _backward_pass(root, seed, retain_graph, captured)
    finally:
        kernels.release_blas(held)


def _backward_pass(root, seed, retain_graph, captured):
    anomaly = mode.anomaly
    grads = {id(root): seed}
    seen = {id(seed)}  # arrays already handed to a leaf (or owned by the caller)
    for node in reversed(_topological_order(root)):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        if getattr(node, "_hooks", None):
            grad = _call_hooks(node, grad)
        fn = node._ctx
        if captured is not None:
            if id(node) in captured:
                captured[id(node)] = grad
            if fn is None:
                continue
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
                g = array_module(parent.data).asarray(g)
            if g.dtype != parent.data.dtype:  # a gradient has its tensor's dtype, as in PyTorch
                g = g.astype(parent.data.dtype)
            if g.shape != parent.data.shape:
                g = unbroadcast(g, parent.data.shape)
            previous = grads.get(id(parent))
            grads[id(parent)] = g if previous is None else previous + g
        if not retain_graph:
            fn.release()


def is_tensor(obj):
    """True for a zennet Tensor (``torch.is_tensor``)."""
    return isinstance(obj, Tensor)


def numel(x):
    """The number of elements of x (``torch.numel``)."""
    return x.numel()


# ------------------------------------------------- the backward pass on Tensors


def sum_to_shape(grad, shape):
    """``unbroadcast`` for a gradient Tensor: sum it back to ``shape`` with differentiable
    ops (the leading axes broadcasting added, and the axes that grew from length 1)."""
    if grad.shape == tuple(shape):
        return grad
    lead = grad.ndim - len(shape)
    grown = [lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1]
    axes = tuple(range(lead)) + tuple(grown)
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    return grad.reshape(tuple(shape))


def _ops_with_graph_backward(fn):
    """The names of the ops that have a ``backward_graph``, for the error message."""
    base = type(fn).__mro__[-2]  # the Function base class (the engine cannot import it)
    found, stack = set(), list(base.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if getattr(cls, "backward_graph", None) is not None:
            found.add(cls.__name__)
    return ", ".join(sorted(found))


def _graph_backward_of(fn):
    backward_graph = getattr(fn, "backward_graph", None)
    if backward_graph is None:
        raise NotImplementedError(
            f"create_graph=True: {type(fn).__name__} has no differentiable backward yet, so "
            f"its gradient cannot be differentiated again. Ops that have one: "
            f"{_ops_with_graph_backward(fn)}."
        )
    return backward_graph


def _run_backward_graph(root, seed, retain_graph, captured=None):
    """``_run_backward`` with Tensors for gradients (``create_graph=True``): the same walk,
    but each op's ``backward_graph`` builds its input gradients from differentiable ops,
    so the gradients carry a graph and can be differentiated again."""
    from zennet.grad_mode import enable_grad

    order = _topological_order(root)
    for node in order:  # refuse before any .grad changes
        if node._ctx is not None:
            _graph_backward_of(node._ctx)
    grads = {id(root): seed}
    with enable_grad():
        for node in reversed(order):
            grad = grads.pop(id(node), None)
            if grad is None:
                continue
            for hook in sorted(getattr(node, "_hooks", None) or (), key=_runs_last):
                replaced = hook(grad)
                grad = grad if replaced is None else replaced
            fn = node._ctx
            if captured is not None:
                if id(node) in captured:
                    captured[id(node)] = grad
                if fn is None:
                    continue
            if fn is None:  # a leaf: .grad keeps the graph (accumulated out of place)
                node.grad = grad.clone() if node.grad is None else node.grad + grad
                continue
            input_grads = fn.backward_graph(grad, node)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if mode.anomaly:
                check_finite(fn, "backward", [g.data for g in input_grads if g is not None])
            for parent, needed, g in zip(fn.parents, fn.needs_input_grad, input_grads):
                if not needed or g is None:
                    continue
                if g.dtype != parent.data.dtype:
                    g = g.to(parent.data.dtype)
                g = sum_to_shape(g, parent.data.shape)
                previous = grads.get(id(parent))
                grads[id(parent)] = g if previous is None else previous + g
            if not retain_graph:
                fn.release()
