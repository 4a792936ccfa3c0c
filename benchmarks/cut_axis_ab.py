"""Which axis zennet cuts a GEMM along: the runner's training step with ``kernels.M_CUT_RATIO``
1 (along m only when m >= n) against 2 (when m >= n / 2, the default), alternating in one
process so that both see the same machine.

    python -m benchmarks.cut_axis_ab            # the MLP
    python -m benchmarks.cut_axis_ab transformer

Median ms per step over ``--repeats`` alternations of ``--steps`` steps each. The MLP's first
layer's weight gradient, (512×128)·(128×784), is the product whose cut it changes.
"""

import argparse
import statistics
import time

from benchmarks.cases import CASES
from zennet import kernels


def ms_per_step(case, steps):
    start = time.perf_counter()
    for _ in range(steps):
        case.zennet_step()
    return (time.perf_counter() - start) / steps * 1e3


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", nargs="?", default="mlp", choices=list(CASES))
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    cls, batch_size = CASES[args.case]
    case = cls(batch_size)
    for _ in range(30):
        case.zennet_step()
    times = {1: [], 2: []}
    previous = kernels.M_CUT_RATIO
    try:
        for _ in range(args.repeats):
            for ratio in times:
                kernels.M_CUT_RATIO = ratio
                times[ratio].append(ms_per_step(case, args.steps))
    finally:
        kernels.M_CUT_RATIO = previous
    for ratio, measured in times.items():
        print(f"M_CUT_RATIO={ratio}: median {statistics.median(measured):.3f} ms per step "
              f"({', '.join(f'{t:.2f}' for t in measured)})")  # fmt: skip


if __name__ == "__main__":
    main()
