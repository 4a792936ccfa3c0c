"""The runner's dense GEMMs three ways, on two threads: NumPy's OpenBLAS threading them itself,
zennet's cut (zennet.kernels.matmul: one BLAS call per thread, at once) and torch.mm.

    python -m benchmarks.gemm_shapes                      # zennet's parts on oneMKL, if installed
    ZENNET_BLAS=openblas python -m benchmarks.gemm_shapes  # zennet's parts on NumPy's OpenBLAS

Median µs of 100 calls after 10 warm-up calls, and GFLOP/s. It shows what bounds the MLP and
the transformer layer against PyTorch: the GEMM itself (docs/performance.md). Then the
transformer layer's attention scores, K·Qᵀ for 32 samples × 4 heads of 64 keys × 32 × 64
queries, with Q and K strided views of the (N·L, 3E) projection as ops/attention.py has
them: Qᵀ passed as a view, or copied contiguous first, through zennet's cut and NumPy's.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.timing import median_us  # noqa: E402
from zennet import kernels, parallel  # noqa: E402

torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
SHAPES = [  # (m, k, n, what): x (m, k) @ wᵀ (k, n), as a dense layer computes it
    (128, 784, 512, "MLP layer 1"),
    (128, 512, 512, "MLP layer 2"),
    (2048, 128, 512, "transformer feed-forward in"),
    (2048, 512, 128, "transformer feed-forward out"),
    (64, 128, 512, "LSTM step, h·W_hhᵀ"),
    (86528, 9, 32, "CNN conv1 (im2col)"),
    (15488, 288, 64, "CNN conv2 (im2col)"),
]


def main():
    rng = np.random.default_rng(0)
    blas = parallel._blas()
    cut = f"zennet cut on {parallel.blas_name()}"
    print(f"threads {os.environ['OMP_NUM_THREADS']}; cut {kernels.parts(1 << 30, 0)} parts")
    print(f"{'m×k×n':16s} {'OpenBLAS':>10s} {cut:>11s} {'torch.mm':>9s}   µs (GFLOP/s)")
    for m, k, n, what in SHAPES:
        x, w = rng.random((m, k), dtype=np.float32), rng.random((n, k), dtype=np.float32)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        times = [
            median_us(lambda x=x, w=w: x @ w.T),  # BLAS's own threads: zennet holds it inside
            median_us(lambda x=x, w=w: kernels.matmul(x, w.T)),
            median_us(lambda tx=tx, tw=tw: torch.mm(tx, tw.T)),
        ]
        assert all(c.get_num_threads() > 1 for c in blas), "BLAS was left on one thread"
        shown = "".join(f"{t:7.0f} ({2 * m * k * n / t / 1e3:3.0f})" for t in times)
        print(f"{m}×{k}×{n:<6d} {shown}   {what}")
    attention_scores(rng)


def attention_scores(rng, samples=32, length=64, heads=4, width=32):
    """K·Qᵀ of the transformer layer's heads, Qᵀ as a view or a contiguous copy."""
    embed = heads * width
    qkv = rng.random((samples * length, 3 * embed), dtype=np.float32)
    split = qkv.reshape(samples, length, 3, heads, width)
    q, k = (split[:, :, i].transpose(0, 2, 1, 3) for i in range(2))  # (N, h, L, d) views
    print(f"attention scores, {samples}·{heads} heads of {length}×{width}×{length}:")
    for label, product in (("zennet's cut", kernels.matmul), ("NumPy", np.matmul)):
        view = median_us(lambda product=product: product(k, np.swapaxes(q, -1, -2)))
        copy = median_us(
            lambda product=product: product(k, np.ascontiguousarray(np.swapaxes(q, -1, -2)))
        )
        print(f"  {label:13s} Qᵀ as a view {view:5.0f} µs, copied first {copy:5.0f} µs")


if __name__ == "__main__":
    main()
