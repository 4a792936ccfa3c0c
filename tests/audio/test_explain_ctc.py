"""Explaining a transcription: the score is log p(string | input) under CTC, and integrated
gradients on it add up to the score's change from the baseline (completeness)."""

import numpy as np
import torch

import zennet as zn
from zennet.audio.ctc_training import TranscriptionScore
from zennet.audio.models import CRNN
from zennet.explain import integrated_gradients
from zennet.explain.gradients import completeness_gap


def crnn_and_input():
    zn.manual_seed(0)
    net = CRNN(10, width=8, hidden=8).double().eval()
    x = np.random.default_rng(0).normal(size=(2, 1, 40, 30))
    return net, x


def test_the_score_is_the_log_probability_of_the_string():
    net, x = crnn_and_input()
    labels = [4, 1, 4]  # model classes: digits 3, 0, 3
    score = TranscriptionScore(net, labels)(zn.tensor(x)).numpy()
    log_probs = net(zn.tensor(x), np.full(2, 30)).numpy()  # (15, 2, 11)
    expected = -torch.nn.functional.ctc_loss(
        torch.from_numpy(log_probs), torch.tensor([labels, labels]), torch.tensor([15, 15]),
        torch.tensor([3, 3]), reduction="none",
    ).numpy()  # fmt: skip
    assert score.shape == (2, 1)
    np.testing.assert_allclose(score[:, 0], expected, rtol=1e-10)


def test_integrated_gradients_of_a_transcription_are_complete():
    net, x = crnn_and_input()
    model = TranscriptionScore(net, [2, 8])
    ig = integrated_gradients(model, x, 0, steps=64)
    assert ig.shape == x.shape and np.abs(ig).sum() > 0
    assert completeness_gap(model, x, 0, ig).max() < 0.02
