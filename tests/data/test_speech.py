"""The espeak-ng speech data sets: split by voice variant, cached, and a clear error when
espeak-ng is missing. Tiny subsets (3-6 variants, one to three accents) keep them quick.

End to end, in seconds: a SpeechCNN trained briefly on the digits of a few voices, tested on
a voice it never heard (better than chance, nothing more); the CRNN's CTC loss falling on
digit strings."""

import shutil

import numpy as np
import pytest

import zennet as zn
import zennet.functional as F
from zennet.audio.features import features
from zennet.audio.models import CRNN, SpeechCNN
from zennet.data.datasets import speech

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt-get install espeak-ng)"
)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ZENNET_DATA", str(tmp_path))
    return tmp_path


def variants_of(split):
    return {voice.split("+")[1] for voice in split.voices}


def test_missing_espeak_names_the_install_command(monkeypatch, data_dir):
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="apt-get install espeak-ng"):
        speech.spoken_digits(variants=3)


def test_split_variants_is_a_disjoint_cover():
    names = [f"v{i}" for i in range(20)]
    parts = speech.split_variants(names)
    assert [len(parts[s]) for s in speech.SPLITS] == [14, 3, 3]
    assert sorted(sum(parts.values(), [])) == sorted(names)
    assert speech.split_variants(names) == parts  # the same every time
    with pytest.raises(ValueError, match="at least 3"):
        speech.split_variants(names[:2])


@needs_espeak
def test_spoken_digits_split_by_voice_and_cached(data_dir):
    train, val, test = speech.spoken_digits(variants=4, accents=("en-us", "en-gb"))
    assert (len(train.audio), len(val.audio), len(test.audio)) == (40, 20, 20)
    seen = [variants_of(s) for s in (train, val, test)]
    assert all(seen) and not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2])
    assert sorted(train.labels.tolist()) == sorted(list(range(10)) * 4)
    assert train.sample_rate == 16000 and train.audio[0].dtype == np.float32
    card = speech.describe((train, val, test)).splitlines()
    assert card[0].startswith("train: 40 utterances, 4 voices (2 variants), 0.0")
    assert all(0.15 < len(a) / 16000 < 1.5 for a in train.audio)
    files = sorted(data_dir.rglob("*.wav"))
    assert len(files) == 80 and len(list(data_dir.rglob("index.tsv"))) == 1
    before = files[0].stat().st_mtime_ns
    again = speech.spoken_digits(variants=4, accents=("en-us", "en-gb"))[0]  # read, not redone
    assert files[0].stat().st_mtime_ns == before
    np.testing.assert_array_equal(again.audio[5], train.audio[5])


@needs_espeak
def test_spoken_digit_strings_and_languages(data_dir):
    train, val, test = speech.spoken_digit_strings(variants=3, accents=("en-us",), per_voice=2)
    assert all(3 <= len(label) <= 7 for label in train.labels + val.labels + test.labels)
    assert all(label.dtype == np.int64 and label.max() <= 9 for label in train.labels)
    assert len(train.audio[0]) / 16000 > 0.8  # several digits, not one
    languages = ["english", "german", "french"]
    train, val, test = speech.spoken_languages(variants=3, languages=languages, per_voice=2)
    assert sorted(set(train.labels.tolist())) == [0, 1, 2]
    assert variants_of(test).isdisjoint(variants_of(train))
    with pytest.raises(ValueError, match="unknown language 'klingon'"):
        speech.spoken_languages(languages=["klingon"])


@needs_espeak
def test_digits_better_than_chance_on_an_unheard_voice(data_dir):
    zn.manual_seed(0)
    train, _, test = speech.spoken_digits(variants=6, accents=("en-us", "en-gb", "en-029"))
    assert set(train.voices).isdisjoint(test.voices)
    x, _ = features(train.audio, 100)
    model = SpeechCNN(10, width=64)
    trainer = zn.Trainer(model, zn.optim.Adam(model.parameters(), lr=3e-3))
    trainer.fit(x, train.labels, epochs=15, batch_size=16, verbose=0, seed=0)
    xt, _ = features(test.audio, 100)
    accuracy = (trainer.predict(xt).argmax(axis=1) == test.labels).mean()
    assert accuracy > 0.2, accuracy  # chance is 0.1


@needs_espeak
def test_crnn_ctc_loss_falls_on_digit_strings(data_dir):
    zn.manual_seed(0)
    train, _, _ = speech.spoken_digit_strings(variants=4, accents=("en-us",), per_voice=4)
    x, frames = features(train.audio[:8])
    targets = [label + 1 for label in train.labels[:8]]  # class 0 is the blank
    lengths = np.array([len(t) for t in targets])
    padded = np.zeros((8, lengths.max()), dtype=np.int64)
    for i, t in enumerate(targets):
        padded[i, : len(t)] = t
    model = CRNN(10, width=32, hidden=32)
    optimizer = zn.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(20):
        log_probs = model(zn.tensor(x), frames)
        assert log_probs.shape == (x.shape[-1] // 2, 8, 11)
        loss = F.ctc_loss(log_probs, padded, model.output_lengths(frames), lengths)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0], losses
