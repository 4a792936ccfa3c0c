"""zn.onnx.export: write a zennet model as an ONNX file, for onnxruntime and friends.

    zn.onnx.export(model, x[:1], "model.onnx")            # pip install zennet[onnx]
    session = onnxruntime.InferenceSession("model.onnx")
    session.run(None, {"input": x})[0]                    # == model.eval()(x)

The model is read structurally, module by module, through the registry of converters
(zennet/onnx/graph.py): nn.Sequential and nn.TransformerEncoder are walked, every other
module must be a registered layer. Python code is not traced, so a custom Module with its
own forward() cannot be exported; all such modules are listed in one ValueError before
anything is written. The graph computes the model in eval mode (dropout off, batch norm
with its running statistics); the model's own modes are restored afterwards.
"""

import os

import numpy as np

from zennet.autograd import no_grad
from zennet.io import atomic_write
from zennet.nn.module import Module
from zennet.onnx import layers, sequence, spatial  # noqa: F401  (they register the converters)
from zennet.onnx.graph import CONVERTERS, Graph, Value, convert, lookup
from zennet.tensor import Tensor
from zennet.version import __version__

MIN_OPSET = 17  # LayerNormalization


def _import_onnx():
    try:
        import onnx
        import onnx.numpy_helper
    except ImportError as err:
        raise ImportError(
            "zn.onnx.export needs the onnx package: `pip install zennet[onnx]` (or "
            "`pip install onnx onnxruntime`)."
        ) from err
    return onnx


def unsupported(model):
    """[(name, type name, why)] for every module the exporter cannot convert."""
    found = []

    def visit(module, name):
        converter, why = lookup(module)
        if converter is not None and converter.check is not None:
            why = converter.check(module)
        if why is not None:
            found.append((name or "(the model itself)", type(module).__name__, why))
        elif converter.children is not None:
            for suffix, child in converter.children(module):
                visit(child, f"{name}.{suffix}" if name else suffix)

    visit(model, "")
    return found


def _refuse(problems):
    listed = "\n".join(f"  {name} ({kind}): {why}" for name, kind, why in problems)
    supported = ", ".join(sorted(cls.__name__ for cls in CONVERTERS))
    raise ValueError(
        f"onnx.export: {len(problems)} module(s) cannot be exported to ONNX; nothing was "
        f"written:\n{listed}\nSupported layers: {supported}."
    )


def _batch_axis(model, dynamic_batch, ndim):
    """Which input axis is the batch: an int given, else 1 when the first sequence layer
    (RNN, attention) takes (seq, batch, ...) input, else 0."""
    if dynamic_batch is True:
        first = next((m for m in model.modules() if hasattr(m, "batch_first")), None)
        dynamic_batch = 1 if first is not None and not first.batch_first and ndim == 3 else 0
    if isinstance(dynamic_batch, bool) or not -ndim <= dynamic_batch < ndim:
        raise ValueError(
            f"onnx.export: dynamic_batch must be True, False or an axis of the {ndim}-D "
            f"example input, got {dynamic_batch!r}."
        )
    return dynamic_batch % ndim


def _flat(outputs):
    if isinstance(outputs, Value):
        return [outputs]
    return [v for o in outputs for v in _flat(o)]


def _dynamic_dims(model, x, axis, outputs):
    """For each output, the axes whose size follows the batch size (found by running the
    model on one more sample)."""
    bigger = np.zeros(x.shape[:axis] + (x.shape[axis] + 1,) + x.shape[axis + 1 :], x.dtype)
    converter, _ = lookup(model)
    with no_grad():
        probe = _flat(_values_of(converter.run(model, Tensor(bigger))))
    return [[a for a in range(v.ndim) if v.shape[a] != p.shape[a]] for v, p in zip(outputs, probe)]


def _values_of(out):
    if isinstance(out, Tensor):
        return Value("", out.shape, out.dtype)
    return tuple(_values_of(o) for o in out)


def _names(output_names, outputs):
    names = list(output_names)[: len(outputs)]
    names += [f"{names[0] if names else 'output'}_{i}" for i in range(len(names), len(outputs))]
    return names


