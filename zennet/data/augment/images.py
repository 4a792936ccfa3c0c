"""Image augmentations on batches ``(N, C, H, W)`` (or ``(N, H, W)``), vectorized over N.

Geometry: RandomCrop, RandomTranslate (integer shifts: padding + gathered windows),
RandomAffine / RandomRotation / RandomScale (one bilinear resampler), ElasticDistortion,
RandomHorizontalFlip, RandomVerticalFlip. Photometric: BrightnessContrast, GaussianNoise.
Occlusion: RandomErasing, Cutout. ``translate`` and ``rotate`` are the deterministic cores.
"""

import numpy as np

from zennet.data.augment.base import (
    Augmentation,
    as_pair,
    as_range,
    check_non_negative,
    check_probability,
)
from zennet.data.augment.geometry import (
    affine_grid,
    as_images,
    box_mask,
    centered_boxes,
    gather_windows,
    gaussian_smooth,
    pad_images,
    rotation_scale_matrices,
    sample_bilinear,
)
from zennet.data.augment.sequences import AddNoise

PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


class ImageAugmentation(Augmentation):
    """Base for image transforms: ``transform(images (N, C, H, W), rng)`` does the work."""

    def apply(self, x, y, rng):
        out = self.transform(as_images(x, type(self).__name__), rng)
        return (out if x.ndim == 4 else out[:, 0]), y

    def transform(self, images, rng):
        raise NotImplementedError


def translate(x, dx, dy, fill=0.0):
    """Shift each image by whole pixels: ``dx`` columns right, ``dy`` rows down (scalars or
    ``(N,)`` ints); pixels shifted in are ``fill``:
    ``out[n, c, i, j] = x[n, c, i - dy, j - dx]``."""
    images = as_images(x, "translate")
    n = images.shape[0]
    dx = np.broadcast_to(np.asarray(dx, dtype=np.intp), (n,))
    dy = np.broadcast_to(np.asarray(dy, dtype=np.intp), (n,))
    pad_h, pad_w = int(np.abs(dy).max(initial=0)), int(np.abs(dx).max(initial=0))
    padded = pad_images(images, pad_h, pad_w, fill)
    out = gather_windows(padded, pad_h - dy, pad_w - dx, *images.shape[2:])
    return out.reshape(np.shape(x))


def rotate(x, angle, scale=1.0, fill=0.0):
    """Rotate each image counter-clockwise by ``angle`` degrees about its centre and zoom by
    ``scale``, with bilinear interpolation (scalars or ``(N,)`` arrays). Corners that come from
    outside the image are ``fill``; ``rotate(x, 90)`` is ``np.rot90(x, axes=(-2, -1))``."""
    images = as_images(x, "rotate")
    n, _, h, w = images.shape
    angle = np.broadcast_to(np.asarray(angle, dtype=np.float64), (n,))
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), (n,))
    out = sample_bilinear(images, *affine_grid(rotation_scale_matrices(angle, scale), h, w), fill)
    return out.reshape(np.shape(x))


class RandomCrop(ImageAugmentation):
    """Pad by ``padding`` pixels, then cut a window of ``size`` at a random place per sample.

    ``size`` None keeps the input size (the classic "pad 4, crop 32" of CIFAR). ``fill`` is the
    padding value for ``padding_mode="constant"``; "edge", "reflect", "symmetric" are NumPy's.
    """

    def __init__(self, size=None, padding=0, fill=0.0, padding_mode="constant"):
        self.size = None if size is None else as_pair("RandomCrop", "size", size)
        self.padding = as_pair("RandomCrop", "padding", padding)
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"RandomCrop: padding_mode={padding_mode!r}; expected one of {PADDING_MODES}."
            )
        self.fill, self.padding_mode = fill, padding_mode

    def transform(self, images, rng):
        n, _, h, w = images.shape
        padded = pad_images(images, *self.padding, self.fill, self.padding_mode)
        size_h, size_w = (h, w) if self.size is None else self.size
        room_h, room_w = padded.shape[2] - size_h, padded.shape[3] - size_w
        if room_h < 0 or room_w < 0:
            raise ValueError(
                f"RandomCrop: crop size {(size_h, size_w)} is larger than the padded image "
                f"{padded.shape[2:]}; lower size or raise padding."
            )
        top, left = rng.integers(0, room_h + 1, n), rng.integers(0, room_w + 1, n)
        return gather_windows(padded, top, left, size_h, size_w)


