from pathlib import Path

import pytest

from zennet.text import BPETokenizer
from zennet.text.bpe import BYTE_CHARS, pre_tokenize

DOCS = Path(__file__).resolve().parents[2] / "docs"
MIXED = "Hello, wörld!  It's 42 o'clock:\n\n\ttabs_and 日本語 <eos> done<pad>"


def corpus():
    """Real English text that every checkout has: the project's own documentation."""
    return [p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))]


def test_byte_characters_are_printable_and_distinct():
    assert len(set(BYTE_CHARS.values())) == 256
    assert all(c.isprintable() and not c.isspace() for c in BYTE_CHARS.values())
    assert pre_tokenize("Hi you, 42!") == ["Hi", "Ġyou", ",", "Ġ42", "!"]


@pytest.mark.parametrize("backend", ["python", "tokenizers"])
def test_round_trip_and_special_tokens(backend):
    if backend == "tokenizers":
        pytest.importorskip("tokenizers")
    tok = BPETokenizer.train(corpus()[:2], 400, backend=backend)
    ids = tok.encode(MIXED)
    assert tok.decode(ids, skip_special_tokens=False) == MIXED
    assert tok.decode(ids) == MIXED.replace("<eos>", "").replace("<pad>", "")
    assert tok.id_of("<eos>") in ids and tok.id_of("<pad>") in ids  # kept whole, one id each
    assert tok.encode("a", bos=True, eos=True)[::2] == [tok.id_of("<bos>"), tok.id_of("<eos>")]
    assert len(tok.encode("the documentation")) < len("the documentation")  # merges learned


def test_python_bpe_learns_the_merges_of_tokenizers():
    pytest.importorskip("tokenizers")
    texts = corpus()
    fast = BPETokenizer.train(texts, 900, backend="tokenizers")
    slow = BPETokenizer.train(texts, 900, backend="python")
    assert len(fast.merges) == 900 - 4 - 256
    assert slow.merges == fast.merges
    assert slow.itos == fast.itos
    slow.fast = None  # encode with the pure-Python merges
    sample = texts[0][:3000] + MIXED
    assert slow.encode(sample) == fast.encode(sample)


def test_min_frequency_stops_training():
    # pairs: (a, b) 3 times, (Ġ, a) twice, then (Ġ, ab) twice, (Ġ, c) and (c, d) once
    for backend in ("python", "tokenizers"):
        if backend == "tokenizers":
            pytest.importorskip("tokenizers")
        two = BPETokenizer.train(["ab ab ab cd"], 1000, min_frequency=2, backend=backend)
        assert two.merges == [("a", "b"), ("Ġ", "ab")]
        three = BPETokenizer.train(["ab ab ab cd"], 1000, min_frequency=3, backend=backend)
        assert three.merges == [("a", "b")]


def test_bad_arguments():
    with pytest.raises(ValueError, match="below the 4 special tokens"):
        BPETokenizer.train("abc", 100)
    with pytest.raises(ValueError, match="backend must be"):
        BPETokenizer.train("abc", 300, backend="rust")
    with pytest.raises(ValueError, match="damaged"):
        BPETokenizer.from_json({"type": "byte-level-bpe"})
