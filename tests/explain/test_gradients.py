"""Gradient attributions: shapes, a linear model by hand, completeness, targets, modes."""

import numpy as np
import pytest

import zennet as zn
from zennet import explain, nn

METHODS = [
    explain.saliency,
    explain.gradient_x_input,
    explain.smoothgrad,
    explain.integrated_gradients,
    explain.occlusion,
]


def linear_model(rng, n_in=5, n_out=3):
    model = nn.Linear(n_in, n_out)
    model.weight.data[...] = rng.standard_normal((n_out, n_in))
    model.bias.data[...] = rng.standard_normal(n_out)
    return model


def mlp(n_in=6, hidden=16, n_out=3):
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, n_out))


@pytest.mark.parametrize("method", METHODS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype_follow_x(rng, method, dtype):
    x = rng.standard_normal((4, 6)).astype(dtype)
    out = method(mlp(), x, target=1)
    assert isinstance(out, np.ndarray)
    assert out.shape == x.shape and out.dtype == dtype
    assert np.isfinite(out).all() and np.abs(out).sum() > 0


def test_image_batches_keep_their_shape(rng):
    model = nn.Sequential(nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    x = rng.random((3, 2, 4, 4), dtype=np.float32)
    for method in METHODS:
        assert method(model, x, target=[0, 1, 2]).shape == x.shape


def test_linear_model_by_hand(rng):
    """f_c(x) = w_c·x + b_c: saliency is w_c, gradient × input is w_c ⊙ x, and integrated
    gradients from a zero baseline are w_c ⊙ x exactly (the gradient is constant)."""
    model = linear_model(rng)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    target = np.array([2, 0, 1, 2])
    w = model.weight.data[target]  # row w_c per sample, (4, 5)
    np.testing.assert_allclose(explain.saliency(model, x, target), w, rtol=1e-6)
    np.testing.assert_allclose(explain.saliency(model, x, target, abs=True), np.abs(w), rtol=1e-6)
    np.testing.assert_allclose(explain.gradient_x_input(model, x, target), w * x, rtol=1e-6)
    for rule in ("midpoint", "trapezoid"):
        ig = explain.integrated_gradients(model, x, target, steps=7, method=rule)
        np.testing.assert_allclose(ig, w * x, rtol=1e-5, atol=1e-6)
    # SmoothGrad of a linear model: the noise does not change the gradient
    np.testing.assert_allclose(explain.smoothgrad(model, x, target, n_samples=3), w, rtol=1e-5)


def test_integrated_gradients_completeness_on_a_nonlinear_mlp(rng):
    zn.manual_seed(1)
    model = nn.Sequential(
        nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 16), nn.Sigmoid(), nn.Linear(16, 4)
    )
    x = rng.standard_normal((5, 8)).astype(np.float32)
    baseline = rng.standard_normal(8).astype(np.float32) * 0.1
    target = [0, 1, 2, 3, 0]
    for rule in ("midpoint", "trapezoid"):
        ig = explain.integrated_gradients(model, x, target, baseline, steps=64, method=rule)
        gap = explain.completeness_gap(model, x, target, ig, baseline)
        assert gap.shape == (5,)
        assert (gap < 0.01).all(), gap
    # with two points the sum is far from exact: the gap measures something
    rough = explain.integrated_gradients(model, x * 4, target, steps=2, method="trapezoid")
    assert explain.completeness_gap(model, x * 4, target, rough).max() > 0.01


def test_integrated_gradients_same_for_any_batch_size(rng):
    model, x = mlp(), rng.standard_normal((3, 6)).astype(np.float32)
    big = explain.integrated_gradients(model, x, 1, steps=20, batch_size=1000)
    small = explain.integrated_gradients(model, x, 1, steps=20, batch_size=7)
    np.testing.assert_allclose(small, big, rtol=1e-5, atol=1e-7)


def test_baseline_forms(rng):
    model, x = mlp(), rng.standard_normal((2, 6)).astype(np.float32)
    zeros = explain.integrated_gradients(model, x, 0, steps=8)
    np.testing.assert_array_equal(explain.integrated_gradients(model, x, 0, 0.0, steps=8), zeros)
    one_sample = explain.integrated_gradients(model, x, 0, np.zeros(6), steps=8)
    np.testing.assert_array_equal(one_sample, zeros)
    # from x itself nothing changes, so nothing is attributed
    assert np.abs(explain.integrated_gradients(model, x, 0, x, steps=8)).max() == 0
    with pytest.raises(ValueError, match=r"baseline of shape \(5,\) does not fit x"):
        explain.integrated_gradients(model, x, 0, np.zeros(5))


def test_smoothgrad_is_seeded_and_reduces_to_saliency(rng):
    model, x = mlp(), rng.standard_normal((3, 6)).astype(np.float32)
    zn.manual_seed(7)
    first = explain.smoothgrad(model, x, 2, n_samples=5)
    zn.manual_seed(7)
    np.testing.assert_array_equal(explain.smoothgrad(model, x, 2, n_samples=5), first)
    assert not np.allclose(first, explain.saliency(model, x, 2))
    quiet = explain.smoothgrad(model, x, 2, n_samples=3, noise_level=0.0)
    np.testing.assert_allclose(quiet, explain.saliency(model, x, 2), rtol=1e-5, atol=1e-7)
    assert (explain.smoothgrad(model, x, 2, n_samples=3, abs=True) >= 0).all()


def test_target_none_explains_the_predicted_class(rng):
    model, x = mlp(), rng.standard_normal((4, 6)).astype(np.float32)
    predicted = np.asarray(model(zn.tensor(x)).data).argmax(axis=1)
    np.testing.assert_array_equal(
        explain.saliency(model, x, None), explain.saliency(model, x, predicted)
    )


def test_model_mode_and_parameters_restored(rng):
    model = nn.Sequential(nn.Linear(6, 8), nn.Dropout(0.5), nn.ReLU(), nn.Linear(8, 3))
    model.train()
    model[0].weight.requires_grad_(False)  # a frozen layer stays frozen
    x = rng.standard_normal((4, 6)).astype(np.float32)
    first = explain.saliency(model, x, 0)
    # eval mode inside: dropout is off, so the result is deterministic
    np.testing.assert_array_equal(explain.saliency(model, x, 0), first)
    assert all(m.training for m in model.modules())
    assert [p.requires_grad for p in model.parameters()] == [False, True, True, True]
    assert all(p.grad is None for p in model.parameters())  # .grad left untouched


def test_bad_targets_and_inputs(rng):
    model, x = mlp(), rng.standard_normal((4, 6)).astype(np.float32)
    with pytest.raises(ValueError, match="target 3 is not a class of this model, which has 3"):
        explain.saliency(model, x, 3)
    with pytest.raises(ValueError, match="target has 2 entries but x has 4 samples"):
        explain.saliency(model, x, [0, 1])
    with pytest.raises(ValueError, match="target must be an int class index"):
        explain.saliency(model, x, 0.5)
    with pytest.raises(ValueError, match=r"x must be a batch .* x\[None\]"):
        explain.saliency(model, x[0], 0)
    with pytest.raises(
        ValueError, match=r"returned scores of shape \(4,\); expected \(N, classes\)"
    ):
        explain.saliency(nn.Sequential(nn.Linear(6, 1), nn.Flatten(0)), x, 0)
    with pytest.raises(ValueError, match="method must be 'midpoint'"):
        explain.integrated_gradients(model, x, 0, method="simpson")
    with pytest.raises(ValueError, match="need n_samples >= 1"):
        explain.smoothgrad(model, x, 0, n_samples=0)
