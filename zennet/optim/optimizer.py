"""Optimizer: the parameter update W ← W - α·dW of training, for every parameter at once.

An optimizer holds ``param_groups`` (lists of parameters, each group with its own
learning rate and options, as in PyTorch) and ``state`` (per parameter: plain arrays
such as Adam's moments, and the step count). Each subclass supplies a small update
function of arrays whose docstring is its equations (sgd.py, adam.py, ...); ``step``
applies it in place to ``p.data`` with ``p.grad.data``, skipping parameters without a
gradient.
"""

import math
import numbers

from zennet.autograd import enable_grad
from zennet.backend import array_module, is_floating
from zennet.tensor import Tensor


class Optimizer:
    """Base class: parameter groups, state, ``zero_grad``, ``step`` and state dicts.

    A subclass defines ``_init_state(param, group)`` (the state of one parameter, a dict
    of arrays) and ``_update(param, grad, state, group)`` (one step on arrays, in place),
    lists the options that must be >= 0 in ``non_negative`` and may add checks in
    ``_check_group``. It may step a whole group at once by overriding ``_step_group(group)``
    (Adam does, in one compiled call, when it can).
    """

    non_negative = ("lr",)

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        self._scratch = {}
        groups = self._as_groups(params)
        if not groups:
            raise ValueError(
                f"{self._name}: got an empty parameter list. Pass model.parameters() of a "
                f"model that has parameters, or a non-empty list of tensors."
            )
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self):
        return type(self).__name__

    def _as_groups(self, params):
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params must be an iterable of tensors or of dicts (parameter "
                f"groups), got a single Tensor; wrap it in a list: [tensor]."
            )
        if hasattr(params, "named_parameters"):
            raise TypeError(f"{self._name}: got a Module; pass model.parameters() instead.")
        params = list(params)
        if params and not isinstance(params[0], dict):
            params = [{"params": params}]
        return params

    # ------------------------------------------------------------------ groups

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (missing ones come from defaults)."""
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, set):
            raise TypeError(
                f"{self._name}: parameters must be given in an ordered collection (a list), "
                f"not a set, whose order changes between runs."
            )
        group["params"] = params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{self._name} can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}."
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{self._name}: can't optimize a non-leaf Tensor (the result of an op); "
                    f"optimize the parameters it was computed from."
                )
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError(f"{self._name}: some parameters appear in more than one group.")
        self.param_groups.append(group)

    def _check_group(self, group):
        """Raise a ValueError naming the optimizer for an invalid hyperparameter."""
        for name in self.non_negative:
            value = group[name]
            if not _is_number(value):
                raise TypeError(
                    f"{self._name}: {name} must be a number, got {value!r} "
                    f"({type(value).__name__}); e.g. {name}=0.01."
                )
            if not value >= 0:
                raise ValueError(f"{self._name}: {name} must be >= 0, got {value}.")
            if value == math.inf:
                raise ValueError(f"{self._name}: {name} must be finite, got {value}.")

    def _params(self):
        return (p for group in self.param_groups for p in group["params"])

    # -------------------------------------------------------------------- step

    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set ``p.grad`` to None (or to zeros) for every parameter."""
        for p in self._params():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` re-computes the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group):
        """Update each parameter of ``group`` that has a gradient, one after another."""
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state.get(p)
            fresh = state is None
            if fresh:
                state = self._init_state(p.data, group)
            grad = -p.grad.data if group.get("maximize") else p.grad.data
            self._update(p.data, grad, state, group)
            if fresh and state:  # plain SGD keeps no state, as in PyTorch
                self.state[p] = state

    def _init_state(self, param, group):
        raise NotImplementedError

    def _update(self, param, grad, state, group):
        raise NotImplementedError

    def _workspace(self, like):
        """A scratch array shaped like ``like``, reused across parameters and steps, so an
        update makes no temporaries of parameter size. It is not state."""
        flat = self._scratch.get((type(like), like.dtype))
        if flat is None or flat.size < like.size:
            xp = array_module(like)
            flat = self._scratch[type(like), like.dtype] = xp.empty(like.size, dtype=like.dtype)
        return flat[: like.size].reshape(like.shape)

    # ------------------------------------------------------------------- state

    def state_dict(self):
        """``{"state": {index: {name: array or step}}, "param_groups": [{options, "params":
        [indices]}]}``, parameters numbered in group order as PyTorch does; arrays copied."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: _copy(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state saved by ``state_dict`` (from an optimizer over
        parameters of the same shapes, grouped the same way)."""
        saved_groups = state_dict["param_groups"]
        sizes = [len(g["params"]) for g in self.param_groups]
        saved_sizes = [len(g["params"]) for g in saved_groups]
        if sizes != saved_sizes:
            raise ValueError(
                f"{self._name}.load_state_dict: the saved optimizer has parameter groups of "
                f"sizes {saved_sizes}, this one {sizes}. Build the optimizer over the same "
                f"parameters, grouped the same way."
            )
        params = {
            i: p
            for saved, group in zip(saved_groups, self.param_groups)
            for i, p in zip(saved["params"], group["params"])
        }
        state = {}
        for key, saved in state_dict["state"].items():
            p = params[int(key)]
            state[p] = {name: self._restore(p, name, v) for name, v in saved.items()}
        self.state = state
        self.param_groups = [
            {**saved, "params": group["params"]}
            for saved, group in zip(saved_groups, self.param_groups)
        ]

    def _restore(self, param, name, value):
        if name == "step":
            return int(value)
        if getattr(value, "ndim", 0) == 0 and not isinstance(value, (list, tuple)):
            return float(value)  # a scalar of the state: NAdam's mu_product, ASGD's eta
        value = array_module(param).array(value, copy=True)
        if value.shape != param.shape:
            raise ValueError(
                f"{self._name}.load_state_dict: state {name!r} has shape {value.shape} but "
                f"its parameter has shape {param.shape}."
            )
        return value.astype(param.dtype) if is_floating(value.dtype) else value

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _copy(value):
    return value.copy() if getattr(value, "ndim", None) is not None else value


def _is_number(value):
    """A real number (Python or NumPy), not a bool or a string."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def refuse_torch_flags(name, capturable=False, differentiable=False, fused=None):
    """PyTorch's implementation switches: ``foreach`` is accepted and changes nothing (an
    update is already one pass per parameter); capturable (CUDA graphs), differentiable
    (graphs through the step) and fused kernels are refused by name."""
    for flag, value in (("capturable", capturable), ("differentiable", differentiable)):
        if value:
            raise NotImplementedError(f"{name}: {flag}=True is not supported.")
    if fused:
        raise NotImplementedError(f"{name}: fused=True is not supported (no fused kernels).")
