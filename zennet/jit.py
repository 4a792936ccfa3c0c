"""``zn.jit.trace``: a model's forward pass recorded once and replayed on arrays.

The eager forward pass walks Python for every layer: the module call, its checks, the
functional op's checks, ``Function.apply``'s look at each input, a Tensor for each result.
For a small batch that walking is much of the time (a batch-1 MLP: about half of its
48.6 µs, ``python -m benchmarks.batch1``). As ``torch.jit.trace``, :func:`trace` runs the
model once on an example input and records the primitive ops it ran (through the seam in
zennet/trace.py); the traced module then replays those ops' ``forward`` on arrays, in
order, without modules, checks or Tensors in between, and without a graph (it is for
inference: call the original module to train).

What a replay reads:

- the input arrays, and each recorded op's result;
- the model's parameters and buffers as they are *now* (an optimizer step or
  ``load_state_dict`` after tracing shows), and every op on them is replayed;
- any other tensor as its value at tracing (a constant: ``zeros`` made in ``forward``).

As with ``torch.jit.trace``, Python control flow is recorded as it went for the example
(a branch on a tensor's value, a loop over its length, stays the way it went). A plan is
kept per input shape and dtype: a new shape traces again (a few at most, then the oldest
goes). The trace is checked as PyTorch's ``check_trace`` does: the replay must give the
eager model's output on the example and on a second input made from it (its values
rolled by one place and halved), and on any ``check_inputs``; where it does not (an op
computed outside the seam, values read into Python), :func:`trace` raises and says to run
the model eagerly.

One fusion: a run of Linear ops on 2-d values, each maybe followed by a ReLU, whose values
in between nothing else reads (an MLP, a CNN's classifier), replays as one step, the
layers in one compiled call when zennet cuts one of their products across its threads
(``kernels.dense_layers``: the Python between the layers had cost a batch-1 MLP about as
much as its products), each product the eager one to the bit. Without the compiled
kernels or threads, the ops replay one by one. (nn.Sequential runs such runs of its
layers so eagerly when no graph is recorded: zennet/nn/fusion.py.)
"""

import threading
from collections import Counter, OrderedDict

import numpy as np

from zennet import kernels
from zennet.autograd import run_forward
from zennet.backend import array_module
from zennet.grad_mode import mode, no_grad
from zennet.nn.module import Module
from zennet.ops.activation import ReLU
from zennet.ops.linalg import Linear
from zennet.tensor import Tensor
from zennet.trace import recording

PLANS_KEPT = 8  # input signatures whose plans a traced module keeps (oldest dropped first)
_RECORDING = threading.Lock()


def trace(model, example_inputs, check_trace=True, check_inputs=None):
    """``model`` (a Module in eval mode, or a function of tensors) recorded on
    ``example_inputs`` (a Tensor or a tuple of them): a :class:`TracedModule` whose call
    replays the recorded ops. ``check_inputs``: more input tuples the replay must match
    the model on (besides the example and one made from it, when ``check_trace``)."""
    if isinstance(model, Module) and model.training:
        raise ValueError(
            f"zn.jit.trace: {type(model).__name__} is in training mode; a trace is for "
            f"inference (it replays without a graph): call model.eval() first."
        )
    traced = TracedModule(model)
    inputs = _as_inputs(example_inputs)
    traced._plan(inputs)
    if check_trace:
        for check in [inputs, _second_input(inputs)] + [_as_inputs(c) for c in check_inputs or ()]:
            traced._check(check)
    return traced


