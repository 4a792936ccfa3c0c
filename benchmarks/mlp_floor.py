"""What the framework costs on the runner's MLP step: the step written out by hand in NumPy
and zennet's compiled kernels (the same GEMMs, ReLU, cross-entropy and Adam calls that
zennet's ops make, with no modules, tensors, graph or optimizer objects) against
``zennet_step()``, alternating in one process.

    python -m benchmarks.mlp_floor

Median ms per step over ``--repeats`` alternations of ``--steps`` steps. The difference is
what zennet's Python around its kernels costs: the floor any framework on these kernels
could reach. Needs the compiled kernels (numba).
"""

import argparse
import statistics
import time

import numpy as np

from benchmarks.cases import CASES
from zennet import kernels
from zennet.optim.adam import adam_update


class HandStep:
    """The MLP case's forward, loss, backward and Adam step on its own arrays."""

    def __init__(self, case):
        linears = [m for m in case.zn_model if hasattr(m, "weight")]
        self.layers = [(m.weight.data.copy(), m.bias.data.copy()) for m in linears]
        self.moments = [[np.zeros_like(a) for a in pair for _ in "mv"] for pair in self.layers]
        self.x, self.y, self.t = case.zn_x.data, case.zn_y.data, 0
        self.run = {name: kernels.kernel(name, self.x) for name in kernels.PYTHON_KERNELS}

    def __call__(self):
        run, self.t = self.run, self.t + 1
        inputs, a = [], self.x
        for i, (w, b) in enumerate(self.layers):
            inputs.append(a)
            a = kernels.matmul(a, w.T, bias=b)
            if i < len(self.layers) - 1:
                relu = np.empty_like(a)
                run["relu"](a.reshape(-1), relu.reshape(-1))
                a = relu
        e, picked = np.empty_like(a), np.empty(a.shape[0], a.dtype)
        run["label_shift"](a, self.y, -100, e, picked)
        np.exp(e, out=e)
        total = e.sum(axis=1)
        _, count = run["label_nll"](total, self.y, -100, picked)
        dz = np.empty_like(e)
        run["label_nll_backward"](e, total, self.y, -100, a.dtype.type(1 / count), dz)
        grads = []
        for i in reversed(range(len(self.layers))):
            db = np.zeros(dz.shape[1], dz.dtype)
            run["column_sums"](dz, db)
            grads.insert(0, (kernels.matmul(dz.T, inputs[i]), db))
            if i:
                da = kernels.matmul(dz, self.layers[i][0])
                dz = np.empty_like(da)
                run["relu_backward"](inputs[i].reshape(-1), da.reshape(-1), dz.reshape(-1))
        options = dict(step=self.t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
        for (w, b), (dw, db), (mw, vw, mb, vb) in zip(self.layers, grads, self.moments):
            adam_update(w, dw, mw, vw, **options)
            adam_update(b, db, mb, vb, **options)


def ms_per_step(step, steps):
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=6)
    args = parser.parse_args(argv)
    if not kernels.compiled_kernels_enabled():
        raise SystemExit("mlp_floor needs the compiled kernels: pip install 'zennet[fast]'")
    cls, batch_size = CASES["mlp"]
    case = cls(batch_size)
    steps = {"by hand": HandStep(case), "zennet": case.zennet_step}
    for step in steps.values():
        for _ in range(30):
            step()
    times = {name: [] for name in steps}
    for _ in range(args.repeats):
        for name, step in steps.items():
            times[name].append(ms_per_step(step, args.steps))
    hand, ours = (statistics.median(times[name]) for name in steps)
    print(f"MLP step by hand {hand:.3f} ms, zennet {ours:.3f} ms: the framework's "
          f"{ours - hand:.3f} ms ({(ours - hand) / ours:.0%} of the step)")  # fmt: skip


if __name__ == "__main__":
    main()
