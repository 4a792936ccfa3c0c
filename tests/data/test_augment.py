import numpy as np
import pytest

import zennet as zn
from tests.data.augment_batches import K, images, labels, sequences
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
)

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
    [
        TimeShift(0),
        TimeShift(0, mode="pad"),
        AddNoise(std=0.0),
        TimeMasking(0, n_masks=3),
        FrequencyMasking(0),
    ],
    ids=repr,
)
def test_strength_zero_is_identity_on_sequences(aug, rng):
    x = sequences(rng)
    np.testing.assert_array_equal(aug(x, None, np.random.default_rng(0))[0], x)


@pytest.mark.parametrize("cls", [Mixup, CutMix])
def test_mixing_with_alpha_zero_is_identity_with_one_hot_labels(cls, rng):
    x, y = images(rng), labels(rng)
    out_x, out_y = cls(0.0, num_classes=K)(x, y, np.random.default_rng(0))
    np.testing.assert_array_equal(out_x, x)
    np.testing.assert_array_equal(out_y, np.eye(K, dtype=np.float32)[y])


# --- combining ----------------------------------------------------------------------------


def test_compose_with_seed_is_repeatable_and_draws_fresh_each_call(rng):
    x, y = images(rng), labels(rng)
    first, second = (Compose([RandomTranslate(1), RandomRotation(15)], seed=5) for _ in "ab")
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
