"""Sequence and audio augmentations on batches whose LAST axis is time.

Shapes: waveforms or sequences ``(N, T)``, multi-channel ``(N, C, T)``, spectrograms
``(N, F, T)`` (``(N, C, F, T)`` works too). TimeShift, AddNoise, and SpecAugment's
TimeMasking and FrequencyMasking (Park et al., 2019), each vectorized over the batch.
"""

import numbers

import numpy as np

from zennet.data.augment.base import Augmentation, as_range, check_batch, check_non_negative

SHIFT_MODES = ("roll", "pad")


def time_shift(x, shift, mode="roll", fill=0.0):
    """Shift each sample ``shift`` steps later along the last axis (``(N,)`` ints or a scalar):
    ``out[n, ..., t] = x[n, ..., t - shift[n]]``. ``mode="roll"`` wraps around, ``"pad"``
    fills the steps shifted in with ``fill``."""
    x = check_batch(x, "time_shift")
    if mode not in SHIFT_MODES:
        raise ValueError(f"time_shift: mode={mode!r}; expected one of {SHIFT_MODES}.")
    n, length = x.shape[0], x.shape[-1]
    shift = np.broadcast_to(np.asarray(shift, dtype=np.intp), (n,))
    source = np.arange(length) - shift[:, None]  # (N, T)
    inside = (source >= 0) & (source < length)
    source = source % length if mode == "roll" else np.clip(source, 0, length - 1)
    batch_view = (n,) + (1,) * (x.ndim - 2) + (length,)
    out = np.take_along_axis(x, source.reshape(batch_view), axis=-1)
    if mode == "pad":
        out = np.where(inside.reshape(batch_view), out, np.asarray(fill, dtype=x.dtype))
    return out


class TimeShift(Augmentation):
    """Shift each sample by a uniform integer in ``[-max_shift, max_shift]`` steps along time
    (see ``time_shift``; ``mode`` "roll" wraps around, "pad" brings in ``fill``)."""

    def __init__(self, max_shift, mode="roll", fill=0.0):
        if not isinstance(max_shift, numbers.Integral) or max_shift < 0:
            raise ValueError(f"TimeShift: max_shift={max_shift!r} must be an int >= 0.")
        if mode not in SHIFT_MODES:
            raise ValueError(f"TimeShift: mode={mode!r}; expected one of {SHIFT_MODES}.")
        self.max_shift, self.mode, self.fill = int(max_shift), mode, fill

    def apply(self, x, y, rng):
        shift = rng.integers(-self.max_shift, self.max_shift + 1, x.shape[0])
        return time_shift(x, shift, self.mode, self.fill), y


class AddNoise(Augmentation):
    """Add Gaussian noise to every value, with a fixed ``std`` or at a signal-to-noise ratio.

    ``std``: the noise's standard deviation (default 0.05 when neither is given).
    ``snr_db``: a number or a ``(lo, hi)`` range drawn per sample; the noise of sample n has
    power ``P_n / 10^(snr/10)`` where ``P_n = mean(x_n²)``, so quiet samples get quiet noise.
    """

    def __init__(self, std=None, snr_db=None):
        if std is not None and snr_db is not None:
            raise ValueError("AddNoise: give std or snr_db, not both.")
        if std is None and snr_db is None:
            std = 0.05
        if std is not None:
            check_non_negative(type(self).__name__, "std", std)
        self.std = std
        if isinstance(snr_db, numbers.Real):
            snr_db = (snr_db, snr_db)
        self.snr_db = None if snr_db is None else as_range("AddNoise", "snr_db", snr_db)

    def apply(self, x, y, rng):
        noise = rng.standard_normal(x.shape, dtype=x.dtype)
        if self.std is not None:
            return x + self.std * noise, y
        n = x.shape[0]
        power = np.mean(np.square(x, dtype=np.float64), axis=tuple(range(1, x.ndim)))  # (N,)
        snr = rng.uniform(*self.snr_db, n)
        std = np.sqrt(power / 10.0 ** (snr / 10.0)).astype(x.dtype)
        return x + std.reshape((n,) + (1,) * (x.ndim - 1)) * noise, y


def band_mask(rng, n, length, max_width, n_masks):
    """``(N, length)`` bool: the union of ``n_masks`` bands per sample, each of a width uniform
    in ``[0, max_width]`` at a uniform start (SpecAugment's masks)."""
    width = rng.integers(0, min(max_width, length) + 1, (n, n_masks))  # (N, M)
    start = rng.integers(0, length - width + 1)  # (N, M)
    position = np.arange(length)
    inside = (position >= start[..., None]) & (position < (start + width)[..., None])
    return inside.any(axis=1)  # (N, length)


class TimeMasking(Augmentation):
    """SpecAugment time masking: set ``n_masks`` bands of whole time steps (width uniform in
    ``[0, max_width]``) to ``value`` (a number, or "mean": each sample's mean)."""

    axis = -1

    def __init__(self, max_width, n_masks=1, value=0.0):
        name = type(self).__name__
        for arg, v in (("max_width", max_width), ("n_masks", n_masks)):
            if not isinstance(v, numbers.Integral) or v < 0:
                raise ValueError(f"{name}: {arg}={v!r} must be an int >= 0.")
        if not (value == "mean" or np.isscalar(value)):
            raise ValueError(f"{name}: value={value!r}; expected a number or 'mean'.")
        self.max_width, self.n_masks, self.value = int(max_width), int(n_masks), value

    def apply(self, x, y, rng):
        if x.ndim < 1 - self.axis:  # frequency masking needs (N, F, T)
            raise ValueError(
                f"{type(self).__name__}: got input of shape {x.shape}; expected a spectrogram "
                "batch (N, F, T) with frequency on axis -2."
            )
        n, length = x.shape[0], x.shape[self.axis]
        mask = band_mask(rng, n, length, self.max_width, self.n_masks)  # (N, length)
        view = [n] + [1] * (x.ndim - 1)
        view[self.axis] = length
        if self.value == "mean":
            fill = x.mean(axis=tuple(range(1, x.ndim)), keepdims=True)
        else:
            fill = np.asarray(self.value, dtype=x.dtype)
        return np.where(mask.reshape(view), fill, x).astype(x.dtype, copy=False), y


class FrequencyMasking(TimeMasking):
    """SpecAugment frequency masking on spectrograms ``(N, F, T)``: set ``n_masks`` bands of
    whole frequency rows (width uniform in ``[0, max_width]``) to ``value``."""

    axis = -2
