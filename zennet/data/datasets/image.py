"""One input for ``zennet predict``: an image file (via Pillow) or a NumPy ``.npy`` array."""

import os
import warnings

import numpy as np

from zennet.io import load_npy


def _size_arg(size):
    """``(height, width)`` from an int or a pair."""
    if isinstance(size, int):
        return size, size
    if isinstance(size, (tuple, list)) and len(size) == 2 and all(isinstance(s, int) for s in size):
        return tuple(size)
    raise ValueError(f"load_image: size must be an int or (height, width), got {size!r}.")


def _to_unit_float(array):
    """uint8 pixels -> float32 in [0, 1]; other numbers -> float32 unchanged."""
    if array.dtype == np.uint8:
        return np.divide(array, np.float32(255), dtype=np.float32)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise ValueError(f"load_image: expected a numeric array, got dtype {array.dtype}.")
    return array.astype(np.float32)


def _load_npy(path, size):
    try:
        array = load_npy(path)
    except ValueError as err:
        raise ValueError(f"load_image: {path} is not a readable .npy array ({err}).") from err
    if size is not None and array.shape[-2:] != _size_arg(size):
        raise ValueError(
            f"load_image: {path} holds an array of shape {array.shape}; expected its last two "
            f"dimensions to be {_size_arg(size)}. Arrays are not resized: save it at that size."
        )
    return _to_unit_float(array)


def _load_picture(path, size, grayscale):
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError(
            f"load_image: reading {os.path.basename(path)} needs Pillow: `pip install pillow`; "
            f"or save the input as a NumPy .npy file, which needs nothing extra."
        ) from err
    try:
        with warnings.catch_warnings():
            # more pixels than Pillow's limit (~89 million): refused before decoding
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as picture:
                picture = picture.convert("L" if grayscale else "RGB")
                if size is not None:
                    height, width = _size_arg(size)
                    picture = picture.resize((width, height), Image.Resampling.BILINEAR)
                pixels = np.asarray(picture, dtype=np.uint8)
    except (FileNotFoundError, PermissionError):
        raise
    except Exception as err:  # whatever a damaged or hostile file makes Pillow throw
        why = err if isinstance(err, OSError) else f"{type(err).__name__}: {err}"
        raise ValueError(f"load_image: {path} is not a readable image ({why}).") from err
    pixels = pixels[None] if grayscale else pixels.transpose(2, 0, 1)  # (channels, H, W)
    return _to_unit_float(pixels)


def load_image(path, size=None, grayscale=True):
    """A float32 array for one model input.

    Image files (PNG, JPEG, ...; needs Pillow) give shape (1, H, W) in grayscale or
    (3, H, W) in RGB, values in [0, 1], resized to ``size`` (an int or (height, width))
    when given. ``.npy`` files are read without pickle and returned as float32 as they
    are (uint8 scaled to [0, 1]); ``size`` then only checks their last two dimensions.

    >>> x = load_image("shoe.png", size=28)          # (1, 28, 28), ready for x[None]
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"load_image: no such file: {path}")
    if path.lower().endswith(".npy"):
        return _load_npy(path, size)
    return _load_picture(path, size, grayscale)
