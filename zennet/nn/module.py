"""Module: a layer or a model. Parameters, buffers and sub-modules register themselves
in the order they are assigned, so state-dict keys match PyTorch's ("layers.0.weight")."""

from collections import OrderedDict

import numpy as np

from zennet.backend import is_floating
from zennet.functional.convert import to_arguments
from zennet.grad_mode import no_grad
from zennet.nn import hooks
from zennet.tensor import Tensor, _as_array
from zennet.trace import report_while_recording
from zennet.trace import state as _trace


class Parameter(Tensor):
    """A tensor that a Module learns: requires_grad by default; floating (float32 unless
    given another floating dtype), on the device of the data it is given."""

    def __init__(self, data, requires_grad=True):
        data = _as_array(data)
        if not is_floating(data.dtype):
            data = data.astype(np.float32)
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


_HOOK_TABLES = (
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_backward_hooks",
)


def _call(module, args, kwargs):
    """A module call as Module.__call__ makes it (for a recorder that lets it run)."""
    if not (module._forward_hooks or module._forward_pre_hooks or module._backward_hooks):
        return module.forward(*args, **kwargs)
    return hooks.call_with_hooks(module, args, kwargs)


class Module:
    """Base class of every layer and model; subclasses define ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        for table in _HOOK_TABLES:
            object.__setattr__(self, table, OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() before assigning attributes."
            )
        if isinstance(value, Parameter):
            table = self._parameters
        elif isinstance(value, Module):
            table = self._modules
        elif name in self._parameters and value is None:
            table = self._parameters  # e.g. bias=None stays a known, absent parameter
        elif name in self._buffers and (value is None or isinstance(value, Tensor)):
            table = self._buffers
        else:
            table = None
        for other in (self._parameters, self._buffers, self._modules):
            if other is not table:
                other.pop(name, None)
        if table is None:
            object.__setattr__(self, name, value)
        else:
            self._register(table, name, value)

    def _register(self, table, name, value):
        """Put ``value`` in ``table`` (the registry that parameters() and state_dict walk).

        A parameter or buffer is mirrored in the instance's __dict__ too, so that reading
        ``self.weight`` in a forward pass is a plain attribute look-up: a failed look-up
        followed by __getattr__ costs about 30 times more, and a batch-1 forward pass
        reads a few per layer. setattr, delattr and register_* keep table and mirror in
        step; write these two tables through them. Sub-modules are not mirrored (code
        such as nn.transfer may swap ``_modules`` entries directly), and neither is a
        name the class itself uses (a method), which stays reachable through the table."""
        table[name] = value
        if table is self._modules or hasattr(type(self), name):
            self.__dict__.pop(name, None)
        else:
            self.__dict__[name] = value

    def __getattr__(self, name):  # only called when normal lookup fails
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self.__dict__.pop(name, None)  # the mirror (see _register)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        """Register ``param`` (or None, for an absent optional parameter such as a bias)."""
        self._register(self._parameters, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that is state but not learned (running statistics); saved in state_dict."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(np.asarray(tensor))
        self._register(self._buffers, name, tensor)
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)

    def add_module(self, name, module):
        self._register(self._modules, name, module)

    # ----------------------------------------------------------------- walking

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) pairs, this module first ("") then its descendants depth first;
        a module reached twice (shared) is yielded once unless ``remove_duplicate=False``."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                path = f"{prefix}.{name}" if prefix else name
                yield from child.named_modules(memo, path, remove_duplicate)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, parameter) pairs in registration order, each parameter once (unless
        ``remove_duplicate=False``: a shared one under each of its names)."""
        seen = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_name, module in modules:
            for name, p in module._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield (f"{module_name}.{name}" if module_name else name), p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True):
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{module_name}.{name}" if module_name else name), b

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module (children first) and then on this one,
        as ``torch.nn.Module.apply`` (e.g. ``model.apply(init_weights)``); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def get_submodule(self, target):
        """The sub-module at the dotted path ``target`` ("encoder.layers.0"); "" is self."""
        module = self
        for i, name in enumerate(target.split(".") if target else []):
            child = module._modules.get(name)
            if child is None:
                where = ".".join(target.split(".")[:i]) or "the model"
                raise AttributeError(
                    f"{type(self).__name__}.get_submodule({target!r}): {where} "
                    f"({type(module).__name__}) has no sub-module {name!r}; it has "
                    f"{list(module._modules)}."
                )
            module = child
        return module

    def get_parameter(self, target):
        """The parameter at the dotted path ``target`` ("layers.0.weight")."""
        return self._get_tensor("get_parameter", "_parameters", target)

    def get_buffer(self, target):
        """The buffer at the dotted path ``target`` ("bn.running_mean")."""
        return self._get_tensor("get_buffer", "_buffers", target)

    def _get_tensor(self, method, table, target):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        entries = getattr(module, table)
        if name not in entries:
            raise AttributeError(
                f"{type(self).__name__}.{method}({target!r}): {type(module).__name__} has no "
                f"{table[1:-1]} {name!r}; it has {list(entries)}."
            )
        return entries[name]

    # ------------------------------------------------------------------- modes

    def train(self, mode=True):
        """Set training mode (dropout active, batch norm uses batch statistics) here and below."""
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze every parameter of this module."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def to(self, *args, **kwargs):
        """Move and/or cast every parameter, buffer and gradient in place, as
        ``torch.nn.Module.to``: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
        ``to(tensor)``. Only floating tensors change dtype (a step counter stays int64);
        parameters stay the same objects, so an optimizer made before still holds them.

        >>> model.to(zn.float64)      # every weight and running statistic in float64
        """
        device, dtype = to_arguments(*args, **kwargs)

        def convert(t):
            wanted = dtype if dtype is not None and is_floating(t.dtype) else None
            with no_grad():
                return t.to(device=device, dtype=wanted).data

        return self._apply(convert)

    def _apply(self, convert):
        """Replace the array of every parameter, buffer and gradient by ``convert(tensor)``."""
        for module in self.modules():
            for t in list(module._parameters.values()) + list(module._buffers.values()):
                if t is not None:
                    t.data = convert(t)
                    if t.grad is not None:
                        t.grad.data = convert(t.grad)
        return self

    def double(self):
        return self.to("float64")

    def float(self):
        return self.to("float32")

    def type(self, dst_type):
        """Cast every floating parameter and buffer to ``dst_type`` (a dtype or its name)."""
        return self.to(dtype=dst_type)

    def half(self):
        return self.to("float16")

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    # ----------------------------------------------------------------- calling

    def __call__(self, *args, **kwargs):
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks):
            return self.forward(*args, **kwargs)
        return hooks.call_with_hooks(self, args, kwargs)

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each forward (``hook(module, args, kwargs)``
        with ``with_kwargs``); a non-None result replaces the arguments (a tuple, or
        ``(args, kwargs)`` with ``with_kwargs``). Returns a handle with ``remove()``."""
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """Call ``hook(module, args, output)`` after each forward (``hook(module, args,
        kwargs, output)`` with ``with_kwargs``); a non-None result replaces the output.
        Returns a handle whose ``remove()`` unregisters the hook (as PyTorch)."""
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs)

    def register_full_backward_hook(self, hook, prepend=False):
        """Call ``hook(module, grad_input, grad_output)`` when the gradients with respect to
        the module's tensor inputs are computed (tuples of Tensors, None where absent); a
        non-None result replaces grad_input. See zennet/nn/hooks.py."""
        return self._add_hook("_backward_hooks", hook, prepend, False)

    def register_backward_hook(self, hook):
        raise NotImplementedError(
            f"{type(self).__name__}.register_backward_hook is deprecated in PyTorch and not "
            f"supported; use register_full_backward_hook (same hook signature)."
        )

    def _add_hook(self, table, hook, prepend, with_kwargs):
        hooks_ = getattr(self, table)
        flags = getattr(self, table + "_with_kwargs") if with_kwargs else None
        handle = hooks.HookHandle(hooks_, hook, flags)
        if prepend:
            hooks_.move_to_end(handle.id, last=False)
        return handle

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward().")

    # ------------------------------------------------------------------ state

    def state_dict(self):
        """Flat ``{"layers.0.weight": ndarray}``: parameters and persistent buffers, copied."""
        state = OrderedDict()
        for module_name, module in self.named_modules(remove_duplicate=False):
            skip = module.__dict__.get("_non_persistent", set())
            entries = list(module._parameters.items()) + [
                (n, b) for n, b in module._buffers.items() if n not in skip
            ]
            for name, t in entries:
                if t is not None:
                    state[f"{module_name}.{name}" if module_name else name] = t.data.copy()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays into this module's parameters and buffers, checking names and shapes.

        With ``strict`` every key must match; all problems are reported in one error.
        """
        own = self._state_tensors()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = [
            f"{k}: file has {tuple(np.shape(v))}, model has {own[k].shape}"
            for k, v in state_dict.items()
            if k in own and tuple(np.shape(v)) != own[k].shape
        ]
        problems = []
        if mismatched:
            problems.append("shape mismatches: " + "; ".join(mismatched))
        if strict and missing:
            problems.append(f"missing keys: {missing}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {unexpected}")
        if problems:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state dict does not fit this model "
                f"({'; '.join(problems)}). Is it from a different architecture?"
            )
        for key, value in state_dict.items():
            if key in own:
                value = value.data if isinstance(value, Tensor) else _as_array(value)
                own[key].data[...] = own[key].device.put(value)
        return missing, unexpected

    def _state_tensors(self):
        tensors = OrderedDict()
        for module_name, module in self.named_modules(remove_duplicate=False):
            skip = module.__dict__.get("_non_persistent", set())
            for name, t in list(module._parameters.items()) + list(module._buffers.items()):
                if t is not None and name not in skip:
                    tensors[f"{module_name}.{name}" if module_name else name] = t
        return tensors

    # ------------------------------------------------------------------ display

    def summary(self, input_shape, dtype="float32", print_fn=print):
        """Print (and return) a Keras-style table: each layer's output shape and parameters.

        ``input_shape`` is one sample's shape, without the batch dimension (``(1, 28, 28)``).
        See zennet/nn/summary.py.
        """
        from zennet.nn.summary import summary

        return summary(self, input_shape, dtype=dtype, print_fn=print_fn)

    def _repr_html_(self):
        """Jupyter's view: a table of the layers, their parameter shapes and counts."""
        from zennet.nn.html import module_html

        return module_html(self)

    def extra_repr(self):
        return ""

    def __repr__(self):
        """PyTorch's layout: ``Linear(in_features=784, out_features=10, bias=True)``, and one
        indented ``(name): child`` line per sub-module."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({n}): " + repr(m).replace("\n", "\n  ") for n, m in self.named_children()]
        if len(lines) == 1 and not children:
            return f"{type(self).__name__}({lines[0]})"
        if not lines and not children:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines + children) + "\n)"


def _reporting_call(self, *args, **kwargs):
    """Module.__call__ while a recorder listens (zennet/trace.py): the recorder runs the
    call, so that a layer with a converter of its own can be recorded whole."""
    return _trace.recorder.module(self, _call, args, kwargs)


report_while_recording(Module, "__call__", _reporting_call)
