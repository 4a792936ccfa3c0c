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


def forward_latency_us(case, framework, calls):
    """µs per call of ``framework``'s model on the case's batch in eval mode, no graph."""
    if framework == "zennet":
        model, x, no_grad = case.zn_model, case.zn_x, zn.no_grad
    else:
        model, x, no_grad = case.torch_model, case.torch_x, torch.no_grad
    model.eval()

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
    target = 1.0  # the throughput ratio zennet/PyTorch the case aims for (issue 6)

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
    target = 1.2

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
    name = "CNN conv32-pool-conv64-pool-fc, Adam"
    requires = ("Conv2d", "MaxPool2d", "Flatten", "Linear")

    def build(self):
        # conv1: 26x26 outputs x 32 x 9 MACs; conv2: 11x11 x 64 x 32*9; fc 1600x10
        macs = 26 * 26 * 32 * 9 + 11 * 11 * 64 * 32 * 9 + 1600 * 10
        self.flops_per_sample = 6.0 * macs
        ours = nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(1600, 10),
        )
        t = torch.nn
        theirs = t.Sequential(
            t.Conv2d(1, 32, 3),
            t.ReLU(),
            t.MaxPool2d(2),
            t.Conv2d(32, 64, 3),
            t.ReLU(),
            t.MaxPool2d(2),
            t.Flatten(),
            t.Linear(1600, 10),
        )
        return ours, theirs

    def batch(self, rng):
        return _classification_batch(rng, (self.batch_size, 1, 28, 28))


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


def _mean_pooled(self, x):
    return self.head(self.encoder(x).mean(1))


class LSTM(Case):
    name = "LSTM(64->128)+Linear, seq 50, Adam"
    requires = ("LSTM", "Linear")

    def build(self):
        self.flops_per_sample = 6.0 * 50 * 4 * 128 * (64 + 128) + 6.0 * 128 * 10
        ours = _composite(
            nn.Module, _last_step, rnn=nn.LSTM(64, 128, batch_first=True), head=nn.Linear(128, 10)
        )
        theirs = _composite(
            torch.nn.Module,
            _last_step,
            rnn=torch.nn.LSTM(64, 128, batch_first=True),
            head=torch.nn.Linear(128, 10),
        )
        return ours, theirs

    def batch(self, rng):
        return _classification_batch(rng, (self.batch_size, 50, 64))


class Transformer(Case):
    name = "Transformer encoder layer d=128, 4 heads, seq 64, Adam"
    requires = ("TransformerEncoderLayer", "Linear")
    target = 0.8

    def build(self):
        d, ff, seq = 128, 512, 64
        self.flops_per_sample = 6.0 * seq * (4 * d * d + 2 * d * ff + 2 * seq * d)
        kwargs = dict(dim_feedforward=ff, dropout=0.0, batch_first=True)
        ours = _composite(
            nn.Module,
            _mean_pooled,
            head=nn.Linear(d, 10),
            encoder=nn.TransformerEncoderLayer(d, 4, **kwargs),
        )
        theirs = _composite(
            torch.nn.Module,
            _mean_pooled,
            head=torch.nn.Linear(d, 10),
            encoder=torch.nn.TransformerEncoderLayer(d, 4, **kwargs),
        )
        return ours, theirs

    def batch(self, rng):
        return _classification_batch(rng, (self.batch_size, 64, 128))


CASES = {"mlp": (MLP, 128), "cnn": (CNN, 128), "lstm": (LSTM, 64), "transformer": (Transformer, 32)}
