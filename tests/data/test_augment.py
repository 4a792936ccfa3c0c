import numpy as np
import pytest

import zennet as zn
from zennet.data.augment import (
    AddNoise,
    AsImages,
    BrightnessContrast,
    Compose,
    CutMix,
    Cutout,
    ElasticDistortion,
    FrequencyMasking,
    GaussianNoise,
    Mixup,
    RandomAffine,
    RandomApply,
    RandomChoice,
    RandomCrop,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomScale,
    RandomTranslate,
    RandomVerticalFlip,
    TimeMasking,
    TimeShift,
    parse_augmentation,
    rotate,
    time_shift,
    translate,
)
from zennet.data.augment.geometry import gaussian_smooth, sample_bilinear

K = 10


def images(rng, n=6, shape=(2, 9, 9), dtype=np.float32):
    """Strictly positive images, so erased/masked zeros are the transform's doing."""
    return (rng.random((n, *shape)) + 0.5).astype(dtype)


def labels(rng, n=6):
    return rng.integers(0, K, n)


def sequences(rng, n=6, shape=(5, 20), dtype=np.float32):
    return (rng.random((n, *shape)) + 0.5).astype(dtype)


IMAGE_AUGS = {
    "crop": lambda: RandomCrop(padding=2),
    "translate": lambda: RandomTranslate(2),
    "rotation": lambda: RandomRotation(30),
    "scale": lambda: RandomScale((0.8, 1.2)),
    "affine": lambda: RandomAffine(20, scale=(0.9, 1.1), fill=0.5),
    "elastic": lambda: ElasticDistortion(alpha=8.0, sigma=1.5),
    "hflip": lambda: RandomHorizontalFlip(0.5),
    "vflip": lambda: RandomVerticalFlip(0.5),
    "noise": lambda: GaussianNoise(0.1),
    "brightness_contrast": lambda: BrightnessContrast(0.2, 0.3),
    "erasing": lambda: RandomErasing(p=0.7),
    "erasing_random": lambda: RandomErasing(p=0.7, value="random"),
    "cutout": lambda: Cutout(3),
    "mixup": lambda: Mixup(0.4, num_classes=K),
    "cutmix": lambda: CutMix(1.0, num_classes=K),
    "apply": lambda: RandomApply(RandomRotation(30), p=0.5),
    "choice": lambda: RandomChoice([RandomTranslate(1), None, GaussianNoise(0.1)]),
    "compose": lambda: Compose([RandomTranslate(1), RandomRotation(10), Mixup(0.2, K)]),
}
SEQUENCE_AUGS = {
    "timeshift_roll": lambda: TimeShift(4),
    "timeshift_pad": lambda: TimeShift(4, mode="pad", fill=-1.0),
    "noise_std": lambda: AddNoise(std=0.1),
    "noise_snr": lambda: AddNoise(snr_db=(10, 20)),
    "timemask": lambda: TimeMasking(5, n_masks=2),
    "timemask_mean": lambda: TimeMasking(5, value="mean"),
    "freqmask": lambda: FrequencyMasking(2, n_masks=2),
}
ALL_AUGS = {**IMAGE_AUGS, **SEQUENCE_AUGS}
MIXING = {"mixup", "cutmix", "compose"}


def batch_for(name, rng, dtype=np.float32):
    make = sequences if name in SEQUENCE_AUGS else images
    return make(rng, dtype=dtype), labels(rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL_AUGS)
def test_shape_dtype_labels_and_input_untouched(name, dtype, rng):
    x, y = batch_for(name, rng, dtype)
    x_before, y_before = x.copy(), y.copy()
    out_x, out_y = ALL_AUGS[name]()(x, y, np.random.default_rng(1))
    assert out_x.shape == x.shape and out_x.dtype == dtype
    np.testing.assert_array_equal(x, x_before)  # never writes into the caller's arrays
    np.testing.assert_array_equal(y, y_before)
    if name in MIXING:
        assert out_y.shape == (len(y), K) and out_y.dtype == np.float32
        np.testing.assert_allclose(out_y.sum(1), 1, rtol=1e-6)
    else:
        np.testing.assert_array_equal(out_y, y)


