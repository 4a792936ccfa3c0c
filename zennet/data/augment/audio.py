"""Waveform augmentations for audio batches ``(N, T)``: coloured noise at a chosen SNR,
speed perturbation, gain; and SpecAugment on spectrograms ``(N, F, T)``.

White noise at an SNR and time shifts are ``AddNoise(snr_db=...)`` and ``TimeShift`` in
``sequences``; the single masks are ``TimeMasking`` and ``FrequencyMasking`` there.

- Coloured noise: white Gaussian noise shaped in frequency by ``|X(f)| ∝ f^(-exponent/2)``
  (power ∝ 1/f^exponent: 0 white, 1 pink, 2 brown, -1 blue, -2 violet), scaled so that
  ``10 log10(P_signal / P_noise) = snr_db`` for each sample.
- Speed: resampling by ``factor`` (1.25 plays 25 % faster, pitch up as on tape), then cut or
  zero-padded back to T samples.
- Gain: ``x · 10^(g/20)`` with g in decibels.
"""

import numbers
from fractions import Fraction

import numpy as np

from zennet.audio.resample import resample
from zennet.data.augment.base import Augmentation, Compose, as_range
from zennet.data.augment.sequences import FrequencyMasking, TimeMasking

COLORS = {"white": 0.0, "pink": 1.0, "brown": 2.0, "blue": -1.0, "violet": -2.0}


def colored_noise(shape, exponent, rng, dtype=np.float32):
    """Gaussian noise ``shape`` whose power spectrum falls as ``1/f^exponent``, scaled to a
    mean square of exactly 1 along the last axis (so an SNR is met exactly)."""
    noise = rng.standard_normal(shape)
    if exponent != 0:
        f = np.fft.rfftfreq(shape[-1])
        f[0] = f[1] if len(f) > 1 else 1.0  # no infinite gain at DC
        spectrum = np.fft.rfft(noise, axis=-1) * f ** (-exponent / 2)
        noise = np.fft.irfft(spectrum, n=shape[-1], axis=-1)
    noise /= np.sqrt(np.mean(noise**2, axis=-1, keepdims=True)) + 1e-12
    return noise.astype(dtype)


def add_noise(x, snr_db, color="white", rng=None):
    """``x (N, T) + noise`` at ``snr_db`` (a number or (N,)) per sample; ``color`` a name of
    ``COLORS`` or an exponent."""
    rng = np.random.default_rng() if rng is None else rng
    exponent = COLORS[color] if isinstance(color, str) else float(color)
    power = np.mean(np.square(x, dtype=np.float64), axis=-1, keepdims=True)  # (N, 1)
    std = np.sqrt(power / 10.0 ** (np.reshape(snr_db, (-1, 1)) / 10.0))
    return (x + std * colored_noise(x.shape, exponent, rng, np.float64)).astype(x.dtype)


def change_speed(x, factor, length=None):
    """``x (..., T)`` played ``factor`` times faster (resampled by the nearest fraction with a
    denominator <= 20), cut or zero-padded to ``length`` (default: keep its own)."""
    ratio = Fraction(factor).limit_denominator(20)
    out = resample(x, ratio.numerator, ratio.denominator)
    if length is None:
        return out
    if out.shape[-1] >= length:
        return out[..., :length]
    pad = [(0, 0)] * (out.ndim - 1) + [(0, length - out.shape[-1])]
    return np.pad(out, pad)


class ColoredNoise(Augmentation):
    """Add noise of a colour (``COLORS`` name or exponent) at an SNR drawn per sample from
    ``snr_db`` (a number or a (lo, hi) range, in dB)."""

    def __init__(self, snr_db=(5.0, 30.0), color="pink"):
        if isinstance(color, str) and color not in COLORS:
            raise ValueError(f"ColoredNoise: color={color!r}; expected one of {list(COLORS)}.")
        if isinstance(snr_db, numbers.Real):
            snr_db = (snr_db, snr_db)
        self.snr_db, self.color = as_range("ColoredNoise", "snr_db", snr_db), color

    def apply(self, x, y, rng):
        flat = x.reshape(x.shape[0], -1)
        snr = rng.uniform(*self.snr_db, x.shape[0])
        return add_noise(flat, snr, self.color, rng).reshape(x.shape), y


class SpeedPerturbation(Augmentation):
    """Each sample played at a speed drawn from ``factors`` (e.g. (0.9, 1.0, 1.1), as in
    Kaldi's speed perturbation), kept at the batch's length T."""

    def __init__(self, factors=(0.9, 1.0, 1.1)):
        factors = tuple(float(f) for f in factors)
        if not factors or min(factors) <= 0:
            raise ValueError(f"SpeedPerturbation: factors={factors}; expected positive numbers.")
        self.factors = factors

    def apply(self, x, y, rng):
        pick = rng.integers(0, len(self.factors), x.shape[0])
        out = x.copy()
        for k, factor in enumerate(self.factors):
            rows = np.flatnonzero(pick == k)
            if rows.size and factor != 1.0:
                out[rows] = change_speed(x[rows], factor, x.shape[-1]).astype(x.dtype)
        return out, y


class Gain(Augmentation):
    """Scale each sample by ``10^(g/20)``, g uniform in ``gain_db`` (a (lo, hi) range)."""

    def __init__(self, gain_db=(-6.0, 6.0)):
        self.gain_db = as_range("Gain", "gain_db", gain_db)

    def apply(self, x, y, rng):
        g = rng.uniform(*self.gain_db, x.shape[0]).reshape((-1,) + (1,) * (x.ndim - 1))
        return (x * 10.0 ** (g / 20.0)).astype(x.dtype), y


def SpecAugment(freq_mask=8, time_mask=10, n_freq_masks=2, n_time_masks=2, value=0.0):
    """SpecAugment's masks (Park et al., 2019) on spectrograms ``(N, F, T)``: ``n_freq_masks``
    bands of up to ``freq_mask`` rows and ``n_time_masks`` of up to ``time_mask`` frames."""
    return Compose(
        [
            FrequencyMasking(freq_mask, n_freq_masks, value),
            TimeMasking(time_mask, n_time_masks, value),
        ]
    )
