"""Audio augmentations: noise at the SNR asked for and of the colour asked for, speed,
gain, SpecAugment."""

import numpy as np
import pytest

from zennet.data import augment

ColoredNoise, Gain, SpecAugment = augment.ColoredNoise, augment.Gain, augment.SpecAugment
SpeedPerturbation, add_noise, change_speed = (
    augment.SpeedPerturbation,
    augment.add_noise,
    augment.change_speed,
)


def snr_db(clean, noisy):
    noise = noisy - clean
    return 10 * np.log10(np.mean(clean**2, axis=-1) / np.mean(noise**2, axis=-1))


@pytest.mark.parametrize("color", ["white", "pink", "brown", "blue"])
def test_add_noise_hits_the_snr(rng, color):
    x = rng.standard_normal((3, 8000)) * np.array([[0.1], [1.0], [3.0]])
    noisy = add_noise(x, np.array([20.0, 10.0, 5.0]), color, rng)
    np.testing.assert_allclose(snr_db(x, noisy), [20.0, 10.0, 5.0], atol=1e-6)


def test_noise_colours_tilt_the_spectrum(rng):
    x = np.zeros((1, 1 << 14))
    x[0, 0] = 1.0  # add_noise scales to the signal's power; the shape is what is tested

    def low_to_high(color):
        spectrum = np.abs(np.fft.rfft(add_noise(x, 0.0, color, rng) - x)) ** 2
        n = spectrum.shape[-1]
        return spectrum[0, 1 : n // 8].mean() / spectrum[0, n // 2 :].mean()

    white, pink, brown, blue = (low_to_high(c) for c in ("white", "pink", "brown", "blue"))
    assert blue < 0.5 < white < 2 < pink < brown


def test_colored_noise_augmentation_range(rng):
    x = rng.standard_normal((64, 2000)).astype(np.float32)
    out, _ = ColoredNoise(snr_db=(10, 20), color="pink")(x, None, rng)
    assert out.dtype == np.float32 and out.shape == x.shape
    measured = snr_db(x.astype(np.float64), out.astype(np.float64))
    assert measured.min() > 9.9 and measured.max() < 20.1 and measured.std() > 1
    with pytest.raises(ValueError, match="color"):
        ColoredNoise(color="green")


def test_change_speed(rng):
    t = np.arange(16000) / 16000
    tone = np.sin(2 * np.pi * 440 * t)[None]
    fast = change_speed(tone, 1.25)
    assert fast.shape == (1, 12800)
    peak = np.argmax(np.abs(np.fft.rfft(fast[0]))) * 16000 / fast.shape[-1]
    assert peak == pytest.approx(550, abs=2)  # faster playback raises the pitch
    assert change_speed(tone, 0.8, length=16000).shape == (1, 16000)


def test_speed_perturbation_keeps_shape(rng):
    x = rng.standard_normal((8, 4000)).astype(np.float32)
    out, y = SpeedPerturbation((0.8, 1.0, 1.25))(x, np.arange(8), rng)
    assert out.shape == x.shape and out.dtype == x.dtype and list(y) == list(range(8))
    same = [np.array_equal(a, b) for a, b in zip(out, x)]
    assert 0 < sum(same) < 8
    with pytest.raises(ValueError, match="factors"):
        SpeedPerturbation((0.0, 1.0))


def test_gain(rng):
    x = np.ones((100, 10), dtype=np.float32)
    out, _ = Gain((-6, 6))(x, None, rng)
    db = 20 * np.log10(out[:, 0])
    assert db.min() >= -6 and db.max() <= 6 and db.std() > 2
    assert np.all(out == out[:, :1])


def test_spec_augment(rng):
    spec = np.ones((16, 40, 100), dtype=np.float32)
    out, _ = SpecAugment(freq_mask=8, time_mask=10)(spec, None, rng)
    masked = out == 0
    assert masked.any() and not masked.all()
    rows, cols = masked.all(axis=2), masked.all(axis=1)  # whole rows / frames zeroed
    assert np.array_equal(masked, rows[:, :, None] | cols[:, None, :])
    assert cols.sum(axis=1).max() <= 20 and rows.sum(axis=1).max() <= 16
