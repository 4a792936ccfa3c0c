"""zn.onnx.export: write a zennet model as an ONNX file, for onnxruntime and friends.

    zn.onnx.export(model, x[:1], "model.onnx")            # pip install zennet[onnx]
    session = onnxruntime.InferenceSession("model.onnx")
    session.run(None, {"input": x})[0]                    # == model.eval()(x)

The model is traced: it runs on the example with a recorder listening (zennet/trace.py),
which records each layer that has a converter of its own (zennet/onnx/graph.py: LSTM,
attention, convolution, ...) whole, and every other op one by one (zennet/onnx/emit.py
and the ops_*.py emitters), so a custom Module with its own forward() exports when its
ops do. A second run on another input (one more sample, other values) must record the
same ops (zennet/onnx/tracing.py), and onnxruntime, when installed, must compute what
the model computes on both inputs. Every op that cannot be exported is listed, with the
line that called it, in one ValueError before anything is written. The graph computes
the model in eval mode (dropout off, batch norm with its running statistics); the
model's own modes are restored afterwards.
"""

import os

import numpy as np

from zennet.io import atomic_write
from zennet.nn.module import Module
from zennet.onnx import (  # noqa: F401  (they register the converters and emitters)
    layers,
    ops_functions,
    ops_math,
    ops_nn,
    ops_shape,
    sequence,
    spatial,
)
from zennet.onnx.emit import emit
from zennet.onnx.graph import Graph, Value, lookup
from zennet.onnx.recorder import Ref
from zennet.onnx.tracing import align, other_input, outputs_of, trace
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


def _refuse(problems):
    listed = "\n".join(f"  {op} at {where}: {why}" for op, where, why in problems)
    raise ValueError(
        f"onnx.export: {len(problems)} op(s) cannot be exported to ONNX; nothing was "
        f"written:\n{listed}\ndocs/interop.md lists the ops and layers that export."
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


def _module_emitter(model):
    """The emitter of a module recorded whole: its converter, under its name in the model."""
    names = {id(m): name for name, m in model.named_modules()}

    def emitter(module):
        converter, _ = lookup(module)

        def emit(g, args, kwargs, outs):
            name = names.get(id(module), "")
            with g.scope(name or type(module).__name__):
                return converter.convert(g, module, name, args[0])

        return emit

    return emitter


def _names(output_names, count):
    names = list(output_names)[:count]
    names += [f"{names[0] if names else 'output'}_{i}" for i in range(len(names), count)]
    return names


def _output_values(g, outputs, values):
    """The Value of each model output: emitted, or a constant."""
    found = []
    for out in outputs:
        if isinstance(out, Ref):
            found.append(values.get(out))
        else:
            name = g.const(out.data, out.data.dtype, "constant_output")
            found.append(Value(name, out.shape, out.dtype))
    return found


def _build(onnx, model, x, opset, input_name, output_names, axis):
    """(the ONNX model, the second input it was checked against) from two traces."""
    records, out, recorder = trace(model, x)
    other = other_input(x, axis)
    others, out_other, _ = trace(model, other)
    n = 1 if axis is None else x.shape[axis]
    records, problems = align(records, others, n, n + (axis is not None))
    if problems:
        _refuse(problems)
    dtype = next((p.dtype for p in model.parameters()), x.dtype if x.dtype.kind == "f" else None)
    g = Graph(onnx, opset, dtype or np.float32)
    g.input_name, g.batch_axis = input_name, axis
    outputs = outputs_of(out, recorder)
    names = _names(output_names, len(outputs))
    g.reserve(input_name, *names)
    if len(set(names)) < len(names) or input_name in names:
        raise ValueError(
            f"onnx.export: the input and output names must all differ; got input "
            f"{input_name!r} and outputs {names}."
        )
    values, problems = emit(g, records, Value(input_name, x.shape, x.dtype), _module_emitter(model))
    if problems:
        _refuse(problems)
    found = _output_values(g, outputs, values)
    for value, name in zip(found, names):  # one Identity each gives the outputs their names
        g.nodes.append(onnx.helper.make_node("Identity", [value.name], [name], name=name))
    dynamic = [[]] * len(found)
    if axis is not None:  # the output axes whose size follows the batch size
        probe = _tensors(out_other)
        dynamic = [[a for a in range(v.ndim) if v.shape[a] != p.shape[a]]
                   for v, p in zip(found, probe)]  # fmt: skip

    def info(name, value, dynamic_axes):
        shape = ["batch" if a in dynamic_axes else n for a, n in enumerate(value.shape)]
        element = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(value.dtype))
        return onnx.helper.make_tensor_value_info(name, element, shape)

    graph = onnx.helper.make_graph(
        g.nodes,
        "zennet",
        [info(input_name, Value(input_name, x.shape, x.dtype), [] if axis is None else [axis])],
        [info(n, v, d) for n, v, d in zip(names, found, dynamic)],
        initializer=list(g.initializers.values()),
    )
    opsets = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(
        graph, opset_imports=opsets, producer_name="zennet", producer_version=__version__
    )
    proto.ir_version = onnx.helper.find_min_ir_version_for(opsets)
    checks = [("the example", x, _tensors(out)), ("other", other, _tensors(out_other))]
    return proto, checks