class TracedModule(Module):
    """A model whose forward pass is replayed from a recording (:func:`trace`); ``module``
    is the original, which trains and owns the parameters the replay reads (its
    ``state_dict`` keys are the traced module's less the ``module.`` prefix). Hooks on the
    original's layers do not run in a replay; hooks on the traced module do. Threads may
    call it at once."""

    def __init__(self, model):
        super().__init__()
        if isinstance(model, Module):
            self.module = model  # a submodule: parameters(), state_dict(), to() reach it
        self.__dict__["_model"] = model  # the same, read without Module's look-up
        self._plans = OrderedDict()

    def _run_eagerly(self, inputs):
        return self._model(*inputs)

    def forward(self, *inputs):
        arrays = []
        for x in inputs:
            if not isinstance(x, Tensor):
                raise TypeError(
                    f"TracedModule: inputs must be Tensors (as traced), got {type(x).__name__}; "
                    f"wrap it with zn.tensor(...)."
                )
            arrays.append(x.data)
        if getattr(self._model, "training", False):
            raise RuntimeError(
                f"TracedModule: {type(self._model).__name__} is in training mode; the replay "
                f"is for inference (no graph). Train the original, traced.module, and call "
                f"eval() before calling the traced module."
            )
        plan = self._plans.get(_signature(arrays))
        if plan is None:
            plan = self._plan(inputs)
        return plan.run(arrays)

    def _plan(self, inputs):
        """Record the model on ``inputs``; the plan, kept for inputs of their shapes. One
        thread records at a time (the seam holds one recording)."""
        with _RECORDING:
            return self._record(inputs)

    def _record(self, inputs):
        live = {}
        if "module" in self._modules:
            for t in list(self.module.parameters()) + list(self.module.buffers()):
                live[id(t)] = t
        recorder = _PlanRecorder(inputs, live)
        with no_grad(), recording(recorder):
            out = self._run_eagerly(inputs)
        plan = recorder.plan(out)
        self._plans[_signature([x.data for x in inputs])] = plan
        while len(self._plans) > PLANS_KEPT:
            self._plans.popitem(last=False)
        return plan

    def _check(self, inputs):
        """The replay's output on ``inputs`` must be the eager model's."""
        with no_grad():
            expected = _tensors(self._run_eagerly(inputs))
            got = _tensors(self(*inputs))
        if len(expected) != len(got):
            raise RuntimeError("zn.jit.trace: the replay returns another number of tensors.")
        for e, g in zip(expected, got):
            same = e.shape == g.shape and np.allclose(
                e.numpy(), g.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True
            )
            if not same:
                raise RuntimeError(
                    "zn.jit.trace: the replay does not give the model's output on an input of "
                    f"shape {[tuple(x.shape) for x in inputs]}: its forward computes something "
                    "outside the ops zennet records (values read into Python, arrays changed "
                    "directly, a branch on a tensor's value). Run the model eagerly."
                )


def _signature(arrays):
    """What a plan is kept for: its inputs' shapes, dtypes and array types (devices)."""
    return tuple([(a.shape, a.dtype, type(a)) for a in arrays])


def _as_inputs(example):
    inputs = (example,) if isinstance(example, Tensor) else tuple(example)
    for x in inputs:
        if not isinstance(x, Tensor):
            raise TypeError(
                f"zn.jit.trace: example inputs must be Tensors (or a tuple of them), got "
                f"{type(x).__name__}."
            )
    return inputs


def _second_input(inputs):
    """Inputs like ``inputs`` with other values: each rolled by one place; floats halved
    (ints keep their values' set, so indices stay in range)."""
    made = []
    for x in inputs:
        a = x.data
        b = array_module(a).roll(a.reshape(-1), 1).reshape(a.shape)
        if b.dtype.kind in "fc":
            b = b * b.dtype.type(0.5)
        made.append(Tensor._from_op(b, None))
    return tuple(made)


def _tensors(out):
    found = []
    _flatten(out, found)
    return found


def _flatten(out, found):
    """``out`` with each Tensor replaced by its number in ``found`` (appended there), through
    tuples, lists and dicts; any other value is kept as it is (an _Other)."""
    if isinstance(out, Tensor):
        found.append(out)
        return len(found) - 1
    if isinstance(out, (tuple, list)):
        return type(out)(_flatten(o, found) for o in out)
    if isinstance(out, dict):
        return {k: _flatten(v, found) for k, v in out.items()}
    return _Other(out)


class _Other:
    """A value of the output that is not a tensor, returned as it was."""

    def __init__(self, value):
        self.value = value


class _Slot(int):
    """A source: the replay's value number ``int(self)`` (an input or an op's result)."""


class _Live:
    """A source: a parameter or buffer, read at each replay."""

    def __init__(self, tensor):
        self.tensor = tensor


class _Const:
    """A source: a tensor's values as they were at tracing (``array``)."""

    def __init__(self, array):
        self.array = array


