"""Module hooks: handles that remove them, and the identity ops that let a full backward
hook see a module's input and output gradients (as ``torch.nn.Module``'s BackwardHook).

A full backward hook ``hook(module, grad_input, grad_output)`` runs once the gradients
with respect to the module's tensor inputs are known. Its output tensors pass through an
identity op that records ``grad_output``; its inputs through one that collects
``grad_input`` and, when the last arrives, calls the hooks. A hook may return a tuple that
replaces ``grad_input`` (for a module with one tensor input that requires grad).
"""

from zennet.autograd import Function
from zennet.tensor import Tensor


class HookHandle:
    """Returned by every ``register_*_hook``; ``remove()`` takes the hook out again."""

    _next_id = 0

    def __init__(self, hooks, hook, extra=None):
        self.hooks, self.id = hooks, HookHandle._next_id
        HookHandle._next_id += 1
        hooks[self.id] = hook
        self.extra = extra  # a second table keyed by the same id (with_kwargs flags)
        if extra is not None:
            extra[self.id] = True

    def remove(self):
        self.hooks.pop(self.id, None)
        if self.extra is not None:
            self.extra.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _Record(Function):
    """y = x   |   dx = dy, after handing dy to ``call.output_grad``."""

    def forward(self, x, call, index):
        self.call, self.index = call, index
        return x

    def backward(self, dy):
        self.call.output_grad(self.index, dy)
        return dy


class _Collect(Function):
    """y = x   |   dx = dy, or what the backward hooks put in its place."""

    def forward(self, x, call, index):
        self.call, self.index = call, index
        return x

    def backward(self, dy):
        return self.call.input_grad(self.index, dy)


class BackwardCall:
    """One forward call of a module with full backward hooks: wraps its inputs and outputs
    and calls the hooks with (grad_input, grad_output) tuples of Tensors (None where absent)."""

    def __init__(self, module, hooks):
        self.module, self.hooks = module, hooks
        self.grad_inputs, self.grad_outputs = [], []
        self.waiting = self.outputs_waiting = 0

    def wrap_inputs(self, args):
        tensors = [a for a in args if isinstance(a, Tensor)]
        self.grad_inputs = [None] * len(tensors)
        wrapped, k = [], 0
        for a in args:
            if isinstance(a, Tensor):
                if a.requires_grad:
                    self.waiting += 1
                    a = _Collect.apply(a, call=self, index=k)
                k += 1
            wrapped.append(a)
        return tuple(wrapped)

    def wrap_outputs(self, out):
        single = isinstance(out, Tensor)
        outs = (out,) if single else tuple(out) if isinstance(out, (tuple, list)) else None
        if outs is None:
            return out
        self.grad_outputs = [None] * len(outs)
        self.outputs_waiting = sum(isinstance(o, Tensor) and o.requires_grad for o in outs)
        wrapped = tuple(
            _Record.apply(o, call=self, index=i) if isinstance(o, Tensor) and o.requires_grad else o
            for i, o in enumerate(outs)
        )
        return wrapped[0] if single else type(out)(wrapped)

    def output_grad(self, index, dy):
        self.grad_outputs[index] = Tensor(dy)
        self.outputs_waiting -= 1
        if not self.waiting and not self.outputs_waiting:
            self._call_hooks()  # no input wants a gradient: PyTorch calls the hooks now

    def input_grad(self, index, dx):
        self.grad_inputs[index] = Tensor(dx)
        self.waiting -= 1
        if self.waiting:
            return dx
        result = self._call_hooks()
        if result is None:
            return dx
        wanted = [g for g in result if g is not None]
        if len(self.grad_inputs) != 1 or len(wanted) != 1:
            raise NotImplementedError(
                f"register_full_backward_hook on {type(self.module).__name__}: replacing "
                f"grad_input is supported for a module with one tensor input; this one has "
                f"{len(self.grad_inputs)}. Return None from the hook instead."
            )
        return wanted[0].data if isinstance(wanted[0], Tensor) else wanted[0]

    def _call_hooks(self):
        result = None
        for hook in list(self.hooks.values()):
            grad_input = result if result is not None else tuple(self.grad_inputs)
            out = hook(self.module, grad_input, tuple(self.grad_outputs))
            if out is not None:
                result = tuple(out)
        return result


def call_with_hooks(module, args, kwargs):
    """``module(*args, **kwargs)`` with its forward pre-hooks, forward hooks and full
    backward hooks, in PyTorch's order."""
    with_kwargs = module._forward_pre_hooks_with_kwargs
    for key, hook in list(module._forward_pre_hooks.items()):
        if key in with_kwargs:
            result = hook(module, args, kwargs)
            if result is not None:
                args, kwargs = result
                args = args if isinstance(args, tuple) else (args,)
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    call = None
    if module._backward_hooks:
        call = BackwardCall(module, module._backward_hooks)
        args = call.wrap_inputs(args)
    out = module.forward(*args, **kwargs)
    with_kwargs = module._forward_hooks_with_kwargs
    for key, hook in list(module._forward_hooks.items()):
        if key in with_kwargs:
            result = hook(module, args, kwargs, out)
        else:
            result = hook(module, args, out)
        if result is not None:
            out = result
    return out if call is None else call.wrap_outputs(out)
