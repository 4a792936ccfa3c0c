import numpy as np
import pytest

from tests.data.augment_batches import images, rectangles
from zennet.data.augment import (
    BrightnessContrast,
    Cutout,
    ElasticDistortion,
    GaussianNoise,
    RandomCrop,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomTranslate,
    RandomVerticalFlip,
    rotate,
    translate,
)
from zennet.data.augment.geometry import gaussian_smooth, sample_bilinear


def test_flip_twice_is_identity_and_flip_mirrors(rng):
    x = images(rng)
    for cls, mirror in (
        (RandomHorizontalFlip, x[..., ::-1]),
        (RandomVerticalFlip, x[..., ::-1, :]),
    ):
        once, _ = cls(1.0)(x, None, np.random.default_rng(0))
        np.testing.assert_array_equal(once, mirror)
        np.testing.assert_array_equal(cls(1.0)(once, None, np.random.default_rng(1))[0], x)


def test_flip_half_the_time_flips_some_samples_whole(rng):
    x = images(rng, n=64)
    out, _ = RandomHorizontalFlip(0.5)(x, None, np.random.default_rng(0))
    flipped = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    kept = np.all(out == x, axis=(1, 2, 3))
    assert np.all(flipped | kept) and 16 < flipped.sum() < 48


def test_translate_moves_a_single_bright_pixel_by_one():
    x = np.zeros((2, 1, 5, 7), np.float32)
    x[:, 0, 2, 3] = 1
    np.testing.assert_array_equal(np.argwhere(translate(x, 1, 0)[0, 0]), [[2, 4]])  # right
    np.testing.assert_array_equal(np.argwhere(translate(x, 0, 1)[0, 0]), [[3, 3]])  # down
    per_sample = translate(x, np.array([-1, 2]), np.array([0, -2]))
    np.testing.assert_array_equal(np.argwhere(per_sample[:, 0]), [[0, 2, 2], [1, 0, 5]])


def test_translate_shifts_in_fill_and_matches_roll_inside(rng):
    x = images(rng, shape=(8, 8))  # (N, H, W) works too
    out = translate(x, 2, -1, fill=9.0)
    np.testing.assert_array_equal(out[:, :-1, 2:], np.roll(x, (-1, 2), axis=(1, 2))[:, :-1, 2:])
    assert np.all(out[:, :, :2] == 9.0) and np.all(out[:, -1, :] == 9.0)


def test_random_translate_keeps_pixel_within_max_shift():
    x = np.zeros((200, 1, 9, 9), np.float32)
    x[:, 0, 4, 4] = 1
    out, _ = RandomTranslate((2, 1))(x, None, np.random.default_rng(0))
    n, _, i, j = np.nonzero(out)
    np.testing.assert_array_equal(n, np.arange(200))  # the pixel survives in every sample
    assert set(j - 4) == {-2, -1, 0, 1, 2} and set(i - 4) == {-1, 0, 1}


def test_random_crop_takes_windows_of_the_padded_image(rng):
    x = images(rng, shape=(1, 6, 6))
    out, _ = RandomCrop(size=4, padding=1)(x, None, np.random.default_rng(0))
    assert out.shape == (6, 1, 4, 4)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for n in range(6):  # each window is found in its own padded image
        windows = np.lib.stride_tricks.sliding_window_view(padded[n, 0], (4, 4))
        assert np.any(np.all(windows == out[n, 0], axis=(2, 3)))


def test_rotation_by_90_equals_rot90(rng):
    x = images(rng, shape=(2, 7, 7))
    expected = np.rot90(x, 1, axes=(2, 3))
    np.testing.assert_allclose(rotate(x, 90.0), expected, atol=1e-5)
    out, _ = RandomRotation((90, 90))(x, None, np.random.default_rng(0))
    np.testing.assert_allclose(out, expected, atol=1e-5)
    np.testing.assert_allclose(rotate(x, -90.0), np.rot90(x, -1, axes=(2, 3)), atol=1e-5)


def test_rotate_and_scale_match_torch_affine_grid_sample(rng):
    torch = pytest.importorskip("torch")
    x = rng.random((4, 2, 7, 10))
    angle, scale = rng.uniform(-40, 40, 4), rng.uniform(0.7, 1.4, 4)
    h, w = x.shape[2:]
    # torch maps normalised output coordinates (align_corners=True: -1..1 across pixel
    # centres) to normalised source ones: theta_norm = D^-1 theta D, D = diag(half-sizes).
    half = np.diag([(w - 1) / 2, (h - 1) / 2])
    t = np.deg2rad(angle)
    rot = np.stack([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]).transpose(2, 0, 1)
    theta = np.linalg.inv(half) @ (rot / scale[:, None, None]) @ half
    theta = np.concatenate([theta, np.zeros((4, 2, 1))], axis=2)
    grid = torch.nn.functional.affine_grid(torch.tensor(theta), x.shape, align_corners=True)
    expected = torch.nn.functional.grid_sample(
        torch.tensor(x), grid, mode="bilinear", padding_mode="zeros", align_corners=True
    )
    np.testing.assert_allclose(rotate(x, angle, scale), expected.numpy(), atol=1e-10)


