"""zennet.utils.data's samplers, ConcatDataset, ChainDataset and the DataLoader's sampler /
batch_sampler / IterableDataset paths against torch.utils.data: the same index sequences
where no random generator is involved, the same semantics (sizes, coverage, frequencies)
where one is (zennet's generator is not PyTorch's)."""

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import zennet as zn
import zennet.utils.data as zud


def listed(loader):
    """A loader's batches as nested lists of plain numbers."""

    def plain(batch):
        if isinstance(batch, (tuple, list)):
            return [plain(b) for b in batch]
        return np.asarray(batch.numpy() if hasattr(batch, "numpy") else batch).tolist()

    return [plain(b) for b in loader]


def data(n=10):
    x = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    return x, np.arange(n) * 10


def both_datasets(n=10):
    x, y = data(n)
    return zud.TensorDataset(x, y), tud.TensorDataset(torch.tensor(x), torch.tensor(y))


# ------------------------------------------------------------------ deterministic samplers


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 5, 11])
def test_sequential_and_batch_samplers_equal_torchs(batch_size, drop_last):
    ours = zud.BatchSampler(zud.SequentialSampler(range(10)), batch_size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(10)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(zud.SequentialSampler(range(7))) == list(tud.SequentialSampler(range(7)))


@pytest.mark.parametrize(
    "options",
    [
        dict(batch_size=3, sampler=[9, 0, 4, 4, 2]),
        dict(batch_size=2, sampler=[9, 0, 4, 4, 2], drop_last=True),
        dict(batch_sampler=[[3, 1], [0], [9, 8, 7]]),
        dict(batch_size=4, collate_fn=lambda s: [int(y) for _, y in s]),
        dict(batch_size=None),
    ],
)
def test_dataloader_options_give_torchs_batches(options):
    ours, theirs = both_datasets()
    got = listed(zud.DataLoader(ours, **options))
    assert got == listed(tud.DataLoader(theirs, **options))
    assert len(zud.DataLoader(ours, **options)) == len(tud.DataLoader(theirs, **options))


def test_dataloader_with_a_batch_sampler_object_and_a_plain_dataset():
    class Squares(zud.Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return np.float32(i * i)

    class TorchSquares(tud.Dataset):
        __len__ = Squares.__len__
        __getitem__ = Squares.__getitem__

    sampler = zud.BatchSampler(zud.SequentialSampler(range(7)), 3, drop_last=False)
    ours = listed(zud.DataLoader(Squares(), batch_sampler=sampler))
    reference = tud.BatchSampler(tud.SequentialSampler(range(7)), 3, drop_last=False)
    assert ours == listed(tud.DataLoader(TorchSquares(), batch_sampler=reference))


# ------------------------------------------------------------------ random samplers


def test_random_sampler_is_a_permutation_and_repeats_whole_ones():
    g = zn.Generator().manual_seed(0)
    order = list(zud.RandomSampler(range(10), generator=g))
    assert sorted(order) == list(range(10)) and order != list(range(10))
    long = list(zud.RandomSampler(range(4), num_samples=10, generator=g))
    assert len(long) == 10 == len(zud.RandomSampler(range(4), num_samples=10))
    assert sorted(long[:4]) == sorted(long[4:8]) == [0, 1, 2, 3]  # as torch's
    assert len(set(long[8:])) == 2
    epoch2 = list(zud.RandomSampler(range(10), generator=g))
    assert epoch2 != order  # the generator moves on


def test_random_sampler_with_replacement_is_uniform():
    zn.manual_seed(0)
    draws = np.array(list(zud.RandomSampler(range(5), replacement=True, num_samples=20000)))
    frequencies = np.bincount(draws, minlength=5) / len(draws)
    np.testing.assert_allclose(frequencies, 0.2, atol=0.01)


def test_random_samplers_repeat_under_the_same_seed():
    def run(seed):
        g = zn.Generator().manual_seed(seed)
        return [list(zud.RandomSampler(range(20), generator=g)) for _ in range(2)]

    assert run(3) == run(3) and run(3) != run(4)
    zn.manual_seed(1)
    first = list(zud.SubsetRandomSampler([5, 7, 9, 11]))
    zn.manual_seed(1)
    assert list(zud.SubsetRandomSampler([5, 7, 9, 11])) == first
    assert sorted(first) == [5, 7, 9, 11]


@pytest.mark.parametrize("replacement", [True, False])
def test_weighted_sampler_frequencies_match_torchs(replacement):
    weights = [0.1, 0.0, 3.0, 1.0, 0.9]
    zn.manual_seed(0)
    torch.manual_seed(0)
    if replacement:
        ours = list(zud.WeightedRandomSampler(weights, 40000))
        theirs = list(tud.WeightedRandomSampler(weights, 40000))
        expected = np.array(weights) / sum(weights)
        for draws in (ours, theirs):
            np.testing.assert_allclose(np.bincount(draws, minlength=5) / 40000, expected, atol=0.01)
        return
    # without replacement: distinct, never a zero weight; the first draw follows the weights
    firsts = {lib: [] for lib in ("ours", "theirs")}
    for _ in range(4000):
        draw = list(zud.WeightedRandomSampler(weights, 3, replacement=False))
        assert len(set(draw)) == 3 and 1 not in draw
        firsts["ours"].append(draw[0])
        firsts["theirs"].append(list(tud.WeightedRandomSampler(weights, 3, replacement=False))[0])
    ours, theirs = (np.bincount(firsts[k], minlength=5) / 4000 for k in ("ours", "theirs"))
    np.testing.assert_allclose(ours, theirs, atol=0.03)


def test_dataloader_with_a_weighted_sampler_and_a_generator():
    ours, _ = both_datasets()
    g = zn.Generator().manual_seed(0)
    sampler = zud.WeightedRandomSampler([0.0] * 5 + [1.0] * 5, 12, generator=g)
    batches = list(zud.DataLoader(ours, batch_size=5, sampler=sampler))
    assert [len(y) for _, y in batches] == [5, 5, 2]
    labels = np.concatenate([y.numpy() for _, y in batches])
    assert set(labels) <= {50, 60, 70, 80, 90}
    shuffled = zud.DataLoader(ours, batch_size=4, shuffle=True, generator=g)
    labels = np.concatenate([y.numpy() for _, y in shuffled])
    assert sorted(labels) == list(range(0, 100, 10))


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.RandomSampler(range(3), num_samples=0),
        lambda lib: lib.RandomSampler(range(3), replacement=1),
        lambda lib: lib.WeightedRandomSampler([[1.0]], 2),
        lambda lib: lib.WeightedRandomSampler([1.0, 2.0], 0),
        lambda lib: lib.BatchSampler(range(3), 0, False),
    ],
)
def test_bad_sampler_arguments_raise_torchs_error_types(make):
    with pytest.raises(Exception) as theirs:
        make(tud)
    with pytest.raises(type(theirs.value)):
        make(zud)


