"""The runner's transformer case (benchmarks/cases.py: one post-norm TransformerEncoderLayer,
mean-pooled, Linear, Adam), one training step, zennet against PyTorch and optionally an
older zennet, in CPU time on one thread, rounds alternating their order. Prints median
and best CPU ms per step; with --profile the CPU time of each op's forward and backward
and a cProfile of zennet's steps; with --gemms the step's dense GEMMs alone.

    python -m benchmarks.transformer_step                     # runner's shape, batch 32
    python -m benchmarks.transformer_step --shape big         # d=256, 8 heads, seq 128, batch 8
    python -m benchmarks.transformer_step --shape small       # d=64, 2 heads, seq 32, batch 64
    python -m benchmarks.transformer_step --baseline main     # and zennet at a git revision
    python -m benchmarks.transformer_step --kernels numpy     # the NumPy path (default: as
                                                              # zennet.kernels decides)
    python -m benchmarks.transformer_step --profile --gemms
    python -m benchmarks.transformer_step --parts --baseline main   # the pieces alone

The numbers and what they mean are in docs/performance.md (the transformer layer).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy and torch load

import argparse  # noqa: E402
import collections  # noqa: E402
import cProfile  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import pathlib  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tarfile  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import zennet as zn  # noqa: E402
from benchmarks.cases import SHAPES, Transformer, _composite, _mean_pooled  # noqa: E402
from benchmarks.kernels import cpu_ms  # noqa: E402

torch.set_num_threads(1)
SHAPE_ROWS = {"runner": (32, {}), "big": SHAPES[-2][1:], "small": SHAPES[-1][1:]}


def baseline_package(revision, into):
    """zennet at a git revision, importable as ``zennet_base`` (its imports renamed)."""
    command = ["git", "archive", revision, "zennet"]
    archive = subprocess.run(command, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    root = pathlib.Path(into) / "zennet_base"
    (pathlib.Path(into) / "zennet").rename(root)
    for path in root.rglob("*.py"):
        text = path.read_text()
        text = re.sub(r"\bzennet\.", "zennet_base.", text)
        text = re.sub(r"^(\s*)(import|from) zennet\b", r"\1\2 zennet_base", text, flags=re.M)
        path.write_text(text)
    sys.path.insert(0, into)
    return importlib.import_module("zennet_base")


def steps_of(case, lib):
    """A training step of the case's model rebuilt in ``lib`` (a zennet) with its weights."""
    if lib is zn:
        return case.zennet_step
    model = _composite(
        lib.nn.Module, _mean_pooled, head=lib.nn.Linear(case.d, 10),
        encoder=lib.nn.TransformerEncoderLayer(
            case.d, case.heads, dim_feedforward=case.ff, dropout=0.0, batch_first=True
        ),
    )  # fmt: skip
    model.load_state_dict({k: v.copy() for k, v in case.zn_model.state_dict().items()})
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    x, y = lib.tensor(case.zn_x.numpy()), lib.tensor(case.zn_y.numpy())

    def step():
        loss = lib.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def compare(runs, rounds, steps):
    for run in runs.values():  # warm-up: kernels compile, the allocator settles
        run(), run()
    times = {name: [] for name in runs}
    for r in range(rounds):
        for name in list(runs)[:: 1 if r % 2 else -1]:
            times[name].append(cpu_ms(runs[name], steps))
    for name, t in times.items():
        ratio = statistics.median(times["torch"]) / statistics.median(t)
        print(f"  {name:8s} median {statistics.median(t):7.2f}  best {min(t):7.2f}  "
              f"torch/{name} {ratio:.3f} (best {min(times['torch']) / min(t):.3f})")  # fmt: skip


