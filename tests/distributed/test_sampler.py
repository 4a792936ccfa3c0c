"""DistributedSampler deals indices exactly as torch.utils.data.DistributedSampler."""

import numpy as np
import pytest
import torch
from torch.utils.data import DistributedSampler as TorchSampler

from zennet.data import DataLoader, TensorDataset
from zennet.distributed import DistributedSampler
from zennet.distributed.sampler import shard

CASES = [(n, r) for n in (0, 1, 3, 7, 10, 11, 64) for r in (1, 2, 3, 4)]


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n, replicas", CASES)
def test_unshuffled_shards_match_torch(n, replicas, drop_last):
    data = list(range(n))
    for rank in range(replicas):
        kwargs = dict(num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        ours, theirs = DistributedSampler(data, **kwargs), TorchSampler(data, **kwargs)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("n, replicas", [(10, 3), (11, 4), (3, 4), (64, 2)])
def test_shuffled_shards_of_torchs_permutation_match_torch(n, replicas, drop_last):
    """Sharding and padding of one permutation (zennet draws its own with NumPy)."""
    data = list(range(n))
    for epoch in (0, 1):
        generator = torch.Generator()
        generator.manual_seed(5 + epoch)
        permutation = torch.randperm(n, generator=generator).numpy()
        for rank in range(replicas):
            theirs = TorchSampler(data, replicas, rank, shuffle=True, seed=5, drop_last=drop_last)
            theirs.set_epoch(epoch)
            assert shard(permutation, replicas, rank, drop_last).tolist() == list(theirs)


def test_shuffle_is_shared_by_the_ranks_and_changes_with_the_epoch():
    data = list(range(50))
    samplers = [DistributedSampler(data, num_replicas=2, rank=r, seed=7) for r in range(2)]
    epoch0 = [list(s) for s in samplers]
    assert sorted(epoch0[0] + epoch0[1]) == data  # disjoint shards covering the data
    assert epoch0[0] != list(range(0, 50, 2))  # shuffled
    for s in samplers:
        s.set_epoch(1)
    epoch1 = [list(s) for s in samplers]
    assert sorted(epoch1[0] + epoch1[1]) == data
    assert epoch1[0] != epoch0[0]


def test_dataloader_takes_batches_in_the_samplers_order():
    x = np.arange(10.0).reshape(10, 1)
    dataset = TensorDataset(x, np.arange(10))
    sampler = DistributedSampler(dataset, num_replicas=3, rank=1, shuffle=False)  # 1, 4, 7, 0
    loader = DataLoader(dataset, batch_size=3, sampler=sampler)
    assert len(loader) == 2
    assert [yb.numpy().tolist() for _, yb in loader] == [[1, 4, 7], [0]]
    with pytest.raises(ValueError, match="sampler and shuffle=True exclude each other"):
        DataLoader(dataset, batch_size=3, sampler=sampler, shuffle=True)


def test_bad_rank_is_refused():
    with pytest.raises(ValueError, match=r"invalid rank 2; it must be in 0..1"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be an int >= 1"):
        DistributedSampler(list(range(4)), num_replicas=0, rank=0)
