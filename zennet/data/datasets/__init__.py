"""Data sets: ``zn.datasets.load_digits()`` (shipped), ``load_fashion_mnist()`` (IDX on disk),
``rendered_digits()`` (printed digits drawn from the installed fonts),
the 2-D toy sets of ``PLANAR`` (circles, moons, spirals, xor, blobs), and :func:`load` for a
registered name (``DATASETS``) or a path."""

from pathlib import Path

from zennet.data.datasets.digits import load_digits
from zennet.data.datasets.faces import cross_validate, kfold_indices, lfw_faces, lfw_faces_all
from zennet.data.datasets.fashion_mnist import load_fashion_mnist
from zennet.data.datasets.fonts import digit_fonts, rendered_digits
from zennet.data.datasets.idx import read_idx
from zennet.data.datasets.image import load_image
from zennet.data.datasets.npz import load_npz
from zennet.data.datasets.planar import PLANAR, blobs, circles, moons, spirals, xor
from zennet.data.datasets.registry import DATASETS
from zennet.data.datasets.speech import spoken_digit_strings, spoken_digits, spoken_languages
from zennet.data.datasets.debian import debian_packages
from zennet.data.datasets.numbers import number_pairs
from zennet.data.datasets.text import TextSplits, fortunes, load_text, text_file


def load(spec, flat=True):
    """((x_train, y_train), (x_test, y_test)) for a registered name (``DATASETS``: "digits",
    "fashion-mnist", ...) or a PATH: a directory of IDX files (Fashion-MNIST's names) or an
    .npz with x_train, y_train, x_test, y_test. Images come flat (N, D) when ``flat``, else
    as (N, C, H, W) (an .npz file's arrays come as they are)."""
    if spec in DATASETS:
        return DATASETS.get(spec)(flat=flat)
    path = Path(spec)
    if path.is_dir():
        return load_fashion_mnist(path, flat=flat)
    if path.suffix == ".npz":
        return load_npz(path)
    try:
        DATASETS.get(spec)
    except ValueError as err:
        raise ValueError(
            f"{err} Or give a directory of IDX files or an .npz file with x_train, y_train, "
            f"x_test and y_test."
        ) from None
