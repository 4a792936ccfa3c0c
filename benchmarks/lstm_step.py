"""The runner's LSTM case, one training step (forward, backward, Adam) of LSTM(I -> H,
batch_first) + Linear(H -> 10) on the last step's output, zennet against PyTorch with the
same weights, in CPU time (time.process_time, all threads), alternating rounds; at the
runner's shape or a second one.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/lstm_step.py
    ... python benchmarks/lstm_step.py --shape long        # T=100, N=32, I=32, H=256
    ... python benchmarks/lstm_step.py --shape 20,128,64,64    # any T,N,I,H
    ... python benchmarks/lstm_step.py --baseline old.py   # also zennet with an older op:
            git show main:zennet/ops/recurrent.py > old.py
    ... python benchmarks/lstm_step.py --phases --profile  # where the time goes

Threads: OMP_NUM_THREADS (PyTorch) and OPENBLAS_NUM_THREADS (NumPy), 2 when unset, as
the runner. The numbers, and what they mean, are in docs/performance.md's LSTM section.
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

import torch  # noqa: E402

import zennet as zn  # noqa: E402
from benchmarks.cases import LSTM, _classification_batch, _composite, _last_step  # noqa: E402
from zennet import nn  # noqa: E402
from zennet.nn import recurrent_base  # noqa: E402

SHAPES = {"runner": (50, 64, 64, 128), "long": (100, 32, 32, 256)}  # T, N, I, H


class Shaped(LSTM):
    """The runner's LSTM case at another (T, N, I, H)."""

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


def zennet_with(case, op):
    """zennet's step with ``op`` as the LSTM's fused op."""

    def step():
        recurrent_base._OPS["LSTM"] = op
        case.zennet_step()

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


def rounds_of(runs, rounds, steps):
    """CPU ms per step of each run, one sample per round; the order alternates by round."""
    times = {name: [] for name in runs}
    for r in range(rounds):
        for name in list(runs)[:: 1 if r % 2 else -1]:
            start = time.process_time()
            for _ in range(steps):
                runs[name]()
            times[name].append((time.process_time() - start) / steps * 1e3)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", default="runner", help="runner, long or T,N,I,H")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=10, help="steps per round")
    parser.add_argument("--baseline", help="an older zennet/ops/recurrent.py to time too")
    parser.add_argument("--phases", action="store_true", help="forward/backward/Adam split")
    parser.add_argument("--profile", action="store_true", help="cProfile of zennet's step")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    shape = SHAPES.get(args.shape) or tuple(int(v) for v in args.shape.split(","))
    case = Shaped(*shape)
    runs = {"zennet": zennet_with(case, recurrent_base.ops.LSTM), "torch": case.torch_step}
    if args.baseline:
        spec = importlib.util.spec_from_file_location("baseline_recurrent", args.baseline)
        baseline = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(baseline)
        runs["baseline"] = zennet_with(case, baseline.LSTM)
    for run in runs.values():  # warm-up
        run(), run()
    times = rounds_of(runs, args.rounds, args.steps)
    print(
        f"{case.name}: CPU ms per training step, {args.rounds} rounds x {args.steps} steps, "
        f"threads BLAS {os.environ['OPENBLAS_NUM_THREADS']} / torch "
        f"{torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}"
    )
    for name, ms in times.items():
        print(f"  {name:8s} best {min(ms):7.2f}  median {statistics.median(ms):7.2f}")
    for name in [n for n in runs if n != "zennet"]:
        best = min(times[name]) / min(times["zennet"])
        median = statistics.median(times[name]) / statistics.median(times["zennet"])
        print(f"  {name}/zennet time (zennet's speed-up): best {best:.2f}  median {median:.2f}")
    if args.phases:
        zn_args = case.zn_model, case.zn_x, case.zn_y, case.zn_opt, zn.functional.cross_entropy
        th_args = (case.torch_model, case.torch_x, case.torch_y, case.torch_opt,
                   torch.nn.functional.cross_entropy)  # fmt: skip
        split = {"zennet": [], "torch": []}
        recurrent_base._OPS["LSTM"] = (
            recurrent_base.ops.LSTM
        )  # the working tree's op, not the baseline
        for _ in range(args.rounds * args.steps):
            split["zennet"].append(phases(*zn_args))
            split["torch"].append(phases(*th_args))
        for name, samples in split.items():
            medians = [statistics.median(s[k] for s in samples) * 1e3 for k in range(3)]
            print(f"  {name:8s} median CPU ms forward / backward / Adam: " + " / ".join(
                f"{m:.2f}" for m in medians))  # fmt: skip
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.steps):
            runs["zennet"]()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
