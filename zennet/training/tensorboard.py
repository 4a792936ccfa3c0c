"""TensorBoard: a callback that logs a run for TensorBoard, with tensorboard's own writer.

Needs the ``tensorboard`` package (``pip install zennet[tensorboard]``); its event-file
writer and protocol buffers are pure Python (no TensorFlow). What it writes:

- scalars: every number of the epoch's logs (``loss``, ``val_accuracy``, ``lr``, ...) at
  step = epoch (0, 1, ...), as Keras does; with ``update_freq=N`` also ``batch_loss``
  every N training batches, at step = batches so far;
- histograms, every ``histogram_freq`` epochs: each parameter's values (tag: its name in
  ``named_parameters()``) and its gradient of the epoch's last batch (tag ``NAME/grad``);
- the model graph (``write_graph``): one node per module call of the first training batch,
  with its type and output shape, and one per parameter. An edge joins two modules when
  one's output tensor is the other's input; a module whose input came from a function
  call between modules (``x + y`` in a ``forward``) is joined to the module called before it.

Open it with ``tensorboard --logdir runs/tensorboard``.
"""

import time

import numpy as np

from zennet.tensor import Tensor
from zennet.training.callbacks import Callback

HISTOGRAM_BINS = 30


def _tensorboard():
    try:
        from tensorboard.compat.proto import (
            attr_value_pb2,
            event_pb2,
            graph_pb2,
            node_def_pb2,
            summary_pb2,
        )
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:
        raise ImportError(
            "zennet.training.TensorBoard writes with tensorboard's event writer; install it "
            "with `pip install tensorboard` (or `pip install zennet[tensorboard]`)."
        ) from None
    return EventFileWriter, event_pb2, summary_pb2, graph_pb2, node_def_pb2, attr_value_pb2


class TensorBoard(Callback):
    """Log scalars, weight and gradient histograms and the model graph under ``log_dir``.

    ``TensorBoard("runs/tensorboard", histogram_freq=1, write_graph=True,
    update_freq="epoch")``; see the module's docstring for what is written.
    """

    def __init__(self, log_dir="runs/tensorboard", histogram_freq=1, write_graph=True,
                 update_freq="epoch"):  # fmt: skip
        self._tb = _tensorboard()
        if update_freq != "epoch" and not (isinstance(update_freq, int) and update_freq > 0):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch' or a number of batches > 0, got "
                f"{update_freq!r}."
            )
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(
                f"TensorBoard: histogram_freq must be a whole number ≥ 0 (0: no histograms), "
                f"got {histogram_freq!r}."
            )
        self.log_dir, self.histogram_freq = str(log_dir), histogram_freq
        self.write_graph, self.update_freq = write_graph, update_freq
        self.writer, self.batches, self._calls, self._hooks = None, 0, None, []

    # ---------------------------------------------------------------- hooks

    def on_train_begin(self, logs=None):
        self.writer = self._tb[0](self.log_dir)
        self.batches = 0
        if self.write_graph:
            self._record_calls()

    def on_batch_end(self, batch, logs=None):
        self.batches += 1
        if self._hooks:
            self._write_graph()
        if self.update_freq != "epoch" and self.batches % self.update_freq == 0:
            if logs and "loss" in logs:
                self._scalars({"batch_loss": logs["loss"]}, self.batches)

    def on_epoch_end(self, epoch, logs=None):
        self._scalars(logs or {}, epoch)
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0:
            self._histograms(epoch)
        self.writer.flush()

    def on_train_end(self, logs=None):
        self._remove_hooks()
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    # --------------------------------------------------------------- writing

    def _event(self, step, **fields):
        self.writer.add_event(self._tb[1].Event(wall_time=time.time(), step=step, **fields))

    def _scalars(self, values, step):
        summary_pb2 = self._tb[2]
        items = [
            summary_pb2.Summary.Value(tag=key, simple_value=float(value))
            for key, value in values.items()
            if isinstance(value, (int, float, np.number))
        ]
        self._event(step, summary=summary_pb2.Summary(value=items))

    def _histograms(self, epoch):
        summary_pb2 = self._tb[2]
        items = []
        for name, p in self.trainer.model.named_parameters():
            items.append(summary_pb2.Summary.Value(tag=name, histo=self._histogram(p)))
            if p.grad is not None:
                items.append(
                    summary_pb2.Summary.Value(tag=f"{name}/grad", histo=self._histogram(p.grad))
                )
        self._event(epoch, summary=summary_pb2.Summary(value=items))

    def _histogram(self, tensor):
        values = np.asarray(tensor.numpy(), dtype=np.float64).ravel()  # from any device
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS)
        return self._tb[2].HistogramProto(
            min=float(values.min(initial=0.0)), max=float(values.max(initial=0.0)),
            num=float(values.size), sum=float(values.sum()),
            sum_squares=float(np.dot(values, values)),
            bucket_limit=edges[1:].tolist(), bucket=counts.astype(float).tolist(),
        )  # fmt: skip

    # ----------------------------------------------------------------- graph

    def _record_calls(self):
        """Hook every leaf module to record its calls during the first training batch."""
        self._calls = []
        for name, module in self.trainer.model.named_modules():
            if not module._modules:

                def hook(module, inputs, output, name=name):
                    self._calls.append((name, module, inputs, output))

                self._hooks.append(module.register_forward_hook(hook))

    def _remove_hooks(self):
        for handle in self._hooks:
            handle.remove()
        self._hooks = []

    def _write_graph(self):
        self._remove_hooks()
        _, _, _, graph_pb2, node_def_pb2, attr_value_pb2 = self._tb

        def attrs(**texts):
            return {k: attr_value_pb2.AttrValue(s=v.encode()) for k, v in texts.items()}

        nodes, made_by, previous = [node_def_pb2.NodeDef(name="input", op="Input")], {}, "input"
        for name, module, inputs, output in self._calls:
            node = (name or "model").replace(".", "/")
            sources = [made_by.get(id(x), previous) for x in inputs if isinstance(x, Tensor)]
            for pname, p in module.named_parameters(recurse=False):
                sources.append(f"{node}/{pname}")
                shape = attrs(shape=str(tuple(p.shape)))
                nodes.append(node_def_pb2.NodeDef(name=sources[-1], op="Parameter", attr=shape))
            shape = str(tuple(output.shape)) if isinstance(output, Tensor) else ""
            layer = repr(module).splitlines()[0]
            nodes.append(node_def_pb2.NodeDef(name=node, op=type(module).__name__, input=sources,
                                              attr=attrs(shape=shape, layer=layer)))  # fmt: skip
            if isinstance(output, Tensor):
                made_by[id(output)] = node
            previous = node
        self._calls = None
        graph = graph_pb2.GraphDef(node=nodes)
        self._event(0, graph_def=graph.SerializeToString())
