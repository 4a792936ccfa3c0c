import numpy as np
import pytest
import torch

from zennet import nn
from zennet.creation import tensor
from zennet.text.classify import ensemble_predict, predict, predict_proba


class FixedLogits(nn.Module):
    """A hand-made classifier: the logits of a text are the row ``table[first id]``."""

    def __init__(self, table):
        super().__init__()
        self.table = np.asarray(table, dtype=np.float32)

    def forward(self, ids):
        return tensor(self.table[np.asarray(ids)[:, 0]])


A = FixedLogits([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [2.0, 1.9, -5.0]])
B = FixedLogits([[0.0, 1.0, 2.0], [0.0, 0.5, 0.0], [-4.0, 2.0, 1.0]])
IDS = [[1, 4], [2], [1], [2, 2, 2]]  # ragged, as encode_texts gives them


def softmax(table, ids):
    return torch.softmax(torch.tensor(table[[i[0] for i in ids]], dtype=torch.float64), 1)


def test_ensemble_of_two_models_is_the_mean_of_their_probabilities():
    probs = ensemble_predict([A, B], [IDS, IDS])
    assert probs.shape == (len(IDS), 3)
    want = (softmax(A.table, IDS) + softmax(B.table, IDS)) / 2
    np.testing.assert_allclose(probs, want.numpy(), rtol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    # text 2: A says class 0 (barely), B says class 1; the mean sides with B
    assert predict(A, IDS)[1] == 0 and predict(B, IDS)[1] == 1
    assert probs.argmax(axis=1)[1] == 1


def test_each_model_reads_its_own_ids_and_one_model_is_itself():
    other = [[2], [1], [2], [1]]  # B reads the texts as different ids
    probs = ensemble_predict([A, B], [IDS, other])
    want = (softmax(A.table, IDS) + softmax(B.table, other)) / 2
    np.testing.assert_allclose(probs, want.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(ensemble_predict([A], [IDS]), predict_proba(A, IDS))
    np.testing.assert_array_equal(predict_proba(A, IDS, batch_size=3), predict_proba(A, IDS))


def test_ensemble_rejects_mismatched_members():
    with pytest.raises(ValueError, match="2 models and 1 id lists"):
        ensemble_predict([A, B], [IDS])
    with pytest.raises(ValueError, match="at least one model"):
        ensemble_predict([], [])
    two_classes = FixedLogits([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="share the classes"):
        ensemble_predict([A, two_classes], [IDS, IDS])
