"""What zennet's compiled kernels (zennet/kernels.py, numba) buy: CPU time per training step
of every case of the runner and of the second set of shapes, with the kernels and without,
and PyTorch's, all on one thread, in one process.

    python -m benchmarks.kernels              # the table and benchmarks/kernels.json
    python -m benchmarks.kernels --quick      # a smoke run: one step, one round

CPU time (``time.process_time``) on one BLAS and torch thread measures the work each path
does, and moves less than wall time when other jobs share the machine; the runner
(``python -m benchmarks``) measures wall time on the threads both frameworks get. The two
paths alternate round by round, switched with ``zn.use_compiled_kernels``.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy and torch load

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

import zennet as zn  # noqa: E402
from benchmarks.cases import CASES, SHAPES  # noqa: E402

torch.set_num_threads(1)


def cpu_ms(step, steps):
    start = time.process_time()
    for _ in range(steps):
        step()
    return (time.process_time() - start) / steps * 1e3


def measure(case, rounds, steps):
    """Median and best CPU ms per step: zennet with kernels, without, and torch."""
    runs = {"compiled": [], "numpy": [], "torch": []}

    def zennet(compiled):
        zn.use_compiled_kernels(compiled)
        return cpu_ms(case.zennet_step, steps)

    for compiled in (True, False):  # warm-up: compiling, caches, the allocator
        zennet(compiled)
    case.torch_step()
    for r in range(rounds):
        order = (True, False) if r % 2 == 0 else (False, True)
        for compiled in order:
            runs["compiled" if compiled else "numpy"].append(zennet(compiled))
        runs["torch"].append(cpu_ms(case.torch_step, steps))
    row = {k: {"median": statistics.median(v), "best": min(v)} for k, v in runs.items()}
    row["speedup"] = row["numpy"]["median"] / row["compiled"]["median"]
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, 1 step")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "kernels.json"))
    args = parser.parse_args(argv)
    if not zn.kernels.compiled_kernels_available():
        raise SystemExit("benchmarks.kernels needs numba: pip install -e '.[fast]'")
    rounds, steps = (1, 1) if args.quick else (args.rounds, args.steps)
    rows, load_before = [], os.getloadavg()[0]
    shapes = [(key, batch, {}) for key, (_, batch) in CASES.items()] + list(SHAPES)
    print(f"CPU ms per step, one thread, median of {rounds} rounds; load {load_before:.1f}")
    print(f"{'case':<62} {'batch':>5} {'compiled':>9} {'numpy':>8} {'torch':>8} {'gain':>6}")
    for key, batch, options in shapes[:2] if args.quick else shapes:
        case = CASES[key][0](batch, **options)
        row = {"name": case.name, "batch_size": batch, **measure(case, rounds, steps)}
        rows.append(row)
        print(
            f"{case.name:<62} {batch:>5} {row['compiled']['median']:>9.2f} "
            f"{row['numpy']['median']:>8.2f} {row['torch']['median']:>8.2f} "
            f"{row['speedup']:>5.2f}x"
        )
    load = {"before": load_before, "after": os.getloadavg()[0]}
    print(f"load average before {load['before']:.1f}, after {load['after']:.1f}")
    with open(args.json, "w") as f:
        json.dump({"quick": args.quick, "rows": rows, "load_average": load}, f, indent=2)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