class _PlanRecorder:
    """Listens at zennet/trace.py's seam while the model runs once; :meth:`plan` is the
    result. Values are numbered: the inputs first, then each recorded result."""

    def __init__(self, inputs, live):
        self.thread = threading.get_ident()
        self.values = {id(x): _Slot(i) for i, x in enumerate(inputs)}
        self.arrays = {id(x.data): _Slot(i) for i, x in enumerate(inputs)}
        self.alive = list(inputs)  # keeps the ids above from being reused
        self.count = len(inputs)
        self.live, self.steps, self.depth = live, [], 0
        self.ops = []  # per step: (op class, sources, first result's slot, inputs' shapes)
        self.reads = []  # the slots the steps read, each as often as it is read

    def _listening(self):
        return self.depth == 0 and threading.get_ident() == self.thread

    def source(self, obj):
        """(what a replay reads for ``obj``, whether it changes between replays)."""
        if isinstance(obj, Tensor):
            slot = self.values.get(id(obj))
            if slot is None:  # a view of a value made outside the ops (x.detach())
                slot = self.arrays.get(id(obj.data))
            if slot is not None:
                return slot, True
            if id(obj) in self.live:
                return _Live(obj), True
            return _Const(obj.data.copy()), False
        if isinstance(obj, np.generic):  # as Function.apply: the Python number it holds
            return obj.item(), False
        if isinstance(obj, (tuple, list)):
            parts = [self.source(o) for o in obj]
            return type(obj)(p for p, _ in parts), any(d for _, d in parts)
        if isinstance(obj, dict):
            parts = {k: self.source(v) for k, v in obj.items()}
            return {k: p for k, (p, _) in parts.items()}, any(d for _, d in parts.values())
        return obj, False

    def _results(self, out):
        """Number the tensors of ``out``; its structure with the numbers in their places."""
        tensors = []
        structure = _flatten(out, tensors)
        for t in tensors:
            slot = _Slot(self.count)
            self.values[id(t)] = slot
            self.arrays[id(t.data)] = slot
            self.count += 1
        self.alive += tensors
        return structure

    def primitive(self, cls, inputs, params, result):
        if not self._listening():
            return
        sources, changing = self.source(inputs)
        if changing:  # else the result is a constant, read as one
            first = next((i for i, x in enumerate(inputs) if isinstance(x, Tensor)), None)
            self.steps.append(_op_step(cls, sources, params, first))
            shapes = [x.shape for x in inputs if isinstance(x, Tensor)]
            self.ops.append(None if params else (cls, sources, _Slot(self.count), shapes))
            self.reads.extend(_slots(sources))
            self._results(result)

    def function(self, name, fn, args, kwargs):
        """A function computed outside the graph (zennet/trace.py's ``traced``): replayed
        whole, on Tensors."""
        if not self._listening():
            return fn(*args, **kwargs)
        (sources, kwsources), changing = self.source((list(args), kwargs))
        self.depth += 1
        try:
            out = fn(*args, **kwargs)
        finally:
            self.depth -= 1
        if changing:
            self._results(out)
            self.steps.append(_function_step(fn, sources, kwsources))
            self.ops.append(None)
            self.reads.extend(_slots((sources, kwsources)))
        return out

    def module(self, module, call, args, kwargs):
        return call(module, args, kwargs)

    def rebind(self, tensor, result):
        """``tensor`` changed in place and now holds ``result``."""
        if not self._listening():
            return
        if id(tensor) in self.live:
            raise NotImplementedError(
                "zn.jit.trace: the forward pass changes a parameter or buffer in place (a "
                "running statistic, a cache); a replay would not. Run the model eagerly."
            )
        slot = self.values.get(id(result))
        if slot is None:  # a constant now (zero_, fill_): read as one
            self.values.pop(id(tensor), None)
            self.arrays.pop(id(tensor.data), None)
        else:
            self.values[id(tensor)] = slot
            self.arrays[id(tensor.data)] = slot  # its array holds the new value (no_grad)
            self.alive.append(tensor)

    def plan(self, out):
        tensors = []
        structure = _flatten(out, tensors)
        sources = [self.source(t)[0] for t in tensors]
        reads = Counter(self.reads + _slots(sources))
        return _Plan(_fuse_dense(self.steps, self.ops, reads), sources, structure)


_KIND = {_Slot: 0, _Live: 1, _Const: 2}  # else 3: a value that is no tensor


def _read(source, values):
    """The array a replay reads for a tensor's source."""
    if type(source) is _Slot:
        return values[source]
    return source.tensor.data if type(source) is _Live else source.array


def _kinds(sources):
    """Each source as (its kind, itself) for :func:`_gather`: 0 a value, 1 a parameter or
    buffer, 2 a constant, 3 anything else (read as it is)."""
    return tuple((_KIND.get(type(s), 3), s) for s in sources)


def _gather(kinds, values):
    """What a replay step reads for each source (:func:`_read` inlined: a per-op cost)."""
    return [
        values[s] if k == 0 else s.tensor.data if k == 1 else s.array if k == 2 else s
        for k, s in kinds
    ]


def _op_step(cls, sources, params, first):
    """A replay step: ``cls``'s forward on the sources' arrays, its result appended."""
    needs = (False,) * len(sources)
    kinds = _kinds(sources)

    def step(values):
        arrays = _gather(kinds, values)
        fn = cls()
        fn.needs_input_grad = needs
        values.append(run_forward(fn, arrays, params, None if first is None else arrays[first]))

    return step


