"""examples/logistic_regression.py (autograd) equals the primer's hand-written NumPy program."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "logistic_regression.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("logistic_regression", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def primer(x, y, steps, alpha, seed):
    """The primer's loop, formula by formula; samples are columns: X (2, m), Y (1, m)."""
    rng = np.random.default_rng(seed)
    W = 0.01 * rng.standard_normal((1, 2)).astype(x.dtype)  # same draw as train()
    b = np.zeros((1, 1), dtype=x.dtype)
    m = x.shape[1]
    losses = []
    for _ in range(steps):
        Z = W @ x + b
        A = 1 / (1 + np.exp(-Z))
        losses.append(-np.mean(y * np.log(A) + (1 - y) * np.log(1 - A)))
        dZ = A - y
        dW = dZ @ x.T / m
        db = np.mean(dZ, axis=1, keepdims=True)
        W = W - alpha * dW
        b = b - alpha * db
    return W, b, np.array(losses)


def test_autograd_training_equals_the_primers_formulas_in_float64(example):
    x, y = example.make_data(m=200, seed=0, dtype=np.float64)
    w, b, losses = example.train(x, y, steps=100, alpha=0.1, seed=0)
    W, B, expected_losses = primer(x, y, steps=100, alpha=0.1, seed=0)
    assert w.dtype == np.float64 and w.shape == W.shape and b.shape == B.shape
    np.testing.assert_allclose(w.numpy(), W, rtol=0, atol=1e-10)
    np.testing.assert_allclose(b.numpy(), B, rtol=0, atol=1e-10)
    np.testing.assert_allclose(losses, expected_losses, rtol=0, atol=1e-10)


def test_loss_falls_and_the_blobs_are_separated(example):
    x, y = example.make_data(m=200, seed=1, dtype=np.float64)
    w, b, losses = example.train(x, y, steps=100, alpha=0.5, seed=0)
    assert losses[-1] < 0.5 * losses[0]
    assert all(later <= earlier + 1e-12 for earlier, later in zip(losses, losses[1:]))
    predictions = (w.numpy() @ x + b.numpy()) > 0
    assert (predictions == y).mean() > 0.95


def test_float32_training_stays_float32_and_close_to_float64(example):
    x, y = example.make_data(m=200, seed=0)
    w, b, losses = example.train(x, y, steps=100, alpha=0.1, seed=0)
    assert w.dtype == np.float32 and b.dtype == np.float32
    W, B, _ = primer(x.astype(np.float64), y.astype(np.float64), steps=100, alpha=0.1, seed=0)
    np.testing.assert_allclose(w.numpy(), W, rtol=1e-4, atol=1e-5)