def profile_ops(step, steps):
    """CPU ms per step in each op's forward (Function.apply) and backward."""
    from zennet.autograd import Function

    spent = collections.defaultdict(float)
    plain_apply, patched = Function.apply.__func__, {}

    def timed(fn, key):
        def run(*args, **kwargs):
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.process_time() - start

        return run

    def apply(cls, *inputs, **params):
        return timed(plain_apply, (cls.__name__, "forward"))(cls, *inputs, **params)

    Function.apply = classmethod(apply)
    classes, seen = list(Function.__subclasses__()), set()
    while classes:
        cls = classes.pop()
        classes += cls.__subclasses__()
        if "backward" in cls.__dict__ and cls not in seen:
            seen.add(cls)
            patched[cls] = cls.__dict__["backward"]
            cls.backward = timed(patched[cls], (cls.__name__, "backward"))
    try:
        total = cpu_ms(step, steps)
    finally:
        Function.apply = classmethod(plain_apply)
        for cls, backward in patched.items():
            cls.backward = backward
    print(f"  per op, CPU ms per step (step {total:.2f} with the timers):")
    for (name, phase), t in sorted(spent.items(), key=lambda kv: -kv[1])[:14]:
        print(f"    {name:22s} {phase:8s} {t / steps * 1e3:6.2f}")
    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(lambda: [step() for _ in range(steps)])
    pstats.Stats(profiler).sort_stats("tottime").print_stats(14)


def gemms(case, repeats=20):
    """CPU ms of the dense layers' GEMMs alone (forward, dX, dW), NumPy against torch."""
    m, d, ff = case.batch_size * case.seq, case.d, case.ff
    layers = [(d, 3 * d), (d, d), (d, ff), (ff, d)]  # in_proj, out_proj, linear1, linear2
    rng = np.random.default_rng(0)
    for lib, wrap in (("numpy", np.asarray), ("torch", torch.from_numpy)):
        total = 0.0
        for n_in, n_out in layers:
            a, w, dz = (
                wrap(rng.standard_normal(s).astype(np.float32))
                for s in ((m, n_in), (n_out, n_in), (m, n_out))
            )
            for left, right in ((a, w.T), (dz, w), (dz.T, a)):
                product = lambda left=left, right=right: left @ right  # noqa: E731
                total += min(cpu_ms(product, 5) for _ in range(repeats))
        flops = 6 * m * sum(i * o for i, o in layers)
        print(f"  {lib} dense GEMMs {total:.2f} ms ({flops / total / 1e6:.0f} GFLOP/s)")


def best_ms(fn, calls=20, repeats=7):
    fn()
    return min(cpu_ms(fn, calls) for _ in range(repeats))


