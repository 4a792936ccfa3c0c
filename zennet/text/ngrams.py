"""fastText's input units: each word, its word n-grams and its character n-grams, as ids
of one embedding table (Joulin et al. 2016, "Bag of Tricks"; Bojanowski et al. 2016).

    units = NgramUnits(vocab, buckets=2**18, word_ngrams=2, chars=(3, 5))
    ids, owners, words = units.encode("Python bindings for GTK")
    # ids: the 4 words' vocabulary ids, then for each word its character n-grams
    # ("<py", "pyt", ..., "on>") and the word pairs ending there ("python bindings"), hashed
    # into len(vocab) + [0, buckets); owners[i]: the word positions unit i is made of

A unit that is not a word of the vocabulary has no row of its own: FNV-1a (32 bits, on the
UTF-8 bytes; the same in every process, unlike Python's salted ``hash``) picks one of
``buckets`` shared rows, so n-grams never seen in training, and the character n-grams of
unseen words, still land on trained rows. A word's character n-grams are those of
``<word>`` of lengths ``chars[0]``..``chars[1]`` (``chars=None``: none).
"""

from functools import lru_cache

import numpy as np

from zennet.text.vocab import WORD

FNV_OFFSET, FNV_PRIME = 2166136261, 16777619


@lru_cache(maxsize=2**20)  # the same n-grams recur in text after text
def fnv1a(text):
    """The 32-bit FNV-1a hash of ``text``'s UTF-8 bytes: h ← (h xor byte)·16777619 mod 2³²."""
    h = FNV_OFFSET
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return h


def char_ngrams(word, min_n, max_n):
    """The character n-grams of ``<word>``, min_n <= n <= max_n, shortest first:
    char_ngrams("go", 2, 3) -> ["<g", "go", "o>", "<go", "go>"]."""
    marked = f"<{word}>"
    return [marked[i : i + n] for n in range(min_n, max_n + 1) for i in range(len(marked) - n + 1)]


class WordUnits:
    """Text -> the vocabulary ids of its words, each word one unit (``text-bag``'s input)."""

    def __init__(self, vocab):
        self.vocab = vocab

    def words(self, text, max_words=None):
        """The lower-cased words of ``text``, at most ``max_words``; an empty text is one
        ``<unk>`` (a classifier needs a unit to average)."""
        return WORD.findall(text.lower())[:max_words] or [self.vocab.itos[self.vocab.unk_id]]

    def encode(self, text, max_words=None):
        """(ids, owners, tokens): the words' ids, owners[i] = (i,), the vocabulary's tokens
        (``<unk>`` for a word it has not seen)."""
        ids = [self.vocab[w] for w in self.words(text, max_words)]
        return ids, [(t,) for t in range(len(ids))], [self.vocab.itos[i] for i in ids]


class NgramUnits(WordUnits):
    """Text -> unit ids: vocabulary ids of the words, then hashed n-grams at
    ``len(vocab) + fnv1a(ngram) % buckets``; ``word_ngrams`` is the longest word n-gram
    (1: words only). Unit strings never collide across kinds: word n-grams hold spaces,
    character n-grams none."""

    def __init__(self, vocab, buckets=2**18, word_ngrams=2, chars=(3, 5)):
        if buckets < 1 or word_ngrams < 1 or (chars is not None and not 1 <= chars[0] <= chars[1]):
            raise ValueError(
                f"NgramUnits: need buckets >= 1, word_ngrams >= 1 and chars (min, max) with "
                f"1 <= min <= max, or None; got {buckets}, {word_ngrams}, {chars}."
            )
        super().__init__(vocab)
        self.buckets, self.word_ngrams, self.chars = buckets, word_ngrams, chars

    def bucket(self, ngram):
        return len(self.vocab) + fnv1a(ngram) % self.buckets

    def encode(self, text, max_words=None):
        """(ids, owners, words): unit ids, for each unit the tuple of word positions it is
        made of, and the words themselves (an unseen word still has its n-grams)."""
        words = self.words(text, max_words)
        ids, owners = [self.vocab[w] for w in words], [(t,) for t in range(len(words))]
        for t, word in enumerate(words):
            grams = char_ngrams(word, *self.chars) if self.chars else []
            ids += [self.bucket(g) for g in grams]
            owners += [(t,)] * len(grams)
            for n in range(2, min(self.word_ngrams, t + 1) + 1):  # the n-grams ending at t
                ids.append(self.bucket(" ".join(words[t - n + 1 : t + 1])))
                owners.append(tuple(range(t - n + 1, t + 1)))
        return ids, owners, words


def word_attributions(unit_attributions, owners, num_words):
    """Each word's share of the units' attributions: a unit's attribution split equally
    among the words it is made of (a word pair gives half to each), so the words' sum is
    the units' sum."""
    shares = np.zeros(num_words)
    for a, words in zip(unit_attributions, owners):
        shares[list(words)] += a / len(words)
    return shares
