"""Cross-entropy on labels (ops.loss.MeanLabelCrossEntropy) on NumPy's path and with the
compiled kernels (zennet.kernels.label_shift, label_nll, label_nll_backward).

    python -m benchmarks.label_loss

Median µs of 200 calls of the op's forward, its backward, and F.cross_entropy with
loss.backward() as a training step calls them, for the runner's MLP logits (128, 10) and a
language model's (512, 1000).
"""

import numpy as np

import zennet as zn
import zennet.functional as F
from benchmarks.timing import median_us
from zennet import kernels
from zennet.ops.loss import MeanLabelCrossEntropy


def timings(x, y):
    op = MeanLabelCrossEntropy()
    op.needs_input_grad = (True, False)
    op.forward(x, y)
    zx, zy = zn.tensor(x, requires_grad=True), zn.tensor(y)
    return [
        median_us(lambda: op.forward(x, y), calls=200),
        median_us(lambda: op.backward(np.float32(1)), calls=200),
        median_us(lambda: F.cross_entropy(zx, zy).backward(), calls=200),
    ]


def main():
    rng = np.random.default_rng(0)
    print(f"{'logits':>12} {'path':>9} {'forward':>9} {'backward':>9} {'F + backward':>13}  (µs)")
    for shape in [(128, 10), (512, 1000)]:
        x = rng.standard_normal(shape).astype(np.float32)
        y = rng.integers(0, shape[1], shape[0])
        for path, on in (("NumPy", False), ("compiled", True)):
            previous = kernels.use_compiled_kernels(on)
            row = timings(x, y)
            kernels.use_compiled_kernels(previous)
            print(f"{str(shape):>12} {path:>9} {row[0]:9.1f} {row[1]:9.1f} {row[2]:13.1f}")


if __name__ == "__main__":
    main()
