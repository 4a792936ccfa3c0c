"""The primer's program, run by zennet's autograd.

The primer is the textbook deep-learning course whose formulas zennet follows (one sample
per column; docs/math.md maps each formula to zennet's code). It trains logistic
regression by hand:

    Z = W·X + b,  A = sigmoid(Z),  L = -mean(Y log A + (1 - Y) log(1 - A))
    dZ = A - Y,   dW = dZ·Xᵀ / m,  db = mean(dZ)
    W ← W - α·dW, b ← b - α·db

Here zennet computes dW and db by back-propagation instead; the test
tests/test_logistic_regression.py checks that they equal the hand-written formulas.

    python examples/logistic_regression.py
"""

import numpy as np

import zennet as zn


def make_data(m=200, seed=0, dtype=np.float32):
    """Two Gaussian blobs in 2-D: X (2, m), labels Y (1, m) in {0, 1}."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=(1, m))
    x = rng.standard_normal((2, m)) + 2.0 * (2 * y - 1)
    return x.astype(dtype), y.astype(dtype)


def train(x, y, steps=100, alpha=0.1, seed=0, log_every=0):
    """Gradient descent on the primer's model; returns W, b and the loss of each step."""
    rng = np.random.default_rng(seed)
    w = zn.tensor(0.01 * rng.standard_normal((1, 2)).astype(x.dtype), requires_grad=True)
    b = zn.zeros(1, 1, dtype=x.dtype, requires_grad=True)
    X, Y = zn.tensor(x), zn.tensor(y)
    losses = []
    for step in range(steps):
        Z = w @ X + b  # (1, m)
        A = Z.sigmoid()
        L = -(Y * A.log() + (1 - Y) * (1 - A).log()).mean()
        L.backward()  # w.grad = dZ·Xᵀ/m, b.grad = mean(dZ)
        with zn.no_grad():
            w.data -= alpha * w.grad.data
            b.data -= alpha * b.grad.data
        w.grad = b.grad = None
        losses.append(L.item())
        if log_every and step % log_every == 0:
            print(f"step {step:3d}  loss {L.item():.4f}")
    return w, b, losses


if __name__ == "__main__":
    x, y = make_data()
    w, b, losses = train(x, y, steps=100, alpha=0.5, log_every=10)
    accuracy = ((w @ zn.tensor(x) + b).sigmoid().numpy() > 0.5) == y
    print(f"final loss {losses[-1]:.4f}  training accuracy {accuracy.mean():.3f}")
