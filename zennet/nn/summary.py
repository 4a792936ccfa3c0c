"""model.summary(input_shape): a Keras-style table of layers, output shapes and parameters.

The output shapes are found by running batches of zeros through the model (in eval mode,
without a graph) with a forward hook on every module. It runs two batch sizes; a
dimension that changes with the batch size is shown as ``None``, as Keras does.
"""

import numpy as np

from zennet.autograd import no_grad
from zennet.nn.html import html_table
from zennet.tensor import Tensor

_WIDTHS = (34, 26, 12)  # layer (type) | output shape | param #


def _shapes(out):
    """A tensor's shape; a list of them for a tuple or list output; else the type's name."""
    if isinstance(out, (tuple, list)):
        return [_shapes(o) for o in out]
    return tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__


def _merge_batch(first, second):
    """Shapes of the two runs -> one shape with None where they differ (the batch axis)."""
    if isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        return [_merge_batch(a, b) for a, b in zip(first, second)]
    if isinstance(first, tuple) and isinstance(second, tuple) and len(first) == len(second):
        return tuple(a if a == b else None for a, b in zip(first, second))
    return first


def _shape_text(shape):
    """(None, 10) as Keras writes it; the shapes of a tuple output joined by commas."""
    return ", ".join(map(_shape_text, shape)) if isinstance(shape, list) else str(shape)


def _run(model, input_shape, dtype, batch):
    """[(module, output shapes)] in the order the modules finished their forward."""
    calls, handles = [], []
    for m in model.modules():
        hook = m.register_forward_hook(lambda mod, i, out: calls.append((mod, _shapes(out))))
        handles.append(hook)
    try:
        model(Tensor(np.zeros((batch, *input_shape), dtype=dtype)))
    finally:
        for h in handles:
            h.remove()
    return calls


class Summary(str):
    """The summary's text (a str), which Jupyter shows as an HTML table."""

    def __new__(cls, text, header, rows, footer):
        self = super().__new__(cls, text)
        self.header, self.rows, self.footer = header, rows, footer
        return self

    def _repr_html_(self):
        return html_table(self.header, self.rows, self.splitlines()[0], self.footer)


def summary(model, input_shape, dtype="float32", print_fn=print):
    """The table as a string, also passed to ``print_fn`` (None: don't print; in Jupyter the
    returned :class:`Summary` then shows as an HTML table).

    Rows are the modules in the order they ran (leaves, and any module that holds
    parameters of its own); each row counts the parameters of that module itself, once.
    Total = every parameter of the model; non-trainable = those with requires_grad False.
    """
    input_shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    names = {id(m): name for name, m in model.named_modules()}
    modes = {id(m): m.training for m in model.modules()}
    model.eval()  # batch norm then needs no batch statistics, dropout does nothing
    try:
        with no_grad():
            runs = [_run(model, input_shape, dtype, batch) for batch in (2, 3)]
    finally:
        for m in model.modules():
            object.__setattr__(m, "training", modes[id(m)])
    rows, counted = [], set()
    for (m, shape2), (_, shape3) in zip(*runs):
        own = list(m._parameters.values())
        if m._modules and not any(p is not None for p in own):
            continue  # a container: its children have rows of their own
        count = sum(p.numel() for p in own if p is not None and id(p) not in counted)
        counted.update(id(p) for p in own if p is not None)
        label = f"{names.get(id(m)) or '(model)'} ({type(m).__name__})"
        rows.append((label, _shape_text(_merge_batch(shape2, shape3)), f"{count:,}"))
    text = _table(type(model).__name__, rows, list(model.parameters()), list(model.buffers()))
    footer = text.splitlines()[len(rows) + 5 : -1]  # the totals, under the second rule
    text = Summary(text, ("Layer (type)", "Output Shape", "Param #"), rows, footer)
    if print_fn is not None:
        print_fn(text)
    return text


def _table(model_name, rows, params, buffers):
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    width = sum(_WIDTHS)

    def line(*cells):
        return "".join(str(c).ljust(w) for c, w in zip(cells, _WIDTHS)).rstrip()

    out = [f'Model: "{model_name}"', "_" * width, line("Layer (type)", "Output Shape", "Param #")]
    out.append("=" * width)
    out += [line(*row) for row in rows]
    out.append("=" * width)
    out.append(f"Total params: {total:,}")
    out.append(f"Trainable params: {trainable:,}")
    out.append(f"Non-trainable params: {total - trainable:,}")
    buffer_size = sum(b.numel() for b in buffers)
    if buffer_size:
        out.append(f"Buffers (running statistics, not trained): {buffer_size:,}")
    out.append("_" * width)
    return "\n".join(out)
