"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict, Identity."""

from collections import OrderedDict

from zennet.grad_mode import mode
from zennet.nn import fusion
from zennet.nn.module import Module, Parameter
from zennet.tensor import Tensor
from zennet.trace import report_while_recording


class Sequential(Module):
    """Modules applied one after another: Sequential(Linear(784, 128), ReLU(), Linear(128, 10))."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x):
        if mode.enabled or type(x) is not Tensor:
            return self._one_by_one(x)
        # no graph to record: a run of dense layers may go in one compiled call (nn/fusion.py)
        modules = tuple(self._modules.values())
        made = self.__dict__.get("_fused")
        if made is None or made[0] != modules:
            made = modules, fusion.plan(modules)
            object.__setattr__(self, "_fused", made)  # not a module, parameter or buffer
        for m in made[1]:
            x = m(x)
        return x

    def _one_by_one(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def _key(self, index):
        keys = list(self._modules)
        if not -len(keys) <= index < len(keys):
            raise IndexError(f"Sequential: index {index} out of range for {len(keys)} modules.")
        return keys[index]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def __setitem__(self, index, module):
        self.add_module(self._key(index), module)

    def __delitem__(self, index):
        delattr(self, self._key(index))

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self


report_while_recording(Sequential, "forward", Sequential._one_by_one)  # a tracer sees the ops


class ModuleList(Module):
    """A list of modules whose parameters are registered (names "0", "1", ...)."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        values = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(values[index])
        return values[index]

    def __setitem__(self, index, module):
        self.add_module(list(self._modules)[index], module)


class _DictOf:
    """The read side of a dict container over one of the module's tables (``_table``)."""

    _table = "_modules"

    def __contains__(self, key):
        return key in getattr(self, self._table)

    def __len__(self):
        return len(getattr(self, self._table))

    def __iter__(self):
        return iter(getattr(self, self._table))

    def keys(self):
        return getattr(self, self._table).keys()

    def values(self):
        return getattr(self, self._table).values()

    def items(self):
        return getattr(self, self._table).items()


class ModuleDict(_DictOf, Module):
    """A dict of modules whose parameters are registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        for name, m in (modules or {}).items():
            self.add_module(name, m)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)


def _as_parameter(value):
    """A Tensor that is not yet a Parameter becomes one (as PyTorch's ParameterList does)."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value.data, requires_grad=value.requires_grad)
    return value


class ParameterList(Module):
    """A list of parameters registered under "0", "1", ... (state-dict keys as PyTorch)."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        self.extend(values or ())

    def append(self, value):
        self.register_parameter(str(self._size), _as_parameter(value))
        self._size += 1
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def __len__(self):
        return self._size

    def __iter__(self):
        return (self._parameters[str(i)] for i in range(self._size))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ParameterList(list(self)[index])
        if not -self._size <= index < self._size:
            raise IndexError(f"ParameterList: index {index} out of range for {self._size}.")
        return self._parameters[str(index % self._size)]

    def __setitem__(self, index, value):
        self.register_parameter(str(index % self._size), _as_parameter(value))

    def extra_repr(self):
        return "\n".join(
            f"({i}): Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
            for i, p in enumerate(self)
        )


class ParameterDict(_DictOf, Module):
    """A dict of parameters registered under their keys (in insertion order)."""

    _table = "_parameters"

    def __init__(self, parameters=None):
        super().__init__()
        self.update(parameters or {})

    def update(self, parameters):
        items = parameters.items() if hasattr(parameters, "items") else parameters
        for key, value in items:
            self[key] = value

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value))

    def __delitem__(self, key):
        delattr(self, key)

    def get(self, key, default=None):
        return self._parameters.get(key, default)

    def pop(self, key):
        value = self._parameters[key]
        del self[key]
        return value


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. for a removed head)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
