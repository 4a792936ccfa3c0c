import subprocess
import sys

import numpy as np
import pytest

import zennet as zn
from zennet.cli import main


def metrics_of(output):
    """The key=value pairs of the last line."""
    return {k: float(v) for k, v in (p.split("=") for p in output.strip().splitlines()[-1].split())}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A short digits run shared by the tests of the other commands."""
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--epochs", "3", "--out", str(out), "--quiet"]) == 0
    return out


def test_default_train_reaches_97_percent_on_digits(tmp_path, capsys):
    assert main(["train", "--out", str(tmp_path), "--quiet"]) == 0
    results = metrics_of(capsys.readouterr().out)
    assert results["test_accuracy"] >= 0.97
    assert set(results) == {"test_loss", "test_accuracy"}


def test_train_writes_model_history_and_valid_plots(trained):
    names = {p.name for p in trained.iterdir()}
    assert {
        "model.safetensors",
        "checkpoint.safetensors",
        "history.csv",
        "config.json",
        "training_curves.png",
        "confusion_matrix.png",
    } <= names
    assert len((trained / "history.csv").read_text().strip().splitlines()) == 1 + 3
    matplotlib = pytest.importorskip("matplotlib.image")
    for name, shape in [("training_curves.png", (350, 900)), ("confusion_matrix.png", (700, 750))]:
        data = (trained / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert matplotlib.imread(trained / name).shape[:2] == shape


def test_evaluate_predict_and_summary(trained, tmp_path, capsys):
    assert main(["evaluate", str(trained / "model.safetensors")]) == 0
    assert metrics_of(capsys.readouterr().out)["test_accuracy"] > 0.8
    _, (x_test, y_test) = zn.datasets.load_digits()
    np.save(tmp_path / "x.npy", x_test[:20])
    assert main(["predict", str(trained / "model.safetensors"), str(tmp_path / "x.npy")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    predicted = np.array([int(line.split()[0].split("=")[1]) for line in lines])
    assert len(predicted) == 20 and (predicted == y_test[:20]).mean() >= 0.7
    assert main(["summary", str(trained / "model.safetensors")]) == 0
    assert "Total params: 19,210" in capsys.readouterr().out


def test_resume_continues_an_interrupted_run_to_the_same_weights(tmp_path, capsys):
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert main(["train", "--epochs", "4", "--out", str(whole), "--quiet"]) == 0
    assert main(["train", "--epochs", "2", "--out", str(part), "--quiet"]) == 0
    config = (part / "config.json").read_text().replace('"epochs": 2', '"epochs": 4')
    (part / "config.json").write_text(config)  # as if the 4-epoch run had been killed at 2
    assert main(["train", "--resume", str(part), "--quiet"]) == 0
    ours, theirs = zn.load(part / "model.safetensors"), zn.load(whole / "model.safetensors")
    for key in theirs:
        np.testing.assert_array_equal(ours[key], theirs[key])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["evaluate", "missing.safetensors"], "No such file"),
        (["train", "--model", "resnet"], "Unknown model 'resnet'"),
        (["train", "--data", "imagenet"], "Unknown data set 'imagenet'"),
        (["train", "--resume", "nowhere"], "no interrupted run there"),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(argv, message, tmp_path):
    argv = argv + (
        ["--out", str(tmp_path / "o")] if argv[0] == "train" and "--resume" not in argv else []
    )
    done = subprocess.run(
        [sys.executable, "-m", "zennet", *argv], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
