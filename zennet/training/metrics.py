"""Metrics on NumPy arrays: y_true holds labels (or targets), y_pred holds scores.

For classification ``y_pred`` may be class scores (N, C) — logits or probabilities,
the argmax is the prediction — or predicted labels (N,). Each metric is a plain
function; ``get_metric(name)`` finds one by the names ``fit(metrics=[...])`` accepts.
"""

import numpy as np


def _labels(y_pred):
    """Predicted class labels from scores (N, C), a single probability column (N, 1), or labels."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1:
        return y_pred.argmax(axis=1)
    if y_pred.ndim == 2 or np.issubdtype(y_pred.dtype, np.floating):
        return (y_pred.reshape(-1) > 0.5).astype(np.int64)
    return y_pred


def _check_lengths(name, y_true, y_pred):
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"{name}: y_true has {len(y_true)} samples but y_pred has {len(y_pred)}; "
            f"they must be the same length."
        )


def accuracy(y_true, y_pred):
    """Share of samples whose predicted class equals the label."""
    y_true = np.asarray(y_true).reshape(-1)
    pred = _labels(y_pred)
    _check_lengths("accuracy", y_true, pred)
    return float((pred == y_true).mean()) if len(y_true) else 0.0


def top_k_accuracy(y_true, y_pred, k=5):
    """Share of samples whose label is among the k highest scores."""
    y_true, scores = np.asarray(y_true).reshape(-1), np.asarray(y_pred)
    _check_lengths("top_k_accuracy", y_true, scores)
    top = np.argpartition(-scores, kth=min(k, scores.shape[1]) - 1, axis=1)[:, :k]
    return float((top == y_true[:, None]).any(axis=1).mean())


def confusion_matrix(y_true, y_pred, num_classes=None):
    """C[i, j] = number of samples of true class i predicted as class j."""
    y_true, pred = np.asarray(y_true).reshape(-1).astype(np.int64), _labels(y_pred)
    _check_lengths("confusion_matrix", y_true, pred)
    n = num_classes or int(max(y_true.max(initial=-1), pred.max(initial=-1)) + 1)
    return np.bincount(y_true * n + pred, minlength=n * n).reshape(n, n)


def _per_class(y_true, y_pred):
    """Per-class true positives, predicted counts and actual counts, over classes present."""
    matrix = confusion_matrix(y_true, y_pred)
    tp = np.diag(matrix).astype(np.float64)
    return tp, matrix.sum(axis=0), matrix.sum(axis=1)


def _safe_divide(a, b):
    return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)


def precision(y_true, y_pred):
    """Macro precision: the mean over classes of TP / (TP + FP) (0 for never-predicted classes)."""
    tp, predicted, _ = _per_class(y_true, y_pred)
    return float(_safe_divide(tp, predicted).mean())


def recall(y_true, y_pred):
    """Macro recall: the mean over classes of TP / (TP + FN)."""
    tp, _, actual = _per_class(y_true, y_pred)
    return float(_safe_divide(tp, actual).mean())


def f1(y_true, y_pred):
    """Macro F1: the mean over classes of 2·P·R / (P + R)."""
    tp, predicted, actual = _per_class(y_true, y_pred)
    p, r = _safe_divide(tp, predicted), _safe_divide(tp, actual)
    return float(_safe_divide(2 * p * r, p + r).mean())


def mae(y_true, y_pred):
    """Mean absolute error."""
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    return float(np.abs(y_pred.reshape(y_true.shape) - y_true).mean())


def r2(y_true, y_pred):
    """Coefficient of determination: 1 − Σ(y − ŷ)² / Σ(y − ȳ)²."""
    y_true, y_pred = np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64)
    residual = ((y_true - y_pred.reshape(y_true.shape)) ** 2).sum()
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum()
    return float(1 - residual / total) if total > 0 else 0.0


METRICS = {
    "accuracy": accuracy,
    "acc": accuracy,
    "top_k_accuracy": top_k_accuracy,
    "top5": top_k_accuracy,
    "precision": precision,
    "recall": recall,
    "f1": f1,
    "mae": mae,
    "r2": r2,
}


def get_metric(metric):
    """(name, function) for a metric name or a callable f(y_true, y_pred) -> float."""
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if metric not in METRICS:
        raise ValueError(
            f"Unknown metric {metric!r}; choose from {sorted(METRICS)} or pass a function "
            f"f(y_true, y_pred) -> float."
        )
    return ("accuracy" if metric == "acc" else metric), METRICS[metric]
