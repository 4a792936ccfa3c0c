"""Vocabularies: the map between tokens (characters or words) and integer ids.

    vocab = CharVocab.build(train_text)              # every character of the text, by frequency
    ids = vocab.encode("hello")                      # [12, 5, 20, 20, 9]
    vocab.decode(ids)                                # "hello"
    words = WordVocab.build(sentences, min_freq=2)   # words seen at least twice; others -> <unk>

Special tokens come first (ids 0, 1, ...: ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>`` by
default), then the tokens from the most to the least frequent (ties in first-seen order).
A token the vocabulary has not seen becomes ``<unk>``. ``to_json`` / ``save`` keep a vocabulary
beside a model's weights (no pickle); ``zennet.text.load_vocab`` reads any kind back.
"""

import json
import re
from collections import Counter

from zennet.io import atomic_write

SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")
WORD = re.compile(r"\w+|[^\w\s]")  # words and single punctuation marks


class Vocab:
    """Tokens <-> ids. ``tokens`` lists every token in id order, the special ones first."""

    kind = "tokens"

    def __init__(self, tokens, specials=SPECIALS):
        self.specials = tuple(specials)
        self.itos = list(tokens)
        if self.itos[: len(self.specials)] != list(self.specials):
            raise ValueError(
                f"{type(self).__name__}: the first tokens must be the special tokens "
                f"{list(self.specials)}, got {self.itos[: len(self.specials)]}."
            )
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError(f"{type(self).__name__}: the tokens must be distinct.")

    @classmethod
    def build(cls, texts, min_freq=1, max_size=None, specials=SPECIALS):
        """The vocabulary of ``texts`` (a string or strings): tokens seen at least
        ``min_freq`` times, the ``max_size`` most frequent at most (specials included)."""
        texts = [texts] if isinstance(texts, str) else texts
        counts = Counter(t for text in texts for t in cls.tokenize(text))
        kept = [t for t, n in counts.most_common() if n >= min_freq and t not in specials]
        if max_size is not None:
            kept = kept[: max(0, max_size - len(specials))]
        return cls([*specials, *kept], specials)

    @staticmethod
    def tokenize(text):
        raise NotImplementedError

    def __len__(self):
        return len(self.itos)

    def __getitem__(self, token):
        return self.stoi.get(token, self.unk_id)

    def __contains__(self, token):
        return token in self.stoi

    def id_of(self, special):
        """The id of a special token such as ``"<pad>"`` (a ValueError if there is none)."""
        if special not in self.stoi:
            raise ValueError(f"{type(self).__name__} has no {special!r} token: {self.specials}.")
        return self.stoi[special]

    @property
    def pad_id(self):
        return self.id_of("<pad>")

    @property
    def unk_id(self):
        return self.id_of("<unk>")

    def encode(self, text, bos=False, eos=False):
        """The ids of ``text``'s tokens, with ``<bos>`` / ``<eos>`` around them if asked."""
        ids = [self[t] for t in self.tokenize(text)]
        return [self.id_of("<bos>")] * bos + ids + [self.id_of("<eos>")] * eos

    def decode(self, ids, skip_special_tokens=True):
        """The text of ``ids`` (special tokens left out unless ``skip_special_tokens=False``)."""
        tokens = [self.itos[int(i)] for i in ids]
        if skip_special_tokens:
            tokens = [t for t in tokens if t not in self.specials]
        return self.join(tokens)

    def join(self, tokens):
        raise NotImplementedError

    def to_json(self):
        return {"type": self.kind, "tokens": self.itos, "specials": list(self.specials)}

    def save(self, path):
        """Write the vocabulary to ``path`` as JSON (atomically)."""
        text = json.dumps(self.to_json(), ensure_ascii=False)
        atomic_write(path, lambda f: f.write(text.encode()), type(self).__name__ + ".save")


class CharVocab(Vocab):
    """One token per character: ``decode(encode(s)) == s`` for characters it has seen."""

    kind = "chars"

    @staticmethod
    def tokenize(text):
        return list(text)

    def join(self, tokens):
        return "".join(tokens)


class WordVocab(Vocab):
    """One token per word or punctuation mark (``\\w+|[^\\w\\s]``); decode joins them with
    spaces, so the round trip gives back the words, not the exact spacing."""

    kind = "words"

    @staticmethod
    def tokenize(text):
        return WORD.findall(text)

    def join(self, tokens):
        return " ".join(tokens)
