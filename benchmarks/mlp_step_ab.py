"""The eighth round's three changes to the runner's MLP training step, each switched off and
on in turn in one process (interleaved rounds, the machine's load shared):

- ``adam``: Adam's step of the whole group in one compiled call (kernels.adam_all) against
  one call per parameter (Adam._step_at_once switched off on the optimizer);
- ``column_sums``: a dense layer's bias gradient (128 rows) summed whole against cut in
  two (kernels.PART_ROWS);
- ``holds``: Linear and ReLU holding BLAS to one thread in their forward, as every op did,
  against not (Function.reaches_blas).

    python -m benchmarks.mlp_step_ab [--rounds 30] [--steps 25]

Prints the median µs of a whole step with each change off and on. Needs the compiled
kernels (numba).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from benchmarks.cases import CASES  # noqa: E402
from zennet import kernels  # noqa: E402
from zennet.ops.activation import ReLU  # noqa: E402
from zennet.ops.linalg import Linear  # noqa: E402


def _adam(case, on):
    if on:
        vars(case.zn_opt).pop("_step_at_once", None)
    else:
        case.zn_opt._step_at_once = lambda group: False


def _column_sums(case, on):
    kernels.PART_ROWS["column_sums"] = 512 if on else 1


def _holds(case, on):  # "on" is the change: no hold
    Linear.reaches_blas = ReLU.reaches_blas = not on


SWITCHES = {"adam": _adam, "column_sums": _column_sums, "holds": _holds}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--steps", type=int, default=25)
    args = parser.parse_args(argv)
    if not kernels.compiled_kernels_enabled():
        raise SystemExit("mlp_step_ab needs the compiled kernels: pip install 'zennet[fast]'")
    cls, batch_size = CASES["mlp"]
    case = cls(batch_size)
    for _ in range(30):
        case.zennet_step()
    times = {(name, on): [] for name in SWITCHES for on in (False, True)}
    for _ in range(args.rounds):
        for name, switch in SWITCHES.items():
            for on in (False, True):
                switch(case, on)
                case.zennet_step()
                start = time.perf_counter()
                for _ in range(args.steps):
                    case.zennet_step()
                times[name, on].append((time.perf_counter() - start) / args.steps * 1e6)
            switch(case, True)
    for name in SWITCHES:
        off, on = (statistics.median(times[name, state]) for state in (False, True))
        print(f"{name:12s} off {off:7.1f} µs   on {on:7.1f} µs   saved {off - on:5.1f} µs")


if __name__ == "__main__":
    main()