def test_bilinear_sampler_interpolates_and_fills_outside():
    x = np.array([[[[0.0, 2.0], [4.0, 6.0]]]])  # (1, 1, 2, 2)
    src_y = np.array([[[0.5, 0.0, -0.5]]])
    src_x = np.array([[[0.5, 0.25, 0.0]]])
    out = sample_bilinear(x, src_y, src_x, fill=10.0)
    np.testing.assert_allclose(out[0, 0, 0], [3.0, 0.5, 5.0])  # centre, on an edge, half outside


@pytest.mark.parametrize("shape, sigma", [((12, 11), 1.5), ((5, 6), 4.0)])  # kernel > image
def test_gaussian_smooth_matches_scipy(shape, sigma):
    ndimage = pytest.importorskip("scipy.ndimage")
    a = np.random.default_rng(0).random((3, 2, *shape))
    expected = ndimage.gaussian_filter(a, (0, 0, sigma, sigma), mode="mirror", truncate=3.0)
    np.testing.assert_allclose(gaussian_smooth(a, sigma), expected, atol=1e-12)


def test_elastic_distortion_is_smooth_and_bounded(rng):
    x = np.broadcast_to(np.arange(12, dtype=np.float64), (8, 1, 12, 12))  # a ramp along x
    out, _ = ElasticDistortion(alpha=4.0, sigma=3.0)(x, None, np.random.default_rng(0))
    inner = out[:, 0, 3:-3, 3:-3] - x[:, 0, 3:-3, 3:-3]  # = the x-displacement, inside
    assert 0.05 < np.abs(inner).mean() < 4.0
    assert np.abs(np.diff(inner, axis=-1)).max() < 1.0  # neighbours move together


def test_brightness_contrast_shifts_mean_by_brightness_only(rng):
    x = images(rng, n=50)
    contrast_only, _ = BrightnessContrast(0.0, 0.5)(x, None, np.random.default_rng(0))
    np.testing.assert_allclose(contrast_only.mean((1, 2, 3)), x.mean((1, 2, 3)), rtol=1e-5)
    out, _ = BrightnessContrast(0.2, 0.0)(x, None, np.random.default_rng(0))
    shift = out - x  # one constant per sample, within ±0.2
    np.testing.assert_allclose(shift, shift[:, :1, :1, :1] * np.ones_like(x), atol=1e-6)
    assert np.all(np.abs(shift) <= 0.2 + 1e-6) and np.ptp(shift[:, 0, 0, 0]) > 0.1
    clipped, _ = BrightnessContrast(0.9, 0.9, clip=(0, 1))(x, None, np.random.default_rng(0))
    assert clipped.min() >= 0 and clipped.max() <= 1 and clipped.dtype == x.dtype


def test_gaussian_noise_has_the_requested_std(rng):
    x = np.zeros((4, 1, 64, 64), np.float32)
    out, _ = GaussianNoise(0.3)(x, None, np.random.default_rng(0))
    assert abs(out.std() - 0.3) < 0.01 and abs(out.mean()) < 0.01


def test_random_erasing_zeroes_a_rectangle_of_the_requested_area(rng):
    x = images(rng, n=200, shape=(3, 32, 32))
    out, _ = RandomErasing(p=1.0, scale=(0.1, 0.2))(x, None, np.random.default_rng(0))
    assert np.all((out == 0).all(axis=1) | (out != 0).all(axis=1))  # every channel alike
    boxes = rectangles(out[:, 0] == 0)
    assert all(is_box for is_box, _, _ in boxes)
    area = np.array([a for _, a, _ in boxes]) / (32 * 32)
    assert area.min() >= 0.1 - 0.02 and area.max() <= 0.2 + 0.02  # up to rounding of h, w
    assert area.max() - area.min() > 0.05
    unchanged = out != 0
    np.testing.assert_array_equal(out[unchanged], x[unchanged])


def test_random_erasing_probability_and_fill_value(rng):
    x = images(rng, n=400)
    out, _ = RandomErasing(p=0.25, value=0.0)(x, None, np.random.default_rng(0))
    erased = (out == 0).any(axis=(1, 2, 3))
    assert 60 < erased.sum() < 140
    filled, _ = RandomErasing(p=1.0, value=-2.0)(x, None, np.random.default_rng(0))
    assert np.all((filled == -2.0).any(axis=(1, 2, 3)))


def test_cutout_zeroes_a_clipped_square(rng):
    x = images(rng, n=100, shape=(1, 12, 12))
    out, _ = Cutout(4)(x, None, np.random.default_rng(0))
    boxes = rectangles(out[:, 0] == 0)
    assert all(is_box and h <= 4 and w <= 4 for is_box, _, (h, w) in boxes)
    assert {shape for _, _, shape in boxes} >= {(4, 4), (2, 4), (4, 2)}  # inside and clipped
