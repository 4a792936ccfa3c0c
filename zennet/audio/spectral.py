"""Spectrograms, mel filter banks, decibels and MFCC, as torchaudio.transforms names them.

Shapes: a waveform ``(..., T)`` becomes a spectrogram ``(..., freq, frames)``.

- ``Spectrogram``: frames of ``win_length`` samples every ``hop_length``, a periodic Hann
  window zero-padded to ``n_fft``, ``|rfft|^power``; with ``center`` the signal is first
  padded by ``n_fft // 2`` on both sides, so frame t is centred on sample ``t · hop``.
  ``frames = 1 + T // hop`` (centred).
- ``MelScale``: ``mel = fbᵀ · spec`` with triangular filters ``fb`` (n_freqs, n_mels) whose
  corners are ``n_mels + 2`` points equally spaced on the mel scale; HTK's
  ``m = 2595 log10(1 + f / 700)`` or Slaney's (linear below 1 kHz, logarithmic above);
  ``norm="slaney"`` scales each filter to unit area (``2 / (f_{i+2} - f_i)``).
- ``AmplitudeToDB``: ``10 log10(max(x, amin))`` for power (20 for magnitude), then, with
  ``top_db``, floored at ``max - top_db`` (the max of each spectrogram).
- ``MFCC``: the orthonormal DCT-II of the log-mel spectrogram (``top_db=80``), first
  ``n_mfcc`` coefficients: ``c_k = s_k Σ_m x_m cos(π k (2m + 1) / (2M))``,
  ``s_0 = √(1/M)``, ``s_k = √(2/M)``.
"""

import math

import numpy as np

from zennet.backend import array_module


def hann_window(length, xp=np):
    """The periodic Hann window: ``w[n] = 0.5 - 0.5 cos(2π n / length)``."""
    return 0.5 - 0.5 * xp.cos(2 * math.pi * xp.arange(length) / length)


