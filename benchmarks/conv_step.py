"""One training step (forward + backward) of a small CNN in zennet and in PyTorch, same machine.

    Conv(1→32, 3) - ReLU - MaxPool(2) - Conv(32→64, 3) - ReLU - MaxPool(2), batch 128, 28×28

Prints each one's median and best wall-clock time of a step and its median CPU time
(user + system, all threads), and the ratios torch / zennet (above 1: zennet is faster).
The two run interleaved, step by step, so that load from other processes on a shared
machine hits both alike. ``--profile`` adds a cProfile of zennet's steps.

    python benchmarks/conv_step.py [--steps 30] [--profile]

Findings (2 shared cores, loaded by other jobs; torch.set_num_threads(2), OpenBLAS 2 threads):
- Ratio torch/zennet 0.96 to 1.37 over runs (median about 1.1), CPU-time ratio 1.07 to 1.5;
  the full CNN case of ``python -m benchmarks`` (with Flatten, Linear, Adam) ran 1.55x.
- zennet's time: GEMMs ~34%, max pooling ~23%, col2im adds ~14%, ReLU ~14%,
  im2col ~4%, the rest (engine, small arrays) ~9%.
- Thin GEMMs (conv1: (N·H·W, 9) @ (9, 32) and its dW) on OpenBLAS's threaded path took
  up to 2.6 s instead of 3 ms when other processes held the cores; cut into
  single-thread pieces (ops.conv.gemm) they stay at 3 to 10 ms. This took the ratio
  from about 0.6 to about 1.
- NumPy ufuncs on strided views with short contiguous runs (C = 32 floats) cost 2 to 3
  times a contiguous pass: pooling works in memory order and col2im adds whole blocks.
- Page faults: each step maps about 100 MB of fresh temporaries (5,000 faults, 20 to
  35 ms of system time). With MALLOC_MMAP_THRESHOLD_=33554432 and
  MALLOC_TRIM_THRESHOLD_=1073741824 in the environment glibc keeps freed memory for
  reuse and the faults vanish (ratio 1.37 against 1.12 in one pair of runs).
"""

import argparse
import cProfile
import pstats
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's zennet
import zennet as zn  # noqa: E402
from zennet import nn  # noqa: E402

BATCH, THREADS = 128, 2


def zennet_model():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


def torch_model():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
    )


def zennet_step(model, x):
    model.zero_grad()
    model(x).sum().backward()


def torch_step(model, x):
    model.zero_grad()
    model(x).sum().backward()


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    zn.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    ours, theirs = zennet_model(), torch_model()
    xz, xt = zn.tensor(x), torch.tensor(x)
    runs = {"zennet": (zennet_step, ours, xz), "torch": (torch_step, theirs, xt)}
    wall, cpu = {name: [] for name in runs}, {name: [] for name in runs}
    for _ in range(3):  # warm-up: allocator, BLAS threads, torch's kernels
        for step, model, data in runs.values():
            step(model, data)
    for _ in range(args.steps):
        for name, (step, model, data) in runs.items():
            start, start_cpu = time.perf_counter(), cpu_seconds()
            step(model, data)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(cpu_seconds() - start_cpu)
    med = {name: float(np.median(t)) for name, t in wall.items()}
    best = {name: min(t) for name, t in wall.items()}
    med_cpu = {name: float(np.median(t)) for name, t in cpu.items()}
    for name in runs:
        print(
            f"{name:7s} wall median {med[name] * 1e3:7.2f} ms ({BATCH / med[name]:5.0f} samples/s)"
            f"  best {best[name] * 1e3:7.2f} ms  cpu median {med_cpu[name] * 1e3:7.2f} ms"
        )
    print(
        f"ratio torch/zennet (> 1: zennet faster): wall median {med['torch'] / med['zennet']:.2f}, "
        f"best {best['torch'] / best['zennet']:.2f}, cpu {med_cpu['torch'] / med_cpu['zennet']:.2f}"
    )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.steps):
            zennet_step(ours, xz)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
