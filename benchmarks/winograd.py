"""Winograd F(2×2, 3×3) against im2col (zennet/ops/winograd.py): CPU time over a grid of
shapes, the rule ``auto`` follows, float32 error against float64, and the CNN cases.

    python -m benchmarks.winograd              # everything, and benchmarks/winograd.json
    python -m benchmarks.winograd --quick      # a smoke run: a few shapes, one round

Grid: a 3×3 conv, padding 1 (output = input size), C_in and C_out in {1, 3, 16, 32, 64,
128}, sizes {8, 14, 28, 32, 56}, batch {1, 32, 128}. Each shape is timed forward (no
graph) and forward + backward (dx and dW; Winograd's backward makes dx by Winograd too and
dW on the im2col GEMM), CPU time (``time.process_time``) on one BLAS thread, the two paths
alternating round by round; median and best of the rounds. ``rules`` scores candidate
rules "Winograd when C_in ≥ a, C_out ≥ b and N·Ho·Wo ≥ c" by the geometric mean over the
grid of (time of the path the rule picks) / (time of the faster path), forward + backward;
zennet.ops.winograd.winograd_pays is the best of them. The compiled kernels are as the
environment says (on when numba is installed): im2col's dx uses their col2im then.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy and torch load

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import zennet as zn  # noqa: E402
import zennet.functional as F  # noqa: E402
from benchmarks.cases import CASES, SHAPES  # noqa: E402
from zennet.ops.winograd import use_conv_algorithm  # noqa: E402

torch.set_num_threads(1)
CHANNELS, SIZES, BATCHES = (1, 3, 16, 32, 64, 128), (8, 14, 28, 32, 56), (1, 32, 128)
QUICK = ((16, 64), (8, 28), (1, 32))
PATHS = ("im2col", "winograd")
# (C_in, C_out, size, batch) for the error table: error grows with the sum's length 9·C_in
ERROR_SHAPES = ((3, 16, 28, 8), (32, 64, 28, 8), (128, 128, 14, 4), (512, 512, 8, 2))
ERROR_SHAPES += ((2048, 64, 8, 2),)


def cpu_ms(step, steps):
    start = time.process_time()
    for _ in range(steps):
        step()
    return (time.process_time() - start) / steps * 1e3


def conv_steps(c_in, c_out, size, batch):
    """The forward (no graph) and forward + backward of one conv on fresh random data."""
    rng = np.random.default_rng(0)
    x = zn.tensor(rng.standard_normal((batch, c_in, size, size), dtype=np.float32))
    x.requires_grad_(True)
    w = zn.tensor(
        rng.standard_normal((c_out, c_in, 3, 3), dtype=np.float32) / 3, requires_grad=True
    )
    b = zn.tensor(np.zeros(c_out, dtype=np.float32), requires_grad=True)
    dy = zn.tensor(rng.standard_normal((batch, c_out, size, size), dtype=np.float32))

    def forward():
        with zn.no_grad():
            F.conv2d(x, w, b, padding=1)

    def train():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, padding=1).backward(dy)

    return {"forward": forward, "train": train}


def stats(times):
    return {"median": statistics.median(times), "best": min(times)}


def time_shape(c_in, c_out, size, batch, rounds):
    """CPU ms per call of each path, forward and train, alternating paths every round."""
    steps = conv_steps(c_in, c_out, size, batch)
    times = {kind: {path: [] for path in PATHS} for kind in steps}
    repeat = dict.fromkeys(steps, 1)
    for r in range(rounds + 1):  # round 0 warms up and sets the repeats: ≥ 5 ms a measurement
        for path in PATHS if r % 2 else PATHS[::-1]:
            use_conv_algorithm(path)
            for kind, step in steps.items():
                ms = cpu_ms(step, repeat[kind])
                if r:
                    times[kind][path].append(ms)
                else:
                    repeat[kind] = max(repeat[kind], min(math.ceil(5 / max(ms, 1e-3)), 20))
    row = {"c_in": c_in, "c_out": c_out, "size": size, "batch": batch}
    for kind, by_path in times.items():
        row[kind] = {path: stats(t) for path, t in by_path.items()}
        row[kind]["speedup"] = row[kind]["im2col"]["median"] / row[kind]["winograd"]["median"]
    return row


PIXELS = (0, 64, 196, 784, 1024, 2048, 4096, 8192, 25088)  # N·Ho·Wo thresholds tried


def picks_winograd(row, rule):
    a, b, pixels = rule
    return row["c_in"] >= a and row["c_out"] >= b and row["batch"] * row["size"] ** 2 >= pixels


def score(rows, rule, kind="train"):
    """Geometric mean over rows of (time of the path the rule picks) / (faster path's)."""
    logs = []
    for row in rows:
        t = {p: row[kind][p]["median"] for p in PATHS}
        pick = "winograd" if picks_winograd(row, rule) else "im2col"
        logs.append(math.log(t[pick] / min(t.values())))
    return math.exp(sum(logs) / len(logs))


def rules(rows):
    """Every rule "C_in ≥ a, C_out ≥ b, N·Ho·Wo ≥ c" over the grid's values, best first
    (forward + backward); also never (im2col everywhere) and always (Winograd everywhere)."""
    channels = sorted({row["c_in"] for row in rows})
    named = {"never": (math.inf,) * 3, "always": (0, 0, 0)}
    candidates = list(named.items()) + [
        (None, rule) for rule in itertools.product(channels, channels, PIXELS)
    ]
    scored = [
        {"name": name, "c_in": a, "c_out": b, "pixels": c}
        | {"train": score(rows, (a, b, c)), "forward": score(rows, (a, b, c), "forward")}
        for name, (a, b, c) in candidates
    ]
    for s in scored[:2]:
        s.update(c_in=None, c_out=None, pixels=None)  # JSON has no infinity
    return sorted(scored, key=lambda s: s["train"])


def conv64(x, w):
    return torch.nn.functional.conv2d(torch.tensor(x, dtype=torch.float64), w, padding=1)


def max_errors(ours, ref):
    err = float(np.abs(ours - ref).max())
    return {"max_abs": err, "max_rel_to_scale": err / float(np.abs(ref).max())}


def error_row(c_in, c_out, size, batch):
    """float32 y and dx of each path against float64 (torch) on the same float32 inputs."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size), dtype=np.float32)
    w = (rng.standard_normal((c_out, c_in, 3, 3)) / math.sqrt(9 * c_in)).astype(np.float32)
    dy = rng.standard_normal((batch, c_out, size, size), dtype=np.float32)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, torch.tensor(w, dtype=torch.float64), padding=1)
    yt.backward(torch.tensor(dy, dtype=torch.float64))
    row = {"c_in": c_in, "c_out": c_out, "size": size, "batch": batch}
    for path in PATHS:
        use_conv_algorithm(path)
        xz = zn.tensor(x, requires_grad=True)
        y = F.conv2d(xz, zn.tensor(w), padding=1)
        y.backward(zn.tensor(dy))
        row[path] = {
            "y": max_errors(y.numpy(), yt.detach().numpy()),
            "dx": max_errors(xz.grad.numpy(), xt.grad.numpy()),
        }
    return row


def cnn_cases(rounds, steps):
    """CPU ms per training step of the runner's CNN, the second set's, and one deeper CNN
    (its third conv, 64 -> 128 on 8×8, is the one auto sends to Winograd): im2col, auto and
    Winograd forced."""
    shapes = [("cnn", CASES["cnn"][1], {})] + [s for s in SHAPES if s[0] == "cnn"]
    shapes.append(("cnn", 64, dict(image=(3, 32, 32), channels=(32, 64, 128), padding=1)))
    out = []
    for key, batch, options in shapes:
        case = CASES[key][0](batch, **options)
        times = {"im2col": [], "auto": [], "winograd": []}
        for r in range(rounds + 1):
            for path in list(times) if r % 2 else list(times)[::-1]:
                use_conv_algorithm(path)
                ms = cpu_ms(case.zennet_step, steps)
                if r:
                    times[path].append(ms)
        out.append({"name": case.name, "batch": batch} | {p: stats(t) for p, t in times.items()})
        print(f"{case.name:<58} {batch:>4}", *(f"{p} {out[-1][p]['median']:7.1f}" for p in times))
    return out


def run_grid(axes, rounds):
    """Time every shape of the grid; rank the rules."""
    channels, sizes, batches = axes
    grid = []
    for c_in, c_out, size, batch in itertools.product(channels, channels, sizes, batches):
        grid.append(row := time_shape(c_in, c_out, size, batch, rounds))
        f, t = row["forward"], row["train"]
        print(
            f"C_in {c_in:>3} C_out {c_out:>3} size {size:>2} batch {batch:>3}  forward "
            f"{f['im2col']['median']:8.2f} {f['winograd']['median']:8.2f} ({f['speedup']:.2f}x)"
            f"  train {t['im2col']['median']:8.2f} {t['winograd']['median']:8.2f} "
            f"({t['speedup']:.2f}x)"
        )
    return {"rounds": rounds, "grid": grid}


def rank_rules(grid):
    ranked = rules(grid)
    for r in ranked[:5] + [s for s in ranked if s["name"]]:
        print(
            f"rule {r['name'] or ''} C_in ≥ {r['c_in']}, C_out ≥ {r['c_out']}, N·Ho·Wo ≥ "
            f"{r['pixels']}: train {r['train']:.3f}, forward {r['forward']:.3f} of the best"
        )
    return ranked[:10] + [s for s in ranked if s["name"]]


def run_errors(shapes):
    errors = [error_row(*shape) for shape in shapes]
    for e in errors:
        print(
            f"error C_in {e['c_in']:>4} C_out {e['c_out']:>3}: y max abs / rel-to-scale "
            + "  ".join(
                f"{p} {e[p]['y']['max_abs']:.2e} / {e[p]['y']['max_rel_to_scale']:.2e}"
                f" (dx {e[p]['dx']['max_rel_to_scale']:.2e})"
                for p in PATHS
            )
        )
    return errors


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: a few shapes, 1 round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--parts",
        default="grid,errors,cnn",
        help="grid, rules (re-rank the saved grid), errors, cnn; the JSON keeps the rest",
    )
    parser.add_argument("--json", default=os.path.join(os.path.dirname(__file__), "winograd.json"))
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else args.rounds
    parts = args.parts.split(",")
    record = {}
    if os.path.exists(args.json) and not args.quick:
        with open(args.json) as f:
            record = json.load(f)
    load_before, started = os.getloadavg()[0], time.perf_counter()
    print(f"CPU ms per call, one thread, median of {rounds} rounds; load {load_before:.2f}")
    if "grid" in parts:
        record |= run_grid(QUICK if args.quick else (CHANNELS, SIZES, BATCHES), rounds)
        record["compiled_kernels"] = zn.kernels.compiled_kernels_enabled()  # im2col's col2im
    if "grid" in parts or "rules" in parts:
        record["rules"] = rank_rules(record["grid"])
    if "errors" in parts:
        record["errors"] = run_errors(ERROR_SHAPES[:2] if args.quick else ERROR_SHAPES)
    if "cnn" in parts:
        record["cnn"] = cnn_cases(1 if args.quick else 5, 1 if args.quick else 3)
    use_conv_algorithm("auto")
    load = {"before": load_before, "after": os.getloadavg()[0]}
    minutes = (time.perf_counter() - started) / 60
    print(f"load average before {load['before']:.2f}, after {load['after']:.2f}; {minutes:.1f} min")
    record["load_average " + "+".join(parts)] = load
    with open(args.json, "w") as f:
        json.dump(record | {"quick": args.quick}, f, indent=1)
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
