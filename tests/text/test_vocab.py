import numpy as np
import pytest

from zennet.text import (
    BPETokenizer,
    CharVocab,
    LanguageModelWindows,
    WordVocab,
    load_vocab,
    pad_batch,
    vocab_from_json,
)
from zennet.text.batch import batches_by_length


def test_char_vocab_round_trip_specials_and_unknown():
    vocab = CharVocab.build("hello world")
    assert vocab.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert vocab.itos[4] == "l"  # the most frequent character comes first
    ids = vocab.encode("hold", bos=True, eos=True)
    assert ids[0] == vocab.id_of("<bos>") and ids[-1] == vocab.id_of("<eos>")
    assert vocab.decode(ids) == "hold"
    assert vocab.decode(ids, skip_special_tokens=False) == "<bos>hold<eos>"
    assert vocab.encode("hz") == [vocab["h"], vocab.unk_id]


def test_word_vocab_min_freq_and_max_size():
    texts = ["the cat sat", "the dog sat", "the end."]
    vocab = WordVocab.build(texts, min_freq=2)
    assert vocab.itos[4:] == ["the", "sat"]
    assert vocab.encode("the cat sat")[1] == vocab.unk_id
    assert vocab.decode(vocab.encode("the cat sat")) == "the sat"  # <unk> is a special token
    assert len(WordVocab.build(texts, max_size=6)) == 6
    assert WordVocab.tokenize("end. Yes!") == ["end", ".", "Yes", "!"]


@pytest.mark.parametrize("make", [lambda: CharVocab.build("abcab"),
                                  lambda: WordVocab.build("a b c"),
                                  lambda: BPETokenizer.train("ab ab abc", 270)])  # fmt: skip
def test_save_load_round_trip(make, tmp_path):
    vocab = make()
    vocab.save(tmp_path / "vocab.json")
    again = load_vocab(tmp_path / "vocab.json")
    assert type(again) is type(vocab) and again.itos == vocab.itos
    assert again.encode("abc ab") == vocab.encode("abc ab")


def test_bad_vocabularies_are_refused():
    with pytest.raises(ValueError, match="unknown vocabulary type"):
        vocab_from_json({"type": "pickle"})
    with pytest.raises(ValueError, match="must be the special tokens"):
        CharVocab(["a", "<pad>"])
    with pytest.raises(ValueError, match="has no '<bos>' token"):
        CharVocab.build("ab", specials=("<pad>", "<unk>")).encode("a", bos=True)


def test_pad_batch_pads_and_masks():
    ids, lengths, mask = pad_batch([[5, 6, 7], [8], [9, 9]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [9, 9, 0]]
    assert lengths.tolist() == [3, 1, 2]
    assert mask.tolist() == [[1, 1, 1], [1, 0, 0], [1, 1, 0]]
    ids, lengths, _ = pad_batch([[1, 2, 3, 4]], max_len=2)
    assert ids.tolist() == [[1, 2]] and lengths.tolist() == [2]
    with pytest.raises(ValueError, match="no sequences"):
        pad_batch([])


def test_batches_by_length_cover_every_index_once(rng):
    lengths = rng.integers(1, 30, 101)
    batches = batches_by_length(lengths, 8, rng)
    assert sorted(np.concatenate(batches).tolist()) == list(range(101))
    spread = [np.ptp(lengths[b]) for b in batches_by_length(lengths, 8)]
    assert max(spread) <= 5  # sorted by length: neighbours in a batch are close


def test_language_model_windows_predict_the_next_token(rng):
    tokens = np.arange(20)
    data = LanguageModelWindows(tokens, block_size=4, stride=3)
    assert len(data) == 6  # starts 0, 3, ..., 15 (15 + 4 + 1 = 20)
    x, y = data[1]
    assert x.tolist() == [3, 4, 5, 6] and y.tolist() == [4, 5, 6, 7]
    xb, yb = data.batch([0, 5])
    assert xb.tolist() == [[0, 1, 2, 3], [15, 16, 17, 18]] and (yb == xb + 1).all()
    xr, yr = data.random_batch(10, rng)
    assert xr.shape == (10, 4) and (yr == xr + 1).all() and yr.max() <= 19
    with pytest.raises(ValueError, match="no window"):
        LanguageModelWindows(tokens[:4], block_size=4)
