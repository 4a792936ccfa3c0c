"""Sanity checks for saliency maps (Adebayo et al., 2018): an explanation must depend on
what the model learned. A map that looks the same for trained and random weights explains
the input (an edge detector would do), not the model."""

import numpy as np
import pytest

import zennet as zn
import zennet.functional as F
from zennet import explain, nn, optim


def mlp():
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


def spearman(a, b):
    """Rank correlation of two maps per sample: (N,)."""
    ra, rb = a.argsort(1).argsort(1), b.argsort(1).argsort(1)
    ra, rb = ra - ra.mean(1, keepdims=True), rb - rb.mean(1, keepdims=True)
    return (ra * rb).sum(1) / np.sqrt((ra**2).sum(1) * (rb**2).sum(1))


@pytest.fixture(scope="module")
def digits_and_models():
    """An MLP trained 5 epochs on the digits (well under a second), the same architecture
    with fresh random weights, and test images."""
    zn.manual_seed(0)
    (x, y), (xt, yt) = zn.datasets.load_digits()
    trained, random = mlp(), mlp()
    opt = optim.Adam(trained.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    for _ in range(5):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 64):
            batch = order[i : i + 64]
            loss = F.cross_entropy(trained(zn.tensor(x[batch])), y[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
    accuracy = (np.asarray(trained(zn.tensor(xt)).data).argmax(1) == yt).mean()
    assert accuracy > 0.85  # it learned something worth explaining
    return x, xt[:60], yt[:60], trained, random


def test_saliency_differs_between_trained_and_random_weights(digits_and_models):
    _, xs, ys, trained, random = digits_and_models
    learned = explain.saliency(trained, xs, ys, abs=True)
    untrained = explain.saliency(random, xs, ys, abs=True)
    assert spearman(learned, untrained).mean() < 0.3
    # the test has teeth: the same model gives rank correlation 1
    assert spearman(learned, explain.saliency(trained, xs, ys, abs=True)).min() > 0.999


def test_trained_saliency_follows_the_pixels_that_vary(digits_and_models):
    """Pixels that are the same in every image carry no information; the trained model's
    saliency concentrates where the digits differ, the random model's does not."""
    x, xs, ys, trained, random = digits_and_models
    pixel_std = x.std(axis=0)  # (64,)
    learned = explain.saliency(trained, xs, ys, abs=True).mean(0)
    untrained = explain.saliency(random, xs, ys, abs=True).mean(0)
    follows = np.corrcoef(learned, pixel_std)[0, 1]
    assert follows > 0.4
    assert follows > np.corrcoef(untrained, pixel_std)[0, 1] + 0.2


def test_randomizing_the_top_layer_changes_the_maps(digits_and_models):
    """Cascading randomization, first step: re-draw only the output layer."""
    _, xs, ys, trained, _ = digits_and_models
    fresh = {k: v for k, v in mlp().state_dict().items() if k.startswith("2.")}  # the head
    top_random = mlp()
    top_random.load_state_dict({**trained.state_dict(), **fresh})
    learned = explain.saliency(trained, xs, ys, abs=True)
    assert spearman(learned, explain.saliency(top_random, xs, ys, abs=True)).mean() < 0.4