def stft(waveform, n_fft=400, hop_length=None, win_length=None, center=True, pad_mode="reflect"):
    """Complex STFT ``(..., n_fft // 2 + 1, frames)`` of ``waveform (..., T)``."""
    xp = array_module(waveform)
    win_length = win_length or n_fft
    hop_length = hop_length or win_length // 2
    if win_length > n_fft:
        raise ValueError(f"Spectrogram: win_length={win_length} > n_fft={n_fft}.")
    x = waveform
    if center:
        pad = [(0, 0)] * (x.ndim - 1) + [(n_fft // 2, n_fft // 2)]
        x = xp.pad(x, pad, mode=pad_mode)
    if x.shape[-1] < n_fft:
        raise ValueError(
            f"Spectrogram: a waveform of {waveform.shape[-1]} samples is shorter than one "
            f"frame (n_fft={n_fft}); pad it or use a smaller n_fft."
        )
    left = (n_fft - win_length) // 2
    window = xp.zeros(n_fft, dtype=x.dtype)
    window[left : left + win_length] = hann_window(win_length, xp)
    frames = xp.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)[..., ::hop_length, :]
    spec = xp.fft.rfft(frames * window, axis=-1)  # (..., frames, freq)
    return xp.swapaxes(spec, -1, -2)  # (..., freq, frames)


class Spectrogram:
    """``|STFT|^power`` (power=None keeps the complex STFT): ``(..., T) -> (..., n_fft//2+1,
    frames)``. ``normalized`` divides by the window's L2 norm, as torchaudio's "window"."""

    def __init__(
        self,
        n_fft=400,
        win_length=None,
        hop_length=None,
        power=2.0,
        normalized=False,
        center=True,
        pad_mode="reflect",
    ):
        self.n_fft, self.win_length = n_fft, win_length or n_fft
        self.hop_length = hop_length or self.win_length // 2
        self.power, self.normalized = power, normalized
        self.center, self.pad_mode = center, pad_mode

    def __call__(self, waveform):
        xp = array_module(waveform)
        spec = stft(
            waveform, self.n_fft, self.hop_length, self.win_length, self.center, self.pad_mode
        )
        if self.normalized:
            spec = spec / math.sqrt(float((hann_window(self.win_length) ** 2).sum()))
        if self.power is None:
            return spec
        magnitude = xp.abs(spec)
        return magnitude if self.power == 1 else magnitude**self.power


def hz_to_mel(f, mel_scale="htk"):
    """Hertz to mels: HTK ``2595 log10(1 + f/700)`` or Slaney (``f / (200/3)`` below 1 kHz,
    ``15 + log(f / 1000) / (log(6.4) / 27)`` above)."""
    f = np.asarray(f, dtype=np.float64)
    if mel_scale == "htk":
        return 2595.0 * np.log10(1.0 + f / 700.0)
    if mel_scale != "slaney":
        raise ValueError(f"MelScale: mel_scale={mel_scale!r}; expected 'htk' or 'slaney'.")
    logstep = math.log(6.4) / 27.0
    linear = f / (200.0 / 3)
    return np.where(f >= 1000.0, 15.0 + np.log(np.maximum(f, 1e-10) / 1000.0) / logstep, linear)


def mel_to_hz(m, mel_scale="htk"):
    """The inverse of ``hz_to_mel``."""
    m = np.asarray(m, dtype=np.float64)
    if mel_scale == "htk":
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    logstep = math.log(6.4) / 27.0
    return np.where(m >= 15.0, 1000.0 * np.exp(logstep * (m - 15.0)), m * (200.0 / 3))


def melscale_fbanks(n_freqs, f_min, f_max, n_mels, sample_rate, norm=None, mel_scale="htk"):
    """Triangular mel filters ``(n_freqs, n_mels)`` over the rfft bins ``0 .. sample_rate/2``."""
    if norm not in (None, "slaney"):
        raise ValueError(f"MelScale: norm={norm!r}; expected None or 'slaney'.")
    all_freqs = np.linspace(0, sample_rate / 2, n_freqs)  # (n_freqs,)
    m_pts = np.linspace(hz_to_mel(f_min, mel_scale), hz_to_mel(f_max, mel_scale), n_mels + 2)
    f_pts = mel_to_hz(m_pts, mel_scale)  # (n_mels + 2,) the corners
    f_diff = np.diff(f_pts)  # (n_mels + 1,)
    slopes = f_pts[None, :] - all_freqs[:, None]  # (n_freqs, n_mels + 2)
    down = -slopes[:, :-2] / f_diff[:-1]  # rising edge, (n_freqs, n_mels)
    up = slopes[:, 2:] / f_diff[1:]  # falling edge
    fb = np.maximum(0.0, np.minimum(down, up))
    if norm == "slaney":
        fb *= 2.0 / (f_pts[2 : n_mels + 2] - f_pts[:n_mels])
    return fb


class MelScale:
    """A (power) spectrogram ``(..., n_stft, frames)`` to mels ``(..., n_mels, frames)``."""

    def __init__(
        self, n_mels=128, sample_rate=16000, f_min=0.0, f_max=None, n_stft=201, norm=None,
        mel_scale="htk",
    ):  # fmt: skip
        self.n_mels, self.sample_rate = n_mels, sample_rate
        self.f_min, self.f_max = f_min, f_max or sample_rate / 2
        self.fb = melscale_fbanks(
            n_stft, self.f_min, self.f_max, n_mels, sample_rate, norm, mel_scale
        )  # (n_stft, n_mels)

    def __call__(self, spec):
        if spec.shape[-2] != self.fb.shape[0]:
            raise ValueError(
                f"MelScale(n_stft={self.fb.shape[0]}) got a spectrogram of shape {spec.shape}; "
                f"expected (..., {self.fb.shape[0]}, frames). Set n_stft = n_fft // 2 + 1."
            )
        xp = array_module(spec)
        fb = xp.asarray(self.fb, dtype=spec.dtype)
        return xp.swapaxes(xp.swapaxes(spec, -1, -2) @ fb, -1, -2)  # (..., n_mels, frames)


class MelSpectrogram:
    """``MelScale(Spectrogram(waveform))``: ``(..., T) -> (..., n_mels, frames)``."""

    def __init__(
        self, sample_rate=16000, n_fft=400, win_length=None, hop_length=None, f_min=0.0,
        f_max=None, n_mels=128, power=2.0, center=True, pad_mode="reflect", norm=None,
        mel_scale="htk",
    ):  # fmt: skip
        self.spectrogram = Spectrogram(
            n_fft, win_length, hop_length, power, center=center, pad_mode=pad_mode
        )
        self.mel_scale = MelScale(
            n_mels, sample_rate, f_min, f_max, n_fft // 2 + 1, norm, mel_scale
        )

    def __call__(self, waveform):
        return self.mel_scale(self.spectrogram(waveform))


class AmplitudeToDB:
    """Decibels: ``multiplier · log10(max(x, amin)) - multiplier · log10(max(amin, ref))``
    with multiplier 10 (``stype="power"``) or 20 (``"magnitude"``); ``top_db`` floors each
    spectrogram (the last two axes) at its max minus ``top_db``."""

    def __init__(self, stype="power", top_db=None, amin=1e-10, ref=1.0):
        if stype not in ("power", "magnitude"):
            raise ValueError(f"AmplitudeToDB: stype={stype!r}; expected 'power' or 'magnitude'.")
        self.multiplier = 10.0 if stype == "power" else 20.0
        self.top_db, self.amin, self.ref = top_db, amin, ref

    def __call__(self, x):
        xp = array_module(x)
        db = self.multiplier * (xp.log10(xp.maximum(x, self.amin)))
        db = db - self.multiplier * math.log10(max(self.amin, self.ref))
        if self.top_db is not None:
            floor = db.max(axis=(-2, -1), keepdims=True) - self.top_db
            db = xp.maximum(db, floor)
        return db


def create_dct(n_mfcc, n_mels, norm="ortho"):
    """The DCT-II matrix ``(n_mels, n_mfcc)``: ``mfcc = dctᵀ · log_mel`` (orthonormal with
    ``norm="ortho"``, else ``2 cos(...)`` unscaled as torchaudio's ``norm=None``)."""
    m = np.arange(n_mels)[:, None]
    k = np.arange(n_mfcc)[None, :]
    dct = np.cos(math.pi / n_mels * (m + 0.5) * k)  # (n_mels, n_mfcc)
    if norm is None:
        return 2.0 * dct
    if norm != "ortho":
        raise ValueError(f"MFCC: norm={norm!r}; expected 'ortho' or None.")
    dct[:, 0] *= 1.0 / math.sqrt(2.0)
    return dct * math.sqrt(2.0 / n_mels)


class MFCC:
    """Mel-frequency cepstral coefficients ``(..., T) -> (..., n_mfcc, frames)``: the DCT of
    the dB mel spectrogram (``log_mels=True``: of ``log(mel + 1e-6)`` instead)."""

    def __init__(
        self, sample_rate=16000, n_mfcc=40, dct_type=2, norm="ortho", log_mels=False,
        melkwargs=None,
    ):  # fmt: skip
        if dct_type != 2:
            raise NotImplementedError(f"MFCC: dct_type={dct_type}; only type 2 is supported.")
        self.mel_spectrogram = MelSpectrogram(sample_rate=sample_rate, **(melkwargs or {}))
        n_mels = self.mel_spectrogram.mel_scale.n_mels
        if n_mfcc > n_mels:
            raise ValueError(f"MFCC: n_mfcc={n_mfcc} > n_mels={n_mels}; lower n_mfcc.")
        self.dct = create_dct(n_mfcc, n_mels, norm)
        self.log_mels = log_mels
        self.to_db = AmplitudeToDB("power", top_db=80.0)

    def __call__(self, waveform):
        xp = array_module(waveform)
        mel = self.mel_spectrogram(waveform)
        mel = xp.log(mel + 1e-6) if self.log_mels else self.to_db(mel)
        dct = xp.asarray(self.dct, dtype=mel.dtype)
        return xp.swapaxes(xp.swapaxes(mel, -1, -2) @ dct, -1, -2)  # (..., n_mfcc, frames)
