import sys

import numpy as np
import pytest

import zennet as zn
from zennet.data.datasets.faces import cross_validate, kfold_indices, lfw_faces, lfw_faces_all

pytest.importorskip("skimage")


def test_all_crops_shapes_labels_ranges():
    x, y = lfw_faces_all()
    assert x.shape == (200, 1, 25, 25) and x.dtype == np.float32
    assert y.dtype == np.int64 and y[:100].tolist() == [1] * 100 and y[100:].tolist() == [0] * 100
    assert 0 <= x.min() and x.max() <= 1
    import skimage.data

    np.testing.assert_array_equal(x[:, 0], skimage.data.lfw_subset().astype(np.float32))


def test_split_is_stratified_disjoint_and_fixed_by_seed():
    (x, y), (xt, yt) = lfw_faces()
    assert x.shape == (160, 1, 25, 25) and xt.shape == (40, 1, 25, 25)
    assert np.bincount(y).tolist() == [80, 80] and np.bincount(yt).tolist() == [20, 20]
    train_rows = {row.tobytes() for row in x}
    assert not any(row.tobytes() in train_rows for row in xt)  # no crop on both sides
    (x2, _), (xt2, _) = lfw_faces()
    np.testing.assert_array_equal(xt, xt2)
    np.testing.assert_array_equal(x, x2)
    (_, _), (xt3, _) = lfw_faces(seed=1)
    assert not np.array_equal(xt, xt3)


def test_flat_and_exported_from_datasets():
    (x, _), _ = zn.datasets.lfw_faces(flat=True)
    assert x.shape == (160, 625)


@pytest.mark.parametrize("fraction", [0, 1, "0.2", -0.1])
def test_bad_test_fraction(fraction):
    with pytest.raises(ValueError, match="lfw_faces: test_fraction"):
        lfw_faces(test_fraction=fraction)


def test_missing_scikit_image_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "skimage", None)
    monkeypatch.setitem(sys.modules, "skimage.data", None)
    with pytest.raises(ImportError, match=r'pip install "zennet\[faces\]"'):
        lfw_faces()


@pytest.mark.parametrize("k", [2, 5, 7])
def test_kfold_covers_every_index_once_and_is_stratified(k):
    y = np.array([1] * 37 + [0] * 23)
    folds = kfold_indices(y, k=k, seed=3)
    assert len(folds) == k
    val = np.concatenate([va for _, va in folds])
    assert sorted(val.tolist()) == list(range(len(y)))  # each index validates exactly once
    for tr, va in folds:
        assert not set(tr) & set(va) and len(tr) + len(va) == len(y)
        for c, n in ((1, 37), (0, 23)):
            assert abs((y[va] == c).sum() - n / k) < 1  # each class in proportion, ±1
    sizes = [len(va) for _, va in folds]
    assert max(sizes) - min(sizes) <= 1


def test_kfold_errors():
    with pytest.raises(ValueError, match="kfold_indices: k must be an int >= 2"):
        kfold_indices([0, 1, 0, 1], k=1)
    with pytest.raises(ValueError, match="smallest class has 2. Lower k"):
        kfold_indices([0, 0, 1, 1, 1], k=3)


def test_cross_validate_scores_each_fold_on_its_own_validation_part():
    x = np.arange(20, dtype=np.float32)[:, None]
    y = np.array([0, 1] * 10)
    seen = []

    def fit_and_score(train, val):
        seen.append(val[0][:, 0])
        return float(len(val[1]))

    scores = cross_validate(fit_and_score, x, y, k=4, seed=0)
    assert scores.tolist() == [5.0] * 4
    assert sorted(np.concatenate(seen).tolist()) == list(range(20))
