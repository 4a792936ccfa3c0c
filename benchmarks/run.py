"""Benchmark runner: zennet against PyTorch 2.13 (CPU) in one run, on the same machine.

    python -m benchmarks                 # every case, a table and benchmarks/results.json
    python -m benchmarks --quick         # a smoke run (CI): few steps, one round
    python -m benchmarks --cases mlp cnn

Each case trains the same model (same initial weights, same batch, Adam) in both
frameworks, interleaving rounds (and alternating which goes first) so that both see the
same machine load; the ratio is zennet's samples/s over PyTorch's, the median of the
per-round ratios. Peak memory is the resident memory that training adds, in a fresh
subprocess per framework running the same case. A case whose layers zennet lacks is
skipped with a note. The load average is recorded: on a shared machine it says how
much to trust the absolute numbers (the ratios move much less).
"""

import os

# Benchmarks alone pin the thread count, so both frameworks use the same 2 threads.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.cases import CASES, missing_layers  # noqa: E402
from zennet.kernels import compiled_kernels_enabled  # noqa: E402

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


def kernels_in_use():
    """Which path zennet's hot spots take in this run: "compiled" (zennet.kernels, numba) or
    "numpy"; ZENNET_KERNELS=numpy in the environment picks NumPy's, for a comparison."""
    return "compiled" if compiled_kernels_enabled() else "numpy"


def sgemm_peak(n=2048, repeats=3):
    """NumPy's float32 matrix-multiply rate in GFLOP/s: the machine's practical peak."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _steps_per_second(step, steps):
    return steps / _timed(lambda: [step() for _ in range(steps)])


def throughput(case, rounds, steps):
    """Median samples/s of each framework and the median of the per-round ratios; and the
    best round of each (on a shared machine the best is the least disturbed)."""
    for _ in range(2):  # warm-up: caches, allocator, lazy initialisation
        case.zennet_step()
        case.torch_step()
    ours, theirs = [], []
    for r in range(rounds):
        if r % 2:  # alternate who goes first, so neither always meets the other's leftovers
            theirs.append(_steps_per_second(case.torch_step, steps) * case.batch_size)
        ours.append(_steps_per_second(case.zennet_step, steps) * case.batch_size)
        if not r % 2:
            theirs.append(_steps_per_second(case.torch_step, steps) * case.batch_size)
    ratios = [a / b for a, b in zip(ours, theirs)]
    return {
        "zennet_samples_per_s": statistics.median(ours),
        "torch_samples_per_s": statistics.median(theirs),
        "ratio": statistics.median(ratios),
        "zennet_best_samples_per_s": max(ours),
        "torch_best_samples_per_s": max(theirs),
        "best_ratio": max(ours) / max(theirs),
    }


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def peak_memory_mb(case_name, framework, steps, batch_size=None, **options):
    """Peak memory (MB) that training adds, in a fresh process: the peak resident size while
    one framework trains, minus the resident size just before (models and data built).
    ``options`` go to the case's constructor (the MLP's ``width``)."""
    code = (
        "from benchmarks.cases import CASES, training_memory_mb; "
        f"cls, bs = CASES[{case_name!r}]; case = cls({batch_size} or bs, **{options!r}); "
        f"print(training_memory_mb(case.{framework}_step, {steps}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(out.stdout.strip().splitlines()[-1])


def latency_batch1(rounds, calls):
    """µs of one batch-1 forward pass of the MLP, without a graph, in both, eager and
    traced (``zn.jit.trace``; ``torch.jit.trace`` then ``torch.jit.freeze``): the median
    of the rounds for each; "ratio" (the target's) is eager against eager, its best round's
    in "best_ratio"; "traced_ratio" zennet traced against PyTorch eager, "traced_vs_traced"
    against PyTorch traced.

    Each round runs each in a fresh process of its own (alternating which goes first), as a
    deployed model runs: in one process, each framework's worker threads (PyTorch's OpenMP
    pool, OpenBLAS's) keep spinning after its calls and slow the other's next calls down —
    zennet measured 145-167 µs there against 95 µs alone."""
    runs = [("zennet", False), ("torch", False), ("zennet", True), ("torch", True)]
    times = {run: [] for run in runs}
    for r in range(rounds):
        for framework, traced in runs if r % 2 == 0 else runs[::-1]:
            times[framework, traced].append(latency_us(framework, calls, traced))
    median = {run: statistics.median(t) for run, t in times.items()}
    return {
        "zennet": median["zennet", False],
        "torch": median["torch", False],
        "ratio": median["zennet", False] / median["torch", False],
        "best_ratio": min(times["zennet", False]) / min(times["torch", False]),
        "zennet_traced": median["zennet", True],
        "torch_traced": median["torch", True],
        "traced_ratio": median["zennet", True] / median["torch", False],
        "traced_vs_traced": median["zennet", True] / median["torch", True],
    }


def latency_us(framework, calls, traced=False):
    """µs per batch-1 MLP forward pass of one framework, in a fresh process."""
    code = (
        "from benchmarks.cases import CASES, forward_latency_us; "
        f"print(forward_latency_us(CASES['mlp'][0](1), {framework!r}, {calls}, {traced}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(out.stdout.strip().splitlines()[-1])


def import_cost(module, repeats=3):
    """(seconds, resident MB) of `import module` in a fresh interpreter, best of ``repeats``.

    Memory is the child's VmRSS read from /proc: ru_maxrss would not do, since Linux carries
    the parent's high-water mark across fork and exec (every child would report this
    process's size, torch included).

    The children may write bytecode caches (__pycache__), whatever PYTHONDONTWRITEBYTECODE
    says: an installed package has its .pyc files (pip compiles torch's at install), and
    without them an editable checkout of zennet would be compiled anew on every import —
    in one measurement 0.23-0.32 s against 0.12-0.19 s with the caches."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = (
        "import time; t = time.perf_counter(); "
        f"import {module}; t = time.perf_counter() - t; "
        "rss = [line.split()[1] for line in open('/proc/self/status') if "
        "line.startswith('VmRSS')]; print(t, int(rss[0]) / 1024)"
    )
    runs = [
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
        ).stdout.split()
        for _ in range(repeats + 1)
    ][1:]  # the first run writes the caches
    return min(float(r[0]) for r in runs), min(float(r[1]) for r in runs)


