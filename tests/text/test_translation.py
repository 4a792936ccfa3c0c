import numpy as np
import pytest

from zennet.cli import main
from zennet.data.datasets import numbers
from zennet.jobs.translate import KEYS, translate_job
from zennet.text import pad_batch
from zennet.text.decode import beam_search, greedy_batch, greedy_search, translate_ids
from zennet.text.seq2seq import Seq2SeqGRU
from zennet.text.translation import encode_pairs, tokenizers_for, train_translator

EOS, A, B, BOS = 0, 1, 2, 3
# p(next | prefix) of a hand-made model: greedy takes A (0.5), after which the best it can do
# is 0.5 · 0.35 = 0.175; B (0.4) then <eos> (0.9) is 0.36, which a beam of 2 finds.
TABLE = {
    (): [0.1, 0.5, 0.4, 0.0],
    (A,): [0.35, 0.33, 0.32, 0.0],
    (B,): [0.9, 0.05, 0.05, 0.0],
    (A, A): [1.0, 0.0, 0.0, 0.0],
    (A, B): [1.0, 0.0, 0.0, 0.0],
    (B, A): [1.0, 0.0, 0.0, 0.0],
    (B, B): [1.0, 0.0, 0.0, 0.0],
}


def table_model():
    """A step function over TABLE that tracks each beam's prefix by its parents."""
    prefixes = [()]

    def step(tokens, parents):
        nonlocal prefixes
        prefixes = [prefixes[p] + ((int(t),) if t != BOS else ()) for t, p in zip(tokens, parents)]
        with np.errstate(divide="ignore"):
            return np.log([TABLE[p] for p in prefixes])

    return step


def test_beam_search_finds_what_greedy_misses():
    tokens, score = greedy_search(table_model(), BOS, EOS)
    assert tokens == [A] and score == pytest.approx(np.log(0.5 * 0.35))
    tokens, score = beam_search(table_model(), BOS, EOS, beam_width=2)
    assert tokens == [B] and score == pytest.approx(np.log(0.4 * 0.9))
    tokens, _ = beam_search(table_model(), BOS, EOS, beam_width=1)
    assert tokens == [A]  # width 1 is greedy


def test_beam_search_stops_at_max_len():
    def always_a(tokens, parents):
        return np.log(np.tile([0.1, 0.9, 1e-9, 1e-9], (len(tokens), 1)))

    tokens, score = beam_search(always_a, BOS, EOS, beam_width=3, max_len=4)
    assert tokens == [A] * 4 and score == pytest.approx(4 * np.log(0.9))
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(always_a, BOS, EOS, beam_width=0)


def test_decoders_agree_with_the_model(rng):
    model = Seq2SeqGRU(20, 15, dim=8, hidden=16, dropout=0.0).eval()
    src = [[4, 5, 6, 7], [8, 9, 0, 0]]
    batch = greedy_batch(model, np.array(src), np.array([4, 2]), bos=2, eos=3, max_len=6)
    for row, ids in zip(src, batch):
        tokens, weights = translate_ids(model, [t for t in row if t], 2, 3, 1, 6, True)
        assert tokens == ids
        assert weights.shape == (len(tokens) + 1, len([t for t in row if t]))
        np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-5)
    # padding never takes attention: the second source's pad positions get weight 0
    memory, h = model.encode(np.array(src), np.array([4, 2]))
    assert np.all(model.decode(np.array([[2], [2]]), memory, h)[2].numpy()[1, :, 2:] == 0)


def test_number_splits_are_disjoint():
    pytest.importorskip("num2words")
    train, val, test = numbers.number_pairs("fr", sizes=(300, 30, 30))
    assert len(train) == 300 and len(test) == 30
    assert not {s for s, _ in train} & {s for s, _ in test}
    assert all(isinstance(t, str) and t for _, t in train)
    with pytest.raises(ValueError, match="target must be one of"):
        numbers.number_pairs("xx")


def test_a_short_training_run_beats_chance():
    pytest.importorskip("num2words")
    train, val, _ = numbers.number_pairs("fr", sizes=(400, 40, 1))
    src_tok, tgt_tok = tokenizers_for(train, 450)  # whole number words: short sequences
    model = Seq2SeqGRU(len(src_tok), len(tgt_tok), dim=32, hidden=64, dropout=0.0)
    history = train_translator(model, *encode_pairs(train, src_tok, tgt_tok), steps=150,
                               batch_size=32, lr=1e-2, eval_every=50, warmup=5,
                               log=lambda line: None)  # fmt: skip
    assert history[-1]["loss"] < 0.4 * np.log(len(tgt_tok))  # chance: log(vocabulary)
    src, tgt = encode_pairs(val, src_tok, tgt_tok)
    x, lengths, _ = pad_batch(src)
    y, _, mask = pad_batch(tgt)
    predicted = model.eval()(x, lengths, y[:, :-1]).numpy().argmax(-1)  # teacher-forced
    truth = y[:, 1:][mask[:, 1:]]
    accuracy = (predicted[mask[:, 1:]] == truth).mean()  # next tokens of unseen numbers
    assert accuracy > 2 * np.bincount(truth).max() / truth.size  # the commonest token's share


@pytest.mark.parametrize("model", ["seq2seq-gru", "seq2seq-transformer"])
def test_train_and_translate_commands(model, monkeypatch, tmp_path, capsys):
    pytest.importorskip("num2words")
    monkeypatch.setattr(numbers, "SIZES", (200, 10, 10))
    out = tmp_path / "run"
    args = ["train", "--data", "numbers-es", "--model", model, "--steps", "3", "--out", str(out)]
    args.append("--quiet")
    assert main(args) == 0
    assert "test_exact_match=" in capsys.readouterr().out
    path = str(out / "model.safetensors")
    png = tmp_path / "attention.png"
    assert main(["translate", path, "four hundred and twelve", "--attention", str(png)]) == 0
    assert capsys.readouterr().out.strip()  # some Spanish, after 3 steps
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["translate", path, "twelve", "--beam", "1"]) == 0
    result = translate_job(path, "twelve", beam_width=1)
    assert capsys.readouterr().out == result["translation"] + "\n"
    assert result["attention"].shape == tuple(len(result[k]) for k in KEYS[::-1])
    assert main(["translate", path, "twelve", "--beam", "0"]) == 2
    assert "--beam must be >= 1" in capsys.readouterr().err
    assert main(["generate", path]) == 2
    assert "not a language model" in capsys.readouterr().err
