"""How the MLP's training cost grows: throughput and peak memory against batch size and width,
zennet against PyTorch 2.13 (CPU), same threads, in one run.

    python -m benchmarks.scaling              # both tables, benchmarks/scaling.json
    python -m benchmarks.scaling --quick      # a smoke run: one small row per table

Table 1: MLP 784-512-512-10 at batch 1, 8, 32, 128, 512. Table 2: MLP 784-W-W-10 at batch
128 for W = 256 ... 4096. Each row interleaves the two frameworks as the main runner does
and measures peak memory in a fresh subprocess per framework. A small batch shows the fixed
cost per step (Python, the graph, the optimizer's calls); a large width shows the GEMMs
and the elementwise passes over parameters (Adam) that grow with W².
"""

# First: benchmarks.run pins the thread count before NumPy and torch load.
from benchmarks.run import peak_memory_mb, throughput  # isort: skip

import argparse
import json
import os
import time

from benchmarks.cases import MLP

BATCHES = (1, 8, 32, 128, 512)
WIDTHS = (256, 512, 1024, 2048, 4096)


def _steps_for(case, seconds):
    """Steps that take about ``seconds`` for zennet (at least 2)."""
    case.zennet_step()
    start = time.perf_counter()
    case.zennet_step()
    return max(2, round(seconds / (time.perf_counter() - start)))


def measure(batch_size, width, rounds, seconds):
    case = MLP(batch_size, width=width)
    steps = _steps_for(case, seconds)
    return {
        "batch_size": batch_size,
        "width": width,
        **throughput(case, rounds, steps),
        "zennet_peak_mb": peak_memory_mb("mlp", "zennet", 3, batch_size, width=width),
        "torch_peak_mb": peak_memory_mb("mlp", "torch", 3, batch_size, width=width),
    }


def _print_row(label, row):
    print(
        f"{label:>8} {row['zennet_samples_per_s']:>10.0f} {row['torch_samples_per_s']:>10.0f} "
        f"{row['ratio']:>5.2f}x {row['zennet_peak_mb']:>7.0f} {row['torch_peak_mb']:>7.0f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 row each, 1 round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.5, help="per round and framework")
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "scaling.json"))
    args = parser.parse_args(argv)
    batches, widths = (BATCHES[1:2], WIDTHS[:1]) if args.quick else (BATCHES, WIDTHS)
    rounds, seconds = (1, 0.05) if args.quick else (args.rounds, args.seconds)

    load_before = os.getloadavg()[0]
    header = f"{'zennet/s':>10} {'torch/s':>10} {'ratio':>6} {'zn MB':>7} {'pt MB':>7}"
    results = {"quick": args.quick, "batch": [], "width": []}
    print(f"MLP 784-512-512-10, Adam, by batch size\n{'batch':>8} {header}")
    for batch_size in batches:
        results["batch"].append(measure(batch_size, 512, rounds, seconds))
        _print_row(batch_size, results["batch"][-1])
    print(f"\nMLP 784-W-W-10, Adam, batch 128, by width W\n{'W':>8} {header}")
    for width in widths:
        results["width"].append(measure(128, width, rounds, seconds))
        _print_row(width, results["width"][-1])
    results["load_average"] = {"before": load_before, "after": os.getloadavg()[0]}
    print(f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
