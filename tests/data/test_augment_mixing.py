import numpy as np
import pytest

from tests.data.augment_batches import K, images, labels, rectangles
from zennet.data.augment import (
    Compose,
    CutMix,
    Mixup,
)


def test_mixup_mixes_inputs_and_one_hots_with_the_same_lambda(rng):
    y = labels(rng, n=32)
    x = np.eye(K, dtype=np.float32)[y]  # the inputs ARE the one-hots: x mixes as y must
    out_x, out_y = Mixup(0.4, num_classes=K)(x, y, np.random.default_rng(0))
    np.testing.assert_allclose(out_y, out_x, atol=1e-7)
    np.testing.assert_allclose(out_y.sum(1), 1, rtol=1e-6)
    lam = out_y[np.arange(32), y]
    assert np.all((out_y > 1e-7).sum(1) <= 2) and np.ptp(lam) > 0.3  # two classes, λ per sample


def test_mixup_images_are_convex_combinations_of_two_samples(rng):
    x, y = images(rng, n=16), labels(rng, n=16)  # 162 values per sample: independent rows
    out_x, out_y = Mixup(1.0, num_classes=K)(x, y, np.random.default_rng(0))
    flat_x, flat_out = x.reshape(16, -1).astype(np.float64), out_x.reshape(16, -1)
    weights = np.linalg.lstsq(flat_x.T, flat_out.T, rcond=None)[0].T  # out_i = Σ_k w_ik x_k
    np.testing.assert_allclose(weights @ flat_x, flat_out, atol=1e-5)
    assert np.all((np.abs(weights) > 1e-4).sum(1) <= 2) and np.all(weights > -1e-4)
    np.testing.assert_allclose(weights.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(out_y, weights @ np.eye(K)[y], atol=1e-4)  # same λ, same pair


def test_cutmix_label_share_equals_the_pasted_area(rng):
    n, h, w = 64, 10, 12
    y = labels(rng, n=n)
    x = np.broadcast_to(np.arange(1, n + 1, dtype=np.float32)[:, None, None, None], (n, 2, h, w))
    out_x, out_y = CutMix(1.0, num_classes=K)(x, y, np.random.default_rng(0))
    np.testing.assert_array_equal(out_x[:, 1], out_x[:, 0])  # the same box in every channel
    foreign = out_x[:, 0] != np.arange(1, n + 1)[:, None, None]  # (N, H, W): pasted pixels
    assert all(is_box for is_box, _, _ in rectangles(foreign))
    soft = np.eye(K, dtype=np.float32)[y]
    for i in range(n):
        share = foreign[i].mean()
        expected = soft[i]  # nothing pasted, or pasted from itself
        if share:
            (partner,) = set(out_x[i, 0][foreign[i]].astype(int) - 1)
            expected = (1 - share) * soft[i] + share * soft[partner]
        np.testing.assert_allclose(out_y[i], expected, atol=1e-6)
    assert foreign.any(axis=(1, 2)).sum() > n // 2


def test_mixing_accepts_soft_labels_and_chains(rng):
    x, y = images(rng), labels(rng)
    aug = Compose([Mixup(0.4, num_classes=K), CutMix(1.0)])  # CutMix gets soft labels
    _, out_y = aug(x, y, np.random.default_rng(0))
    assert out_y.shape == (6, K)
    np.testing.assert_allclose(out_y.sum(1), 1, rtol=1e-6)


def test_mixing_errors(rng):
    x, y = images(rng), labels(rng)
    with pytest.raises(ValueError, match=r"Mixup: got class indices .* num_classes=K"):
        Mixup(0.2)(x, y, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"CutMix: mixes labels too"):
        CutMix(1.0, num_classes=K)(x, None, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        Mixup(0.2, num_classes=3)(x, y + 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"alpha=-1 must be a number >= 0"):
        CutMix(-1)
