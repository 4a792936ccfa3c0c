"""Byte-level BPE (byte-pair encoding), as GPT-2 and Hugging Face ``tokenizers`` do it.

Training starts from the 256 bytes and repeats one step until the vocabulary is full:

    count every pair of adjacent tokens in the words of the corpus (each word weighted by
    how often it occurs), and merge the most frequent pair into a new token.

Text is first cut into words by GPT-2's pattern (a word keeps the space before it), and
each word's UTF-8 bytes are written as printable characters (byte 32, the space, is
``Ġ``), so every token is a string and any text, in any script, can be encoded: there is
no unknown token. Encoding a word applies the merges in the order they were learned.

    tok = BPETokenizer.train(texts, vocab_size=500)   # tokenizers' trainer when installed
    ids = tok.encode("Hello world")                    # [..]; tok.decode(ids) == "Hello world"
    tok.save("bpe.json"); BPETokenizer.load("bpe.json")

With the optional ``tokenizers`` package (``pip install zennet[text]``) training and
encoding run in its Rust code; without it, in the short pure-Python trainer below, which
learns the same merges (``tests/text/test_bpe.py`` checks it on real text). Ties between
equally frequent pairs go to the pair whose tokens have the smaller ids, as in
``tokenizers``; ids are the special tokens, then the 256 byte characters in code-point
order, then the merges. The pure-Python word pattern equals GPT-2's for ASCII and Latin
text (it uses ``re``'s ``\\w`` for ``\\p{L}`` and ``\\p{N}``).
"""

import re
from collections import Counter, defaultdict

from zennet.text.vocab import SPECIALS, Vocab

# GPT-2's pre-tokenizer: contractions, letters, digits, other symbols, each with the space
# before it; runs of spaces. ([^\W\d_] is a letter, \d a digit, [^\s\w]|_ anything else.)
WORDS = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+")


def bytes_to_unicode():
    """GPT-2's map byte -> printable character: printable bytes stand for themselves, the
    others (controls, space, ...) take the characters from U+0100 on."""
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_CHARS = bytes_to_unicode()
CHAR_BYTES = {c: b for b, c in BYTE_CHARS.items()}


def pre_tokenize(text):
    """The words of ``text`` as byte characters: "Hi you" -> ["Hi", "Ġyou"]."""
    return ["".join(BYTE_CHARS[b] for b in w.encode("utf-8")) for w in WORDS.findall(text)]


def train_merges(word_counts, vocab_size, specials=SPECIALS, min_frequency=0):
    """(tokens, merges) learned from ``{word: count}`` (words as byte characters).

    tokens: the specials, the 256 byte characters, then one token per merge, in id order;
    merges: the pairs merged, in the order learned. Stops when there are ``vocab_size``
    tokens or no pair occurs ``min_frequency`` times (and at least once).
    """
    tokens = [*specials, *sorted(BYTE_CHARS.values())]
    ids = {t: i for i, t in enumerate(tokens)}
    words = [[ids[c] for c in w] for w in word_counts]
    counts = list(word_counts.values())
    pair_counts, where = Counter(), defaultdict(set)  # pair -> count, pair -> word indices
    for k, word in enumerate(words):
        for pair in zip(word, word[1:]):
            pair_counts[pair] += counts[k]
            where[pair].add(k)
    merges = []
    while len(tokens) < vocab_size and pair_counts:
        # the most frequent pair; of equals, the one with the smaller ids
        pair, n = max(pair_counts.items(), key=lambda item: (item[1], -item[0][0], -item[0][1]))
        if n < max(1, min_frequency):
            break
        new = tokens[pair[0]] + tokens[pair[1]]
        if new not in ids:
            ids[new] = len(tokens)
            tokens.append(new)
        merges.append((tokens[pair[0]], tokens[pair[1]]))
        for k in where.pop(pair):
            old, words[k] = words[k], merge_pair(words[k], pair, ids[new])
            for p in zip(old, old[1:]):
                pair_counts[p] -= counts[k]
            for p in zip(words[k], words[k][1:]):
                pair_counts[p] += counts[k]
                where[p].add(k)
        pair_counts = +pair_counts  # drop the pairs that are gone
    return tokens, merges


def merge_pair(word, pair, new):
    """``word`` with each occurrence of ``pair`` (left to right, not overlapping) -> ``new``."""
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(new)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return out