def run_case(key, rounds, steps):
    """The JSON record of one case, or of its skipping when zennet lacks one of its layers."""
    cls, batch_size = CASES[key]
    missing = missing_layers(cls)
    if missing:
        note = f"skipped: zennet.nn has no {', '.join(missing)} yet"
        return {"name": cls.name, "batch_size": batch_size, "skipped": note}
    case = cls(batch_size)
    speed = throughput(case, rounds, steps)
    return {
        "name": case.name,
        "batch_size": batch_size,
        **speed,
        "target_ratio": case.target,
        "zennet_peak_mb": peak_memory_mb(key, "zennet", steps),
        "torch_peak_mb": peak_memory_mb(key, "torch", steps),
        "zennet_gflops": speed["zennet_samples_per_s"] * case.flops_per_sample / 1e9,
    }


def print_case(record):
    if "skipped" in record:
        print(f"{record['name']:<52} {record['skipped']}")
        return
    print(
        f"{record['name']:<52} {record['zennet_samples_per_s']:>9.0f} "
        f"{record['torch_samples_per_s']:>9.0f} {record['ratio']:>5.2f}x "
        f"{record['best_ratio']:>5.2f}x {record['target_ratio']:>5.1f}x "
        f"{record['zennet_peak_mb']:>6.0f} {record['torch_peak_mb']:>6.0f} "
        f"{100 * record['share_of_sgemm_peak']:>5.0f}%"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round, 2 steps")
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "results.json"))
    args = parser.parse_args(argv)
    rounds, steps = (1, 2) if args.quick else (args.rounds, args.steps)

    load_before = os.getloadavg()
    gemm_size = 1024 if args.quick else 2048
    peaks = [sgemm_peak(gemm_size)]
    results = {
        "date": date.today().isoformat(),
        "machine": _machine(),
        "threads": {"blas": os.environ["OPENBLAS_NUM_THREADS"], "torch": torch.get_num_threads()},
        "kernels": kernels_in_use(),
        "command": " ".join(["python -m benchmarks", *(sys.argv[1:] if argv is None else argv)]),
        "quick": args.quick,
        "rounds": rounds,
        "steps": steps,
        "cases": {},
    }
    print(
        f"{results['machine']}; {results['threads']} threads; zennet's {results['kernels']} "
        f"kernels; load {load_before[0]:.1f}"
    )
    for key in args.cases:
        results["cases"][key] = run_case(key, rounds, steps)
    # The GEMM rate of this shared VM moves (86 to 163 GFLOP/s in one morning): measured
    # before and after the cases, the higher one is the peak each case is a share of.
    peaks.append(sgemm_peak(gemm_size))
    peak = results["sgemm_gflops"] = max(peaks)
    results["sgemm_gflops_measured"] = peaks
    print(f"sgemm peak (NumPy, float32): {peak:.0f} GFLOP/s (best of {peaks[0]:.0f} before, "
          f"{peaks[1]:.0f} after the cases)")  # fmt: skip
    print(
        f"{'case':<52} {'zennet/s':>9} {'torch/s':>9} {'ratio':>6} {'best':>6} {'target':>6} "
        f"{'zn MB':>6} {'pt MB':>6} {'% peak':>6}"
    )
    for record in results["cases"].values():
        if "skipped" not in record:
            record["share_of_sgemm_peak"] = record["zennet_gflops"] / peak
        print_case(record)

    latency = results["latency_batch1_us"] = latency_batch1(rounds, 50 if args.quick else 2000)
    print(
        f"batch-1 MLP inference: zennet {latency['zennet']:.0f} µs, torch {latency['torch']:.0f} "
        f"µs (ratio {latency['ratio']:.2f}, best {latency['best_ratio']:.2f}, target <= 0.7); "
        f"traced: zennet {latency['zennet_traced']:.0f} µs, torch {latency['torch_traced']:.0f} "
        f"µs (against torch eager {latency['traced_ratio']:.2f}, against torch traced "
        f"{latency['traced_vs_traced']:.2f})"
    )
    for module in ("zennet", "torch"):
        seconds, mb = import_cost(module, 1 if args.quick else 3)
        results[f"import_{module}"] = {"seconds": seconds, "resident_mb": mb}
        print(f"import {module}: {seconds:.2f} s, {mb:.0f} MB resident")
    results["load_average"] = {"before": load_before[0], "after": os.getloadavg()[0]}
    print(f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    print(f"wrote {args.json}")
    return 0


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor() or platform.machine()
    name = next(
        (line.split(":", 1)[1].strip() for line in info.splitlines() if "model name" in line),
        platform.machine(),
    )
    return name + (" AVX-512" if "avx512f" in info else " AVX2" if "avx2" in info else "")


def _machine():
    return (
        f"{_cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, torch {torch.__version__}"
    )
