"""The UCI handwritten digits: 1,797 8x8 images shipped inside zennet (no download).

Source: UCI ML Repository, Optical Recognition of Handwritten Digits (Alpaydin & Kaynak,
1998), CC BY 4.0 — see zennet/data/datasets/data/README.
"""

import gzip
import numbers
from importlib import resources

import numpy as np

from zennet.data.datasets.registry import DATASETS
from zennet.random import get_rng

DIGITS_FILE = "data/digits.csv.gz"


def _read_digits():
    """The shipped table: (1797, 64) uint8 pixel counts 0..16 and (1797,) labels 0..9."""
    with resources.files("zennet.data.datasets").joinpath(DIGITS_FILE).open("rb") as raw:
        with gzip.open(raw, "rt") as text:
            table = np.loadtxt(text, delimiter=",", dtype=np.uint8)
    return table[:, :64], table[:, 64]


def stratified_split(labels, test_fraction, rng):
    """Train and test index arrays with each class split in the same proportion.

    The test set has ``round(test_fraction * n)`` samples; each class gives
    ``floor(test_fraction * count)`` of them and the few left over go to the classes
    with the largest remainders. Both index arrays come out shuffled.
    """
    classes, counts = np.unique(labels, return_counts=True)
    n_test = int(round(test_fraction * len(labels)))
    quota = test_fraction * counts
    take = np.floor(quota).astype(np.int64)
    leftover = np.argsort(take - quota, kind="stable")[: n_test - int(take.sum())]
    take[leftover] += 1
    train, test = [], []
    for c, k in zip(classes, take):
        members = rng.permutation(np.flatnonzero(labels == c))
        test.append(members[:k])
        train.append(members[k:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def load_digits(test_fraction=0.2, seed=0, flat=True):
    """The 8x8 digits split into ``(x_train, y_train), (x_test, y_test)``.

    Images are float32 in [0, 1] (pixel count / 16), shaped (n, 64), or (n, 1, 8, 8)
    with ``flat=False`` (for convolutions); labels are int64 in 0..9. The split is
    stratified (each digit in the same proportion in both parts) and the same for the
    same ``seed``; ``seed=None`` draws it from zennet's generator.

    >>> (x, y), (xt, yt) = zn.datasets.load_digits()     # 1438 train, 359 test
    """
    if not isinstance(test_fraction, numbers.Real) or not 0 <= test_fraction < 1:
        raise ValueError(
            f"load_digits: test_fraction must be a number in [0, 1), got {test_fraction!r}; "
            f"e.g. 0.2 keeps a fifth of the images for testing."
        )
    pixels, labels = _read_digits()
    images = np.divide(pixels, np.float32(16), dtype=np.float32)  # exact: k / 16
    if not flat:
        images = images.reshape(-1, 1, 8, 8)  # (n, channels, height, width)
    labels = labels.astype(np.int64)
    rng = get_rng() if seed is None else np.random.default_rng(seed)
    train, test = stratified_split(labels, test_fraction, rng)
    return (images[train], labels[train]), (images[test], labels[test])


DATASETS.register(
    "digits", load_digits, "1,797 8x8 handwritten digits shipped inside zennet (UCI, CC BY 4.0)"
)
