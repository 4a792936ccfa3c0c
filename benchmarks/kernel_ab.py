"""A/B of one compiled kernel: a runner case's training step with the kernel and with its
op's NumPy path, the two alternating round by round in one process (the other kernels on).

    python -m benchmarks.kernel_ab lstm lstm_cell_backward
    python -m benchmarks.kernel_ab lstm gru_cell_backward --options '{"cell": "GRU"}'
    python -m benchmarks.kernel_ab cnn relu --rounds 20
    python -m benchmarks.kernel_ab lstm gru_sequence --options '{"cell": "GRU"}'

Prints ms per step (wall time, BLAS on its default threads), median and best of the rounds.
Needs numba (the kernels); the names are those of zennet.kernels.PYTHON_KERNELS, or a
whole-sequence kernel (``lstm_sequence``, ``gru_sequence``: its cell's step loop against
it, forward and backward).
"""

import argparse
import json
import statistics
import time

from benchmarks.cases import CASES
from zennet import kernels
from zennet.ops import recurrent

WHOLE_SEQUENCES = {"lstm_sequence": recurrent.LSTM, "gru_sequence": recurrent.GRU}


def alternating_ms(step, variants, rounds, steps):
    """{name: [ms per step of each round]} for ``variants`` (name -> a function that switches
    the process to that variant), the variants taking turns round by round, their order
    reversed every other round; each round runs ``step`` ``steps`` times."""
    times = {name: [] for name in variants}
    for r in range(rounds):
        for name in list(variants) if r % 2 == 0 else list(variants)[::-1]:
            variants[name]()
            start = time.perf_counter()
            for _ in range(steps):
                step()
            times[name].append((time.perf_counter() - start) / steps * 1e3)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("kernel", choices=sorted(kernels.PYTHON_KERNELS) + sorted(WHOLE_SEQUENCES))
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--options", type=json.loads, default={}, help="the case's sizes (JSON)")
    args = parser.parse_args()
    kernels.use_compiled_kernels(True)
    case_class, batch = CASES[args.case]
    step = case_class(batch, **args.options).zennet_step
    for _ in range(3):
        step()  # compiles the kernels, fills the caches
    cell = WHOLE_SEQUENCES.get(args.kernel)
    if cell is not None:
        variants = {
            "step loop": lambda: setattr(cell, "whole_sequence", False),
            "kernel": lambda: setattr(cell, "whole_sequence", True),
        }
    else:
        compiled = kernels._STATE["compiled"]
        found = compiled[args.kernel]
        variants = {
            "NumPy path": lambda: compiled.update({args.kernel: None}),  # None: the NumPy path
            "kernel": lambda: compiled.update({args.kernel: found}),
        }
    times = alternating_ms(step, variants, args.rounds, args.steps)
    variants["kernel"]()
    for name, ms in times.items():
        print(
            f"{args.case}, {args.kernel}: {name:10s} median {statistics.median(ms):.2f} ms, "
            f"best {min(ms):.2f} ms per step"
        )


if __name__ == "__main__":
    main()
