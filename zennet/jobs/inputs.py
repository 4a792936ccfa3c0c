"""Reading the inputs of ``zennet predict`` / ``zennet explain``: a .npy array of inputs, or
an image file, which must look like the training images (see :func:`load_input`)."""

import math
from pathlib import Path

import numpy as np

from zennet.audio.features import wav_features
from zennet.data.datasets import load_image
from zennet.io import load_npy

LIGHT_BACKGROUND = 0.5  # an image whose border is brighter than this on average is inverted


def load_input(path, shape):
    """(inputs shaped (N, *shape), a note or None) from a .npy array, a WAV file (log-mel
    features, for speech models) or an image file.

    The digits and Fashion-MNIST are bright strokes on a black background, scaled to
    [0, 1]: an image file is read in grayscale, resized to the model's input size and, when
    its border is light (a dark drawing on white paper), inverted -- the note says so.
    Arrays are taken as they are. Empty inputs and NaN or Inf values are refused.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    note = None
    if path.suffix.lower() == ".wav":  # speech models take log-mels (1, 40, frames)
        x = wav_features(path, shape[-1])
    elif path.suffix == ".npy":
        x = load_npy(path).astype(np.float32)
    else:
        side = shape[-1] if len(shape) == 3 else math.isqrt(math.prod(shape))
        x = load_image(path, size=(side, side))  # (1, H, W) in [0, 1]
        if _border_mean(x) > LIGHT_BACKGROUND:
            x = 1 - x
            note = (
                f"{path} has a light background: inverted it, since the model was trained on "
                f"light strokes on a dark background."
            )
    per_sample = math.prod(shape)
    if x.size == 0:
        raise ValueError(f"{path}: holds no inputs (an array of shape {x.shape}).")
    if x.size % per_sample:
        raise ValueError(
            f"{path}: an input of shape {x.shape} does not fit the model's input shape {shape}."
        )
    x = x.reshape((-1, *shape))
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{path}: {int(bad.sum())} of its {len(x)} inputs hold NaN or Inf (the first is "
            f"input {int(np.flatnonzero(bad)[0])}); a model's output for them means nothing."
        )
    return x, note


def _border_mean(image):
    """The mean of the outermost pixels of a (C, H, W) image."""
    border = np.concatenate(
        [image[:, 0, :], image[:, -1, :], image[:, 1:-1, 0], image[:, 1:-1, -1]], axis=1
    )
    return float(border.mean())


def check_input_shape(recipe, shape, data):
    """The model's input shape must be the data set's."""
    if tuple(recipe["input_shape"]) != tuple(shape):
        raise ValueError(
            f"the model expects inputs of shape {tuple(recipe['input_shape'])} but {data!r} has "
            f"{tuple(shape)}; evaluate it on the data set it was trained on."
        )
