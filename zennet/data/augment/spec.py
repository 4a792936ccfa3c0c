"""``parse_augmentation``: a Compose from a command-line string, for ``zennet train --augment``."""

import numbers

from zennet.data.augment.base import AsImages, Compose, RandomChoice
from zennet.data.augment.images import (
    BrightnessContrast,
    Cutout,
    ElasticDistortion,
    GaussianNoise,
    RandomAffine,
    RandomCrop,
    RandomErasing,
    RandomHorizontalFlip,
    RandomTranslate,
    RandomVerticalFlip,
)
from zennet.data.augment.mixing import CutMix, Mixup
from zennet.data.augment.sequences import AddNoise, FrequencyMasking, TimeMasking, TimeShift

# key: (type, value when the key is given bare, what it builds). The order is the order of
# application: geometry, then pixel values, then occlusion, then the label-mixing ones last.
KEYS = {
    "crop": (int, 2, "RandomCrop(padding=V): pad V pixels, crop back to the input size"),
    "translate": (int, 2, "RandomTranslate(max_shift=V): whole-pixel shifts in [-V, V]"),
    "rotate": (float, 10.0, "RandomAffine(degrees=V): rotation in [-V, V] degrees"),
    "scale": (float, 0.1, "RandomAffine(scale=(1-V, 1+V)): zoom, fused with rotate"),
    "elastic": (float, 34.0, "ElasticDistortion(alpha=V, sigma=elastic_sigma)"),
    "elastic_sigma": (float, 4.0, "the Gaussian width of elastic (34/4 fit 28x28, 3/1.5 8x8)"),
    "hflip": (float, 0.5, "RandomHorizontalFlip(p=V)"),
    "vflip": (float, 0.5, "RandomVerticalFlip(p=V)"),
    "brightness": (float, 0.2, "BrightnessContrast(brightness=V): additive, in [-V, V]"),
    "contrast": (float, 0.2, "BrightnessContrast(contrast=V): factor in [1-V, 1+V]"),
    "noise": (float, 0.05, "GaussianNoise(std=V)"),
    "snr": (float, 20.0, "AddNoise(snr_db=V): noise V dB below each sample's power"),
    "timeshift": (int, 10, "TimeShift(max_shift=V): roll the last axis by [-V, V] steps"),
    "timemask": (int, 10, "TimeMasking(max_width=V, n_masks=n_masks)"),
    "freqmask": (int, 8, "FrequencyMasking(max_width=V, n_masks=n_masks)"),
    "n_masks": (int, 1, "the number of bands of timemask and freqmask"),
    "erase": (float, 0.5, "RandomErasing(p=V): a rectangle of 2-33% of the image set to 0"),
    "cutout": (int, 4, "Cutout(size=V): a VxV square set to 0"),
    "mixup": (float, 0.2, "Mixup(alpha=V), soft labels; needs num_classes"),
    "cutmix": (
        float,
        1.0,
        "CutMix(alpha=V), soft labels; needs num_classes (with mixup: "
        "each sample gets one of the two)",
    ),
}
MODIFIERS = {"elastic_sigma": "elastic", "n_masks": ("timemask", "freqmask")}


def describe_keys():
    """The keys of ``parse_augmentation`` as text lines (for ``--help``)."""
    pairs = [(f"{k}={default!r}", doc) for k, (_, default, doc) in KEYS.items()]
    width = max(len(key) for key, _ in pairs)
    return "\n".join(f"  {key:<{width}}  {doc}" for key, doc in pairs)


def parse_augmentation(spec, num_classes=None, image_shape=None, seed=None):
    """Build a :class:`Compose` from ``"key=value,key=value,..."``.

    Example: ``"translate=2,rotate=10,noise=0.05,erase=0.5,mixup=0.2"``. A key given bare
    (``"hflip"``) takes the value in the table; ``""`` or ``"none"`` is no augmentation.
    Transforms run in the table's order whatever the order in ``spec``; ``rotate`` and
    ``scale`` share one resampling.

    ==============  =======  ==================================================================
    key             bare     builds
    ==============  =======  ==================================================================
    crop            2        RandomCrop(padding=V): pad V pixels, crop back to the input size
    translate       2        RandomTranslate(max_shift=V): whole-pixel shifts in [-V, V]
    rotate          10.0     RandomAffine(degrees=V): rotation in [-V, V] degrees
    scale           0.1      RandomAffine(scale=(1-V, 1+V)): zoom, fused with rotate
    elastic         34.0     ElasticDistortion(alpha=V, sigma=elastic_sigma)
    elastic_sigma   4.0      the Gaussian width of elastic (34/4 fit 28x28, 3/1.5 8x8)
    hflip, vflip    0.5      RandomHorizontalFlip(p=V), RandomVerticalFlip(p=V)
    brightness      0.2      BrightnessContrast(brightness=V): additive, in [-V, V]
    contrast        0.2      BrightnessContrast(contrast=V): factor in [1-V, 1+V]
    noise           0.05     GaussianNoise(std=V)
    snr             20.0     AddNoise(snr_db=V): noise V dB below each sample's power
    timeshift       10       TimeShift(max_shift=V): roll the last axis by [-V, V] steps
    timemask        10       TimeMasking(max_width=V, n_masks=n_masks)
    freqmask        8        FrequencyMasking(max_width=V, n_masks=n_masks)
    n_masks         1        the number of bands of timemask and freqmask
    erase           0.5      RandomErasing(p=V): a rectangle of 2-33% of the image set to 0
    cutout          4        Cutout(size=V): a VxV square set to 0
    mixup           0.2      Mixup(alpha=V), soft labels; needs num_classes
    cutmix          1.0      CutMix(alpha=V), soft labels; needs num_classes
    ==============  =======  ==================================================================

    With both mixup and cutmix, each sample gets one of the two (probability 1/2 each).
    ``image_shape`` (e.g. ``(1, 8, 8)``) runs everything on flat ``(N, D)`` batches viewed as
    images; ``seed`` seeds the Compose's own generator (see :class:`Compose`).
    """
    options = _parse_options(spec)
    transforms = _build(options, num_classes)
    if image_shape is not None:
        transforms = [AsImages(image_shape, Compose(transforms))] if transforms else []
    return Compose(transforms, seed=seed)


