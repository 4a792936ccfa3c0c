"""What the jobs share: the files of a run directory, and reading the inputs of
``zennet predict`` / ``zennet explain`` (an image file or a .npy array)."""

import math
from pathlib import Path

import numpy as np

from zennet.audio.features import wav_features
from zennet.data.datasets import load_image
from zennet.io import load_npy


def load_input(path, shape):
    """Inputs shaped (N, *shape) from a .npy array or an image file (scaled to [0, 1])."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    if path.suffix.lower() == ".wav":  # speech models take log-mels (1, 40, frames)
        x = wav_features(path, shape[-1])
    elif path.suffix == ".npy":
        x = load_npy(path).astype(np.float32)
    else:
        side = shape[-1] if len(shape) == 3 else math.isqrt(math.prod(shape))
        x = load_image(path, size=(side, side))  # (1, H, W) in [0, 1]
    per_sample = math.prod(shape)
    if x.size % per_sample:
        raise ValueError(
            f"{path}: an input of shape {x.shape} does not fit the model's input shape {shape}."
        )
    return x.reshape((-1, *shape))


def check_input_shape(recipe, shape, data):
    """The model's input shape must be the data set's."""
    if tuple(recipe["input_shape"]) != tuple(shape):
        raise ValueError(
            f"the model expects inputs of shape {tuple(recipe['input_shape'])} but {data!r} has "
            f"{tuple(shape)}; evaluate it on the data set it was trained on."
        )