class RandomTranslate(ImageAugmentation):
    """Shift each image by whole pixels, ``dx`` in ``[-max_dx, max_dx]`` and ``dy`` in
    ``[-max_dy, max_dy]`` (uniform integers); ``max_shift`` is an int or ``(max_dx, max_dy)``."""

    def __init__(self, max_shift=2, fill=0.0):
        self.max_shift = as_pair("RandomTranslate", "max_shift", max_shift)
        self.fill = fill

    def transform(self, images, rng):
        (max_dx, max_dy), n = self.max_shift, images.shape[0]
        dx, dy = rng.integers(-max_dx, max_dx + 1, n), rng.integers(-max_dy, max_dy + 1, n)
        return translate(images, dx, dy, self.fill)


class RandomAffine(ImageAugmentation):
    """Rotate by an angle uniform in ``degrees`` and zoom by a factor uniform in ``scale``,
    per sample, in ONE bilinear resampling (see ``rotate``).

    ``degrees``: d (meaning ``(-d, d)``) or ``(lo, hi)``; ``scale``: None (no zoom) or ``(lo, hi)``.
    """

    def __init__(self, degrees=0.0, scale=None, fill=0.0):
        self.degrees = as_range(type(self).__name__, "degrees", degrees)
        self.scale = None if scale is None else as_range(type(self).__name__, "scale", scale)
        if self.scale is not None and self.scale[0] <= 0:
            raise ValueError(f"{type(self).__name__}: scale={scale!r} must be positive.")
        self.fill = fill

    def transform(self, images, rng):
        n = images.shape[0]
        angle = rng.uniform(*self.degrees, n)
        scale = np.ones(n) if self.scale is None else rng.uniform(*self.scale, n)
        return rotate(images, angle, scale, self.fill)


class RandomRotation(RandomAffine):
    """Rotate each image counter-clockwise by an angle uniform in ``(-degrees, degrees)``
    (or in ``(lo, hi)`` if a pair), bilinear, corners filled with ``fill``."""

    def __init__(self, degrees, fill=0.0):
        super().__init__(degrees=degrees, fill=fill)


class RandomScale(RandomAffine):
    """Zoom each image about its centre by a factor uniform in ``scale = (lo, hi)``, bilinear."""

    def __init__(self, scale=(0.9, 1.1), fill=0.0):
        super().__init__(scale=scale, fill=fill)


class ElasticDistortion(ImageAugmentation):
    """Elastic distortion (Simard et al., 2003), the classic augmentation for handwritten digits.

    Per sample, two fields of uniform(-1, 1) values are smoothed by a Gaussian of width
    ``sigma`` pixels and scaled by ``alpha`` into a displacement (Δy, Δx);
    ``out[i, j] = x(i + Δy[i, j], j + Δx[i, j])``, bilinear. ``alpha`` 0 is the identity.
    Simard's 34 and 4 are for 28x28 MNIST; for 8x8 digits about 3 and 1.5 look alike.
    """

    def __init__(self, alpha=34.0, sigma=4.0, fill=0.0):
        check_non_negative("ElasticDistortion", "alpha", alpha)
        if not sigma > 0:
            raise ValueError(f"ElasticDistortion: sigma={sigma!r} must be > 0.")
        self.alpha, self.sigma, self.fill = alpha, sigma, fill

    def transform(self, images, rng):
        n, _, h, w = images.shape
        field = gaussian_smooth(rng.uniform(-1.0, 1.0, (n, 2, h, w)), self.sigma)  # (N, 2, H, W)
        rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        src_y, src_x = rows + self.alpha * field[:, 0], cols + self.alpha * field[:, 1]
        return sample_bilinear(images, src_y, src_x, self.fill)


