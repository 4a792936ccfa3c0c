"""One playground session: a 2-D data set, an MLP, its optimizer, and the training loop,
driven a slice at a time by the page.

``train(seconds)`` runs training steps until the time is up; ``step(layer)`` runs exactly
one and returns, for one layer, the primer's quantities as zennet computed them;
``state()`` is what the page draws (curves, the decision boundary, each neuron's output
over the plane). One step is the primer's cycle, as in ``Trainer._train_step``::

    out = model(x); loss = loss_fn(out, y); optimizer.zero_grad(); loss.backward(); optimizer.step()
"""

import time

import numpy as np

from zennet import functional as F
from zennet import optim
from zennet.autograd import no_grad
from zennet.data.datasets.planar import PLANAR
from zennet.jobs.playground.config import ACTIVATIONS, LOSSES, OPTIMIZERS
from zennet.jobs.playground.step_view import capture_step
from zennet.nn.containers import Sequential
from zennet.nn.linear import Linear
from zennet.tensor import Tensor

BOUNDARY_SIDE = 48  # the decision boundary is evaluated on a 48 × 48 grid
NEURON_SIDE = 20  # each neuron's small map is 20 × 20
VALIDATION_FRACTION = 0.25


class Session:
    """A model training on a 2-D data set; see the module's docstring."""

    def __init__(self, config):
        self.config = config
        rng = np.random.default_rng(config.seed)
        x, y = PLANAR.get(config.dataset)(config.size, config.noise, config.seed)
        n_val = max(1, int(round(len(x) * VALIDATION_FRACTION)))
        self.x_train, self.y_train = x[n_val:], y[n_val:]
        self.x_val, self.y_val = x[:n_val], y[:n_val]
        if config.batch_size > len(self.x_train):
            raise ValueError(
                f"batch size {config.batch_size} is larger than the {len(self.x_train)} "
                f"training points; choose at most {len(self.x_train)} or a larger data set."
            )
        self.model = build_model(config, rng)
        name, fixed, _ = OPTIMIZERS[config.optimizer]
        self.optimizer = optim.get(
            name, self.model.parameters(), lr=config.lr, weight_decay=config.l2, **fixed
        )
        self.outputs = LOSSES[config.loss][0]
        self.rng = rng
        self.order, self.position = rng.permutation(len(self.x_train)), 0
        self.steps, self.epochs = 0, 0
        self.curves = {"epoch": [], "loss": [], "val_loss": [], "accuracy": [], "val_accuracy": []}
        extent = float(np.abs(x).max()) * 1.1
        self.extent = extent
        self._record_epoch()  # epoch 0: the untrained network

    # ---------------------------------------------------------------- training

    def next_batch(self):
        """The next mini-batch of the epoch's shuffled order (the last one may be smaller)."""
        size = self.config.batch_size
        index = self.order[self.position : self.position + size]
        self.position += size
        return self.x_train[index], self.y_train[index]

    def loss_of(self, out, y):
        """The chosen loss of the model's output ``out`` (m, k) against labels y (m,)."""
        if self.config.loss == "cross_entropy":
            return F.cross_entropy(out, y)
        target = Tensor(y.astype(np.float32))
        if self.config.loss == "bce_with_logits":
            return F.binary_cross_entropy_with_logits(out.reshape(-1), target)
        return F.mse_loss(out.reshape(-1), target)

    def one_step(self, x, y):
        """The primer's cycle on one batch; returns the loss."""
        self.model.train()
        out = self.model(Tensor(x))  # forward propagation
        loss = self.loss_of(out, y)  # the loss
        self.optimizer.zero_grad()
        loss.backward()  # back-propagation
        self.optimizer.step()  # the update
        self._advance()
        return loss.item()

    def _advance(self):
        self.steps += 1
        if self.position >= len(self.order):
            self.epochs += 1
            self.order, self.position = self.rng.permutation(len(self.x_train)), 0
            self._record_epoch()

    def train(self, seconds):
        """Run training steps for about ``seconds`` (at least one); returns the steps run."""
        start, count = time.perf_counter(), 0
        while count == 0 or time.perf_counter() - start < seconds:
            x, y = self.next_batch()
            if not np.isfinite(self.one_step(x, y)):
                raise ValueError(
                    f"the loss became {np.nan} at step {self.steps}: the learning rate "
                    f"{self.config.lr:g} is too large for this network; lower it and reset."
                )
            count += 1
        return count

    def step(self, layer):
        """Exactly one training step, returning layer ``layer``'s view of it (step_view)."""
        x, y = self.next_batch()
        view = capture_step(self, x, y, layer)
        self._advance()
        return view

    # ---------------------------------------------------------------- reading

    def probability(self, x):
        """p(class 1) for each point of x (n, 2), as the chosen loss reads the output."""
        with no_grad():
            self.model.eval()
            out = self.model(Tensor(x)).numpy()
        if self.config.loss == "cross_entropy":
            return F.softmax(Tensor(out), dim=1).numpy()[:, 1]
        if self.config.loss == "bce_with_logits":
            return 1 / (1 + np.exp(-out[:, 0]))
        return np.clip(out[:, 0], 0.0, 1.0)

    def metrics(self, x, y):
        """(loss, accuracy) on (x, y), without changing anything."""
        with no_grad():
            self.model.eval()
            loss = self.loss_of(self.model(Tensor(x)), y).item()
        accuracy = float(np.mean((self.probability(x) > 0.5) == y))
        return loss, accuracy

    def _record_epoch(self):
        loss, accuracy = self.metrics(self.x_train, self.y_train)
        val_loss, val_accuracy = self.metrics(self.x_val, self.y_val)
        for key, value in zip(self.curves, (self.epochs, loss, val_loss, accuracy, val_accuracy)):
            self.curves[key].append(value)

    def grid(self, side):
        """The plane as side × side points, row by row from the top: (side², 2)."""
        ticks = np.linspace(-self.extent, self.extent, side, dtype=np.float32)
        gx, gy = np.meshgrid(ticks, ticks[::-1])
        return np.c_[gx.ravel(), gy.ravel()]

    def neuron_maps(self):
        """Each hidden neuron's output over the plane: per hidden layer (width, side²)."""
        maps, hooks = [], []
        for module in self.model:
            if not isinstance(module, Linear):  # the activations: each layer's A
                hooks.append(module.register_forward_hook(lambda m, i, out: maps.append(out)))
        try:
            self.probability(self.grid(NEURON_SIDE))
        finally:
            for hook in hooks:
                hook.remove()
        return [np.asarray(a.numpy()).T for a in maps]

    def points(self):
        """The data, as the page draws it."""
        return {
            "train": _rounded(np.c_[self.x_train, self.y_train]),
            "val": _rounded(np.c_[self.x_val, self.y_val]),
            "extent": self.extent,
        }

    def state(self):
        """What the page draws after a slice of training."""
        return {
            "steps": self.steps,
            "epoch": self.epochs,
            "curves": {k: _rounded(v, 5) for k, v in self.curves.items()},
            "current": {k: v[-1] for k, v in self.curves.items()},
            "boundary": _rounded(self.probability(self.grid(BOUNDARY_SIDE)), 3),
            "boundary_side": BOUNDARY_SIDE,
            "neurons": [_rounded(a, 3) for a in self.neuron_maps()],
            "neuron_side": NEURON_SIDE,
        }


def build_model(config, rng):
    """Linear(2, h1), g, ..., Linear(h_last, outputs): weights uniform in ±1/√fan_in
    (PyTorch's default scale), biases zero (as the primer initializes them), from ``rng``."""
    widths = [2, *config.hidden, LOSSES[config.loss][0]]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        linear = Linear(n_in, n_out)
        bound = 1 / np.sqrt(n_in)
        linear.weight.data[...] = rng.uniform(-bound, bound, (n_out, n_in))
        linear.bias.data[...] = 0
        layers.append(linear)
        if i < len(widths) - 2:
            activation = ACTIVATIONS[config.activation]
            layers.append(activation())
    return Sequential(*layers)


def _rounded(values, digits=4):
    """Nested lists of floats with few digits: the page gets short JSON."""
    return np.round(np.asarray(values, dtype=np.float64), digits).tolist()
