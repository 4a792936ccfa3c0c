"""Audio front end in NumPy, with torchaudio's names: WAV files, resampling, spectrograms,
mel filter banks, decibels and MFCC; CTC decoders. ``zennet.audio.load_wav("x.wav")``."""

from zennet.audio.decode import beam_search_decode, edit_distance, error_rate, greedy_decode
from zennet.audio.resample import Resample, resample
from zennet.audio.spectral import (
    MFCC,
    AmplitudeToDB,
    MelScale,
    MelSpectrogram,
    Spectrogram,
    create_dct,
    melscale_fbanks,
)
from zennet.audio.wav import load_wav, save_wav
