"""Turning CTC outputs into label sequences: greedy (best path) and prefix beam search.

Both take log-probabilities ``(T, C)`` of one utterance (frames first, class ``blank`` the
CTC blank) and return the label sequence as a list of class indices.

- Greedy: the most likely class at every frame, repeats merged, blanks dropped. It finds
  the best *path*, which is not always the best *label sequence*: p(l) sums over every path
  that collapses to l.
- Prefix beam search (Hannun et al., 2014): keeps the ``beam_width`` most likely prefixes,
  each with the log-probability of its paths ending in a blank (``p_b``) and in a label
  (``p_nb``). Per frame, with ``⊕`` the log-sum-exp and ``y(c)`` the frame's log-prob:

      prefix + blank:            p_b(l)     ⊕= (p_b(l) ⊕ p_nb(l)) + y(blank)
      prefix + its last label:   p_nb(l)    ⊕= p_nb(l) + y(c)          (merged repeat)
                                 p_nb(l+c)  ⊕= p_b(l) + y(c)           (a blank separates)
      prefix + another label c:  p_nb(l+c)  ⊕= (p_b(l) ⊕ p_nb(l)) + y(c)
"""

import numpy as np


def greedy_decode(log_probs, blank=0):
    """Best-path decoding of ``(T, C)`` scores: argmax per frame, repeats merged, blanks
    removed. ``[[0.9 blank], [a], [a], [blank], [a]] -> [a, a]``."""
    best = np.asarray(log_probs).argmax(axis=-1)  # (T,)
    keep = np.ones(best.shape, dtype=bool)
    keep[1:] = best[1:] != best[:-1]
    return [int(c) for c in best[keep] if c != blank]


NEG_INF = -np.inf


def _add(beams, prefix, pb=NEG_INF, pnb=NEG_INF):
    """``beams[prefix] ⊕= (pb, pnb)``."""
    old_b, old_nb = beams.get(prefix, (NEG_INF, NEG_INF))
    beams[prefix] = (np.logaddexp(old_b, pb), np.logaddexp(old_nb, pnb))


def beam_search_decode(log_probs, beam_width=8, blank=0, return_score=False):
    """Prefix beam search over ``(T, C)`` log-probabilities (see the module docstring): the
    label sequence with the highest total probability among the beams kept (with
    ``return_score``: and its log-probability)."""
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if log_probs.ndim != 2:
        raise ValueError(
            f"beam_search_decode: log_probs of shape {log_probs.shape}; expected (T, C) for "
            "one utterance (decode a batch item by item)."
        )
    if beam_width < 1:
        raise ValueError(f"beam_search_decode: beam_width={beam_width}; expected >= 1.")
    beams = {(): (0.0, NEG_INF)}  # prefix -> (p_b, p_nb)
    for y in log_probs:
        grown = {}
        for prefix, (pb, pnb) in beams.items():
            total = np.logaddexp(pb, pnb)
            _add(grown, prefix, pb=total + y[blank])
            for c in range(len(y)):
                if c == blank:
                    continue
                if prefix and prefix[-1] == c:
                    _add(grown, prefix, pnb=pnb + y[c])
                    _add(grown, prefix + (c,), pnb=pb + y[c])
                else:
                    _add(grown, prefix + (c,), pnb=total + y[c])
        ranked = sorted(grown.items(), key=lambda kv: np.logaddexp(*kv[1]), reverse=True)
        beams = dict(ranked[:beam_width])
    best, (pb, pnb) = max(beams.items(), key=lambda kv: np.logaddexp(*kv[1]))
    labels = [int(c) for c in best]
    return (labels, float(np.logaddexp(pb, pnb))) if return_score else labels


def edit_distance(a, b):
    """Levenshtein distance between two sequences (insertions, deletions, substitutions)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def error_rate(predictions, references):
    """Σ edit_distance / Σ len(reference): the digit (or word, character) error rate."""
    errors = sum(edit_distance(p, r) for p, r in zip(predictions, references))
    return errors / max(sum(len(r) for r in references), 1)
