"""A parallel corpus made offline: numbers written out in English and in French, German or
Spanish by the ``num2words`` package (``pip install num2words``; LGPL).

    train, val, test = number_pairs("fr")     # lists of (english, french) pairs
    train[0]                                   # ("four hundred and twelve", "quatre cent douze")

Numbers 0-999,999 are drawn with as many of each length (1 to 6 digits) as there are, up to
a sixth of the total each, so short numbers are not drowned by the 900,000 six-digit ones.
**The split is by number**: the numbers are shuffled once (``seed``) and each lands in one
split only, so no test number (and no test sentence) is ever seen in training.
"""

from collections import namedtuple

import numpy as np

from zennet.data.datasets.registry import DATASETS

LANGUAGES = {"fr": "French", "de": "German", "es": "Spanish"}
SIZES = (20000, 1000, 2000)  # train, val, test

Pairs = namedtuple("Pairs", "train val test")
Pairs.__doc__ = "Train, validation and test (source, target) sentence pairs."


def num2words_module():
    try:
        from num2words import num2words
    except ImportError:
        raise ImportError(
            "the numbers data sets need num2words: pip install num2words (or zennet[text])."
        ) from None
    return num2words


def draw_numbers(total, seed=0):
    """``total`` distinct numbers in [0, 1e6): a sixth of them (or all there are) of each
    length 1..6 digits, the rest from the longest; shuffled."""
    rng = np.random.default_rng(seed)
    ranges = [(0 if d == 1 else 10 ** (d - 1), 10**d) for d in range(1, 7)]
    chosen, left = [], total
    for k, (lo, hi) in enumerate(ranges):
        want = left if k == 5 else min(hi - lo, total // 6)
        if want > hi - lo:
            raise ValueError(f"number_pairs: cannot draw {total} distinct numbers below 1e6.")
        chosen.append(lo + rng.choice(hi - lo, want, replace=False))
        left -= want
    return rng.permutation(np.concatenate(chosen))


def number_pairs(target="fr", sizes=None, seed=0):
    """Pairs of (English words, ``target`` words) for disjoint sets of numbers: ``sizes``
    (train, validation, test) pairs, default ``SIZES``."""
    sizes = SIZES if sizes is None else sizes
    if target not in LANGUAGES:
        raise ValueError(f"number_pairs: target must be one of {list(LANGUAGES)}, got {target!r}.")
    num2words = num2words_module()
    numbers = draw_numbers(sum(sizes), seed)
    pairs = [(num2words(int(n), lang="en"), num2words(int(n), lang=target)) for n in numbers]
    cuts = np.cumsum(sizes)
    return Pairs(pairs[: cuts[0]], pairs[cuts[0] : cuts[1]], pairs[cuts[1] :])


def _register(code):
    def load(flat=True):
        return number_pairs(code)

    load.__doc__ = f"Numbers written out, English -> {LANGUAGES[code]} (num2words)"
    load.translation = True  # trained by zennet.jobs.translate
    load.default_model = "seq2seq-gru"
    DATASETS.register(f"numbers-{code}", load)


for _code in LANGUAGES:
    _register(_code)
