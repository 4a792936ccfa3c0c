"""The audio front end against librosa (float64, 1e-4 relative) and WAV files round trip."""

import sys

import numpy as np
import pytest

from zennet.audio import (
    MFCC,
    AmplitudeToDB,
    MelScale,
    MelSpectrogram,
    Resample,
    Spectrogram,
    load_wav,
    save_wav,
)

librosa = pytest.importorskip("librosa")


def close(ours, theirs, rtol=1e-4):
    """Equal within ``rtol`` of the reference's largest magnitude (spectra span decades)."""
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=rtol * np.abs(theirs).max())


@pytest.fixture
def wave(rng):
    """Half a second of a chirp plus noise at 16 kHz, float64."""
    t = np.arange(8000) / 16000
    return np.sin(2 * np.pi * (200 + 3000 * t) * t) + 0.1 * rng.standard_normal(t.shape)


@pytest.mark.parametrize("bits", [8, 16, 24, 32])
def test_wav_round_trip(tmp_path, rng, bits):
    x = rng.uniform(-0.9, 0.9, (2, 1001)).astype(np.float32)
    save_wav(tmp_path / "a.wav", x, 22050, bits_per_sample=bits)
    y, rate = load_wav(tmp_path / "a.wav")
    assert rate == 22050 and y.shape == (2, 1001) and y.dtype == np.float32
    np.testing.assert_allclose(y, x, atol=1.0 / 2 ** (bits - 1))
    assert not list(tmp_path.glob("*.tmp"))


def test_wav_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file"):
        load_wav(tmp_path / "missing.wav")
    (tmp_path / "bad.wav").write_bytes(b"not a wav file at all")
    with pytest.raises(ValueError, match="not a PCM WAV"):
        load_wav(tmp_path / "bad.wav")
    with pytest.raises(ValueError, match="bits_per_sample"):
        save_wav(tmp_path / "x.wav", np.zeros(3), 16000, bits_per_sample=12)


@pytest.mark.parametrize("fmt, subtype", [("FLAC", "PCM_24"), ("WAV", "FLOAT"), ("OGG", "VORBIS")])
def test_other_sound_files_are_read_with_soundfile(tmp_path, fmt, subtype):
    soundfile = pytest.importorskip("soundfile")
    x = (0.5 * np.sin(np.arange(4000) / 7.0)[:, None] * [1.0, 0.5]).astype(np.float32)
    path = tmp_path / f"a.{fmt.lower()}"
    soundfile.write(path, x, 16000, format=fmt, subtype=subtype)
    y, rate = load_wav(path)
    assert rate == 16000 and y.shape == (2, 4000) and y.dtype == np.float32
    lossy = fmt == "OGG"  # Vorbis is lossy: the same sound, not the same samples
    np.testing.assert_allclose(y, x.T, atol=0.05 if lossy else 1e-6)


def test_without_soundfile_the_error_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "soundfile", None)  # import soundfile fails
    (tmp_path / "a.flac").write_bytes(b"fLaC" + bytes(100))
    with pytest.raises(ValueError, match=r"not a PCM WAV.*pip install soundfile"):
        load_wav(tmp_path / "a.flac")


@pytest.mark.parametrize("orig,new", [(22050, 16000), (16000, 22050), (16000, 8000), (5, 4)])
def test_resample_matches_librosa_polyphase(wave, orig, new):
    ours = Resample(orig, new)(wave)
    theirs = librosa.resample(wave, orig_sr=orig, target_sr=new, res_type="polyphase")
    close(ours, theirs)


def test_resample_batch_and_identity(wave):
    batch = np.stack([wave, 2 * wave])
    out = Resample(16000, 8000)(batch)
    close(out[1], 2 * Resample(16000, 8000)(wave))
    assert Resample(8000, 8000)(wave) is wave
    with pytest.raises(ValueError, match="orig_freq"):
        Resample(0, 16000)(wave)


@pytest.mark.parametrize("n_fft,win,hop", [(512, 400, 160), (256, 256, 64)])
@pytest.mark.parametrize("power", [1.0, 2.0])
def test_spectrogram_matches_librosa(wave, n_fft, win, hop, power):
    ours = Spectrogram(n_fft, win_length=win, hop_length=hop, power=power)(wave)
    stft = librosa.stft(wave, n_fft=n_fft, hop_length=hop, win_length=win, pad_mode="reflect")
    close(ours, np.abs(stft) ** power)


def test_complex_spectrogram_and_batch(wave):
    ours = Spectrogram(256, power=None)(np.stack([wave, wave[::-1].copy()]))
    theirs = librosa.stft(wave[::-1].copy(), n_fft=256, hop_length=128, pad_mode="reflect")
    assert ours.shape == (2,) + theirs.shape and np.iscomplexobj(ours)
    close(ours[1], theirs)


@pytest.mark.parametrize("mel_scale,norm", [("htk", None), ("slaney", "slaney")])
def test_mel_spectrogram_matches_librosa(wave, mel_scale, norm):
    kw = dict(n_fft=512, hop_length=160, win_length=400, n_mels=40, f_min=20.0, f_max=7600.0)
    ours = MelSpectrogram(16000, norm=norm, mel_scale=mel_scale, **kw)(wave)
    theirs = librosa.feature.melspectrogram(
        y=wave, sr=16000, n_fft=512, hop_length=160, win_length=400, n_mels=40, fmin=20.0,
        fmax=7600.0, htk=mel_scale == "htk", norm=norm, pad_mode="reflect", dtype=np.float64,
    )  # fmt: skip
    close(ours, theirs)
    fb = librosa.filters.mel(sr=16000, n_fft=512, n_mels=40, fmin=20.0, fmax=7600.0,
                             htk=mel_scale == "htk", norm=norm, dtype=np.float64)  # fmt: skip
    close(MelScale(40, 16000, 20.0, 7600.0, 257, norm, mel_scale).fb.T, fb)


@pytest.mark.parametrize("top_db", [None, 80.0, 30.0])
def test_amplitude_to_db_matches_librosa(wave, top_db):
    power = np.abs(librosa.stft(wave, n_fft=256)) ** 2
    close(AmplitudeToDB("power", top_db=top_db)(power), librosa.power_to_db(power, top_db=top_db))
    magnitude = np.sqrt(power)
    close(
        AmplitudeToDB("magnitude", top_db=top_db)(magnitude),
        librosa.amplitude_to_db(magnitude, top_db=top_db, amin=1e-10),
    )


def test_mfcc_matches_librosa(wave):
    melkwargs = dict(n_fft=512, hop_length=160, n_mels=40, mel_scale="slaney", norm="slaney")
    ours = MFCC(16000, n_mfcc=13, melkwargs=melkwargs)(wave)
    theirs = librosa.feature.mfcc(
        y=wave, sr=16000, n_mfcc=13, n_fft=512, hop_length=160, n_mels=40, pad_mode="reflect",
        dtype=np.float64,
    )  # fmt: skip
    close(ours, theirs)


def test_front_end_errors(wave):
    with pytest.raises(ValueError, match="shorter than one frame"):
        Spectrogram(512, center=False)(wave[:100])
    with pytest.raises(ValueError, match=r"MelScale\(n_stft=201\).*n_fft // 2 \+ 1"):
        MelScale(n_stft=201)(Spectrogram(512)(wave))
    with pytest.raises(ValueError, match="n_mfcc=50 > n_mels=40"):
        MFCC(n_mfcc=50, melkwargs=dict(n_mels=40))
    with pytest.raises(ValueError, match="mel_scale"):
        MelScale(mel_scale="bark")
