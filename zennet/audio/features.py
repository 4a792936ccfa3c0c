"""The speech models' input: normalized log-mel spectrograms, padded into batches.

``log_mel(waveform)``: 40 mel bands (HTK scale, 20 Hz - 7.6 kHz) of 25 ms Hann frames every
10 ms at 16 kHz; ``log(mel + 1e-6)``; then each band's mean over time is removed (cepstral
mean normalization: a fixed channel or gain drops out) and the result divided by its standard
deviation over the whole utterance.
"""

import numpy as np

from zennet.audio.resample import resample
from zennet.audio.spectral import MelSpectrogram
from zennet.audio.wav import load_wav

SAMPLE_RATE = 16000
HOP = 160  # 10 ms
N_MELS = 40
_MEL = MelSpectrogram(
    SAMPLE_RATE, n_fft=512, win_length=400, hop_length=HOP, f_min=20.0, f_max=7600.0,
    n_mels=N_MELS,
)  # fmt: skip


def log_mel(waveform):
    """``(T,)`` waveform at 16 kHz -> float32 ``(40, 1 + T // 160)`` normalized log-mels."""
    x = np.asarray(waveform, dtype=np.float32)
    if x.shape[-1] < 400:  # shorter than one frame: pad with silence
        x = np.pad(x, (0, 400 - x.shape[-1]))
    mel = np.log(_MEL(x) + 1e-6)
    mel -= mel.mean(axis=-1, keepdims=True)
    return (mel / (mel.std() + 1e-5)).astype(np.float32)


def pad_batch(arrays, length=None):
    """Stack arrays ``(..., T_i)`` into ``(N, ..., length)`` (zeros after each end; longer ones
    cut), default length the longest; returns the batch and the lengths ``(N,)`` kept."""
    length = max(a.shape[-1] for a in arrays) if length is None else int(length)
    out = np.zeros((len(arrays),) + arrays[0].shape[:-1] + (length,), dtype=arrays[0].dtype)
    kept = np.empty(len(arrays), dtype=np.int64)
    for i, a in enumerate(arrays):
        kept[i] = min(a.shape[-1], length)
        out[i, ..., : kept[i]] = a[..., : kept[i]]
    return out, kept


def features(waveforms, frames=None):
    """Log-mels of a list of waveforms as a batch ``(N, 1, 40, frames)`` and the frame counts."""
    batch, lengths = pad_batch([log_mel(w) for w in waveforms], frames)
    return batch[:, None], lengths


def to_mono_16k(waveform, sample_rate):
    """``(channels, T)`` or ``(T,)`` at any rate -> mono ``(T',)`` float32 at 16 kHz."""
    x = np.asarray(waveform, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=0)
    return resample(x, sample_rate, SAMPLE_RATE).astype(np.float32)


def wav_features(path, frames):
    """A WAV file (any rate, any channels) as the models' input ``(1, 1, 40, frames)``."""
    waveform, rate = load_wav(path)
    return features([to_mono_16k(waveform, rate)], frames)[0]
