"""The runner's LSTM case, one training step (forward, backward, Adam) of LSTM(I -> H,
batch_first) + Linear(H -> 10) on the last step's output, zennet against PyTorch with the
same weights, in CPU time (time.process_time, all threads), in rounds that alternate
their order; at the runner's shape or a second one. Prints best and median per step,
and the medians of forward (with the loss), backward and Adam.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m benchmarks.lstm_step
    ... python -m benchmarks.lstm_step --shape long        # T=100, N=32, I=32, H=256
    ... python -m benchmarks.lstm_step --shape short       # T=20, N=128, I=128, H=64
    ... python -m benchmarks.lstm_step --shape 20,128,64,64    # any T,N,I,H
    ... python -m benchmarks.lstm_step --baseline old.py   # zennet with older ops too:
            git show c893688:zennet/ops/recurrent.py > old.py      (one run per file)
    ... python -m benchmarks.lstm_step --profile           # adds cProfile of zennet's step
                                                           # (and of each baseline's)
    ... python -m benchmarks.lstm_step --gemms             # the step's GEMMs alone

Threads: OMP_NUM_THREADS (PyTorch) and OPENBLAS_NUM_THREADS (NumPy), 2 when unset, as
in the runner. The numbers, and what they mean, are in docs/performance.md (the LSTM).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import importlib.util  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import zennet.functional as F  # noqa: E402
from benchmarks.cases import Case, _classification_batch, _composite, _last_step  # noqa: E402
from zennet import nn  # noqa: E402
from zennet.nn import recurrent_base  # noqa: E402

# T, N, I, H: the runner's, and the two LSTM rows of the second set (benchmarks/shapes.py)
SHAPES = {"runner": (50, 64, 64, 128), "long": (100, 32, 32, 256), "short": (20, 128, 128, 64)}


class Shaped(Case):
    """The runner's LSTM case at any (T, N, I, H)."""

    def __init__(self, T, N, I, H):
        self.T, self.I, self.H = T, I, H
        self.name = f"LSTM({I}->{H})+Linear, seq {T}, batch {N}, Adam"
        super().__init__(N)

    def build(self):
        ours = _composite(
            nn.Module, _last_step, rnn=nn.LSTM(self.I, self.H, batch_first=True),
            head=nn.Linear(self.H, 10),
        )  # fmt: skip
        theirs = _composite(
            torch.nn.Module, _last_step, rnn=torch.nn.LSTM(self.I, self.H, batch_first=True),
            head=torch.nn.Linear(self.H, 10),
        )  # fmt: skip
        return ours, theirs

    def batch(self, rng):
        return _classification_batch(rng, (self.batch_size, self.T, self.I))


def zennet_step(case, op):
    """zennet's training step with ``op`` as the LSTM's fused op: CPU seconds of forward
    (with the loss), backward and Adam."""

    def step():
        recurrent_base._OPS["LSTM"] = op
        return phases(case.zn_model, case.zn_x, case.zn_y, case.zn_opt, F.cross_entropy)

    return step


def torch_step(case):
    def step():
        loss_fn = torch.nn.functional.cross_entropy
        return phases(case.torch_model, case.torch_x, case.torch_y, case.torch_opt, loss_fn)

    return step


def phases(model, x, y, optimizer, loss_fn):
    """CPU seconds of forward (with the loss), backward and the optimizer's step."""
    marks = [time.process_time()]
    loss = loss_fn(model(x), y)
    marks.append(time.process_time())
    optimizer.zero_grad()
    loss.backward()
    marks.append(time.process_time())
    optimizer.step()
    marks.append(time.process_time())
    return [b - a for a, b in zip(marks, marks[1:])]


