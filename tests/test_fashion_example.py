"""A short run of examples/fashion_mnist_cnn.py (the README's Fashion-MNIST recipe)."""

import importlib.util
from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "examples" / "fashion_mnist_cnn.py"


def test_fashion_mnist_example_trains_and_reports_test_accuracy(capsys):
    spec = importlib.util.spec_from_file_location("fashion_mnist_cnn", PATH)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    results = example.main(["--epochs", "1", "--limit", "600", "--batch-size", "64"])
    assert set(results) == {"loss", "accuracy"}
    assert results["accuracy"] > 0.5  # one epoch on 600 images; chance is 0.1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("test_accuracy=") and "train_minutes=" in last
