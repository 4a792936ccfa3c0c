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

PyTorch's arguments are taken in PyTorch's order: a ``sampler`` (any iterable of indices
with a length, zennet.data.sampler's or a DistributedSampler) or a ``batch_sampler``
(lists of indices) decides the order; an :class:`IterableDataset` is batched as it
streams; ``batch_size=None`` yields single samples. Loading runs in the calling process:
``num_workers``, ``pin_memory`` and the other worker options are accepted and change
nothing (no worker starts, so ``worker_init_fn`` is never called, as with PyTorch's
``num_workers=0``).
"""

import numpy as np

from zennet.data.dataset import IterableDataset, Subset, TensorDataset, _as_ndarray
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


def default_convert(sample):
    """A sample's arrays as Tensors, nothing stacked (``batch_size=None``)."""
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(field) for field in sample)
    if isinstance(sample, dict):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, np.ndarray):
        return Tensor(_model_dtype(sample))
    return sample


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
    than TensorDataset are read one sample at a time and collated. ``sampler`` /
    ``batch_sampler`` / ``generator`` (a zn.Generator for the shuffle) as in PyTorch.
    zennet's own keywords: ``seed`` fixes the shuffle of each epoch (see above);
    ``transform(x, y, rng) -> (x, y)`` changes each batch of a TensorDataset (inputs,
    labels) as NumPy arrays before it becomes Tensors: data augmentation (see
    zennet.data.augment). ``set_epoch(epoch, start_batch=0)`` makes the next iteration
    epoch ``epoch``, starting at its batch ``start_batch`` (a run resumed from a
    checkpoint taken inside an epoch).
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
        in_order=True,
        seed=None,
        transform=None,
    ):
        self.iterable = isinstance(dataset, IterableDataset)
        if not self.iterable and not (
            hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")
        ):
            raise TypeError(
                f"DataLoader: dataset must define __len__ and __getitem__ (or be an "
                f"IterableDataset), got {type(dataset).__name__}. Wrap arrays with "
                f"zn.data.TensorDataset(x, y)."
            )
        if batch_size is not None:
            _check_batch_size(batch_size)
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}.")
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        _check_order_options(self.iterable, batch_size, shuffle, sampler, batch_sampler, drop_last)
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.seed, self.generator = seed, generator
        self.collate_fn = collate_fn
        self.transform = transform
        if transform is not None and (collate_fn is not None or _tensor_arrays(dataset) is None):
            raise ValueError(
                "DataLoader: transform= works on batches of a TensorDataset (or a Subset of one) "
                "without a collate_fn; apply it inside your Dataset or collate_fn instead."
            )
        self.sampler = sampler  # an iterable of indices with len(): DistributedSampler
        self.batch_sampler = batch_sampler
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.prefetch_factor = worker_init_fn, prefetch_factor
        self.persistent_workers = persistent_workers
        self.epoch, self.start_batch = 0, 0

    def set_epoch(self, epoch, start_batch=0):
        """Make the next iteration epoch ``epoch`` from its batch ``start_batch`` on."""
        self.epoch, self.start_batch = int(epoch), int(start_batch)
        for sampler in (self.sampler, getattr(self.batch_sampler, "sampler", None)):
            if hasattr(sampler, "set_epoch"):  # a DistributedSampler shuffles by epoch too
                sampler.set_epoch(epoch)

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        b = self.batch_size
        if b is None:
            return n
        return n // b if self.drop_last else -(-n // b)

    def _rng(self, *key):
        """The generator for (epoch, *key): ``generator``'s, seeded from (seed, epoch, *key),
        or zennet's."""
        if self.generator is not None:
            return self.generator.rng
        if self.seed is None:
            return get_rng()
        return np.random.default_rng([int(self.seed), self.epoch, *key])

    def _epoch_order(self, n):
        """This epoch's order: the sampler's, a permutation when shuffling, else None (0..n-1)."""
        if self.sampler is not None:
            return np.fromiter(self.sampler, dtype=np.int64)
        return self._rng().permutation(n) if self.shuffle else None

    def _batches(self):
        """This epoch's batches of indices: slices of 0..n-1, or index arrays."""
        if self.batch_sampler is not None:
            return [np.asarray(batch, dtype=np.int64) for batch in self.batch_sampler]
        order = self._epoch_order(len(self.dataset))
        n = len(self.dataset) if order is None else len(order)
        size = self.batch_size or 1
        batches = [slice(b * size, min((b + 1) * size, n)) for b in range(len(self))]
        return batches if order is None else [order[batch] for batch in batches]

    def __iter__(self):
        if self.iterable:
            yield from self._stream()
            return
        batches, first = self._batches(), self.start_batch
        fast = _tensor_arrays(self.dataset) if self.collate_fn is None else None
        if self.batch_size is None and self.batch_sampler is None:
            fast = None  # single samples, not batches
        self.start_batch = 0
        for b in range(first, len(batches)):
            if fast is not None:
                rng = self._rng(b) if self.transform is not None else None
                yield self._index_arrays(*fast, batches[b], rng)
                continue
            indices = batches[b]
            if isinstance(indices, slice):
                indices = range(len(self.dataset))[indices]
            samples = [self.dataset[int(i)] for i in indices]
            yield self._collate(samples)
        self.epoch += 1

    def _collate(self, samples):
        """A batch from a list of samples; with batch_size=None the one sample, converted."""
        if self.batch_size is None and self.batch_sampler is None:
            return (self.collate_fn or default_convert)(samples[0])
        return (self.collate_fn or default_collate)(samples)

    def _stream(self):
        """An IterableDataset's samples in batches, in the order it yields them."""
        batch, size = [], self.batch_size or 1
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == size:
                yield self._collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield self._collate(batch)
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
        n = len(self.dataset) if hasattr(self.dataset, "__len__") else "?"
        return (
            f"DataLoader(n={n}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, batches={len(self)})"
        )


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(
            f"DataLoader: batch_size must be a positive int, got {batch_size!r} "
            f"({type(batch_size).__name__}); or None for single samples, not batches."
        )
    if batch_size < 1:
        raise ValueError(
            f"DataLoader: batch_size must be a positive int, got {batch_size}; "
            f"use e.g. batch_size=32."
        )


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers):
    """PyTorch's checks of its worker options (which change nothing here)."""
    if not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
        raise ValueError(
            f"DataLoader: num_workers option should be non-negative, got {num_workers!r}."
        )
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout}.")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "DataLoader: prefetch_factor option could only be specified in multiprocessing; "
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
            "to None."
        )
    if persistent_workers and num_workers == 0:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0.")


def _check_order_options(iterable, batch_size, shuffle, sampler, batch_sampler, drop_last):
    """The combinations of shuffle, sampler, batch_sampler and drop_last PyTorch refuses."""
    if iterable:
        for name, value in (("shuffle", shuffle), ("sampler", sampler)):
            if value not in (None, False):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified {name} option, "
                    f"but got {name}={value!r}."
                )
        if batch_sampler is not None:
            raise ValueError(
                "DataLoader with IterableDataset: expected unspecified batch_sampler option."
            )
    if sampler is not None and shuffle:
        raise ValueError(
            "DataLoader: sampler and shuffle=True exclude each other (as in "
            "PyTorch); the sampler decides the order (its own shuffle=)."
        )
    if batch_sampler is not None and (
        batch_size != 1 or shuffle or sampler is not None or drop_last
    ):
        raise ValueError(
            "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
            "shuffle, sampler, and drop_last (as in PyTorch)."
        )
    if batch_size is None and drop_last:
        raise ValueError(
            "DataLoader: batch_size=None option disables auto-batching and is mutually "
            "exclusive with drop_last."
        )