def load_op(path):
    """The LSTM op of another zennet/ops/recurrent.py (an older one, for an A/B)."""
    spec = importlib.util.spec_from_file_location("baseline_recurrent", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LSTM


def rounds_of(runs, rounds, steps):
    """Per round and run, the CPU ms per step of each phase (mean of ``steps`` steps); the
    order of the runs alternates from round to round."""
    times = {name: [] for name in runs}
    for r in range(rounds):
        for name in list(runs)[:: 1 if r % 2 else -1]:
            samples = [runs[name]() for _ in range(steps)]
            times[name].append([sum(s[k] for s in samples) / steps * 1e3 for k in range(3)])
    return times


def report(name, times, runs, args):
    totals = {run: [sum(r) for r in rounds] for run, rounds in times.items()}
    print(
        f"{name}: CPU ms per training step, {args.rounds} rounds x {args.steps} steps, "
        f"threads BLAS {os.environ['OPENBLAS_NUM_THREADS']} / torch "
        f"{torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}"
    )
    for run, rounds in times.items():
        split = " / ".join(f"{statistics.median(r[k] for r in rounds):.2f}" for k in range(3))
        print(
            f"  {run:8s} best {min(totals[run]):7.2f}  median {statistics.median(totals[run]):7.2f}"
            f"  (median forward / backward / Adam {split})"
        )
    for run in [r for r in runs if r != "zennet"]:
        best = min(totals[run]) / min(totals["zennet"])
        median = statistics.median(totals[run]) / statistics.median(totals["zennet"])
        print(f"  {run}/zennet time (zennet's speed-up): best {best:.2f}, median {median:.2f}")


def gemm_floor(T, N, I, H, repeats=10):
    """CPU ms of the step's GEMMs alone, NumPy (OpenBLAS) against torch.mm on the same
    shapes: what no change to the elementwise work can go below."""
    rng = np.random.default_rng(0)
    shapes = dict(x=(T * N, I + 1), w1=(I + 1, 4 * H), h=(N, H), w_hh_t=(H, 4 * H))
    shapes.update(da=(N, 4 * H), w_hh=(4 * H, H), dA=(T * N, 4 * H), w_ih=(4 * H, I))
    shapes.update(xh=(T * N, I + 1 + H))
    arrays = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    gemms = {  # name: (count, left, right) of left @ right
        "input projection [x|1]·W1": (1, "x", "w1"),
        f"{T} × h·W_hhᵀ": (T, "h", "w_hh_t"),
        f"{T} × da·W_hh": (T, "da", "w_hh"),
        "dX = dA·W_ih": (1, "dA", "w_ih"),
        "dAᵀ·[x|1|h]": (1, "dA.T", "xh"),
    }
    print(f"The step's GEMMs alone, CPU ms, best of {repeats}:")
    for lib, wrap, mm in (("numpy", np.asarray, np.matmul), ("torch", torch.from_numpy, torch.mm)):
        operands = {k: wrap(v) for k, v in arrays.items()}
        operands["dA.T"] = operands["dA"].T
        total = 0.0
        for name, (count, left, right) in gemms.items():
            best = min(_cpu(mm, operands[left], operands[right], count) for _ in range(repeats))
            total += best
            print(f"  {lib} {name:28s} {best * 1e3:6.2f}")
        print(f"  {lib} all {total * 1e3:.2f}")


def _cpu(mm, left, right, count):
    """CPU seconds of ``count`` products left @ right."""
    start = time.process_time()
    for _ in range(count):
        mm(left, right)
    return time.process_time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", default="runner", help="runner, long, short or T,N,I,H")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=10, help="steps per round")
    parser.add_argument("--baseline", nargs="*", default=[], help="older ops/recurrent.py files")
    parser.add_argument("--profile", action="store_true", help="cProfile of zennet's steps")
    parser.add_argument("--gemms", action="store_true", help="the step's GEMMs alone")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    shape = SHAPES.get(args.shape) or tuple(int(v) for v in args.shape.split(","))
    case = Shaped(*shape)
    runs = {"zennet": zennet_step(case, recurrent_base.ops.LSTM), "torch": torch_step(case)}
    for path in args.baseline:
        runs[os.path.splitext(os.path.basename(path))[0]] = zennet_step(case, load_op(path))
    for run in runs.values():  # warm-up
        run(), run()
    report(case.name, rounds_of(runs, args.rounds, args.steps), runs, args)
    if args.gemms:
        gemm_floor(*shape)
    for name in [n for n in runs if n != "torch"] if args.profile else []:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.steps):
            runs[name]()
        profiler.disable()
        print(f"cProfile of {args.steps} steps of {name}, CPU time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
