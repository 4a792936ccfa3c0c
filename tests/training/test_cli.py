import numpy as np
import pytest

import zennet as zn
from tests.reliability.cli import run_cli
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


@pytest.mark.parametrize("augment", [[], ["--augment", "translate=1,rotate=10"]])
def test_resume_continues_an_interrupted_run_to_the_same_weights(augment, tmp_path, capsys):
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert main(["train", "--epochs", "4", "--out", str(whole), "--quiet", *augment]) == 0
    assert main(["train", "--epochs", "2", "--out", str(part), "--quiet", *augment]) == 0
    assert main(["train", "--resume", str(part), "--epochs", "4", "--quiet"]) == 0  # extends
    ours, theirs = zn.load(part / "model.safetensors"), zn.load(whole / "model.safetensors")
    for key in theirs:
        np.testing.assert_array_equal(ours[key], theirs[key])


def test_augment_changes_the_training_batches(tmp_path, capsys):
    runs = {}
    for name, extra in [("plain", []), ("same", []), ("augmented", ["--augment", "translate=1"])]:
        out = tmp_path / name
        assert main(["train", "--epochs", "2", "--out", str(out), "--quiet", *extra]) == 0
        runs[name] = zn.load(out / "model.safetensors")
    weights = [key for key in runs["plain"] if key.endswith("weight")]
    assert weights
    for key in weights:
        np.testing.assert_array_equal(runs["plain"][key], runs["same"][key])  # seeded: repeatable
        assert not np.array_equal(runs["plain"][key], runs["augmented"][key])
    config = (tmp_path / "augmented" / "config.json").read_text()
    assert '"augment": "translate=1"' in config


def test_augment_with_mixup_trains_a_cnn_on_soft_labels(tmp_path, capsys):
    argv = ["train", "--model", "cnn", "--epochs", "1", "--out", str(tmp_path), "--quiet"]
    assert main([*argv, "--augment", "translate=1,mixup"]) == 0
    history = (tmp_path / "history.csv").read_text().splitlines()
    header, row = history[0].split(","), history[1].split(",")
    accuracy = float(row[header.index("accuracy")])  # against each mixed sample's main class
    assert 0.0 < accuracy <= 1.0
    assert metrics_of(capsys.readouterr().out)["test_accuracy"] > 0.2


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--augment", "wobble=3"], "unknown key 'wobble'"),
        (["evaluate", "missing.safetensors"], "No such file"),
        (["train", "--model", "resnet"], "Unknown model 'resnet'"),
        (["train", "--data", "imagenet"], "Unknown data set 'imagenet'"),
        (["train", "--resume", "nowhere"], "no run with a checkpoint there"),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(argv, message, tmp_path):
    argv = argv + (
        ["--out", str(tmp_path / "o")] if argv[0] == "train" and "--resume" not in argv else []
    )
    done = run_cli(*argv)
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