class RandomHorizontalFlip(ImageAugmentation):
    """Mirror each image left-right with probability ``p``."""

    axis = -1

    def __init__(self, p=0.5):
        check_probability(type(self).__name__, "p", p)
        self.p = p

    def transform(self, images, rng):
        flip = rng.random(images.shape[0]) < self.p  # (N,)
        return np.where(flip[:, None, None, None], np.flip(images, self.axis), images)


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror each image top-bottom with probability ``p``."""

    axis = -2


class BrightnessContrast(ImageAugmentation):
    """Per sample: contrast factor ``c`` uniform in ``1 ± contrast`` about the image's mean
    ``m`` and an additive brightness ``b`` uniform in ``± brightness`` (in data units):
    ``out = c·x + (1 - c)·m + b``. ``clip=(lo, hi)`` clips the result (e.g. ``(0, 1)``)."""

    def __init__(self, brightness=0.2, contrast=0.2, clip=None):
        self.brightness = as_range("BrightnessContrast", "brightness", brightness)
        self.contrast = as_range("BrightnessContrast", "contrast", contrast, center=1.0)
        self.clip = clip

    def transform(self, images, rng):
        n = images.shape[0]
        shape = (n, 1, 1, 1)
        b = rng.uniform(*self.brightness, n).astype(images.dtype).reshape(shape)
        c = np.maximum(rng.uniform(*self.contrast, n), 0).astype(images.dtype).reshape(shape)
        mean = images.mean(axis=(1, 2, 3), keepdims=True)
        out = c * images + ((1 - c) * mean + b)
        return out if self.clip is None else np.clip(out, *self.clip).astype(images.dtype)


class GaussianNoise(AddNoise):
    """Add ``N(0, std²)`` noise to every pixel (``AddNoise(std=std)`` under an image name)."""

    def __init__(self, std=0.05):
        super().__init__(std=std)


class RandomErasing(ImageAugmentation):
    """Random erasing (Zhong et al., 2017): with probability ``p``, set a rectangle of area
    ``scale`` (a share of the image, uniform) and aspect ratio ``ratio`` (height/width,
    log-uniform) to ``value`` (a number, or "random" for standard-normal noise).

    Rectangles that would not fit are reshaped to fit with the same area.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0):
        check_probability("RandomErasing", "p", p)
        self.scale = as_range("RandomErasing", "scale", scale)
        self.ratio = as_range("RandomErasing", "ratio", ratio)
        if not (0 < self.scale[0] and self.scale[1] <= 1 and self.ratio[0] > 0):
            raise ValueError(
                f"RandomErasing: scale={scale!r} must lie in (0, 1] and ratio={ratio!r} be > 0."
            )
        if not (value == "random" or np.isscalar(value)):
            raise ValueError(f"RandomErasing: value={value!r}; expected a number or 'random'.")
        self.p, self.value = p, value

    def transform(self, images, rng):
        n, _, h, w = images.shape
        area = h * w * rng.uniform(*self.scale, n)
        ratio = np.exp(rng.uniform(*np.log(self.ratio), n))
        box_h = np.minimum(np.sqrt(area * ratio), h)
        box_w = np.minimum(area / box_h, w)
        box_h = area / box_w  # keeps the area when the width had to shrink
        box_h = np.clip(np.rint(box_h), 1, h).astype(np.intp)
        box_w = np.clip(np.rint(box_w), 1, w).astype(np.intp)
        top, left = rng.integers(0, h - box_h + 1), rng.integers(0, w - box_w + 1)
        mask = box_mask(top, left, box_h, box_w, h, w)
        mask &= (rng.random(n) < self.p)[:, None, None, None]
        return erase(images, mask, self.value, rng)


class Cutout(ImageAugmentation):
    """Cutout (DeVries & Taylor, 2017): with probability ``p``, set a ``size`` x ``size``
    square (or ``(height, width)`` box) centred on a random pixel to ``value``; the square is
    clipped at the image's edges."""

    def __init__(self, size=4, p=1.0, value=0.0):
        self.size = as_pair("Cutout", "size", size)  # (height, width)
        check_probability("Cutout", "p", p)
        self.p, self.value = p, value

    def transform(self, images, rng):
        n, _, h, w = images.shape
        mask = box_mask(*centered_boxes(rng, n, h, w, *self.size), h, w)
        mask &= (rng.random(n) < self.p)[:, None, None, None]
        return erase(images, mask, self.value, rng)


def erase(images, mask, value, rng):
    """``images`` with ``mask`` set to ``value`` (a number, or "random": standard normal)."""
    if value == "random":
        value = rng.standard_normal(images.shape, dtype=images.dtype)
    return np.where(mask, np.asarray(value, dtype=images.dtype), images)