class BPETokenizer(Vocab):
    """A byte-level BPE vocabulary: ``tokens`` (specials first) and the ``merges`` that made
    them. Any text encodes (there is no unknown token) and decodes back exactly."""

    kind = "byte-level-bpe"

    def __init__(self, tokens, merges, specials=SPECIALS):
        super().__init__(tokens, specials)
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.special_pattern = (
            re.compile(
                "(" + "|".join(re.escape(s) for s in sorted(specials, key=len, reverse=True)) + ")"
            )
            if specials
            else None
        )
        self.cache = {}
        self.fast = _fast_tokenizer(self)

    @classmethod
    def train(cls, texts, vocab_size, specials=SPECIALS, min_frequency=0, backend="auto"):
        """Learn ``vocab_size - len(specials) - 256`` merges (at most) from ``texts``.

        ``backend``: "tokenizers" (Hugging Face's, ``pip install tokenizers``), "python"
        (the trainer above) or "auto" (the first if installed).
        """
        texts = [texts] if isinstance(texts, str) else list(texts)
        if vocab_size < len(specials) + 256:
            raise ValueError(
                f"BPETokenizer.train: vocab_size={vocab_size} is below the "
                f"{len(specials)} special tokens + 256 bytes it always holds."
            )
        if backend not in ("auto", "tokenizers", "python"):
            raise ValueError(
                f"BPETokenizer.train: backend must be 'auto', 'tokenizers' or "
                f"'python', got {backend!r}."
            )
        if backend != "python" and (backend == "tokenizers" or _tokenizers() is not None):
            tokens, merges = _train_with_tokenizers(texts, vocab_size, specials, min_frequency)
        else:
            words = Counter(w for text in texts for w in pre_tokenize(text))
            tokens, merges = train_merges(words, vocab_size, specials, min_frequency)
        return cls(tokens, merges, specials)

    def tokenize(self, text):
        """The token strings of ``text`` (special tokens in it are kept whole)."""
        pieces = self.special_pattern.split(text) if self.special_pattern else [text]
        out = []
        for piece in pieces:
            if piece in self.specials:
                out.append(piece)
            else:
                out += [t for w in pre_tokenize(piece) for t in self._word(w)]
        return out

    def _word(self, word):
        """A word's tokens: apply the learned merges, earliest first."""
        if word not in self.cache:
            parts = list(word)
            while len(parts) > 1:
                pairs = [(self.ranks.get(p, len(self.ranks)), p) for p in zip(parts, parts[1:])]
                rank, pair = min(pairs)
                if rank == len(self.ranks):
                    break
                parts = merge_pair(parts, pair, pair[0] + pair[1])
            self.cache[word] = parts
        return self.cache[word]

    def encode(self, text, bos=False, eos=False):
        if self.fast is not None:
            ids = self.fast.encode(text).ids
        else:
            ids = [self.stoi[t] for t in self.tokenize(text)]
        return [self.id_of("<bos>")] * bos + ids + [self.id_of("<eos>")] * eos

    def join(self, tokens):
        pieces, raw = [], bytearray()
        for t in tokens:
            if t in self.specials:
                pieces.append(raw.decode("utf-8", errors="replace") + t)
                raw = bytearray()
            else:
                raw += bytes(CHAR_BYTES[c] for c in t)
        return "".join(pieces) + raw.decode("utf-8", errors="replace")

    def to_json(self):
        return {**super().to_json(), "merges": [list(m) for m in self.merges]}

    @classmethod
    def from_json(cls, value):
        try:
            return cls(value["tokens"], value["merges"], value["specials"])
        except (KeyError, TypeError) as err:
            raise ValueError(f"BPETokenizer.from_json: a damaged tokenizer ({err!r}).") from err


def _tokenizers():
    try:
        import tokenizers
    except ImportError:
        return None
    return tokenizers


def _hf_pipeline(model, specials):
    """A ``tokenizers.Tokenizer`` with GPT-2's byte-level pre-tokenizer and decoder."""
    tk = _tokenizers()
    tokenizer = tk.Tokenizer(model)
    tokenizer.pre_tokenizer = tk.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = tk.decoders.ByteLevel()
    tokenizer.add_special_tokens(list(specials))
    return tokenizer


def _train_with_tokenizers(texts, vocab_size, specials, min_frequency):
    import json

    tk = _tokenizers()
    if tk is None:
        raise ImportError(
            "BPETokenizer.train(backend='tokenizers') needs Hugging Face's "
            "tokenizers: pip install tokenizers (or zennet[text])."
        )
    tokenizer = _hf_pipeline(tk.models.BPE(), ())
    trainer = tk.trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(specials),
        initial_alphabet=tk.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    model = json.loads(tokenizer.to_str())["model"]
    vocab = model["vocab"]
    tokens = sorted(vocab, key=vocab.get)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return tokens, merges


def _fast_tokenizer(bpe):
    """The same tokenizer in ``tokenizers`` for fast encoding, or None without it."""
    tk = _tokenizers()
    if tk is None:
        return None
    model = tk.models.BPE(vocab=dict(bpe.stoi), merges=list(bpe.merges))
    return _hf_pipeline(model, bpe.specials)