def _build(onnx, model, x, dtype, opset, input_name, output_names, axis):
    g = Graph(onnx, opset, dtype)
    g.reserve(input_name, *output_names)
    with no_grad():
        outputs = _flat(convert(g, model, "", Value(input_name, x.shape, x.dtype)))
    names = _names(output_names, outputs)
    if len(set(names)) < len(names) or input_name in names:
        raise ValueError(
            f"onnx.export: the input and output names must all differ; got input "
            f"{input_name!r} and outputs {names}."
        )
    for value, name in zip(outputs, names):  # one Identity each gives the outputs their names
        g.nodes.append(onnx.helper.make_node("Identity", [value.name], [name], name=name))
    dynamic = _dynamic_dims(model, x, axis, outputs) if axis is not None else [[]] * len(outputs)

    def info(name, value, dynamic_axes):
        shape = ["batch" if a in dynamic_axes else n for a, n in enumerate(value.shape)]
        element = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(value.dtype))
        return onnx.helper.make_tensor_value_info(name, element, shape)

    graph = onnx.helper.make_graph(
        g.nodes,
        "zennet",
        [info(input_name, Value(input_name, x.shape, x.dtype), [] if axis is None else [axis])],
        [info(n, v, d) for n, v, d in zip(names, outputs, dynamic)],
        initializer=list(g.initializers.values()),
    )
    opsets = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(
        graph, opset_imports=opsets, producer_name="zennet", producer_version=__version__
    )
    proto.ir_version = onnx.helper.find_min_ir_version_for(opsets)
    return proto


def export(model, example_input, path, opset=17, input_names=("input",),
           output_names=("output",), dynamic_batch=True):  # fmt: skip
    """Write ``model`` (in eval mode) applied to inputs like ``example_input`` as ONNX to ``path``.

    Only the example's shape and dtype matter; a float example takes the dtype of the
    model's parameters.
    opset: the ONNX opset, at least 17 (LayerNormalization).
    input_names: the graph input's name (the model takes one input).
    output_names: the outputs' names; a model with more outputs than names (an LSTM gives
        output, h_n and c_n) gets "<first name>_1", ... for the rest.
    dynamic_batch: True makes the batch axis symbolic ("batch"): axis 0, or 1 when the
        first RNN/attention layer takes (seq, batch, ...) input; an int names the axis;
        False keeps every size fixed.
    The file is written atomically. Raises ImportError without the onnx package, and a
    ValueError listing every module that cannot be exported (docs/interop.md lists the
    supported layers).
    """
    onnx = _import_onnx()
    if not isinstance(model, Module):
        raise TypeError(f"onnx.export: expected a zennet nn.Module, got {type(model).__name__}.")
    highest = onnx.defs.onnx_opset_version()
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= highest:
        raise ValueError(
            f"onnx.export: opset must be an int from {MIN_OPSET} to {highest} (this onnx "
            f"package's newest), got {opset!r}."
        )
    input_names = (input_names,) if isinstance(input_names, str) else tuple(input_names)
    output_names = (output_names,) if isinstance(output_names, str) else tuple(output_names)
    if len(input_names) != 1:
        raise ValueError(f"onnx.export: the model takes one input; got names {input_names}.")
    problems = unsupported(model)
    if problems:
        _refuse(problems)
    x = np.asarray(example_input.data if isinstance(example_input, Tensor) else example_input)
    parameter = next(model.parameters(), None)
    dtype = np.float32 if parameter is None else parameter.dtype  # the graph computes in it
    if np.issubdtype(x.dtype, np.floating):
        x = x.astype(dtype if parameter is not None else x.dtype, copy=False)
        dtype = x.dtype
    axis = None if dynamic_batch is False else _batch_axis(model, dynamic_batch, x.ndim)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        proto = _build(onnx, model, x, dtype, opset, input_names[0], output_names, axis)
    finally:
        for m, training in modes:
            object.__setattr__(m, "training", training)
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    atomic_write(os.fspath(path), lambda f: f.write(data), "onnx.export")
