"""DistributedSampler: each rank's share of a data set's indices, as PyTorch deals them.

With n samples, R ranks and rank r, one epoch's order (0..n−1, or a permutation drawn
from ``seed + epoch`` when shuffling) is first made a multiple of R long:

    drop_last=False:  padded with its own first indices (wrapping round if needed) to R·⌈n/R⌉
    drop_last=True:   cut to R·⌊n/R⌋

and rank r takes every R-th index from position r: ``order[r::R]``. Every rank gets the
same number of samples, so all take the same number of steps (a collective each).
Call ``set_epoch(e)`` at the start of each epoch so the shuffle changes between epochs.

    sampler = DistributedSampler(dataset)            # rank and world size from the group
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)
"""

import math

import numpy as np


def per_rank(n, num_replicas, drop_last=False):
    """How many of n samples each rank gets: ⌈n/R⌉, or ⌊n/R⌋ with ``drop_last``."""
    if drop_last and n % num_replicas:
        return math.ceil((n - num_replicas) / num_replicas)  # PyTorch's way of writing ⌊n/R⌋
    return math.ceil(n / num_replicas)


def shard(order, num_replicas, rank, drop_last=False):
    """Rank ``rank``'s indices of ``order`` (an epoch's full order), PyTorch's way."""
    n = len(order)
    total = per_rank(n, num_replicas, drop_last) * num_replicas
    order = np.asarray(order, dtype=np.int64)
    if total > n:  # pad with the first indices, repeated as often as needed
        order = np.concatenate([order, np.resize(order, total - n)])
    return order[:total][rank:total:num_replicas]


class DistributedSampler:
    """An iterable of one rank's sample indices for one epoch (PyTorch's arguments)."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):  # fmt: skip
        if num_replicas is None or rank is None:
            from zennet.distributed.group import get_rank, get_world_size, init

            init()
            num_replicas = get_world_size() if num_replicas is None else num_replicas
            rank = get_rank() if rank is None else rank
        if not (isinstance(num_replicas, (int, np.integer)) and num_replicas >= 1):
            raise ValueError(
                f"DistributedSampler: num_replicas must be an int >= 1, got {num_replicas!r}."
            )
        if not (isinstance(rank, (int, np.integer)) and 0 <= rank < num_replicas):
            raise ValueError(
                f"DistributedSampler: invalid rank {rank!r}; it must be in 0..{num_replicas - 1}."
            )
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = shuffle, int(seed), drop_last
        self.epoch = 0

    def order(self):
        """This epoch's order of all the indices, before sharding."""
        n = len(self.dataset)
        if self.shuffle:
            return np.random.default_rng(self.seed + self.epoch).permutation(n)
        return np.arange(n)

    def __iter__(self):
        indices = shard(self.order(), self.num_replicas, self.rank, self.drop_last)
        return iter(indices.tolist())

    def __len__(self):
        return per_rank(len(self.dataset), self.num_replicas, self.drop_last)

    def set_epoch(self, epoch):
        """Use the permutation of ``epoch`` (the same on every rank, new each epoch)."""
        self.epoch = int(epoch)
