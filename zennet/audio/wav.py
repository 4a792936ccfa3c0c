"""WAV files with the standard library's ``wave``: ``load_wav`` and ``save_wav`` (torchaudio's
``load``/``save`` contract: float32 ``(channels, frames)`` in [-1, 1] and the sample rate).

Integer PCM of 8, 16, 24 or 32 bits is read; ``save_wav`` writes 16-bit PCM (or 8/24/32 with
``bits_per_sample``). Writes go to a temporary name and are renamed, so a crash never leaves a
half-written file. Other files (float WAV, FLAC, OGG, AIFF, MP3, ...) are read with
``soundfile`` (libsndfile) when it is installed: ``pip install soundfile`` or
``pip install zennet[audio]``.
"""

import os
import wave
from pathlib import Path

import numpy as np

_SCALE = {1: 128.0, 2: 32768.0, 3: 8388608.0, 4: 2147483648.0}


def _pcm_to_float(raw, width):
    """Little-endian PCM bytes -> float32 in [-1, 1) (8-bit WAV is unsigned, the rest signed)."""
    if width == 1:
        return (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 3:  # 24-bit: widen each 3-byte sample to an int32 (sign in the top byte)
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = (b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8
        return (ints / _SCALE[3]).astype(np.float32)
    ints = np.frombuffer(raw, {2: "<i2", 4: "<i4"}[width])
    return (ints / _SCALE[width]).astype(np.float32)


def _float_to_pcm(x, width):
    """float in [-1, 1] -> little-endian PCM bytes (clipped, rounded)."""
    scale = _SCALE[width]
    ints = np.clip(np.round(np.asarray(x, np.float64) * scale), -scale, scale - 1)
    if width == 1:
        return (ints + 128).astype(np.uint8).tobytes()
    if width == 3:
        b = ints.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
        return b.tobytes()
    return ints.astype({2: "<i2", 4: "<i4"}[width]).tobytes()


def decode_wav(file):
    """``(waveform (channels, frames) float32, sample_rate)`` from a WAV path or binary file.

    espeak-ng's ``--stdout`` streams declare a huge frame count; every frame present is read.
    """
    try:
        with wave.open(file if not isinstance(file, (str, Path)) else str(file), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except wave.Error as err:
        raise ValueError(
            f"load_wav: {file} is not a PCM WAV file ({err}); convert it first, e.g. "
            "`sox in.flac -b 16 out.wav`."
        ) from None
    raw = raw[: len(raw) - len(raw) % (channels * width)]
    data = _pcm_to_float(raw, width).reshape(-1, channels).T  # (channels, frames)
    return np.ascontiguousarray(data), rate


def load_wav(path):
    """Read a sound file: ``(waveform (channels, frames) float32 in [-1, 1], sample_rate)``.

    PCM WAV is read by the standard library; any other format by ``soundfile`` if installed.

    >>> waveform, sr = load_wav("seven.wav")     # (1, 11520), 16000
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_wav: no file {path}.")
    try:
        return decode_wav(path)
    except ValueError as err:
        return _read_with_soundfile(path, err)


def _read_with_soundfile(path, why):
    """A file that ``wave`` cannot read, through libsndfile; else ``why`` with the way out."""
    try:
        import soundfile
    except ImportError:
        raise ValueError(
            f"{why}; or `pip install soundfile` (zennet[audio]), which reads FLAC, OGG, float "
            f"WAV and more."
        ) from None
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except RuntimeError as err:  # soundfile.LibsndfileError and its kin
        raise ValueError(f"{why}; soundfile cannot read it either ({err}).") from err
    return np.ascontiguousarray(data.T), rate


def save_wav(path, waveform, sample_rate, bits_per_sample=16):
    """Write ``waveform`` ((frames,) or (channels, frames), floats in [-1, 1]; louder values
    are clipped) as integer PCM WAV at ``sample_rate`` Hz."""
    if bits_per_sample not in (8, 16, 24, 32):
        raise ValueError(f"save_wav: bits_per_sample={bits_per_sample}; expected 8, 16, 24 or 32.")
    x = np.asarray(waveform)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            f"save_wav: got an array of shape {x.shape} and dtype {x.dtype}; expected floats "
            "shaped (frames,) or (channels, frames)."
        )
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(x.shape[0])
        w.setsampwidth(bits_per_sample // 8)
        w.setframerate(int(sample_rate))
        w.writeframes(_float_to_pcm(x.T.reshape(-1), bits_per_sample // 8))
    os.replace(tmp, path)
    return path