@pytest.mark.parametrize("name", ALL_AUGS)
def test_same_seed_same_result_other_seed_differs(name, rng):
    x, y = batch_for(name, rng)
    aug = ALL_AUGS[name]()
    a = aug(x, y, np.random.default_rng(7))
    b = aug(x, y, np.random.default_rng(7))
    c = aug(x, y, np.random.default_rng(8))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_without_rng_draws_from_zennet_generator(rng):
    x, y = images(rng), labels(rng)
    zn.manual_seed(3)
    a, _ = RandomRotation(30)(x, y)
    zn.manual_seed(3)
    b, _ = RandomRotation(30)(x, y)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "aug",
    [
        RandomCrop(padding=0),
        RandomTranslate(0),
        RandomRotation(0),
        RandomScale((1.0, 1.0)),
        RandomAffine(0, fill=3.0),
        ElasticDistortion(alpha=0.0, sigma=2.0),
        RandomHorizontalFlip(0.0),
        RandomVerticalFlip(0.0),
        GaussianNoise(0.0),
        BrightnessContrast(0.0, 0.0),
        RandomErasing(p=0.0),
        Cutout(3, p=0.0),
        RandomApply(RandomRotation(30), p=0.0),
        Compose([]),
    ],
    ids=repr,
)
def test_strength_zero_is_identity_on_images(aug, rng):
    x, y = images(rng), labels(rng)
    out_x, out_y = aug(x, y, np.random.default_rng(0))
    np.testing.assert_array_equal(out_x, x)
    np.testing.assert_array_equal(out_y, y)


@pytest.mark.parametrize(
    "aug",
    [TimeShift(0), TimeShift(0, mode="pad"), AddNoise(std=0.0), TimeMasking(0, n_masks=3),
     FrequencyMasking(0)],
    ids=repr,
)  # fmt: skip
def test_strength_zero_is_identity_on_sequences(aug, rng):
    x = sequences(rng)
    np.testing.assert_array_equal(aug(x, None, np.random.default_rng(0))[0], x)


@pytest.mark.parametrize("cls", [Mixup, CutMix])
def test_mixing_with_alpha_zero_is_identity_with_one_hot_labels(cls, rng):
    x, y = images(rng), labels(rng)
    out_x, out_y = cls(0.0, num_classes=K)(x, y, np.random.default_rng(0))
    np.testing.assert_array_equal(out_x, x)
    np.testing.assert_array_equal(out_y, np.eye(K, dtype=np.float32)[y])


# --- geometry -----------------------------------------------------------------------------


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


def test_gaussian_smooth_matches_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    a = np.random.default_rng(0).random((3, 2, 12, 11))
    expected = ndimage.gaussian_filter(a, (0, 0, 1.5, 1.5), mode="mirror", truncate=3.0)
    np.testing.assert_allclose(gaussian_smooth(a, 1.5), expected, atol=1e-12)


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


# --- occlusion ----------------------------------------------------------------------------


def rectangles(masks):
    """For each ``(H, W)`` bool mask: (is it one filled rectangle or empty, its area, its shape)."""
    result = []
    for mask in masks:
        rows, cols = np.nonzero(mask)
        if rows.size == 0:
            result.append((True, 0, (0, 0)))
            continue
        box = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
        result.append((bool(box.all()), int(mask.sum()), box.shape))
    return result


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


# --- mixing -------------------------------------------------------------------------------


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


# --- sequences ----------------------------------------------------------------------------


def test_time_shift_rolls_or_pads_each_sample(rng):
    x = sequences(rng, n=3)
    shifts = np.array([2, -3, 0])
    rolled = time_shift(x, shifts)
    for n, s in enumerate(shifts):
        np.testing.assert_array_equal(rolled[n], np.roll(x[n], s, axis=-1))
    padded = time_shift(x, shifts, mode="pad", fill=-1.0)
    np.testing.assert_array_equal(padded[0, :, :2], -1.0)
    np.testing.assert_array_equal(padded[0, :, 2:], x[0, :, :-2])
    np.testing.assert_array_equal(padded[1, :, -3:], -1.0)
    np.testing.assert_array_equal(time_shift(x[:, 0], shifts)[1], np.roll(x[1, 0], -3))  # (N, T)


def test_add_noise_reaches_the_requested_snr(rng):
    t = np.linspace(0, 100, 20000)
    x = np.stack([np.sin(t), 3 * np.sin(2 * t)]).astype(np.float32)  # (2, T), powers 0.5, 4.5
    out, _ = AddNoise(snr_db=10.0)(x, None, np.random.default_rng(0))
    noise = out - x
    snr = 10 * np.log10((x**2).mean(1) / (noise**2).mean(1))
    np.testing.assert_allclose(snr, [10.0, 10.0], atol=0.2)


