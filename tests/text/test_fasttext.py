import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import zennet as zn
from zennet.io import load_checkpoint, save_checkpoint
from zennet.models import build_model, load_model
from zennet.random import get_rng, manual_seed
from zennet.text import WordVocab
from zennet.text.attribution import token_attributions
from zennet.text.classify import accuracy_and_macro_f1, encode_texts, predict, train_classifier
from zennet.text.ngrams import NgramUnits, WordUnits, char_ngrams, fnv1a, word_attributions

ROOT = str(Path(zn.__file__).resolve().parents[1])  # this checkout, for a fresh process
VOCAB = WordVocab.build(["python bindings for the library", "python module"])


def test_fnv1a_matches_the_published_test_vectors():
    assert fnv1a("") == 0x811C9DC5
    assert fnv1a("a") == 0xE40C292C
    assert fnv1a("foobar") == 0xBF9CF968


def test_char_ngrams_of_the_marked_word():
    assert char_ngrams("go", 2, 3) == ["<g", "go", "o>", "<go", "go>"]
    assert char_ngrams("python", 3, 3) == ["<py", "pyt", "yth", "tho", "hon", "on>"]
    assert char_ngrams("a", 4, 5) == []  # "<a>" is shorter than 4


def test_units_of_a_text_hand_made():
    units = NgramUnits(VOCAB, buckets=1000, word_ngrams=3, chars=(3, 4))
    ids, owners, words = units.encode("Python zzz bindings!")
    assert words == ["python", "zzz", "bindings", "!"]
    expected = ["<py", "pyt", "yth", "tho", "hon", "on>", "<pyt", "pyth", "ytho", "thon", "hon>"]
    expected += ["<zz", "zzz", "zz>", "<zzz", "zzz>", "python zzz"]
    expected += ["<bi", "bin", "ind", "ndi", "din", "ing", "ngs", "gs>"]
    expected += ["<bin", "bind", "indi", "ndin", "ding", "ings", "ngs>"]
    expected += ["zzz bindings", "python zzz bindings", "<!>", "bindings !", "zzz bindings !"]
    word_ids = [VOCAB["python"], VOCAB.unk_id, VOCAB["bindings"], VOCAB.unk_id]
    assert ids == word_ids + [len(VOCAB) + fnv1a(g) % 1000 for g in expected]
    assert owners[:4] == [(0,), (1,), (2,), (3,)]
    assert owners[4 + 11 + 5] == (0, 1)  # "python zzz"
    assert owners[-3:] == [(3,), (2, 3), (1, 2, 3)]
    assert all(len(VOCAB) <= i < len(VOCAB) + 1000 for i in ids[4:])


def test_units_settings_words_only_and_errors():
    assert NgramUnits(VOCAB, 50, 1, None).encode("python module") == WordUnits(VOCAB).encode(
        "python module"
    )
    assert WordUnits(VOCAB).encode("")[0] == [VOCAB.unk_id]  # a classifier needs a unit
    assert NgramUnits(VOCAB, 50, 2, None).encode("a b c", max_words=2)[2] == ["a", "b"]
    with pytest.raises(ValueError, match="chars"):
        NgramUnits(VOCAB, 50, 2, (4, 3))


def test_unseen_word_shares_units_with_a_seen_one():
    units = NgramUnits(VOCAB, buckets=2**18, word_ngrams=1, chars=(3, 5))
    seen, unseen = units.encode("python")[0], units.encode("pythonic")[0]
    assert unseen[0] == VOCAB.unk_id
    assert len(set(seen[1:]) & set(unseen[1:])) >= 9  # "<py", "pyt", ..., "ython"


def test_ids_are_the_same_in_another_process():
    code = (
        "from zennet.text import WordVocab; from zennet.text.ngrams import NgramUnits;"
        "v = WordVocab.build(['python bindings for the library', 'python module']);"
        "print(NgramUnits(v, 4096, 3, (2, 5)).encode('GNU network bindings for Python')[0])"
    )
    ours = NgramUnits(VOCAB, 4096, 3, (2, 5)).encode("GNU network bindings for Python")[0]
    for seed in ("1", "2"):  # Python's str hash differs under each seed; the ids must not
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": ROOT}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == str(ours)


def test_word_attributions_split_word_pairs():
    shares = word_attributions([1.0, 2.0, 4.0, -3.0], [(0,), (1,), (0, 1), (0, 1, 2)], 3)
    np.testing.assert_allclose(shares, [1 + 2 - 1, 2 + 2 - 1, -1])
    assert shares.sum() == pytest.approx(4.0)