def _function_step(fn, sources, kwsources):
    """A replay step: ``fn`` on Tensors of the sources' values, its tensors appended."""

    def as_tensors(source, values):
        if isinstance(source, (tuple, list)):
            return type(source)(as_tensors(s, values) for s in source)
        if isinstance(source, dict):
            return {k: as_tensors(v, values) for k, v in source.items()}
        if type(source) in _KIND:
            return Tensor._from_op(_read(source, values), None)
        return source

    def step(values):
        with no_grad():
            out = fn(*as_tensors(sources, values), **as_tensors(kwsources, values))
        values.extend(t.data for t in _tensors(out))  # in the order _results numbered them

    return step


def _slots(source):
    """The value numbers (_Slot) a source, or a structure of them, reads."""
    if type(source) is _Slot:
        return [source]
    if isinstance(source, dict):
        source = list(source.values())
    if isinstance(source, (tuple, list)):
        return [slot for s in source for slot in _slots(s)]
    return []


def _fuse_dense(steps, ops, reads):
    """``steps`` with each run of two or more Linear and ReLU ops (a Linear on a 2-d value,
    or a ReLU of the Linear before it) that passes each value to the next op only (``reads``:
    how often each value is read), one of whose products zennet would cut at the recorded
    shapes (``kernels.GEMM_MIN``), made one step: :func:`_dense_step`."""
    fused, i = [], 0
    while i < len(steps):
        layers, end, largest = _dense_run(ops, i, reads)
        if end - i >= 2 and largest >= max(kernels.GEMM_MIN, 1):
            fused.append(_dense_step(ops[i][1][0], layers, steps[i:end]))
            i = end
        else:
            fused.append(steps[i])
            i += 1
    return fused


def _dense_run(ops, i, reads):
    """([(weight, bias or None, relu after?)], the step after the run, its largest product's
    multiply-adds as recorded) of the run at step i."""
    layers, j, value, largest = [], i, None, 0
    while j < len(ops) and ops[j] is not None:
        cls, sources, result, shapes = ops[j]
        passed = value is None or sources[0] == value and reads[value] == 1
        if cls is not Linear or len(shapes[0]) != 2 or type(sources[0]) is not _Slot or not passed:
            break
        if any(type(s) not in _KIND for s in sources[1:]):
            break
        relu = j + 1 < len(ops) and ops[j + 1] is not None and reads[result] == 1
        relu = relu and ops[j + 1][0] is ReLU and tuple(ops[j + 1][1]) == (result,)
        value = ops[j + 1][2] if relu else result
        layers.append((sources[1], sources[2] if len(sources) > 2 else None, relu))
        largest = max(largest, shapes[0][0] * shapes[1][0] * shapes[1][1])  # m * n * k
        j += 2 if relu else 1
    return layers, j, largest


def _dense_step(source, layers, steps):
    """A replay step for a run of Linear and ReLU ops: kernels.dense_run on the run's input
    (its weights prepared again only when they are other arrays than the last call's), what
    its ``steps`` give (to the bit: kernels.dense_layers), which run instead where it
    cannot (an input of another device, dtype, or shape; anomaly mode, which checks each
    op's output)."""
    relus = tuple(relu for _, _, relu in layers)
    sources = [w for w, _, _ in layers] + [b for _, b, _ in layers]
    kinds = _kinds(sources)
    unread = [None] * (len(steps) - 1)  # the values inside the run: read by no other step
    prepare = kernels.DensePrepared(relus)

    def step(values):
        arrays = _gather(kinds, values)
        prepared = prepare(arrays[: len(relus)], arrays[len(relus) :])
        out = None if mode.anomaly else kernels.dense_run(values[source], prepared)
        if out is None:
            for s in steps:
                s(values)
        else:
            values.extend(unread)
            values.append(out)

    return step


class _Plan:
    """The recorded steps, where the output's tensors come from (``sources``) and the
    output's structure (:func:`_flatten`: tensor numbers in their places)."""

    def __init__(self, steps, sources, structure):
        self.steps, self.sources, self.structure = steps, sources, structure

    def run(self, arrays):
        values = list(arrays)
        for step in self.steps:  # on arrays: no graph is built
            step(values)
        out = [Tensor._from_op(_read(s, values), None) for s in self.sources]
        return _rebuild(self.structure, out)


def _rebuild(structure, tensors):
    if type(structure) is int:
        return tensors[structure]
    if isinstance(structure, (tuple, list)):
        return type(structure)(_rebuild(s, tensors) for s in structure)
    if isinstance(structure, dict):
        return {k: _rebuild(v, tensors) for k, v in structure.items()}
    return structure.value