def _tensors(out):
    if isinstance(out, Tensor):
        return [out]
    return [t for o in out for t in _tensors(o)]


def _check_with_onnxruntime(proto, checks):
    """Run the graph in onnxruntime (when installed) on each input and compare with the
    model; a difference is an export that would be wrong, so it is refused."""
    try:
        import onnxruntime
    except ImportError:
        return
    try:
        session = onnxruntime.InferenceSession(
            proto.SerializeToString(), providers=["CPUExecutionProvider"]
        )
    except Exception:  # noqa: BLE001 (a kernel onnxruntime lacks, e.g. float64 Erf: no check)
        return
    name = session.get_inputs()[0].name
    for label, x, outputs in checks:
        expected = [t.numpy() for t in outputs]
        got = session.run(None, {name: x})
        for i, (a, b) in enumerate(zip(got, expected)):
            scale = max(1.0, float(np.nanmax(np.abs(b)))) if b.size and b.dtype.kind == "f" else 1
            if a.shape != b.shape or not np.allclose(a, b, rtol=1e-3, atol=1e-4 * scale,
                                                     equal_nan=True):  # fmt: skip
                raise ValueError(
                    f"onnx.export: the exported graph gives another output {i} than the model "
                    f"for {label} (shapes {a.shape} and {b.shape}); nothing was written. If "
                    f"the model's sizes follow the batch size in a way the graph cannot, "
                    f"export with dynamic_batch=False."
                )


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
    ValueError listing every op that cannot be exported, with where it was called
    (docs/interop.md lists the ops and layers that export).
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
    x = np.asarray(example_input.data if isinstance(example_input, Tensor) else example_input)
    parameter = next(model.parameters(), None)
    if np.issubdtype(x.dtype, np.floating) and parameter is not None:
        x = x.astype(parameter.dtype, copy=False)  # the graph computes in the model's dtype
    axis = None if dynamic_batch is False else _batch_axis(model, dynamic_batch, x.ndim)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        proto, checks = _build(onnx, model, x, opset, input_names[0], output_names, axis)
        onnx.checker.check_model(proto)
        if axis is not None:
            checks[1] = ("another batch size and other values",) + checks[1][1:]
        else:
            checks[1] = ("other input values",) + checks[1][1:]
        _check_with_onnxruntime(proto, checks)
    finally:
        for m, training in modes:
            object.__setattr__(m, "training", training)
    data = proto.SerializeToString()
    atomic_write(os.fspath(path), lambda f: f.write(data), "onnx.export")