def test_fasttext_forward_and_backward_match_torch(rng):
    manual_seed(0)
    model = build_model("text-fasttext", (8,), 3, vocab_size=10, dim=4, dropout=0.0, buckets=20)
    model.train()
    assert model.embedding.weight.shape == (30, 4)
    ids = np.array([[3, 12, 25, 7, 0], [29, 1, 0, 0, 0]])  # 0 is padding
    weight = model.embedding.weight.numpy().copy()
    logits = model(ids)
    seed = rng.standard_normal(logits.shape).astype(np.float32)
    logits.backward(zn.tensor(seed))
    table = torch.tensor(weight, requires_grad=True)
    head = torch.nn.Linear(4, 3)
    head.load_state_dict({k: torch.tensor(v) for k, v in model.head.state_dict().items()})
    bag = torch.nn.functional.embedding_bag(
        torch.tensor(ids), table, mode="mean", padding_idx=0
    )  # (N, 4): the mean over the real units
    expected = head(bag)
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(logits.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    grad = model.embedding.weight.grad.numpy()
    np.testing.assert_allclose(grad, table.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert not grad[[2, 4, 5, 6, 8, 9, 10, 11, 13]].any()  # rows not looked up
    np.testing.assert_allclose(
        model.head.weight.grad.numpy(), head.weight.grad.numpy(), rtol=1e-5, atol=1e-6
    )


def test_training_steps_move_only_the_rows_looked_up():
    manual_seed(0)
    model = build_model("text-fasttext", (8,), 2, vocab_size=10, dim=4, buckets=20)
    before = model.embedding.weight.numpy().copy()
    train_classifier(model, [[3, 12], [25]], [0, 1], 2, batch_size=2, log=lambda *a: None)
    changed = np.flatnonzero((model.embedding.weight.numpy() != before).any(axis=1))
    assert changed.tolist() == [3, 12, 25]


def _stems_corpus(suffixes, seed):
    """Texts of 3 words, each a class stem + a suffix: the classes' words differ in every
    split, only their stems (character n-grams) carry over."""
    stems = ["pyth", "perl", "netw", "gola"]
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, 400)
    texts = [
        " ".join(stems[y] + rng.choice(suffixes) + " filler" for _ in range(3)) for y in labels
    ]
    return texts, labels


def test_character_ngrams_learn_words_never_seen():
    train, test = _stems_corpus(["on", "ish", "er"], 0), _stems_corpus(["ic", "ing", "ed"], 1)
    vocab = WordVocab.build(train[0])
    scores = {}
    for name, options in (("text-bag", {}), ("text-fasttext", dict(buckets=4096, chars=(3, 4)))):
        manual_seed(0)
        model = build_model(name, (8,), 4, vocab_size=len(vocab), **options)
        units = model.units(vocab)
        ids = [encode_texts(units, texts, 8) for texts in (train[0], test[0])]
        train_classifier(model, ids[0], train[1], 150, 32, lr=0.02, log=lambda *a: None)
        scores[name] = accuracy_and_macro_f1(predict(model, ids[1]), test[1], 4)["accuracy"]
    assert scores["text-fasttext"] > 0.9  # chance is about 0.25
    assert scores["text-bag"] < 0.5  # every test word is <unk> to it


def test_saved_model_restores_the_ngram_settings(tmp_path):
    manual_seed(0)
    options = dict(dim=8, buckets=512, word_ngrams=3, chars=(2, 4))
    model = build_model("text-fasttext", (64,), 3, vocab_size=len(VOCAB), **options)
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model.state_dict(), extra={"recipe": model.recipe})
    loaded, _ = load_model(path)
    assert loaded.ngrams == dict(buckets=512, word_ngrams=3, chars=(2, 4))
    text = "python bindings for gtk"
    ids = loaded.units(VOCAB).encode(text)[0]
    assert ids == model.units(VOCAB).encode(text)[0]
    np.testing.assert_array_equal(loaded([ids]).numpy(), model.eval()([ids]).numpy())
    assert "pickle" not in str(load_checkpoint(path)["extra"])
    with pytest.raises(ValueError, match="vocabulary of 10 words"):
        loaded.units(WordVocab.build(["a b c"]))


def test_attributions_of_words_are_complete(rng):
    manual_seed(0)
    model = build_model("text-fasttext", (64,), 3, vocab_size=len(VOCAB), buckets=256).eval()
    model.head.weight.data[:] = rng.normal(size=model.head.weight.shape)  # it starts at zero
    ids, owners, words = model.units(VOCAB).encode("python bindings for gtk")
    units, _, score, base = token_attributions(model, ids, steps=100)
    shares = word_attributions(units, owners, len(words))
    assert shares.shape == (4,)
    assert abs(score - base) > 1e-3  # a real difference to explain
    assert shares.sum() == pytest.approx(score - base, abs=2e-3 * max(1, abs(score)))


def test_unit_dropout_leaves_units_out_in_training_only(rng):
    manual_seed(0)
    options = dict(dim=4, dropout=0.0, buckets=20)
    model = build_model("text-fasttext", (8,), 3, vocab_size=10, unit_dropout=0.5, **options)
    plain = build_model("text-fasttext", (8,), 3, vocab_size=10, **options)
    model.head.weight.data[:] = rng.normal(size=(3, 4))
    plain.load_state_dict(model.state_dict())
    ids = np.array([[3, 12, 25, 7, 15, 16, 17, 18]])
    np.testing.assert_array_equal(model.eval()(ids).numpy(), plain.eval()(ids).numpy())
    model.train()
    table, head = model.embedding.weight.numpy(), model.head.weight.numpy()
    kept_counts = set()
    for seed in range(10):
        manual_seed(seed)
        kept = get_rng().random(ids.shape)[0] >= 0.5  # the draw the model makes
        manual_seed(seed)
        expected = table[ids[0][kept]].mean(axis=0) @ head.T if kept.any() else np.zeros(3)
        np.testing.assert_allclose(model(ids).numpy()[0], expected, rtol=1e-5, atol=1e-6)
        kept_counts.add(int(kept.sum()))
    assert len(kept_counts) > 2  # different subsets, not all or nothing
