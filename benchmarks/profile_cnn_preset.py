"""Where a training step of the Fashion-MNIST ``cnn`` preset spends its time: the first
step's seconds (compiling or loading the kernels), ms per step (10 steps after 3 warm-up
steps), then ``cProfile``'s functions by own time over 10 more.

    python -m benchmarks.profile_cnn_preset

Random input of Fashion-MNIST's shape, batch 128, AdamW as in the recipe; zennet only (the
time-to-accuracy case, benchmarks/time_to_accuracy.py, compares with PyTorch).
"""

import cProfile
import io
import pstats
import time

import numpy as np

import zennet as zn
from zennet.models import build_model


def preset_step():
    """One training step of the preset (AdamW as in the recipe) on a fixed random batch."""
    zn.manual_seed(0)
    model = build_model("cnn", (1, 28, 28), 10)
    optimizer = zn.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    x, y = rng.random((128, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 128)

    def step():
        optimizer.zero_grad()
        zn.functional.cross_entropy(model(zn.tensor(x)), zn.tensor(y)).backward()
        optimizer.step()

    return step


def main(steps=10, rows=14):
    step = preset_step()
    start = time.perf_counter()
    step()  # compiles zennet's kernels, or loads them from numba's cache
    print(f"first step: {time.perf_counter() - start:.2f} s")
    for _ in range(2):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    print(f"ms per step: {(time.perf_counter() - start) / steps * 1e3:.1f}")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(steps):
        step()
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(rows)
    print(out.getvalue())


if __name__ == "__main__":
    main()
