"""Data sets: ``zn.datasets.load_digits()`` (shipped), ``load_fashion_mnist()`` (IDX on disk)."""

from zennet.datasets.digits import load_digits
from zennet.datasets.fashion_mnist import load_fashion_mnist
from zennet.datasets.idx import read_idx
from zennet.datasets.image import load_image
from zennet.datasets.speech import spoken_digit_strings, spoken_digits, spoken_languages
