import json
import shutil
import subprocess

import pytest

from zennet.cli import main
from zennet.jobs import text as text_job
from zennet.jobs.text import xz_bits_per_char


@pytest.fixture
def text_path(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Once upon a time there was a tiny model.\n" * 60)
    return path


def test_train_generate_on_a_text_file(text_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(text_job, "SAMPLE_CHARS", 20)
    out = tmp_path / "run"
    args = ["train", "--data", f"text:{text_path}", "--model", "gpt", "--steps", "3"]
    assert main(args + ["--batch-size", "4", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "test_bits_per_char=" in printed and "xz_test_bits_per_char=" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["test_chars"] > 0 and results["history"][-1]["step"] == 3
    model = str(out / "model.safetensors")
    assert main(["generate", model, "--prompt", "Once", "--length", "25", "--seed", "1"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("Once") and len(first) == len("Once") + 25 + 1
    assert main(["generate", model, "--prompt", "Once", "--length", "25", "--seed", "1"]) == 0
    assert capsys.readouterr().out == first  # the same seed writes the same text
    assert main(["generate", model, "--prompt", "Once€", "--length", "5"]) == 2
    assert "never saw: ['€']" in capsys.readouterr().err


def test_text_data_needs_a_language_model(text_path, capsys):
    assert main(["train", "--data", f"text:{text_path}", "--model", "mlp", "--steps", "1"]) == 2
    assert "--model gpt or char-lstm" in capsys.readouterr().err
    assert main(["train", "--data", f"text:{text_path}", "--epochs", "2"]) == 2
    assert "--steps N, not --epochs" in capsys.readouterr().err


def test_xz_bits_are_those_of_the_xz_command(rng):
    text = "".join(rng.choice(list("abcdefgh  \n"), 5000)) + "é" * 10
    assert 3 < xz_bits_per_char(text) < 5 < xz_bits_per_char("x")  # log2(11) = 3.46
    if shutil.which("xz"):
        made = subprocess.run(["xz", "-9", "-c"], input=text.encode(), capture_output=True)
        assert xz_bits_per_char(text) == 8 * len(made.stdout) / len(text)
