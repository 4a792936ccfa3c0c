"""Faces and non-faces: scikit-image's 200 grey 25×25 crops (``skimage.data.lfw_subset``).

The first 100 are faces from Labeled Faces in the Wild (Huang et al., 2007), the other 100
are patches of other pictures. scikit-image is an optional extra:
``pip install "zennet[faces]"``. Labels: 1 = face, 0 = non-face.

>>> (x, y), (xt, yt) = zn.datasets.lfw_faces()       # 160 train, 40 test, (N, 1, 25, 25)
>>> for train, val in kfold_indices(y, k=5): ...      # stratified 5-fold cross-validation
"""

import numbers

import numpy as np

from zennet.data.datasets.digits import stratified_split

FACE, NON_FACE = 1, 0
SIDE = 25  # pixels per side of each crop


def _skimage_data():
    try:
        import skimage.data
    except ImportError:
        raise ImportError(
            'lfw_faces needs scikit-image, which ships the face crops: pip install "zennet[faces]" '
            '(or pip install "scikit-image>=0.21").'
        ) from None
    return skimage.data


def lfw_faces_all():
    """All 200 crops: images (200, 1, 25, 25) float32 in [0, 1], labels (200,) int64
    (the first 100 faces, label 1; the last 100 non-faces, label 0)."""
    crops = np.asarray(_skimage_data().lfw_subset(), dtype=np.float32)  # (200, 25, 25)
    labels = np.where(np.arange(len(crops)) < len(crops) // 2, FACE, NON_FACE).astype(np.int64)
    return crops[:, None], labels  # (200, 1, 25, 25): one grey channel


def lfw_faces(test_fraction=0.2, seed=0, flat=False):
    """The crops split into ``(x_train, y_train), (x_test, y_test)``, stratified (as many
    faces as non-faces on both sides) and fixed by ``seed``.

    Images are float32 in [0, 1], (N, 1, 25, 25), or (N, 625) with ``flat``; labels are
    int64, 1 = face, 0 = non-face. The default split holds out 40 crops (20 faces).
    """
    if not isinstance(test_fraction, numbers.Real) or not 0 < test_fraction < 1:
        raise ValueError(
            f"lfw_faces: test_fraction must be a number in (0, 1), got {test_fraction!r}; "
            f"e.g. 0.2 keeps 40 of the 200 crops for testing."
        )
    images, labels = lfw_faces_all()
    if flat:
        images = images.reshape(len(images), -1)  # (N, 625)
    train, test = stratified_split(labels, test_fraction, np.random.default_rng(seed))
    return (images[train], labels[train]), (images[test], labels[test])


def kfold_indices(labels, k=5, seed=0):
    """Stratified k-fold cross-validation: a list of ``k`` pairs (train_idx, val_idx).

    Each class's indices are shuffled with ``seed`` and dealt round-robin into ``k`` folds,
    so every index is in exactly one validation fold and each fold holds each class in
    the same proportion (±1). Fold i trains on the other k − 1 folds.
    """
    labels = np.asarray(labels)
    if not isinstance(k, numbers.Integral) or k < 2:
        raise ValueError(f"kfold_indices: k must be an int >= 2, got {k!r}.")
    smallest = np.unique(labels, return_counts=True)[1].min() if len(labels) else 0
    if smallest < k:
        raise ValueError(
            f"kfold_indices: k={k} folds need at least {k} samples of every class; the "
            f"smallest class has {smallest}. Lower k."
        )
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=np.int64)
    start = 0  # continue the deal across classes so that fold sizes stay even
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        fold_of[members] = (start + np.arange(len(members))) % k
        start += len(members)
    everything = np.arange(len(labels))
    return [(everything[fold_of != i], everything[fold_of == i]) for i in range(k)]


def cross_validate(fit_and_score, x, y, k=5, seed=0):
    """Scores of ``fit_and_score((x_tr, y_tr), (x_val, y_val)) -> float`` over the folds of
    :func:`kfold_indices`, as an array of ``k`` numbers (report mean ± std)."""
    folds = kfold_indices(y, k, seed)
    return np.array([fit_and_score((x[tr], y[tr]), (x[va], y[va])) for tr, va in folds])
