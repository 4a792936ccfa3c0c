"""Data sets: ``zn.datasets.load_digits()`` (shipped), ``load_fashion_mnist()`` (IDX on disk)."""

from zennet.datasets.digits import load_digits
from zennet.datasets.fashion_mnist import load_fashion_mnist
from zennet.datasets.idx import read_idx
from zennet.datasets.image import load_image
from zennet.datasets.faces import cross_validate, kfold_indices, lfw_faces, lfw_faces_all
