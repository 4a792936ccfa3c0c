"""The benchmark cases: each builds the same model in zennet and in PyTorch, with the same
initial weights, and a batch of inputs and labels shared by both."""

import time

import numpy as np
import torch

import zennet as zn
from zennet import nn


def _copy_weights(zn_model, torch_model):
    """Give the torch model zennet's initial weights (PyTorch's state-dict keys are ours)."""
    state = {k: torch.tensor(v) for k, v in zn_model.state_dict().items()}
    torch_model.load_state_dict(state, strict=True)


def _status_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def training_memory_mb(step, steps):
    """Peak resident memory added by ``steps`` calls of ``step`` (Linux: resets VmHWM first)."""
    before = _status_mb("VmRSS")  # models and data built; gradients and optimizer state not yet
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak resident size to the current one
    for _ in range(steps):
        step()
    return _status_mb("VmHWM") - before


def forward_latency_us(case, framework, calls, traced=False):
    """µs per call of ``framework``'s model on the case's batch in eval mode, no graph;
    ``traced``: the model as ``zn.jit.trace`` / ``torch.jit.trace`` + ``torch.jit.freeze``
    give it."""
    if framework == "zennet":
        model, x, no_grad = case.zn_model, case.zn_x, zn.no_grad
    else:
        model, x, no_grad = case.torch_model, case.torch_x, torch.no_grad
    model.eval()
    if traced and framework == "zennet":
        model = zn.jit.trace(model, x)
    elif traced:
        with torch.no_grad():
            model = torch.jit.freeze(torch.jit.trace(model, x))

    def forward():
        with no_grad():
            model(x)

    for _ in range(50):
        forward()
    start = time.perf_counter()
    for _ in range(calls):
        forward()
    return (time.perf_counter() - start) / calls * 1e6


def _classification_batch(rng, shape, classes=10):
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, classes, size=shape[0])
    return x, y


def missing_layers(case_class):
    """The zennet.nn layers a case needs that this checkout lacks (the case is skipped)."""
    return [name for name in case_class.requires if not hasattr(nn, name)]


class Case:
    """One model in both frameworks: ``zennet_step()`` and ``torch_step()`` train one batch."""

    name = ""
    flops_per_sample = 0.0  # multiply-adds x 2 of one training step (forward + backward)
    requires = ()  # zennet.nn layers the case builds, checked before building it
    target = 1.2  # the throughput ratio zennet/PyTorch the case aims for (issue 20)

    def __init__(self, batch_size):
        self.batch_size = batch_size
        rng = np.random.default_rng(0)
        zn.manual_seed(0)
        self.zn_model, self.torch_model = self.build()
        _copy_weights(self.zn_model, self.torch_model)
        x, y = self.batch(rng)
        self.zn_x, self.zn_y = zn.tensor(x), zn.tensor(y)
        self.torch_x, self.torch_y = torch.tensor(x), torch.tensor(y)
        self.zn_opt = zn.optim.Adam(self.zn_model.parameters(), lr=1e-3)
        self.torch_opt = torch.optim.Adam(self.torch_model.parameters(), lr=1e-3)

    def zennet_step(self):
        out = self.zn_model(self.zn_x)
        loss = zn.functional.cross_entropy(out, self.zn_y)
        self.zn_opt.zero_grad()
        loss.backward()
        self.zn_opt.step()

    def torch_step(self):
        out = self.torch_model(self.torch_x)
        loss = torch.nn.functional.cross_entropy(out, self.torch_y)
        self.torch_opt.zero_grad()
        loss.backward()
        self.torch_opt.step()


