"""The ONNX graph being built, the registry of layer converters, and the walk over a model.

A converter turns one zennet module into ONNX nodes:

    @register(nn.ReLU)
    def relu(g, module, name, x):        # x: a Value (its graph name, shape and dtype)
        return g.node("Relu", [x.name])  # the output's name in the graph

The walk runs each module on the example input first (so zennet's own checks speak
for a bad input, and every Value knows its shape), then calls its converter.
Containers (``children=`` given) convert their sub-modules through :func:`convert`
and return Values themselves.
"""

import contextlib
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from zennet.tensor import Tensor


class Value(NamedTuple):
    """A tensor in the graph: its name there, and the shape and dtype it has for the example."""

    name: str
    shape: tuple
    dtype: np.dtype

    @property
    def ndim(self):
        return len(self.shape)

    def renamed(self, name):
        return self._replace(name=name)


def call(module, x):
    """The default way to run a module: ``module(x)``."""
    return module(x)


class Converter(NamedTuple):
    convert: Callable  # (g, module, name, x: Value) -> output name(s), or Values for containers
    run: Callable = call  # (module, Tensor) -> zennet's output for the example
    children: Callable | None = None  # containers: module -> [(suffix, child)] it converts
    check: Callable | None = None  # module -> why its settings cannot be exported, or None


CONVERTERS = {}


def register(*types, run=call, children=None, check=None):
    """Register ``convert`` as the converter of each module class in ``types``."""

    def decorate(convert):
        for cls in types:
            CONVERTERS[cls] = Converter(convert, run, children, check)
        return convert

    return decorate


def lookup(module):
    """(converter, None), or (None, why the module cannot be exported)."""
    cls = type(module)
    for base in cls.__mro__:
        if base in CONVERTERS:
            if cls.forward is not base.forward:
                return None, f"overrides {base.__name__}.forward(), which the exporter cannot read"
            return CONVERTERS[base], None
    if not cls.__module__.startswith("zennet."):
        return None, (
            "a custom Module with its own forward(): the exporter converts the layers it knows, "
            "not Python code; build the model as nn.Sequential of supported layers"
        )
    return None, "no ONNX converter for this layer"


def key(name, attribute):
    """The state-dict key of ``attribute`` in the module called ``name``."""
    return f"{name}.{attribute}" if name else attribute


def _array(t):
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def _values(names, outputs):
    """Values from the converter's output name(s) and zennet's output(s), nested alike."""
    if isinstance(names, str):
        array = _array(outputs)
        return Value(names, tuple(array.shape), array.dtype)
    return tuple(_values(n, o) for n, o in zip(names, outputs, strict=True))


def convert(g, module, name, x):
    """Convert ``module`` (called ``name`` in the model) applied to the Value ``x``."""
    converter, _ = lookup(module)
    with g.scope(name or type(module).__name__):
        if converter.children is not None:
            return converter.convert(g, module, name, x)
        output = converter.run(module, Tensor(np.zeros(x.shape, x.dtype)))
        return _values(converter.convert(g, module, name, x), output)


class Graph:
    """Nodes and initializers; every name it hands out is unique."""

    def __init__(self, onnx, opset, dtype):
        self.onnx, self.opset, self.dtype = onnx, opset, np.dtype(dtype)
        self.nodes, self.initializers = [], {}
        self._scopes, self._used = [], set()

    @contextlib.contextmanager
    def scope(self, name):
        self._scopes.append(name)
        try:
            yield
        finally:
            self._scopes.pop()

    def reserve(self, *names):
        """Keep ``names`` (the graph's input and outputs) out of the names handed out."""
        self._used.update(names)

    def fresh(self, hint):
        """A new name: ``<module>/<hint>``, numbered if already used."""
        base = "/".join(self._scopes[-1:] + [hint])
        name, n = base, 0
        while name in self._used:
            n += 1
            name = f"{base}_{n}"
        self._used.add(name)
        return name

    def weight(self, name, array):
        """An initializer called ``name`` (a state-dict key) holding ``array``; added once."""
        if name not in self.initializers:
            array = np.array(_array(array), order="C")  # a copy; ascontiguousarray makes 0-d 1-d
            self.initializers[name] = self.onnx.numpy_helper.from_array(array, name)
            self._used.add(name)
        return name

    def const(self, values, dtype=None, hint="const"):
        """A constant tensor (an initializer); floats default to the model's dtype."""
        array = np.asarray(values, dtype=dtype or self.dtype)
        return self.weight(self.fresh(hint), array)

    def ints(self, values):
        """An int64 constant, as Reshape shapes, Slice bounds and Gather indices need."""
        return self.const(values, np.int64, "shape")

    def node(self, op, inputs, outputs=1, **attributes):
        """Append an ``op`` node; returns its output's name (a list when ``outputs`` > 1)."""
        names = [self.fresh(f"{op}" if outputs == 1 else f"{op}.{i}") for i in range(outputs)]
        node = self.onnx.helper.make_node(op, inputs, names, name=self.fresh(op), **attributes)
        self.nodes.append(node)
        return names[0] if outputs == 1 else names
