import numpy as np
import pytest

from tests.data.augment_batches import sequences
from zennet.data.augment import (
    AddNoise,
    FrequencyMasking,
    TimeMasking,
    time_shift,
)


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
