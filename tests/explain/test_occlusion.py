"""Occlusion: a model that looks at one pixel lights that pixel only."""

import numpy as np
import pytest

from zennet import explain, nn


def one_pixel_model(shape, pixel, weight=3.0):
    """Class 1's score is weight · x[pixel]; class 0's is 0."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(int(np.prod(shape)), 2, bias=False))
    model[1].weight.data[...] = 0
    model[1].weight.data[1, np.ravel_multi_index(pixel, shape)] = weight
    return model


def test_one_pixel_lights_that_pixel_only(rng):
    shape, pixel = (1, 6, 7), (0, 2, 5)
    x = rng.random((3, *shape), dtype=np.float32) + 0.5
    heat = explain.occlusion(one_pixel_model(shape, pixel), x, target=1, window=1)
    assert heat.shape == x.shape and heat.dtype == np.float32
    expected = np.zeros_like(x)
    expected[(slice(None), *pixel)] = 3.0 * x[(slice(None), *pixel)]  # the score's drop
    np.testing.assert_allclose(heat, expected, rtol=1e-6)


def test_larger_patches_light_the_patches_over_the_pixel(rng):
    shape, pixel = (5, 5), (1, 3)
    x = np.ones((1, *shape), dtype=np.float32)
    heat = explain.occlusion(one_pixel_model(shape, pixel), x, 1, window=2, stride=2)[0]
    # patches start at 0, 2 and 3 (added so the last row/column is covered); the pixel
    # (1, 3) lies in the patches at (0, 2) and (0, 3), so rows 0-1, columns 2-4 light up
    lit = np.zeros(shape, dtype=bool)
    lit[0:2, 2:5] = True
    assert (heat[lit] > 0).all() and (heat[~lit] == 0).all()


def test_baseline_equal_to_the_pixel_shows_nothing(rng):
    shape, pixel = (4, 4), (2, 2)
    x = np.full((2, *shape), 0.7, dtype=np.float32)
    heat = explain.occlusion(one_pixel_model(shape, pixel), x, 1, window=1, baseline=0.7)
    assert np.abs(heat).max() == 0


def test_flat_inputs_and_batches_of_any_size(rng):
    model = one_pixel_model((10,), (4,))
    x = rng.random((5, 10), dtype=np.float32)
    full = explain.occlusion(model, x, 1, window=3, batch_size=1000)
    np.testing.assert_allclose(explain.occlusion(model, x, 1, window=3, batch_size=3), full)
    assert (full[:, 2:7] > 0).all() and (full[:, :2] == 0).all() and (full[:, 7:] == 0).all()


def test_window_errors(rng):
    x = rng.random((2, 4, 4), dtype=np.float32)
    model = one_pixel_model((4, 4), (0, 0))
    with pytest.raises(ValueError, match=r"window \(5, 5\) with stride \(1, 1\) does not fit"):
        explain.occlusion(model, x, 1, window=5)
    with pytest.raises(ValueError, match=r"stride \(1, 1, 1\) needs 2 sizes"):
        explain.occlusion(model, x, 1, window=2, stride=(1, 1, 1))
