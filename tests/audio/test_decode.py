"""CTC decoders: greedy merges repeats and drops blanks; beam search finds the most likely
label sequence, which the best path can miss."""

import itertools

import numpy as np
import pytest

from zennet.audio import beam_search_decode, edit_distance, error_rate, greedy_decode


def test_greedy():
    frames = [1, 1, 0, 1, 2, 2, 0, 0, 3]
    log_probs = np.log(np.eye(4)[frames] * 0.9 + 0.025)
    assert greedy_decode(log_probs) == [1, 1, 2, 3]
    assert greedy_decode(log_probs, blank=1) == [0, 2, 0, 3]


def test_beam_search_beats_best_path_on_a_hand_made_case():
    # Two frames, blank 0.6 / "a" 0.4 each. The best path is blank-blank (0.36, the empty
    # string) but "a" collects a-blank, blank-a and a-a: 0.24 + 0.24 + 0.16 = 0.64.
    log_probs = np.log([[0.6, 0.4], [0.6, 0.4]])
    assert greedy_decode(log_probs) == []
    labels, score = beam_search_decode(log_probs, beam_width=4, return_score=True)
    assert labels == [1]
    assert score == pytest.approx(np.log(0.64))


def brute_force(probs, blank=0):
    """The most likely label sequence, summing every path (C^T of them)."""
    totals = {}
    for path in itertools.product(range(probs.shape[1]), repeat=probs.shape[0]):
        labels = tuple(c for i, c in enumerate(path) if c != blank and (i == 0 or c != path[i - 1]))
        totals[labels] = totals.get(labels, 0.0) + np.prod(probs[np.arange(len(path)), path])
    best = max(totals, key=totals.get)
    return list(best), totals[best]


@pytest.mark.parametrize("seed", range(5))
def test_beam_search_matches_exhaustive_search(seed):
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(3) * 0.7, size=6)  # (T=6, C=3)
    labels, p = brute_force(probs)
    ours, score = beam_search_decode(np.log(probs), beam_width=50, return_score=True)
    assert ours == labels
    assert score == pytest.approx(np.log(p))


def test_beam_width_one_and_errors():
    log_probs = np.log([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    assert beam_search_decode(log_probs, beam_width=1) == [1, 2]
    with pytest.raises(ValueError, match=r"expected \(T, C\)"):
        beam_search_decode(log_probs[None])
    with pytest.raises(ValueError, match="beam_width"):
        beam_search_decode(log_probs, beam_width=0)


def test_edit_distance_and_error_rate():
    assert edit_distance([1, 2, 3], [1, 3]) == 1
    assert edit_distance([], [4, 5]) == 2
    assert edit_distance([1, 2, 3], [3, 2, 1]) == 2
    assert error_rate([[1, 2, 3], [4]], [[1, 2, 3], [5, 6]]) == pytest.approx(2 / 5)
