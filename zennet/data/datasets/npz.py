"""A data set of your own in one ``.npz`` file holding x_train, y_train, x_test and y_test."""

from pathlib import Path

import numpy as np

from zennet.io import load

SPLITS = ("x_train", "y_train", "x_test", "y_test")


def load_npz(path):
    """((x_train, y_train), (x_test, y_test)) from an .npz file's arrays, checked: inputs of
    finite numbers (integers become float32), integer labels >= 0, one label per input."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"--data {path}: no such file.")
    arrays = load(path)
    missing = set(SPLITS) - set(arrays)
    if missing:
        raise ValueError(f"{path}: the .npz file lacks the arrays {sorted(missing)}.")
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        arrays[f"x_{split}"] = _checked_split(path, split, x, y)
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise ValueError(
            f"{path}: x_train {arrays['x_train'].shape} and x_test {arrays['x_test'].shape} "
            f"must hold inputs of the same shape."
        )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _checked_split(path, split, x, y):
    """The inputs x of one split (as floats), after checking them and their labels y."""
    if x.ndim < 2 or len(x) == 0 or y.shape != (len(x),):
        raise ValueError(
            f"{path}: x_{split} {x.shape} and y_{split} {y.shape} must be (N, features...) "
            f"and (N,) with N > 0: one integer label per input."
        )
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    if not np.isfinite(x).all():
        bad = np.flatnonzero(~np.isfinite(x.reshape(len(x), -1)).all(axis=1))
        raise ValueError(
            f"{path}: x_{split} holds NaN or Inf in {len(bad)} samples (the first is sample "
            f"{bad[0]}); remove or repair them before training."
        )
    if y.dtype.kind not in "iu" or y.min() < 0:
        raise ValueError(
            f"{path}: y_{split} must hold class labels, integers 0, 1, 2, ...; got dtype "
            f"{y.dtype} with values from {y.min()} to {y.max()}."
        )
    return x
