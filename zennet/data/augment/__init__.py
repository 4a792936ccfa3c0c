"""Data augmentation on NumPy batches: composable, seeded, vectorized over the batch.

An augmentation is a callable ``aug(x, y, rng) -> (x, y)`` (see ``base``): ``x`` a floating
batch, ``y`` labels ``(N,)`` or soft labels ``(N, K)`` (or None), ``rng`` a NumPy Generator
and the only source of randomness. A DataLoader applies it per batch::

    from zennet.data.augment import Compose, RandomRotation, RandomTranslate, Mixup
    aug = Compose([RandomTranslate(1), RandomRotation(10), Mixup(0.2, num_classes=10)], seed=0)
    x_aug, y_soft = aug(x, y)              # or aug(x, y, rng) with the loader's generator

    aug = parse_augmentation("translate=1,rotate=10,mixup=0.2", num_classes=10)
"""

from zennet.data.augment.base import (
    AsImages,
    Augmentation,
    Compose,
    RandomApply,
    RandomChoice,
)
from zennet.data.augment.images import (
    BrightnessContrast,
    Cutout,
    ElasticDistortion,
    GaussianNoise,
    RandomAffine,
    RandomCrop,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomScale,
    RandomTranslate,
    RandomVerticalFlip,
    rotate,
    translate,
)
from zennet.data.augment.mixing import CutMix, Mixup
from zennet.data.augment.sequences import (
    AddNoise,
    FrequencyMasking,
    TimeMasking,
    TimeShift,
    time_shift,
)
from zennet.data.augment.spec import describe_keys, parse_augmentation
from zennet.data.augment.audio import (
    ColoredNoise,
    Gain,
    SpecAugment,
    SpeedPerturbation,
    add_noise,
    change_speed,
)
