"""Fashion-MNIST (Zalando, MIT licence) from its four IDX files on disk.

70,000 28x28 grayscale images of 10 kinds of clothing: 60,000 for training and
10,000 for testing. zennet does not download it: on Debian and Ubuntu
``apt-get install dataset-fashion-mnist`` puts it in /usr/share/datasets/fashion-mnist;
anywhere else, pass the folder holding the files from
https://github.com/zalandoresearch/fashion-mnist as ``path``.
"""

import os

import numpy as np

from zennet.data.datasets.idx import read_idx
from zennet.data.datasets.registry import DATASETS

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_PIXEL_TO_UNIT = np.arange(256, dtype=np.float32) / np.float32(255)
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find(directory, stem):
    """The path of ``stem`` in ``directory``, gzipped or raw (also the ``name.idx3`` spelling)."""
    for name in (stem, stem.replace("-idx", ".idx")):
        for candidate in (name + ".gz", name):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                return path
    return None


def _missing_message(directory, missing):
    return (
        f"load_fashion_mnist: Fashion-MNIST not found in {directory} (missing "
        f"{', '.join(m + '[.gz]' for m in missing)}). On Debian/Ubuntu install it with "
        f"`sudo apt-get install dataset-fashion-mnist`; or download the four files from "
        f"https://github.com/zalandoresearch/fashion-mnist and pass "
        f"load_fashion_mnist(path='/folder/with/the/files')."
    )


def _load_split(images_path, labels_path, flat):
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"load_fashion_mnist: {images_path} holds {images.dtype} of shape {images.shape}; "
            f"expected uint8 images of shape (n, 28, 28)."
        )
    if labels.shape != images.shape[:1] or labels.size and labels.max() > 9:
        raise ValueError(
            f"load_fashion_mnist: {labels_path} holds labels of shape {labels.shape} "
            f"(max {labels.max(initial=0)}); expected {len(images)} labels in 0..9 to match "
            f"{images_path}."
        )
    x = _PIXEL_TO_UNIT[images]  # (n, 28, 28) in [0, 1]; a table lookup beats casting + dividing
    x = x.reshape(len(x), -1) if flat else x[:, None]  # (n, 784) or (n, 1, 28, 28)
    return x, labels.astype(np.int64)


def load_fashion_mnist(path=None, flat=False):
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``.

    Images are float32 in [0, 1] shaped (n, 1, 28, 28), or (n, 784) with ``flat=True``;
    labels are int64 in 0..9 (names in ``CLASSES``). ``path`` is the folder holding
    train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
    t10k-labels-idx1-ubyte, each gzipped (.gz) or not; by default /usr/share/datasets/fashion-mnist.
    """
    directory = os.fspath(FASHION_MNIST_DIR if path is None else path)
    stems = [stem for pair in FILES.values() for stem in pair]
    found = {stem: _find(directory, stem) for stem in stems}
    missing = [stem for stem in stems if found[stem] is None]
    if missing:
        raise FileNotFoundError(_missing_message(directory, missing))
    return tuple(
        _load_split(found[images], found[labels], flat) for images, labels in FILES.values()
    )


def _registered(flat=False):
    return load_fashion_mnist(flat=flat)


_registered.class_names = CLASSES  # what a model trained on it calls its classes
DATASETS.register(
    "fashion-mnist",
    _registered,
    "70,000 28x28 clothing images (apt-get install dataset-fashion-mnist)",
)
