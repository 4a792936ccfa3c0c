"""Time to accuracy: the Fashion-MNIST ``cnn`` preset trained in zennet and in PyTorch, the same
model, the same initial weights, the same batches in the same order, until each reaches the
same validation accuracy.

    python -m benchmarks.time_to_accuracy                  # to 90 % (minutes)
    python -m benchmarks.time_to_accuracy --target 0.85 --check-every 50    # quicker

The recipe is examples/fashion_mnist_cnn.py's (AdamW, lr 2e-3, weight decay 1e-4, batch 128;
no schedule here: a run stops at the target, not at a fixed epoch). 5,000 training images are
held out for validation. The two frameworks train in alternating chunks of ``--check-every``
steps, each chunk timed alone, so both see the same machine load; after each chunk each
framework's model is evaluated on the validation images (not timed). Each stops at its
first evaluation at or above the target; reported: steps and training seconds to get there.
First-call costs (numba compiling zennet's kernels) stay out of the timing: ``warm_up``.
Dropout draws its own random masks in each framework, so the two runs are the same
computation in distribution, not bit for bit. Needs ``apt-get install dataset-fashion-mnist``.
"""

import argparse
import copy
import json
import os
import time

import numpy as np
import torch

import zennet as zn
from zennet.models import build_model

HELD_OUT = 5000


def torch_twin(model):
    """The ``cnn`` preset in PyTorch with zennet's initial weights (the same state-dict keys)."""
    t = torch.nn
    twins = {
        "Conv2d": lambda m: t.Conv2d(
            m.in_channels, m.out_channels, m.kernel_size, padding=m.padding
        ),
        "BatchNorm2d": lambda m: t.BatchNorm2d(m.num_features),
        "ReLU": lambda m: t.ReLU(),
        "MaxPool2d": lambda m: t.MaxPool2d(m.kernel_size),
        "Flatten": lambda m: t.Flatten(),
        "Linear": lambda m: t.Linear(m.in_features, m.out_features),
        "Dropout": lambda m: t.Dropout(m.p),
    }
    twin = t.Sequential(*(twins[type(m).__name__](m) for m in model))
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return twin


class Runner:
    """One framework's model, optimizer and step; ``steps`` and ``seconds`` so far."""

    def __init__(self, name, model, step, accuracy):
        self.name, self.model, self.step, self.accuracy = name, model, step, accuracy
        self.steps, self.seconds, self.reached, self.curve = 0, 0.0, None, []


def accuracy_of(model, as_input, x, y, batch=1000):
    """The share of ``x`` the model (in eval mode, without a graph) classifies as ``y``."""
    scores = [model(as_input(x[i : i + batch])).numpy() for i in range(0, len(x), batch)]
    return float((np.concatenate(scores).argmax(1) == y).mean())


def zennet_runner(model, lr):
    optimizer = zn.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)

    def step(x, y):
        model.train()
        optimizer.zero_grad()
        zn.functional.cross_entropy(model(zn.tensor(x)), zn.tensor(y)).backward()
        optimizer.step()

    def accuracy(x, y):
        with zn.no_grad():
            return accuracy_of(model.eval(), zn.tensor, x, y)

    return Runner("zennet", model, step, accuracy)


def torch_runner(model, lr):
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(x, y):
        model.train()
        optimizer.zero_grad()
        loss_fn(model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        optimizer.step()

    def accuracy(x, y):
        with torch.no_grad():
            return accuracy_of(model.eval(), torch.from_numpy, x, y)

    return Runner("PyTorch", model, step, accuracy)


def warm_up(model, lr, x, y):
    """Two untimed training steps and an evaluation on throwaway copies of the model in
    each framework, so that first-call costs stay out of the timing: numba compiles
    zennet's kernels on their first call when its cache is cold (a run right after
    zennet/kernels.py changed took 30.7 s against 22.3 s warm), and PyTorch sets up its
    own. Both random generators are set back after, so the timed runs draw as without it."""
    states = zn.get_rng_state(), torch.get_rng_state()
    for runner in (zennet_runner(copy.deepcopy(model), lr), torch_runner(torch_twin(model), lr)):
        for _ in range(2):
            runner.step(x, y)
        runner.accuracy(x, y)
    zn.set_rng_state(states[0])
    torch.set_rng_state(states[1])


def batches(n, batch_size, seed):
    """Index batches over epochs, one shuffle per epoch, forever (the same for both)."""
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(n)
        for i in range(0, n - batch_size + 1, batch_size):
            yield order[i : i + batch_size]


def run(target=0.90, check_every=100, batch_size=128, lr=2e-3, max_steps=20000, seed=0):
    (x, y), _ = zn.datasets.load_fashion_mnist()
    x, y = x.astype(np.float32), y.astype(np.int64)
    x_val, y_val, x_train, y_train = x[:HELD_OUT], y[:HELD_OUT], x[HELD_OUT:], y[HELD_OUT:]
    zn.manual_seed(seed)
    torch.manual_seed(seed)
    model = build_model("cnn", x_train.shape[1:], 10)
    runners = [zennet_runner(model, lr), torch_runner(torch_twin(model), lr)]
    warm_up(model, lr, x_train[:batch_size], y_train[:batch_size])
    order = batches(len(x_train), batch_size, seed)
    while any(r.reached is None for r in runners) and runners[0].steps < max_steps:
        chunk = [next(order) for _ in range(check_every)]
        for r in runners if (runners[0].steps // check_every) % 2 == 0 else runners[::-1]:
            if r.reached is not None:
                continue
            start = time.perf_counter()
            for idx in chunk:
                r.step(x_train[idx], y_train[idx])
            r.seconds += time.perf_counter() - start
            r.steps += len(chunk)
            accuracy = r.accuracy(x_val, y_val)
            r.curve.append((r.steps, round(r.seconds, 2), round(accuracy, 4)))
            print(
                f"{r.name:8} step {r.steps:6}  {r.seconds:7.1f} s  val_accuracy={accuracy:.4f}",
                flush=True,
            )
            if accuracy >= target:
                r.reached = (r.steps, r.seconds)
    return runners


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.90)
    parser.add_argument("--check-every", type=int, default=100)
    parser.add_argument("--max-steps", type=int, default=20000)
    parser.add_argument("--json", default=None, help="write the curves and results here")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    runners = run(args.target, args.check_every, max_steps=args.max_steps)
    when = time.strftime("%Y-%m-%d %H:%M")
    load = os.getloadavg()[0]
    print(f"\n{when}, target validation accuracy {args.target:.0%}, load average {load:.1f}")
    print("| framework | steps | training seconds |\n|---|---|---|")
    for r in runners:
        steps, seconds = r.reached or (r.steps, r.seconds)
        note = "" if r.reached else " (target not reached)"
        print(f"| {r.name} | {steps:,} | {seconds:.1f}{note} |")
    if all(r.reached for r in runners):
        print(f"zennet / PyTorch time: {runners[0].reached[1] / runners[1].reached[1]:.2f}")
    if args.json:
        out = {r.name: {"reached": r.reached, "curve": r.curve} for r in runners}
        with open(args.json, "w") as f:
            json.dump({"when": when, "target": args.target, "load": load, **out}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