def test_time_masking_zeroes_whole_time_columns(rng):
    x = sequences(rng, n=50, shape=(8, 30))  # (N, F, T) spectrograms
    out, _ = TimeMasking(6, n_masks=2)(x, None, np.random.default_rng(0))
    zero_columns = (out == 0).all(axis=1)  # (N, T)
    np.testing.assert_array_equal((out == 0).any(axis=1), zero_columns)  # whole columns only
    assert zero_columns.sum(1).max() <= 12 and zero_columns.any()
    np.testing.assert_array_equal(out[out != 0], x[out != 0])


def test_frequency_masking_zeroes_whole_rows_in_bands(rng):
    x = sequences(rng, n=50, shape=(8, 30))
    out, _ = FrequencyMasking(3)(x, None, np.random.default_rng(0))
    zero_rows = (out == 0).all(axis=2)  # (N, F)
    np.testing.assert_array_equal((out == 0).any(axis=2), zero_rows)
    for row in zero_rows:  # one band: contiguous, at most 3 wide
        (where,) = np.nonzero(row)
        assert where.size <= 3 and (where.size == 0 or np.ptp(where) == where.size - 1)
    assert zero_rows.any()


def test_masking_with_mean_value(rng):
    x = sequences(rng, n=4, shape=(3, 40))
    out, _ = TimeMasking(10, value="mean")(x, None, np.random.default_rng(1))
    means = x.mean(axis=(1, 2))
    changed = out != x
    assert changed.any()
    for n in range(4):
        np.testing.assert_allclose(out[n][changed[n]], means[n], rtol=1e-6)


def test_frequency_masking_needs_a_spectrogram(rng):
    with pytest.raises(ValueError, match=r"FrequencyMasking: got input of shape \(6, 20\)"):
        FrequencyMasking(2)(sequences(rng)[:, 0], None, np.random.default_rng(0))


# --- combining ----------------------------------------------------------------------------


def test_compose_with_seed_is_repeatable_and_draws_fresh_each_call(rng):
    x, y = images(rng), labels(rng)
    make = lambda: Compose([RandomTranslate(1), RandomRotation(15)], seed=5)  # noqa: E731
    first, second = make(), make()
    a1, a2 = first(x, y)[0], first(x, y)[0]
    np.testing.assert_array_equal(a1, second(x, y)[0])
    np.testing.assert_array_equal(a2, second(x, y)[0])
    assert not np.array_equal(a1, a2)


def test_random_apply_transforms_each_sample_or_leaves_it(rng):
    x, y = images(rng, n=64), labels(rng, n=64)
    out, _ = RandomApply(RandomHorizontalFlip(1.0), p=0.5)(x, y, np.random.default_rng(0))
    flipped = np.all(out == x[..., ::-1], axis=(1, 2, 3))
    assert np.all(flipped | np.all(out == x, axis=(1, 2, 3))) and 16 < flipped.sum() < 48
    out, _ = RandomApply(RandomHorizontalFlip(1.0), p=1.0)(x, y, np.random.default_rng(0))
    np.testing.assert_array_equal(out, x[..., ::-1])


def test_random_apply_of_mixup_gives_every_sample_soft_labels(rng):
    x, y = images(rng, n=32), labels(rng, n=32)
    out_x, out_y = RandomApply(Mixup(1.0, K), p=0.5)(x, y, np.random.default_rng(0))
    assert out_y.shape == (32, K)
    kept = np.all(out_x == x, axis=(1, 2, 3))
    assert 4 < kept.sum() < 28
    np.testing.assert_array_equal(out_y[kept], np.eye(K)[y[kept]])


def test_random_apply_refuses_shape_changing_transforms(rng):
    with pytest.raises(ValueError, match=r"changed the sample shape .* shape-keeping"):
        RandomApply(RandomCrop(size=4), p=1.0)(images(rng), None, np.random.default_rng(0))


def test_as_images_runs_image_transforms_on_flat_batches(rng):
    x = images(rng, shape=(1, 8, 8)).reshape(6, 64)
    out, _ = AsImages((1, 8, 8), RandomHorizontalFlip(1.0))(x, None, np.random.default_rng(0))
    np.testing.assert_array_equal(out, x.reshape(6, 8, 8)[..., ::-1].reshape(6, 64))
    with pytest.raises(ValueError, match=r"AsImages\(1, 8, 8\): got input of shape \(6, 63\)"):
        AsImages((1, 8, 8), RandomRotation(5))(x[:, :63], None, np.random.default_rng(0))


