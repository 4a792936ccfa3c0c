"""Data parallelism on this machine: samples/s with 1 and 2 MPI processes, and the
all-reduce's share of the time (docs/distributed.md).

    python -m benchmarks.distributed                     # both models, 3 rounds, a table
    python -m benchmarks.distributed --rounds 5 --models cnn --out results.json

Three ways to spend two cores on one training run, the same global batch each:

    1 process, 1 thread      the single-core rate (the cost model's compute time)
    1 process, 2 threads     BLAS spreads each matrix product over both cores
    2 processes, 1 thread    mpiexec -n 2: DistributedDataParallel, half the batch each

Each run is a fresh process (or pair) that trains the model with Adam on real data for
``--steps`` timed steps after a few untimed ones. The rounds interleave the three set-ups
so that they share the machine's load; the table gives the median and the range over
the rounds. For the 2-process runs, rank 0 also reports the time inside
``sync_gradients`` (the gradient all-reduce, including waiting for the slower rank) and,
after training, the time of the same all-reduce alone (ranks lined up by a barrier
first): the transfer itself.
"""

import os

# A benchmark script sets the thread variables before NumPy loads (the library never does).
if "--worker" in os.sys.argv:
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODELS = {  # name: (data set, preset, global batch, timed steps)
    "mlp": ("digits", "mlp", 128, 300),
    "cnn": ("fashion-mnist", "cnn", 128, 12),
}
SETUPS = [  # (label, processes, BLAS threads per process)
    ("1 process, 1 thread", 1, 1),
    ("1 process, 2 threads", 1, 2),
    ("2 processes, 1 thread each", 2, 1),
]


# ------------------------------------------------------------------------ the worker


def load(data):
    import zennet as zn

    if data == "digits":
        (x, y), _ = zn.datasets.load_digits()
    else:
        (x, y), _ = zn.datasets.load_fashion_mnist()
        x, y = x[:8192], y[:8192]
    return x, y


