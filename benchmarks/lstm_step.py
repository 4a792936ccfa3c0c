"""One training step (forward + backward) of LSTM(64 -> 128) + Linear(128 -> 10) on the
last step's output, sequences of 50, batch 64: zennet against PyTorch in one run.

    python benchmarks/lstm_step.py            # prints both times and the ratio
    python benchmarks/lstm_step.py --profile  # adds where zennet's time goes

Measured 2026-11-29 on the shared 2-core VM (AMD EPYC, AVX2), other jobs running:
one thread each (OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)), CPU time per step
zennet 53-58 ms vs torch 53 ms (oneDNN's fused LSTM): about 1.0-1.1x. With two threads
torch's best wall time was 30 ms and zennet's 54 ms at best (1.8x): NumPy's elementwise
work runs on one core, and OpenBLAS threads spin on the 100 small per-step GEMMs.
Where zennet's time goes (one thread): GEMMs ~30 ms (as fast as torch.mm on the same
shapes: input projection 5, h·W_hhᵀ per step 7, da·W_hh per step 7, [x | h]ᵀ·dA 10);
exp/tanh of the gates ~9 ms; other elementwise work of the steps ~10 ms; the autograd
engine and index ops ~2 ms.
"""

import argparse
import cProfile
import os
import pstats
import time

import numpy as np
import torch

import zennet as zn
import zennet.functional as F
from zennet import nn

T, N, I, H, C = 50, 64, 64, 128, 10


def zennet_step(lstm, head, x, y):
    out, _ = lstm(x)  # (T, N, H)
    loss = F.cross_entropy(head(out[-1]), y)  # the last step's output -> (N, C)
    lstm.zero_grad()
    head.zero_grad()
    loss.backward()
    return loss


def torch_step(lstm, head, x, y):
    out, _ = lstm(x)
    loss = torch.nn.functional.cross_entropy(head(out[-1]), y)
    lstm.zero_grad()
    head.zero_grad()
    loss.backward()
    return loss


def best_of(fn, repeats=20, warmup=3):
    """Best and median wall time, and the best process CPU time (all threads) of one call."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), float(np.median(wall)), min(cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I)).astype(np.float32)
    y = rng.integers(0, C, N)

    theirs, head = torch.nn.LSTM(I, H), torch.nn.Linear(H, C)
    ours = nn.LSTM(I, H)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours_head = nn.Linear(H, C)
    ours_head.load_state_dict({k: v.detach().numpy() for k, v in head.state_dict().items()})
    x_ours, y_ours = zn.tensor(x), zn.tensor(y)
    x_theirs, y_theirs = torch.tensor(x), torch.tensor(y)

    loss_ours = zennet_step(ours, ours_head, x_ours, y_ours).item()
    loss_theirs = torch_step(theirs, head, x_theirs, y_theirs).item()
    assert abs(loss_ours - loss_theirs) < 1e-4, (loss_ours, loss_theirs)
    grad_error = np.abs(ours.weight_hh_l0.grad.numpy() - theirs.weight_hh_l0.grad.numpy()).max()
    assert grad_error < 1e-5, grad_error

    timed = {
        "zennet": best_of(lambda: zennet_step(ours, ours_head, x_ours, y_ours), args.repeats),
        "torch": best_of(lambda: torch_step(theirs, head, x_theirs, y_theirs), args.repeats),
    }
    print(f"LSTM({I}->{H}) + Linear({H}->{C}), T={T}, N={N}: one forward+backward step")
    print(f"(load average {os.getloadavg()[0]:.1f}: on a busy machine wall times measure the load)")
    for name, (best, median, cpu) in timed.items():
        print(
            f"  {name:7s} wall best {best * 1e3:7.2f} ms  median {median * 1e3:7.2f} ms"
            f"  |  CPU time best {cpu * 1e3:7.2f} ms"
        )
    print(f"  ratio zennet/torch (best wall) = {timed['zennet'][0] / timed['torch'][0]:.2f}")

    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(10):
            zennet_step(ours, ours_head, x_ours, y_ours)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
