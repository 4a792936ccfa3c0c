import numpy as np
import pytest

import zennet as zn
from zennet.data import DataLoader, Dataset, Subset, TensorDataset, random_split


def _dataset(n=10, dtype=np.float64):
    x = np.arange(n * 3, dtype=dtype).reshape(n, 3)  # row i is [3i, 3i+1, 3i+2]
    return TensorDataset(x, np.arange(n, dtype=np.int64))


def _labels(loader):
    return [yb.numpy().tolist() for _, yb in loader]


def test_batches_cover_every_sample_once():
    loader = DataLoader(_dataset(10), batch_size=3, shuffle=True, seed=0)
    batches = list(loader)
    assert [len(yb) for _, yb in batches] == [3, 3, 3, 1]
    seen = np.concatenate([yb.numpy() for _, yb in batches])
    assert sorted(seen) == list(range(10))
    for xb, yb in batches:  # inputs stay paired with their labels
        np.testing.assert_array_equal(xb.numpy()[:, 0], 3 * yb.numpy())


def test_sequential_order_without_shuffle():
    assert _labels(DataLoader(_dataset(7), batch_size=3)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_shuffle_reproducible_under_seed_and_different_across_epochs():
    a = DataLoader(_dataset(50), batch_size=8, shuffle=True, seed=123)
    b = DataLoader(_dataset(50), batch_size=8, shuffle=True, seed=123)
    epoch1, epoch2 = _labels(a), _labels(a)
    assert epoch1 == _labels(b) and epoch2 == _labels(b)
    assert epoch1 != epoch2
    assert epoch1 != _labels(DataLoader(_dataset(50), batch_size=8, shuffle=True, seed=124))


def test_shuffle_without_seed_follows_manual_seed():
    loader = DataLoader(_dataset(50), batch_size=8, shuffle=True)
    zn.manual_seed(5)
    first = _labels(loader)
    zn.manual_seed(5)
    assert _labels(loader) == first


def test_drop_last_and_len():
    ds = _dataset(10)
    assert len(DataLoader(ds, batch_size=3)) == 4
    assert len(DataLoader(ds, batch_size=3, drop_last=True)) == 3
    assert len(DataLoader(ds, batch_size=5, drop_last=True)) == 2
    loader = DataLoader(ds, batch_size=3, shuffle=True, drop_last=True, seed=0)
    assert [len(yb) for _, yb in loader] == [3, 3, 3]
    assert len(list(DataLoader(ds, batch_size=20, drop_last=True))) == 0


def test_dtypes_float64_to_float32_labels_kept():
    xb, yb = next(iter(DataLoader(_dataset(4), batch_size=4)))
    assert isinstance(xb, zn.Tensor) and xb.dtype == np.float32 and yb.dtype == np.int64
    xb, _ = next(iter(DataLoader(_dataset(4, np.float32), batch_size=4, shuffle=True)))
    assert xb.dtype == np.float32


def test_batches_are_copies_not_views_of_the_data():
    ds = _dataset(4, np.float32)
    for shuffle in (False, True):
        xb, _ = next(iter(DataLoader(ds, batch_size=4, shuffle=shuffle)))
        xb.data[:] = -1
        assert ds.arrays[0].min() == 0


@pytest.mark.parametrize("bad", [0, -3, 2.5, "8", True])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(_dataset(4), batch_size=bad)


def test_not_a_dataset():
    with pytest.raises(TypeError, match="TensorDataset"):
        DataLoader(42, batch_size=2)


def test_tensor_dataset_length_mismatch_message():
    with pytest.raises(ValueError, match=r"same first dimension.*\(5, 2\), \(4,\)"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="no arrays"):
        TensorDataset()
    with pytest.raises(ValueError, match="scalar"):
        TensorDataset(np.float32(1.0))


def test_tensor_dataset_accepts_tensors_and_indexes_samples():
    ds = TensorDataset(zn.tensor(np.ones((3, 2), np.float32)), np.array([7, 8, 9]))
    x1, y1 = ds[1]
    assert len(ds) == 3 and x1.shape == (2,) and y1.item() == 8


class Squares(Dataset):
    """A dataset without arrays: forces the generic (per-sample + collate) path."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return float(i), i * i


def test_generic_dataset_default_collate():
    batches = list(DataLoader(Squares(), batch_size=2))
    x0, y0 = batches[0]
    assert x0.dtype == np.float32 and y0.dtype == np.int64
    assert [b[1].numpy().tolist() for b in batches] == [[0, 1], [4, 9], [16]]


def test_custom_collate_fn():
    loader = DataLoader(Squares(), batch_size=2, collate_fn=lambda s: [y for _, y in s])
    assert list(loader) == [[0, 1], [4, 9], [16]]


def test_collate_fn_on_tensor_dataset_gets_samples():
    loader = DataLoader(_dataset(4), batch_size=2, collate_fn=len)
    assert list(loader) == [2, 2]


def test_abstract_dataset_message():
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_random_split_sizes_and_disjointness():
    ds = _dataset(10)
    parts = random_split(ds, [7, 3], seed=0)
    assert [len(p) for p in parts] == [7, 3]
    labels = [np.concatenate([yb.numpy() for _, yb in DataLoader(p, batch_size=4)]) for p in parts]
    assert sorted(np.concatenate(labels)) == list(range(10))
    assert random_split(ds, [7, 3], seed=0)[0].indices.tolist() == parts[0].indices.tolist()


def test_random_split_fractions_round_robin_leftovers():
    assert [len(p) for p in random_split(_dataset(10), [0.34, 0.33, 0.33], seed=1)] == [4, 3, 3]
    assert [len(p) for p in random_split(_dataset(11), [0.5, 0.5], seed=1)] == [6, 5]


@pytest.mark.parametrize("lengths", [[5, 4], [11, -1], [0.5, 0.6]])
def test_random_split_bad_lengths(lengths):
    with pytest.raises(ValueError, match="random_split"):
        random_split(_dataset(10), lengths)


def test_loader_on_subset_uses_the_right_samples():
    ds = _dataset(10)
    inner = Subset(Subset(ds, [9, 8, 7, 6, 5]), [4, 0, 2])  # samples 5, 9, 7
    batches = list(DataLoader(inner, batch_size=2))
    assert [b[1].numpy().tolist() for b in batches] == [[5, 9], [7]]
    assert inner[1][1].item() == 9


def test_subset_index_out_of_range():
    with pytest.raises(ValueError, match=r"Subset: indices must lie in \[0, 10\)"):
        Subset(_dataset(10), [0, 10])


def test_fast_path_does_not_iterate_samples(monkeypatch):
    def forbidden(self, index):
        raise AssertionError("DataLoader read a TensorDataset one sample at a time")

    monkeypatch.setattr(TensorDataset, "__getitem__", forbidden)
    ds = _dataset(10)
    assert len(list(DataLoader(ds, batch_size=4, shuffle=True, seed=0))) == 3
    assert len(list(DataLoader(Subset(ds, [1, 2, 3]), batch_size=2))) == 2


def test_empty_dataset():
    loader = DataLoader(TensorDataset(np.zeros((0, 3))), batch_size=4, shuffle=True, seed=0)
    assert len(loader) == 0 and list(loader) == []


def _batches(loader):
    return [(xb.data.copy(), yb.data.copy()) for xb, yb in loader]


def _noise(x, y, rng):
    return x + rng.standard_normal(x.shape).astype(x.dtype), y


def test_set_epoch_replays_an_epoch_and_its_augmentation_exactly():
    """PyTorch's set_epoch convention: epoch e's order and transform draws depend on (seed, e)
    only, so a resumed run (a new loader told its epoch) sees an uninterrupted run's batches."""
    data = TensorDataset(np.arange(40, dtype=np.float32).reshape(20, 2), np.arange(20))
    uninterrupted = DataLoader(data, batch_size=6, shuffle=True, seed=3, transform=_noise)
    epochs = [_batches(uninterrupted) for _ in range(3)]  # epochs 0, 1, 2 counted by itself
    resumed = DataLoader(data, batch_size=6, shuffle=True, seed=3, transform=_noise)
    resumed.set_epoch(2)
    for (x, y), (xr, yr) in zip(epochs[2], _batches(resumed), strict=True):
        np.testing.assert_array_equal(x, xr)
        np.testing.assert_array_equal(y, yr)
    resumed.set_epoch(1, start_batch=2)  # from the middle of an epoch
    rest = _batches(resumed)
    assert len(rest) == len(epochs[1]) - 2
    for (x, y), (xr, yr) in zip(epochs[1][2:], rest, strict=True):
        np.testing.assert_array_equal(x, xr)
        np.testing.assert_array_equal(y, yr)
    assert not np.array_equal(epochs[0][0][1], epochs[1][0][1])  # epochs differ
