"""The second set of shapes: the runner's models at other widths, channels, image sizes,
sequence lengths and batch sizes, so that no tuning to the runner's shapes hides a loss
elsewhere. zennet against PyTorch 2.13 (CPU), same threads, in one run.

    python -m benchmarks.shapes               # the table and benchmarks/shapes.json
    python -m benchmarks.shapes --quick       # a smoke run: 2 steps, 1 round, no memory

Each row interleaves the two frameworks as the main runner does (same initial weights,
same batch, Adam) and measures peak memory in a fresh subprocess per framework.
"""

# First: benchmarks.run pins the thread count before NumPy and torch load.
from benchmarks.run import kernels_in_use, peak_memory_mb, throughput  # isort: skip

import argparse
import json
import os

from benchmarks.cases import CASES, SHAPES


def measure(key, batch_size, options, rounds, steps, memory=True):
    """One row; ``memory`` adds each framework's peak memory (two fresh processes)."""
    case = CASES[key][0](batch_size, **options)
    row = {
        "case": key,
        "name": case.name,
        "batch_size": batch_size,
        "options": options,
        **throughput(case, rounds, steps),
    }
    if memory:
        for framework in ("zennet", "torch"):
            row[f"{framework}_peak_mb"] = peak_memory_mb(key, framework, 3, batch_size, **options)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, 2 steps")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10, help="steps per round and framework")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "shapes.json"))
    args = parser.parse_args(argv)
    rounds, steps = (1, 2) if args.quick else (args.rounds, args.steps)
    load_before = os.getloadavg()[0]
    print(f"zennet's {kernels_in_use()} kernels; load {load_before:.1f}")
    print(f"{'case':<62} {'batch':>5} {'zennet/s':>9} {'torch/s':>9} {'ratio':>6} {'best':>6}")
    rows = []
    for key, batch_size, options in SHAPES:
        row = measure(key, batch_size, options, rounds, steps, memory=not args.quick)
        rows.append(row)
        print(
            f"{row['name']:<62} {batch_size:>5} {row['zennet_samples_per_s']:>9.0f} "
            f"{row['torch_samples_per_s']:>9.0f} {row['ratio']:>5.2f}x {row['best_ratio']:>5.2f}x"
        )
    load = {"before": load_before, "after": os.getloadavg()[0]}
    print(f"load average before {load['before']:.1f}, after {load['after']:.1f}")
    with open(args.json, "w") as f:
        record = {
            "quick": args.quick,
            "kernels": kernels_in_use(),
            "rows": rows,
            "load_average": load,
        }
        json.dump(record, f, indent=2)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