# ------------------------------------------------------------------ data set combinators


def test_concat_dataset_indexes_as_torchs_and_loads():
    (a, ta), (b, tb) = both_datasets(4), both_datasets(3)
    ours, theirs = zud.ConcatDataset([a, b, a]), tud.ConcatDataset([ta, tb, ta])
    assert ours.cumulative_sizes == theirs.cumulative_sizes == [4, 7, 11]
    for i in list(range(-11, 11)):
        assert listed([ours[i]]) == listed([theirs[i]])
    with pytest.raises(IndexError):
        ours[11]
    assert len(a + b) == 7
    for options in (dict(batch_size=3), dict(batch_size=4, drop_last=True)):
        assert listed(zud.DataLoader(ours, **options)) == listed(tud.DataLoader(theirs, **options))
    zn.manual_seed(0)
    shuffled = np.concatenate([y.numpy() for _, y in zud.DataLoader(ours, 3, shuffle=True)])
    assert sorted(shuffled) == sorted([0, 10, 20, 30, 0, 10, 20, 0, 10, 20, 30])


class Count(zud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(np.arange(self.n, dtype=np.int64))

    def __len__(self):
        return self.n


class TorchCount(tud.IterableDataset):
    __init__, __iter__, __len__ = Count.__init__, Count.__iter__, Count.__len__


@pytest.mark.parametrize("options", [dict(batch_size=3), dict(batch_size=2, drop_last=True)])
def test_iterable_and_chain_datasets_batch_as_torchs(options):
    ours, theirs = Count(4) + Count(3), TorchCount(4) + TorchCount(3)
    assert isinstance(ours, zud.ChainDataset) and len(ours) == 7
    assert listed(zud.DataLoader(ours, **options)) == listed(tud.DataLoader(theirs, **options))
    assert len(zud.DataLoader(ours, **options)) == len(tud.DataLoader(theirs, **options))


def test_refused_combinations_as_torch():
    ours, _ = both_datasets()
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        zud.DataLoader(Count(3), shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        zud.DataLoader(ours, batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(TypeError, match="ConcatDataset does not support IterableDataset"):
        zud.ConcatDataset([ours, Count(2)])
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        zud.DataLoader(ours, num_workers=-1)
    loader = zud.DataLoader(ours, batch_size=5, num_workers=2, pin_memory=True,
                            worker_init_fn=print, persistent_workers=True)  # fmt: skip
    assert len(list(loader)) == 2  # loaded in this process; the worker options change nothing