def parts(case, base):
    """CPU ms (best of 7 x 20 calls) of the pieces changed or tried, at the case's shapes;
    LayerNorm also in ``base`` (an older zennet) when given."""
    from zennet import kernels
    from zennet.ops import attention as att

    rng = np.random.default_rng(0)
    N, L, E, h, ff = case.batch_size, case.seq, case.d, case.heads, case.ff
    scores, dp = rng.standard_normal((2, N, h, L, L), np.float32)
    p = att.safe_softmax(scores, -2, np)
    rows = rng.standard_normal((N * L, E), np.float32)
    z, dz = rng.standard_normal((2, N * L, ff), np.float32)
    w, w1 = rng.standard_normal((3 * E, E), np.float32), rng.standard_normal((ff, E), np.float32)
    y, ones = np.maximum(z, 0), np.ones(N * L, np.float32)
    k, q = rng.standard_normal((2, N * h, L, E // h), np.float32)

    def show(name, fn, setup=None):  # setup: what fn copies each call, subtracted
        ms = best_ms(fn) - (best_ms(setup) if setup else 0)
        print(f"  {name:58s} {ms:6.3f} ms")

    def layer_norm(lib):
        x = lib.tensor(rows.reshape(N, L, E), requires_grad=True)
        layer, seed = lib.nn.LayerNorm(E), lib.tensor(rows.reshape(N, L, E))
        return lambda: layer(x).backward(seed)

    def pairwise_max(x):
        while x.shape[-1] > 1:
            half = x.shape[-1] // 2
            x = np.maximum(x[..., :half], x[..., half:])
        return x

    for on in (False, True):
        name = "compiled" if on else "NumPy"
        kernels.use_compiled_kernels(on)
        forward = lambda: att._softmax_over_keys(scores.copy(), np)  # noqa: E731
        show(f"softmax over keys, {name}, forward", forward, scores.copy)
        backward = lambda: att._softmax_over_keys_backward(dp.copy(), p, np)  # noqa: E731
        show(f"softmax over keys, {name}, backward", backward, dp.copy)
        for label, lib in (("now", zn), ("baseline", base)):
            if lib is not None:
                lib.use_compiled_kernels(on)
                show(f"LayerNorm({E}) forward + backward, {name}, {label}", layer_norm(lib))
    kernels.use_compiled_kernels(False)
    three = [w[i * E : (i + 1) * E] for i in range(3)]
    pieces = {
        "softmax backward's sums, (dy * y).sum(-2)": lambda: (dp * p).sum(-2),
        "softmax backward's sums, einsum": lambda: np.einsum("...ij,...ij->...j", dp, p),
        "row max: s.max(-1)": lambda: scores.max(-1),
        "row max: pairwise np.maximum": lambda: pairwise_max(scores),
        "row max: s.max(-2) (transposed layout)": lambda: scores.max(-2),
        "global max": lambda: scores.max(),
        "K·Qᵀ: k @ q.swapaxes(-1, -2)": lambda: k @ q.swapaxes(-1, -2),
        "K·Qᵀ: k @ contiguous qᵀ (with its copy)": lambda: k @ np.ascontiguousarray(q.mT),
        "Q, K, V: one GEMM (m, E) x (E, 3E)": lambda: rows @ w.T,
        "Q, K, V: three GEMMs (m, E) x (E, E)": lambda: [rows @ part.T for part in three],
        "linear1 forward: a @ w.T": lambda: rows @ w1.T,
        "linear1 forward: (w @ a.T).T": lambda: (w1 @ rows.T).T,
        "linear1 dW: dz.T @ a": lambda: dz.T @ rows,
        "linear1 dW: (a.T @ dz).T": lambda: (rows.T @ dz).T,
        "linear1 db: dz.sum(0)": lambda: dz.sum(0),
        "linear1 db: ones @ dz": lambda: ones @ dz,
        "ReLU backward: dy * (y > 0)": lambda: dz * (y > 0),
        "ReLU backward: np.sign(y) * dy": lambda: np.sign(y) * dz,
        "ReLU backward: np.where(y > 0, dy, 0)": lambda: np.where(y > 0, dz, 0),
    }
    for name, piece in pieces.items():
        show(name, piece)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="runner", choices=SHAPE_ROWS)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=5, help="steps per round")
    parser.add_argument("--baseline", help="a git revision of zennet to compare with")
    parser.add_argument("--kernels", choices=("numpy", "compiled"))
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--gemms", action="store_true")
    parser.add_argument("--parts", action="store_true", help="the pieces alone")
    args = parser.parse_args()
    batch, options = SHAPE_ROWS[args.shape]
    case = Transformer(batch, **options)
    libs = {"zennet": zn}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            libs[args.baseline] = baseline_package(args.baseline, tmp)
        for lib in libs.values():
            if args.kernels:
                lib.use_compiled_kernels(args.kernels == "compiled")
        runs = {name: steps_of(case, lib) for name, lib in libs.items()}
        runs["torch"] = case.torch_step
        kernels = "on" if zn.kernels.compiled_kernels_enabled() else "off"
        print(f"{case.name}, batch {batch}: CPU ms per step, one thread, compiled kernels "
              f"{kernels}, {args.rounds} rounds x {args.steps} steps, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        if args.parts:
            parts(case, libs.get(args.baseline))
            return
        compare(runs, args.rounds, args.steps)
        if args.profile:
            profile_ops(case.zennet_step, args.steps)
        if args.gemms:
            gemms(case)
        print(f"  load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