def test_a_batch_of_256_digits_goes_through_one_vectorized_pipeline():
    x = np.random.default_rng(0).random((256, 1, 8, 8), dtype=np.float32) * 16
    y = np.random.default_rng(1).integers(0, K, 256)
    aug = parse_augmentation(
        "crop=1,rotate=10,scale=0.1,elastic=6,elastic_sigma=1.5,brightness,contrast,"
        "noise=0.1,erase=0.5,cutout=2,mixup=0.2,cutmix=1",
        num_classes=K,
        seed=0,
    )
    out_x, out_y = aug(x, y)
    assert out_x.shape == x.shape and out_x.dtype == np.float32 and out_y.shape == (256, K)


# --- input checks and parse_augmentation --------------------------------------------------


def test_bad_inputs_get_clear_errors(rng):
    with pytest.raises(TypeError, match=r"RandomRotation: expected a floating-point batch, got"):
        RandomRotation(10)(np.zeros((2, 1, 4, 4), np.uint8))
    with pytest.raises(ValueError, match=r"RandomRotation: got input of shape \(2, 16\)"):
        RandomRotation(10)(np.zeros((2, 16), np.float32))
    with pytest.raises(ValueError, match=r"labels of shape \(3,\) do not match a batch of 6"):
        GaussianNoise(0.1)(images(rng), np.zeros(3, np.int64))
    with pytest.raises(ValueError, match=r"crop size \(12, 12\) is larger than the padded"):
        RandomCrop(size=12, padding=1)(images(rng))
    with pytest.raises(ValueError, match=r"RandomHorizontalFlip: p=1.5 must be a probability"):
        RandomHorizontalFlip(1.5)
    with pytest.raises(ValueError, match=r"AddNoise: give std or snr_db, not both"):
        AddNoise(std=0.1, snr_db=10)
    with pytest.raises(ValueError, match=r"RandomErasing: scale=\(0, 0.5\) must lie in \(0, 1\]"):
        RandomErasing(scale=(0, 0.5))


def test_parse_augmentation_builds_the_pipeline_in_a_fixed_order():
    aug = parse_augmentation("mixup=0.3, noise=0.05,rotate=10,translate=2,erase,scale=0.2", K)
    assert [type(t).__name__ for t in aug.transforms] == [
        "RandomTranslate",
        "RandomAffine",  # rotate and scale share one resampling
        "GaussianNoise",
        "RandomErasing",
        "Mixup",
    ]
    translate_, affine, noise, erase, mixup = aug.transforms
    assert translate_.max_shift == (2, 2) and affine.degrees == (-10.0, 10.0)
    assert affine.scale == (0.8, 1.2) and noise.std == 0.05 and erase.p == 0.5
    assert mixup.alpha == 0.3 and mixup.num_classes == K
    both = parse_augmentation("mixup,cutmix", num_classes=3).transforms[0]
    assert isinstance(both, RandomChoice)
    assert [type(t) for t in both.transforms] == [Mixup, CutMix]
    assert len(parse_augmentation("")) == 0 and len(parse_augmentation("none")) == 0


def test_parse_augmentation_for_flat_images_and_audio(rng):
    flat = parse_augmentation("rotate=10", image_shape=(1, 8, 8), seed=0)
    x = images(rng, shape=(1, 8, 8)).reshape(6, 64)
    assert flat(x)[0].shape == (6, 64)
    audio = parse_augmentation("timeshift=3,snr=20,timemask=4,freqmask=2,n_masks=2", seed=0)
    assert [type(t).__name__ for t in audio.transforms] == [
        "AddNoise",
        "TimeShift",
        "TimeMasking",
        "FrequencyMasking",
    ]
    assert audio.transforms[3].n_masks == 2
    assert audio(sequences(rng))[0].shape == (6, 5, 20)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("rotate=10,blur=2", r"unknown key 'blur' .* Valid keys: crop, translate, rotate, scale"),
        ("translate=1.5", r"translate='1.5'; expected an integer >= 0"),
        ("noise=loud", r"noise='loud'; expected a number >= 0"),
        ("rotate=-5", r"rotate='-5'; expected a number >= 0"),
        ("hflip,hflip=1", r"key 'hflip' appears twice"),
        ("mixup=0.2", r"mixup and cutmix make soft labels and need num_classes=K"),
        ("elastic_sigma=2", r"'elastic_sigma' only modifies elastic; add one of them"),
        ("hflip=2", r"RandomHorizontalFlip: p=2.0 must be a probability"),
    ],
)
def test_parse_augmentation_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_augmentation(spec)