def worker(name, steps, distributed):
    """Train ``name`` for ``steps`` timed steps; rank 0 prints one JSON line."""
    import zennet as zn
    import zennet.functional as F
    from zennet import models, optim

    data, preset, global_batch, _ = MODELS[name]
    world, rank = 1, 0
    if distributed:
        import zennet.distributed as dist

        world = dist.init()
        rank = dist.get_rank()
    x, y = load(data)
    zn.manual_seed(0)
    model = models.adapt(models.build_model(preset, x.shape[1:], 10), x)
    net = dist.DistributedDataParallel(model) if distributed else model
    opt = optim.Adam(net.parameters(), lr=1e-3)
    batch = global_batch // world
    rng = np.random.default_rng(rank)
    sync_seconds = 0.0

    def step():
        nonlocal sync_seconds
        idx = rng.integers(0, len(x), batch)
        loss = F.cross_entropy(net(zn.tensor(x[idx])), zn.tensor(y[idx]))
        opt.zero_grad()
        loss.backward()
        if distributed:
            start = time.perf_counter()
            net.sync_gradients()
            sync_seconds += time.perf_counter() - start
        opt.step()

    for _ in range(max(3, steps // 10)):  # warm-up: buffers, caches, BLAS threads
        step()
    if distributed:
        dist.barrier()
    sync_seconds, start = 0.0, time.perf_counter()
    for _ in range(steps):
        step()
    if distributed:
        dist.barrier()
    seconds = time.perf_counter() - start
    result = {
        "samples_per_s": global_batch * steps / seconds,
        "step_ms": 1e3 * seconds / steps,
        "parameters": int(sum(p.data.size for p in model.parameters())),
    }
    if distributed:
        result["sync_ms"] = 1e3 * sync_seconds / steps
        result["allreduce_alone_ms"] = 1e3 * allreduce_alone(net, dist, repeats=steps)
    if rank == 0:
        print(json.dumps(result), flush=True)


def allreduce_alone(net, dist, repeats):
    """Seconds per gradient all-reduce with the ranks lined up (no waiting for a straggler)."""
    total = 0.0
    for _ in range(repeats):
        dist.barrier()
        start = time.perf_counter()
        net.sync_gradients()
        total += time.perf_counter() - start
    return total / repeats


# ------------------------------------------------------------------------ the driver


def run_setup(name, processes, threads, steps):
    """One run of one set-up: the worker's JSON result."""
    threads_env = {k: str(threads) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env = {**os.environ, **threads_env, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "benchmarks.distributed", "--worker", name]
    command += ["--steps", str(steps)]
    if processes > 1:
        beside = Path(sys.executable).parent / "mpiexec"
        mpiexec = str(beside) if beside.exists() else shutil.which("mpiexec")
        command = [mpiexec, "-n", str(processes), *command, "--distributed"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def summarize(runs):
    values = sorted(runs)
    return {"median": statistics.median(values), "min": values[0], "max": values[-1]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=list(MODELS))
    parser.add_argument("--out", default=None, help="write the results here as JSON")
    parser.add_argument(
        "--cost-model", metavar="JSON", help="print the cost model's table from saved results"
    )
    parser.add_argument("--steps", type=int, default=None, help="timed steps per run")
    parser.add_argument("--worker", choices=sorted(MODELS), help=argparse.SUPPRESS)
    parser.add_argument("--distributed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.steps or MODELS[args.worker][3], args.distributed)
    if args.cost_model:
        return print_cost_model(json.loads(Path(args.cost_model).read_text()))
    report = {"load_before": os.getloadavg()[0], "when": time.strftime("%Y-%m-%d %H:%M")}
    for name in args.models:
        runs = {label: [] for label, _, _ in SETUPS}
        for _ in range(args.rounds):
            for label, processes, threads in SETUPS:
                steps = args.steps or MODELS[name][3]
                runs[label].append(run_setup(name, processes, threads, steps))
        report[name] = {
            label: {
                "samples_per_s": summarize([r["samples_per_s"] for r in results]),
                **{
                    key: summarize([r[key] for r in results])
                    for key in ("sync_ms", "allreduce_alone_ms", "step_ms")
                    if key in results[0]
                },
                "parameters": results[0]["parameters"],
            }
            for label, results in runs.items()
        }
    report["load_after"] = os.getloadavg()[0]
    print_table(report, args.models, args.rounds)
    print_cost_model(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")


LINKS = {  # name: (bytes/s, latency s per message) -- assumed, typical of each kind of link
    "10 Gbit/s Ethernet": (10e9 / 8, 20e-6),
    "100 Gbit/s InfiniBand": (100e9 / 8, 2e-6),
}
MACHINES = (2, 8, 32, 128)
COMPUTE_SETUP = "1 process, 1 thread"  # the measured rate the model scales from


def allreduce_seconds(nbytes, machines, bandwidth, latency, buckets=1):
    """Ring all-reduce: 2(N−1)/N · bytes / bandwidth + 2(N−1) · latency per bucket."""
    n = machines
    return 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency * buckets


VARIANTS = [  # (what the user changes, compute per all-reduce ×, buckets)
    ("as measured (1 bucket)", 1, 1),
    ("4× the batch, or 4 steps in no_sync()", 4, 1),
    ("16× the batch, or 16 steps in no_sync()", 16, 1),
    ("bucket_cap_mb small enough for 8 buckets", 1, 8),
]


def cost_model(report, variants=VARIANTS[:1]):
    """Rows (model, compute s, bytes, link, variant, efficiency at each N):
    E = t_compute / (t_compute + t_allreduce), one process per machine at the measured
    single-process rate and batch, the all-reduce after backward (no overlap)."""
    rows = []
    for name in (n for n in MODELS if n in report):
        measured = report[name][COMPUTE_SETUP]
        compute = MODELS[name][2] / measured["samples_per_s"]["median"]  # s per step
        nbytes = 4 * measured["parameters"]  # float32 gradients
        for link, (bandwidth, latency) in LINKS.items():
            for variant, times_compute, buckets in variants:
                work = compute * times_compute
                comm = [allreduce_seconds(nbytes, n, bandwidth, latency, buckets) for n in MACHINES]
                efficiency = [work / (work + t) for t in comm]
                rows.append((name, compute, nbytes, link, variant, efficiency))
    return rows


def print_cost_model(report):
    head = " | ".join(f"N={n}" for n in MACHINES)
    print(f"| model | compute ms/step | gradient MB | link | {head} |")
    print("|---|---|---|---|" + "---|" * len(MACHINES))
    for name, compute, nbytes, link, _, efficiencies in cost_model(report):
        cells = " | ".join(f"{e:.0%}" for e in efficiencies)
        print(f"| {name} | {compute * 1e3:.1f} | {nbytes / 1e6:.3f} | {link} | {cells} |")
    print(f"\n| model | link | change | {head} |")
    print("|---|---|---|" + "---|" * len(MACHINES))
    for name, _, _, link, variant, efficiencies in cost_model(report, VARIANTS):
        if link.startswith("10 "):  # the slow link is where the changes matter
            cells = " | ".join(f"{e:.0%}" for e in efficiencies)
            print(f"| {name} | {link} | {variant} | {cells} |")


def print_table(report, names, rounds):
    print(
        f"{report['when']}, {rounds} rounds, load average {report['load_before']:.1f} before, "
        f"{report['load_after']:.1f} after"
    )
    print("| model | batch | set-up | samples/s (median) | range | step ms | all-reduce ms |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        for label, r in report[name].items():
            s = r["samples_per_s"]
            sync = ""
            if "sync_ms" in r:
                sync = (
                    f"{r['sync_ms']['median']:.2f} in the step, "
                    f"{r['allreduce_alone_ms']['median']:.2f} alone"
                )
            print(
                f"| {name} ({r['parameters']:,} parameters) | {MODELS[name][2]} | {label} | "
                f"{s['median']:,.0f} | {s['min']:,.0f}–{s['max']:,.0f} | "
                f"{r['step_ms']['median']:.2f} | {sync} |"
            )


if __name__ == "__main__":
    sys.exit(main())
