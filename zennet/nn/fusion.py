"""Sequential's inference path: a run of its layers in one compiled call.

With no graph to record (under ``zn.no_grad()`` or ``zn.inference_mode()``), a run of
``nn.Linear`` layers in a ``Sequential``, each maybe followed by an ``nn.ReLU`` and then
an ``nn.Dropout`` (an MLP, a CNN's classifier), on a 2-d input, is computed by
``kernels.dense_run``: the layers one after another in one compiled call, each product
cut across zennet's threads as ``kernels.matmul`` cuts it and each ReLU on the piece its
thread wrote; a Dropout in eval mode passes its input on as it is. Every product is the
eager one to the bit (the small ones too: kernels.matmul makes them the same way), so the
output is the one the layers give one by one; only the Python between them is gone, which
at batch 1 had cost about as much as the products (docs/performance.md).

It is taken only where it cannot be told from the layers' own calls: the layers are
exactly ``Linear``, ``ReLU`` and ``Dropout`` (no subclass), with no hooks and no
``forward`` set on the instance, and no Dropout in training mode; not in anomaly mode
(which checks each op's output); not while a tracer records (zn.jit.trace,
zn.onnx.export: they see the ops); and only when zennet cuts one of the run's products
(the compiled kernels and threads on, a product of ``kernels.GEMM_MIN`` multiply-adds or
more). Anything else, an input of another shape, dtype or device included, runs the
layers one by one as always (and so gets their errors).
"""

from zennet import kernels
from zennet.grad_mode import mode
from zennet.nn.activation import ReLU
from zennet.nn.dropout import Dropout
from zennet.nn.linear import Linear
from zennet.tensor import Tensor


def plan(modules):
    """``modules`` (a tuple) with each run of Linear layers, each maybe followed by a ReLU
    and then a Dropout, of two modules or more made one :class:`DenseRun`."""
    steps, i = [], 0
    while i < len(modules):
        j = i
        while j < len(modules) and type(modules[j]) is Linear:
            j += 1
            for follower in (ReLU, Dropout):
                j += j < len(modules) and type(modules[j]) is follower
        if j - i >= 2:
            steps.append(DenseRun(modules[i:j]))
            i = j
        else:
            steps.append(modules[i])
            i += 1
    return steps


class DenseRun:
    """Linear layers, each maybe followed by a ReLU and a Dropout, called as one module
    (see above); a Dropout in eval mode passes its input on as it is, and one in training
    mode has the layers called one by one."""

    def __init__(self, modules):
        self.modules = modules
        self.linears = [m for m in modules if type(m) is Linear]
        after = [type(m) for m in modules[1:]] + [None]
        relus = [after[i] is ReLU for i, m in enumerate(modules) if type(m) is Linear]
        self.prepare = kernels.DensePrepared(relus)
        # the largest product per row, as the layers were built: a quick first look at
        # whether anything will be cut (kernels.dense_run decides on the weights as they are)
        self.largest = max(m.in_features * m.out_features for m in self.linears)

    def __call__(self, x):
        shape = x.data.shape if type(x) is Tensor else ()  # else the layers say what they take
        cut = len(shape) == 2 and shape[0] * self.largest >= max(kernels.GEMM_MIN, 1)
        if cut and self._plain():
            weights, biases = [], []
            for m in self.linears:
                weights.append(m.weight.data)
                biases.append(None if m.bias is None else m.bias.data)
            out = kernels.dense_run(x.data, self.prepare(weights, biases))
            if out is not None:
                return Tensor._from_op(out, None)
        for m in self.modules:
            x = m(x)
        return x

    def _plain(self):
        """Whether calling the layers would run their classes' forwards and nothing else,
        the Dropouts in eval mode, with zennet's threads to cut a product on."""
        if mode.anomaly or kernels.parts(1, 0) < 2:
            return False
        for m in self.modules:  # read at each call: a hook may come at any time
            if m._forward_hooks or m._forward_pre_hooks or m._backward_hooks:
                return False
            if type(m) not in _KINDS:  # a class changed since (a parametrization's)
                return False
            if "forward" in m.__dict__ or type(m) is Dropout and m.training:
                return False
        return True


_KINDS = (Linear, ReLU, Dropout)
