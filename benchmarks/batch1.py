"""Where the runner's batch-1 MLP inference goes: the same forward pass at seven levels, each
timed in turn in one process (rounds alternate), from the bare compiled calls up to the
eager model.

    python -m benchmarks.batch1

- ``kernels``: the three products as zennet's cut GEMM makes them (``gemm_2d`` on the
  two large ones, NumPy's matmul on the last) and NumPy's maximum for the ReLUs, into
  arrays made once: the floor of any path on these kernels;
- ``matmul``: the same through ``kernels.matmul`` (its look at the operands, a fresh output);
- ``chain``: the three layers in one compiled call, as a trace replays them
  (``kernels.dense_run`` on weights ``dense_prepare`` made ready once);
- ``replay``: a ``zn.jit.trace`` plan run on the input array (its one step: the chain);
- ``traced``: the traced module called on the tensor (its checks, a Tensor out);
- ``eager``: the model under ``zn.no_grad()`` (Sequential runs its dense layers in one
  compiled call there: zennet/nn/fusion.py);
- ``one by one``: the model's layers called one after another under ``zn.no_grad()``, as
  eager inference ran before that fusion.

Median µs per call over the rounds. Needs the compiled kernels (numba) and zennet's threads.

    python -m benchmarks.batch1 --shapes

times other MLPs and batches instead, each eager (fused), eager with its layers called one
by one, traced, and traced with its ops replayed one by one (the dense run left unfused),
so that the fusion is seen to lose nowhere.
"""

import argparse
import os
import statistics
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")  # as the runner: two threads

import numpy as np  # noqa: E402

import zennet as zn  # noqa: E402
from zennet import jit, kernels, nn  # noqa: E402


def levels(width=512):
    """{name: callable} of the seven levels on one model and input."""
    zn.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10)
    ).eval()
    x = zn.randn(1, 784)
    traced = zn.jit.trace(model, x)
    plan = next(iter(traced._plans.values()))
    linears = [m for m in model if isinstance(m, nn.Linear)]
    (w1, b1), (w2, b2), (w3, b3) = [(m.weight.data, m.bias.data) for m in linears]
    two_d, count = kernels._compiled()["gemm_2d"], kernels.parts(kernels.GEMM_MIN, 0)
    h1, h2 = np.empty((1, width), np.float32), np.empty((1, width), np.float32)

    def bare():
        two_d(x.data, w1.T, h1, count, b1)
        np.maximum(h1, 0, out=h1)
        two_d(h1, w2.T, h2, count, b2)
        np.maximum(h2, 0, out=h2)
        np.add(np.matmul(h2, w3.T), b3)

    def through_matmul():
        h = kernels.matmul(x.data, w1.T, bias=b1)
        h = kernels.matmul(np.maximum(h, 0, out=h), w2.T, bias=b2)
        return kernels.matmul(np.maximum(h, 0, out=h), w3.T, bias=b3)

    prepared = kernels.dense_prepare([w1, w2, w3], [b1, b2, b3], (True, True, False))

    eager, one_by_one = _eager(model, x)
    return {
        "kernels": bare,
        "matmul": through_matmul,
        "chain": lambda: kernels.dense_run(x.data, prepared),
        "replay": lambda: plan.run((x.data,)),
        "traced": lambda: traced(x),
        "eager": eager,
        "one by one": one_by_one,
    }


def _eager(model, x):
    """(the model called under zn.no_grad(), its layers called one by one there) on x."""

    def eager():
        with zn.no_grad():
            return model(x)

    def one_by_one():
        with zn.no_grad():
            return model._one_by_one(x)

    return eager, one_by_one


SHAPES = [  # (layer widths, batch) for --shapes
    ((784, 512, 512, 10), 1),
    ((784, 1024, 1024, 10), 1),
    ((784, 1024, 1024, 10), 8),
    ((784, 512, 512, 10), 256),
    ((256, 256, 256, 256, 10), 1),  # no product zennet cuts: not fused
]


def fusion(widths, batch):
    """{eager, one by one, traced, unfused} on an MLP of ``widths``, a batch of ``batch`` rows."""
    zn.manual_seed(0)
    layers = []
    for k, n in zip(widths, widths[1:]):
        layers += [nn.Linear(k, n), nn.ReLU()]
    model = nn.Sequential(*layers[:-1]).eval()
    x = zn.randn(batch, widths[0])
    traced = zn.jit.trace(model, x)
    fuse = jit._fuse_dense
    jit._fuse_dense = lambda steps, ops, reads: steps  # the ops one by one
    try:
        unfused = zn.jit.trace(model, x)
    finally:
        jit._fuse_dense = fuse

    eager, one_by_one = _eager(model, x)
    return {
        "eager": eager,
        "one by one": one_by_one,
        "traced": lambda: traced(x),
        "unfused": lambda: unfused(x),
    }


def timed(runs, rounds, calls):
    """{name: (median, best) µs per call}, the runs alternating in each round."""
    times = {name: [] for name in runs}
    for _ in range(rounds):
        for name, run in runs.items():
            for _ in range(max(calls // 20, 5)):
                run()
            start = time.perf_counter()
            for _ in range(calls):
                run()
            times[name].append((time.perf_counter() - start) / calls * 1e6)
    return {name: (statistics.median(t), min(t)) for name, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--shapes", action="store_true", help="the fusion on other MLPs")
    args = parser.parse_args(argv)
    if kernels.parts(kernels.GEMM_MIN, 0) < 2:
        raise SystemExit("benchmarks.batch1 needs the compiled kernels and two threads or more")
    if not args.shapes:
        for name, (median, best) in timed(levels(), args.rounds, args.calls).items():
            print(f"{name:10} {median:6.1f} µs (best {best:.1f})")
        return
    for widths, batch in SHAPES:
        calls = max(args.calls // batch, 20)
        got = timed(fusion(widths, batch), args.rounds, calls)
        print(
            f"MLP {'-'.join(map(str, widths))}, batch {batch}: "
            + ", ".join(f"{name} {median:.1f} µs" for name, (median, _) in got.items())
        )


if __name__ == "__main__":
    main()
