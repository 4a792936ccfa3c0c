"""Datasets: indexable collections of samples, and ways to split them.

A dataset is anything with ``__len__`` and ``__getitem__(i) -> sample`` (map-style), or an
:class:`IterableDataset` that yields its samples. :class:`TensorDataset` wraps equally
long arrays (inputs, labels, ...) and is the one :class:`~zennet.data.DataLoader` batches
fastest: it indexes the arrays with a whole batch of indices at once instead of one
sample at a time. ``ds1 + ds2`` concatenates (:class:`ConcatDataset`, or
:class:`ChainDataset` for iterable ones), as in PyTorch.
"""

import bisect

import numpy as np

from zennet.random import get_rng
from zennet.tensor import Tensor


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(self, index).")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__(self).")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of data sets read as a stream: subclasses define ``__iter__``. A
    DataLoader batches what it yields, in that order (no sampler, no shuffle)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__(self).")

    def __add__(self, other):
        return ChainDataset([self, other])


class ConcatDataset(Dataset):
    """The samples of several map-style data sets, one after another.

    ``cumulative_sizes[k]`` is the number of samples in datasets[0..k]; index i belongs to
    the first data set whose cumulative size exceeds it.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable.")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset; use ChainDataset.")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError(
                    f"ConcatDataset: absolute value of index {index} should not exceed the "
                    f"length {len(self)}."
                )
            index += len(self)
        k = bisect.bisect_right(self.cumulative_sizes, index)
        if k == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)}.")
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


class ChainDataset(IterableDataset):
    """Iterable data sets read one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset.")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def _as_ndarray(value):
    return value.data if isinstance(value, Tensor) else np.asarray(value)


class TensorDataset(Dataset):
    """Samples ``(a[i], b[i], ...)`` from arrays or tensors with the same first dimension.

    >>> ds = TensorDataset(x, y)         # x (n, 784), y (n,)
    >>> xi, yi = ds[0]                   # Tensors of shapes (784,) and ()
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: got no arrays; pass at least one, e.g. (x, y).")
        arrays = tuple(_as_ndarray(a) for a in arrays)
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(
                    f"TensorDataset: array {i} is a scalar; every array needs a first (sample) "
                    f"dimension."
                )
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) > 1:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise ValueError(
                f"TensorDataset: arrays must have the same first dimension (one row per sample); "
                f"got shapes {shapes}. Check that inputs and labels come from the same split."
            )
        self.arrays = arrays

    @property
    def tensors(self):
        """The arrays as Tensors (PyTorch's name)."""
        return tuple(Tensor(a) for a in self.arrays)

    def __getitem__(self, index):
        return tuple(Tensor(a[index]) for a in self.arrays)

    def __len__(self):
        return len(self.arrays[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if self.indices.size and not (-n <= self.indices.min() and self.indices.max() < n):
            raise ValueError(
                f"Subset: indices must lie in [0, {n}) for a dataset of {n} samples; got values "
                f"from {self.indices.min()} to {self.indices.max()}."
            )

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def __len__(self):
        return len(self.indices)


def _split_lengths(lengths, n):
    """Integer lengths summing to ``n`` from integer lengths or fractions summing to 1."""
    lengths = list(lengths)
    if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in lengths):
        if any(k < 0 for k in lengths) or sum(lengths) != n:
            raise ValueError(
                f"random_split: lengths {lengths} must be non-negative and sum to the dataset "
                f"size {n}; or pass fractions that sum to 1, e.g. [0.8, 0.2]."
            )
        return lengths
    fractions = np.asarray(lengths, dtype=np.float64)
    if fractions.ndim != 1 or np.any(fractions < 0) or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(
            f"random_split: fractions {lengths} must be non-negative and sum to 1, "
            f"e.g. [0.8, 0.2]; or pass integer lengths that sum to {n}."
        )
    sizes = np.floor(fractions * n).astype(np.int64)
    for i in range(n - int(sizes.sum())):  # as PyTorch: leftovers round-robin from the first
        sizes[i % len(sizes)] += 1
    return [int(k) for k in sizes]


def random_split(dataset, lengths, seed=None):
    """Split ``dataset`` into disjoint random :class:`Subset` objects.

    ``lengths`` are sample counts summing to ``len(dataset)`` or fractions summing to 1
    (the samples left over by flooring go one each to the first subsets, as in PyTorch).
    ``seed`` makes the split repeatable on its own; without it the split draws from
    zennet's generator (``zn.manual_seed``).

    >>> train, val = random_split(ds, [0.9, 0.1], seed=0)
    """
    n = len(dataset)
    sizes = _split_lengths(lengths, n)
    rng = get_rng() if seed is None else np.random.default_rng(seed)
    order = rng.permutation(n)
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