class MLP(Case):
    """784-width-width-10 with ReLUs; ``width`` 512 is the benchmark, others the scaling table."""

    requires = ("Linear", "ReLU", "Sequential")
    target = 1.3

    def __init__(self, batch_size, width=512):
        self.width = width
        self.name = f"MLP 784-{width}-{width}-10, Adam"
        super().__init__(batch_size)

    def build(self):
        w = self.width
        sizes = [(784, w), (w, w), (w, 10)]
        self.flops_per_sample = 6.0 * sum(a * b for a, b in sizes)
        ours = nn.Sequential(
            nn.Linear(784, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(), nn.Linear(w, 10)
        )
        t = torch.nn
        theirs = t.Sequential(t.Linear(784, w), t.ReLU(), t.Linear(w, w), t.ReLU(), t.Linear(w, 10))
        return ours, theirs

    def batch(self, rng):
        return _classification_batch(rng, (self.batch_size, 784))


class CNN(Case):
    """[Conv3x3 (+ BatchNorm) - ReLU - MaxPool2] per entry of ``channels``, then Flatten and
    Linear to 10 classes; the defaults are the benchmark (conv32-pool-conv64-pool-fc on
    28x28), others the second set of shapes (benchmarks/shapes.py)."""

    requires = ("Conv2d", "MaxPool2d", "Flatten", "Linear", "BatchNorm2d")

    def __init__(self, batch_size, image=(1, 28, 28), channels=(32, 64), padding=0, bn=False):
        self.image, self.channels, self.padding, self.bn = image, channels, padding, bn
        norm = "-bn" if bn else ""
        convs = "-".join(f"conv{c}{norm}-pool" for c in channels)
        shape = "" if image == (1, 28, 28) else f" on {'x'.join(map(str, image))}"
        pad = f" pad {padding}" if padding else ""
        self.name = f"CNN {convs}-fc{shape}{pad}, Adam"
        super().__init__(batch_size)

    def layers(self, ns):
        """The model's layers from the namespace ``ns`` (zennet.nn or torch.nn); counts the
        multiply-adds of one sample on the way."""
        layers, macs, c_in, size = [], 0, self.image[0], self.image[1]
        for c in self.channels:
            size = size + 2 * self.padding - 2  # the 3x3 conv's output size
            macs += size * size * c * c_in * 9
            layers.append(ns.Conv2d(c_in, c, 3, padding=self.padding))
            layers += [ns.BatchNorm2d(c)] if self.bn else []
            layers += [ns.ReLU(), ns.MaxPool2d(2)]
            c_in, size = c, size // 2
        macs += c_in * size * size * 10
        self.flops_per_sample = 6.0 * macs
        return layers + [ns.Flatten(), ns.Linear(c_in * size * size, 10)]

    def build(self):
        return nn.Sequential(*self.layers(nn)), torch.nn.Sequential(*self.layers(torch.nn))

    def batch(self, rng):
        return _classification_batch(rng, (self.batch_size, *self.image))


def _composite(base, forward, **parts):
    """A model of ``parts`` (attribute name -> module) in framework ``base`` (zennet's or
    torch's Module) whose forward is ``forward(self, x)``; the same code for both."""
    model = type("Composite", (base,), {"forward": forward})()
    for name, part in parts.items():
        setattr(model, name, part)
    return model


def _last_step(self, x):
    out, _ = self.rnn(x)  # (N, L, H)
    return self.head(out[:, -1])


def _final_state_padded(self, x):
    """The batch packed at its lengths (``self.lengths``); the last layer's final state (at
    each sample's own last step) into the head."""
    packed = self.pack(x, self.lengths, batch_first=True, enforce_sorted=False)
    _, state = self.rnn(packed)
    h = state[0] if isinstance(state, tuple) else state  # the LSTM's (h, c)
    return self.head(h[-1])


def _mean_pooled(self, x):
    return self.head(self.encoder(x).mean(1))


class LSTM(Case):
    """LSTM(features -> hidden) over ``seq`` steps, Linear on the last step's output; with
    ``cell="GRU"`` a GRU instead; ``padded``: sequences of lengths from seq/2 to seq
    (packed), Linear on each one's final state."""

    requires = ("LSTM", "GRU", "Linear")

    def __init__(self, batch_size, features=64, hidden=128, seq=50, cell="LSTM", padded=False):
        self.features, self.hidden, self.seq, self.cell = features, hidden, seq, cell
        self.lengths = None
        if padded:
            lengths = np.random.default_rng(1).integers(seq // 2, seq + 1, size=batch_size)
            lengths[0] = seq
            self.lengths = lengths.tolist()
        pad = ", padded" if padded else ""
        self.name = f"{cell}({features}->{hidden})+Linear, seq {seq}{pad}, Adam"
        gates = {"LSTM": 4, "GRU": 3}[cell] * hidden * (features + hidden)
        self.flops_per_sample = 6.0 * seq * gates + 6.0 * hidden * 10
        super().__init__(batch_size)

    def build(self):
        models = []
        for ns, rnn in ((nn, zn.nn.utils.rnn), (torch.nn, torch.nn.utils.rnn)):
            model = _composite(
                ns.Module,
                _last_step if self.lengths is None else _final_state_padded,
                rnn=getattr(ns, self.cell)(self.features, self.hidden, batch_first=True),
                head=ns.Linear(self.hidden, 10),
            )
            model.lengths, model.pack = self.lengths, rnn.pack_padded_sequence
            models.append(model)
        return tuple(models)

    def batch(self, rng):
        return _classification_batch(rng, (self.batch_size, self.seq, self.features))


class Transformer(Case):
    """One post-norm TransformerEncoderLayer (width d, ``heads``, feed-forward ``ff``) over
    ``seq`` tokens, mean-pooled, Linear to 10 classes."""

    requires = ("TransformerEncoderLayer", "Linear")
    target = 1.0

    def __init__(self, batch_size, d=128, heads=4, ff=512, seq=64):
        self.d, self.heads, self.ff, self.seq = d, heads, ff, seq
        self.name = f"Transformer encoder layer d={d}, {heads} heads, seq {seq}, Adam"
        self.flops_per_sample = 6.0 * seq * (4 * d * d + 2 * d * ff + 2 * seq * d)
        super().__init__(batch_size)

    def build(self):
        kwargs = dict(dim_feedforward=self.ff, dropout=0.0, batch_first=True)
        return tuple(
            _composite(
                ns.Module,
                _mean_pooled,
                head=ns.Linear(self.d, 10),
                encoder=ns.TransformerEncoderLayer(self.d, self.heads, **kwargs),
            )
            for ns in (nn, torch.nn)
        )

    def batch(self, rng):
        return _classification_batch(rng, (self.batch_size, self.seq, self.d))


CASES = {"mlp": (MLP, 128), "cnn": (CNN, 128), "lstm": (LSTM, 64), "transformer": (Transformer, 32)}

# The second set of shapes (benchmarks/shapes.py): (case, batch size, options), each row
# differing from the runner's default in several sizes at once.
SHAPES = (
    ("mlp", 512, dict(width=256)),
    ("mlp", 32, dict(width=1024)),
    ("cnn", 64, dict(image=(3, 32, 32), channels=(16, 32), padding=1, bn=True)),
    ("cnn", 128, dict(channels=(32, 64), padding=1, bn=True)),
    ("lstm", 32, dict(features=32, hidden=256, seq=100)),
    ("lstm", 128, dict(features=128, hidden=64, seq=20)),
    ("lstm", 32, dict(features=40, hidden=192, seq=80, cell="GRU")),
    ("lstm", 64, dict(features=48, hidden=96, seq=60, cell="GRU", padded=True)),
    ("transformer", 8, dict(d=256, heads=8, ff=1024, seq=128)),
    ("transformer", 64, dict(d=64, heads=2, ff=256, seq=32)),
)