def _parse_options(spec):
    """``"a=1,b"`` -> ``{"a": 1, "b": default}`` with each value checked against its type."""
    if not isinstance(spec, str):
        raise TypeError(f"parse_augmentation: expected a string spec, got {type(spec).__name__}.")
    options = {}
    if spec.strip().lower() in ("", "none"):
        return options
    for item in spec.split(","):
        key, sep, text = (part.strip() for part in item.partition("="))
        if key not in KEYS:
            raise ValueError(
                f"parse_augmentation: unknown key {key!r} in {spec!r}. "
                f"Valid keys: {', '.join(KEYS)}."
            )
        if key in options:
            raise ValueError(f"parse_augmentation: key {key!r} appears twice in {spec!r}.")
        kind, default, _ = KEYS[key]
        options[key] = _parse_value(key, kind, text) if sep else default
    for key, needs in MODIFIERS.items():
        needs = (needs,) if isinstance(needs, str) else needs
        if key in options and not any(n in options for n in needs):
            raise ValueError(
                f"parse_augmentation: {key!r} only modifies {' or '.join(needs)}; add one of them."
            )
    return options


def _parse_value(key, kind, text):
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or (kind is int and not value.is_integer()) or value < 0:
        expected = "an integer >= 0" if kind is int else "a number >= 0"
        raise ValueError(f"parse_augmentation: {key}={text!r}; expected {expected}.")
    return kind(value)


def _build(o, num_classes):
    """The transforms for parsed options ``o``, in the order of ``KEYS``."""
    transforms = []
    if "crop" in o:
        transforms.append(RandomCrop(padding=o["crop"]))
    if "translate" in o:
        transforms.append(RandomTranslate(o["translate"]))
    if "rotate" in o or "scale" in o:
        scale = (1 - o["scale"], 1 + o["scale"]) if "scale" in o else None
        transforms.append(RandomAffine(degrees=o.get("rotate", 0.0), scale=scale))
    if "elastic" in o:
        transforms.append(ElasticDistortion(o["elastic"], o.get("elastic_sigma", 4.0)))
    if "hflip" in o:
        transforms.append(RandomHorizontalFlip(o["hflip"]))
    if "vflip" in o:
        transforms.append(RandomVerticalFlip(o["vflip"]))
    if "brightness" in o or "contrast" in o:
        transforms.append(BrightnessContrast(o.get("brightness", 0.0), o.get("contrast", 0.0)))
    if "noise" in o:
        transforms.append(GaussianNoise(o["noise"]))
    if "snr" in o:
        transforms.append(AddNoise(snr_db=o["snr"]))
    if "timeshift" in o:
        transforms.append(TimeShift(o["timeshift"]))
    for key, cls in (("timemask", TimeMasking), ("freqmask", FrequencyMasking)):
        if key in o:
            transforms.append(cls(o[key], n_masks=o.get("n_masks", 1)))
    if "erase" in o:
        transforms.append(RandomErasing(p=o["erase"]))
    if "cutout" in o:
        transforms.append(Cutout(o["cutout"]))
    mixing = [
        cls(o[key], num_classes) for key, cls in (("mixup", Mixup), ("cutmix", CutMix)) if key in o
    ]
    if mixing and not isinstance(num_classes, numbers.Integral):
        raise ValueError(
            "parse_augmentation: mixup and cutmix make soft labels and need "
            f"num_classes=K (an int), got num_classes={num_classes!r}."
        )
    if mixing:
        transforms.append(mixing[0] if len(mixing) == 1 else RandomChoice(mixing))
    return transforms
