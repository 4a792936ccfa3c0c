"""``zennet train --data spoken-digits`` picks the speech-cnn preset; ``zennet predict`` and
``zennet explain`` take a WAV file at any rate and channel count. A tiny data set (6 voice
variants, 3 accents) and 2 epochs keep it to seconds of training."""

import functools
import json
import shutil

import numpy as np
import pytest

from zennet import cli
from zennet.audio import Resample, save_wav
from zennet.data.datasets import speech

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (apt-get install espeak-ng)"
)


def test_train_predict_explain_on_a_wav(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZENNET_DATA", str(tmp_path / "data"))
    tiny = functools.partial(speech.spoken_digits, variants=6, accents=("en-us", "en-gb"))
    monkeypatch.setattr(speech, "spoken_digits", tiny)
    run = tmp_path / "run"
    args = ["--data", "spoken-digits", "--epochs", "2", "--out", str(run), "--quiet"]
    assert cli.main(["train", *args]) == 0
    out = capsys.readouterr().out
    assert "test_accuracy=" in out and (run / "model.safetensors").exists()
    assert '"model": "speech-cnn"' in (run / "config.json").read_text()

    test = tiny()[2]
    stereo = np.stack([test.audio[3], 0.5 * test.audio[3]])  # 2 channels at 22.05 kHz
    save_wav(tmp_path / "seven.wav", Resample(16000, 22050)(stereo), 22050)
    assert cli.main(["predict", str(run / "model.safetensors"), str(tmp_path / "seven.wav")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("class=") and 0 <= int(line.split()[0][6:]) <= 9
    assert 0.0 <= float(line.split("probability=")[1]) <= 1.0

    heat = tmp_path / "heat.png"
    model = str(run / "model.safetensors")
    assert cli.main(["explain", model, str(tmp_path / "seven.wav"), "--out", str(heat)]) == 0
    assert heat.stat().st_size > 1000


def test_digit_strings_train_with_ctc_and_transcribe_a_wav(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZENNET_DATA", str(tmp_path / "data"))
    tiny = functools.partial(
        speech.spoken_digit_strings, variants=4, accents=("en-us",), per_voice=4
    )
    monkeypatch.setattr(speech, "spoken_digit_strings", tiny)
    args = ["--data", "spoken-digit-strings", "--epochs", "2", "--quiet"]  # into runs/
    assert cli.main(["train", *args]) == 0
    out = capsys.readouterr().out
    assert "test_digit_error_rate=" in out and "test_digit_error_rate_beam8=" in out
    run = tmp_path / "runs" / "latest"  # moved to the new run once its model is saved
    assert run.is_symlink() and (run / "model.safetensors").exists()
    results = json.loads((run / "results.json").read_text())
    assert 0.0 <= results["test_digit_error_rate"] <= 1.5  # edit distance may pass 1
    assert json.loads((run / "config.json").read_text())["model"] == "crnn"
    save_wav(tmp_path / "digits.wav", tiny()[2].audio[0], 16000)
    assert cli.main(["predict", str(run / "model.safetensors"), str(tmp_path / "digits.wav")]) == 0
    line = capsys.readouterr().out.strip()
    digits, probability = line.split()
    assert digits.startswith("digits=") and set(digits[7:]) <= set("0123456789")
    assert 0.0 <= float(probability.split("=")[1]) <= 1.0

    heat, explain = tmp_path / "heat.png", ["explain", str(run / "model.safetensors")]
    code = cli.main([*explain, str(tmp_path / "digits.wav"), "--out", str(heat)])
    out, err = capsys.readouterr()
    if digits == "digits=":  # two epochs on 16 utterances may hear nothing yet
        assert code == 2 and "hears no digits" in err
    else:
        assert code == 0 and out.startswith(f"sample=0 {digits} target={digits[7:]} ")
        assert heat.stat().st_size > 1000


def test_a_language_model_names_the_language(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZENNET_DATA", str(tmp_path / "data"))
    tiny = functools.partial(speech.spoken_languages, variants=3, per_voice=1)
    monkeypatch.setattr(speech, "spoken_languages", tiny)
    run = tmp_path / "run"
    args = ["--data", "spoken-languages", "--epochs", "1", "--out", str(run), "--quiet"]
    assert cli.main(["train", *args]) == 0
    capsys.readouterr()
    save_wav(tmp_path / "hello.wav", tiny()[2].audio[0], 16000)
    assert cli.main(["predict", str(run / "model.safetensors"), str(tmp_path / "hello.wav")]) == 0
    words = dict(w.split("=") for w in capsys.readouterr().out.split())
    assert words["name"] == list(speech.LANGUAGES)[int(words["class"])]
