import numpy as np
import pytest
from sklearn import metrics as sk

from zennet.training import metrics


@pytest.fixture
def labels(rng):
    y_true = rng.integers(0, 4, size=200)
    scores = rng.standard_normal((200, 4)) + 2.0 * np.eye(4)[y_true]  # mostly right
    return y_true, scores


def test_accuracy_equals_sklearn(labels):
    y_true, scores = labels
    expected = sk.accuracy_score(y_true, scores.argmax(1))
    assert metrics.accuracy(y_true, scores) == pytest.approx(expected)
    assert metrics.accuracy(y_true, scores.argmax(1)) == pytest.approx(expected)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy_equals_sklearn(labels, k):
    y_true, scores = labels
    expected = sk.top_k_accuracy_score(y_true, scores, k=k)
    assert metrics.top_k_accuracy(y_true, scores, k=k) == pytest.approx(expected)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (metrics.precision, sk.precision_score),
        (metrics.recall, sk.recall_score),
        (metrics.f1, sk.f1_score),
    ],
)
def test_macro_scores_equal_sklearn(labels, ours, theirs):
    y_true, scores = labels
    expected = theirs(y_true, scores.argmax(1), average="macro", zero_division=0)
    assert ours(y_true, scores) == pytest.approx(expected)


def test_macro_scores_with_a_class_never_predicted():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 1, 1, 1, 1])
    for ours, theirs in [(metrics.precision, sk.precision_score), (metrics.f1, sk.f1_score)]:
        expected = theirs(y_true, y_pred, average="macro", zero_division=0)
        assert ours(y_true, y_pred) == pytest.approx(expected)


def test_confusion_matrix_equals_sklearn(labels):
    y_true, scores = labels
    expected = sk.confusion_matrix(y_true, scores.argmax(1))
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, scores), expected)


def test_regression_metrics_equal_sklearn(rng):
    y = rng.standard_normal(50)
    pred = y + 0.3 * rng.standard_normal(50)
    assert metrics.mae(y, pred) == pytest.approx(sk.mean_absolute_error(y, pred))
    assert metrics.r2(y, pred) == pytest.approx(sk.r2_score(y, pred))


def test_binary_probabilities_are_thresholded():
    assert metrics.accuracy([0, 1, 1], np.array([[0.2], [0.7], [0.4]])) == pytest.approx(2 / 3)


def test_length_mismatch_and_unknown_names_are_clear():
    with pytest.raises(ValueError, match="y_true has 3 samples but y_pred has 2"):
        metrics.accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'"):
        metrics.get_metric("acuracy")
