"""DataLoader: a dataset cut into (optionally shuffled) mini-batches of Tensors.

One epoch visits every sample exactly once: the order is ``0..n-1`` or, with
``shuffle=True``, a fresh permutation per epoch. With a ``seed`` the permutation of epoch
e and the random draws of a ``transform`` on its batch b come from generators seeded with
(seed, e) and (seed, e, b), so ``set_epoch(e)`` (PyTorch's DistributedSampler convention)
replays epoch e exactly, as a resumed run needs; without ``set_epoch`` the epochs count
0, 1, 2, ... by themselves. Without a seed they come from zennet's generator
(``zn.manual_seed``).

For a :class:`TensorDataset` (or a :class:`Subset` of one) a batch is made by
indexing each array with the batch's index array, ``x[idx]``: one NumPy call per
array per batch, no per-sample Python loop, and no copy of the whole data set.
Float64 arrays reach the model as float32, as in Keras; integer labels keep their dtype.
"""

import numpy as np

from zennet.data.dataset import Subset, TensorDataset, _as_ndarray
from zennet.random import get_rng
from zennet.tensor import Tensor


def _model_dtype(array, copy=False):
    """Float64 data becomes float32 (zennet's working precision); everything else is kept."""
    if array.dtype == np.float64:
        return array.astype(np.float32)
    return array.copy() if copy else array


def default_collate(samples):
    """Stack a list of samples into a batch: tuples field by field, dicts key by key.

    ``[(x0, y0), (x1, y1)]`` -> ``(Tensor([x0, x1]), Tensor([y0, y1]))``.
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate(list(field)) for field in zip(*samples))
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    return Tensor(_model_dtype(np.stack([_as_ndarray(s) for s in samples])))


def _tensor_arrays(dataset):
    """``(arrays, indices)`` behind a TensorDataset or nested Subsets of one, else None."""
    indices = None
    while isinstance(dataset, Subset):
        indices = dataset.indices if indices is None else dataset.indices[indices]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset:  # a subclass may override __getitem__
        return dataset.arrays, indices
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, seed=0)
    >>> for xb, yb in loader: ...        # Tensors (128, ...) and (128,); the last may be smaller
    >>> len(loader)                      # batches per epoch: ceil(n / 128), floor with drop_last

    ``collate_fn(list_of_samples) -> batch`` replaces the default stacking; datasets other
    than TensorDataset are read one sample at a time and collated. ``transform(x, y, rng)
    -> (x, y)`` changes each batch of a TensorDataset (inputs, labels) as NumPy arrays
    before it becomes Tensors: data augmentation (see zennet.data.augment).
    ``set_epoch(epoch, start_batch=0)`` makes the next iteration epoch ``epoch``, starting at
    its batch ``start_batch`` (a run resumed from a checkpoint taken inside an epoch).
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        drop_last=False,
        seed=None,
        collate_fn=None,
        transform=None,
        sampler=None,
    ):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: dataset must define __len__ and __getitem__, got "
                f"{type(dataset).__name__}. Wrap arrays with zn.data.TensorDataset(x, y)."
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise ValueError(
                f"DataLoader: batch_size must be a positive int, got {batch_size!r} "
                f"({type(batch_size).__name__})."
            )
        if batch_size < 1:
            raise ValueError(
                f"DataLoader: batch_size must be a positive int, got {batch_size}; "
                f"use e.g. batch_size=32."
            )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}.")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.collate_fn = collate_fn
        self.transform = transform
        if transform is not None and (collate_fn is not None or _tensor_arrays(dataset) is None):
            raise ValueError(
                "DataLoader: transform= works on batches of a TensorDataset (or a Subset of one) "
                "without a collate_fn; apply it inside your Dataset or collate_fn instead."
            )
        if sampler is not None and shuffle:
            raise ValueError(
                "DataLoader: sampler and shuffle=True exclude each other (as in "
                "PyTorch); the sampler decides the order (its own shuffle=)."
            )
        self.sampler = sampler  # an iterable of indices with len(): DistributedSampler
        self.epoch, self.start_batch = 0, 0

    def set_epoch(self, epoch, start_batch=0):
        """Make the next iteration epoch ``epoch`` from its batch ``start_batch`` on."""
        self.epoch, self.start_batch = int(epoch), int(start_batch)
        if hasattr(self.sampler, "set_epoch"):  # a DistributedSampler shuffles by epoch too
            self.sampler.set_epoch(epoch)

    def __len__(self):
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        b = self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def _rng(self, *key):
        """The generator for (epoch, *key): seeded from (seed, epoch, *key), or zennet's."""
        if self.seed is None:
            return get_rng()
        return np.random.default_rng([int(self.seed), self.epoch, *key])

    def _epoch_order(self, n):
        """This epoch's order: the sampler's, a permutation when shuffling, else None (0..n-1)."""
        if self.sampler is not None:
            return np.fromiter(self.sampler, dtype=np.int64)
        return self._rng().permutation(n) if self.shuffle else None

    def __iter__(self):
        order, first = self._epoch_order(len(self.dataset)), self.start_batch
        n = len(self.dataset) if order is None else len(order)
        fast = _tensor_arrays(self.dataset) if self.collate_fn is None else None
        self.start_batch = 0
        for b in range(first, len(self)):
            start, stop = b * self.batch_size, min((b + 1) * self.batch_size, n)
            batch = slice(start, stop) if order is None else order[start:stop]
            if fast is not None:
                yield self._index_arrays(
                    *fast, batch, self._rng(b) if self.transform is not None else None
                )
            else:
                indices = range(n)[batch] if order is None else batch
                samples = [self.dataset[int(i)] for i in indices]
                yield (self.collate_fn or default_collate)(samples)
        self.epoch += 1

    def _index_arrays(self, arrays, base_indices, batch, rng):
        """One batch straight from the arrays: ``a[idx]`` per array (a copy of the batch only)."""
        if base_indices is not None:
            batch = base_indices[batch]
        if isinstance(batch, slice):
            parts = [_model_dtype(a[batch], copy=True) for a in arrays]
        else:
            parts = [_model_dtype(np.take(a, batch, axis=0)) for a in arrays]
        if self.transform is not None:
            parts = list(self.transform(*parts, rng))
        return tuple(Tensor(p) for p in parts)

    def __repr__(self):
        return (
            f"DataLoader(n={len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})"
        )
