"""Samplers: the order in which a DataLoader visits a data set, as torch.utils.data's.

A sampler is an iterable of sample indices with a length; a batch sampler is an iterable
of lists of indices. Random samplers draw from their ``generator`` (a ``zn.Generator``)
or, without one, from zennet's generator (``zn.manual_seed``), a fresh draw each epoch.
Their index sequences are not PyTorch's (the generators differ); their distributions are.

    loader = DataLoader(ds, batch_size=32, sampler=WeightedRandomSampler(w, len(ds)))
"""

import numpy as np

from zennet.random import get_rng


def _rng(generator):
    return get_rng() if generator is None else generator.rng


def _positive_int(owner, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"{owner}: {name} should be a positive integer value, but got {name}={value!r}."
        )
    return int(value)


def _bool(owner, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} should be a boolean value, but got {name}={value!r}.")
    return value


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__(self).")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices: ``num_samples`` (default: all) of them.

    Without replacement each epoch is a permutation (and when num_samples > n, whole
    permutations one after another, the last cut short, as PyTorch); with replacement,
    num_samples independent uniform draws.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source, self.generator = data_source, generator
        self.replacement = _bool("RandomSampler", "replacement", replacement)
        self._num_samples = num_samples
        _positive_int("RandomSampler", "num_samples", self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            yield from (int(i) for i in rng.integers(0, n, size=self.num_samples))
            return
        for _ in range(self.num_samples // n):
            yield from (int(i) for i in rng.permutation(n))
        yield from (int(i) for i in rng.permutation(n)[: self.num_samples % n])

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a fresh permutation each epoch)."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        for i in _rng(self.generator).permutation(len(self.indices)):
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities ``weights / Σ weights`` (need not
    sum to 1); with ``replacement=False`` no index twice."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        owner = "WeightedRandomSampler"
        self.num_samples = _positive_int(owner, "num_samples", num_samples)
        self.replacement = _bool(owner, "replacement", replacement)
        weights = np.asarray(getattr(weights, "data", weights), dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(
                f"{owner}: weights should be a 1-d sequence but given weights have shape "
                f"{weights.shape}."
            )
        if np.any(weights < 0) or not np.all(np.isfinite(weights)) or weights.sum() <= 0:
            raise ValueError(f"{owner}: weights must be finite, >= 0 and not all zero.")
        if not replacement and self.num_samples > np.count_nonzero(weights):
            raise ValueError(
                f"{owner}: cannot draw {self.num_samples} samples without replacement from "
                f"{np.count_nonzero(weights)} non-zero weights."
            )
        self.weights, self.generator = weights, generator

    def __iter__(self):
        p = self.weights / self.weights.sum()
        drawn = _rng(self.generator).choice(
            len(p), size=self.num_samples, replace=self.replacement, p=p
        )
        return (int(i) for i in drawn)

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``; the last one shorter unless
    ``drop_last``.

    >>> list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False))
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        self.batch_size = _positive_int("BatchSampler", "batch_size", batch_size)
        self.drop_last = _bool("BatchSampler", "drop_last", drop_last)
        self.sampler = sampler

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n, b = len(self.sampler), self.batch_size
        return n // b if self.drop_last else -(-n // b)
