"""The README's cheap numbers, re-derived: each comes from the command written beside it."""

import re
from pathlib import Path

import numpy as np

from zennet.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def main_job_block():
    """The lines of the README's real `zennet train` run."""
    section = README[README.index("## The main job") :]
    return section.split("```\n", 2)[1].splitlines()


def test_the_main_job_block_is_what_zennet_train_prints(capsys):
    block = main_job_block()
    assert main(["train"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == block[:2]  # what it loads, the model and its parameter count
    assert printed[-1] == block[-1]  # test_loss=... test_accuracy=...
    epochs = {line.split()[1]: line for line in printed if line.startswith("Epoch ")}
    for line in block:
        if line.startswith("Epoch "):
            assert epochs[line.split()[1]] == line
    wrote = [line.split("/")[-1] for line in printed if line.startswith("wrote ")]
    assert wrote == [line.split("/")[-1] for line in block if line.startswith("wrote ")]


def test_the_seed_table_is_consistent_with_the_main_job_and_the_promise():
    row = next(line for line in README.splitlines() if line.startswith("| test accuracy % |"))
    numbers = [float(n.strip("* ")) for n in row.split("|")[2:-1]]
    *seeds, mean = numbers
    assert len(seeds) == 10 and round(float(np.mean(seeds)), 2) == mean
    assert min(seeds) >= 97 and mean >= 97.5  # issue 14.11
    accuracy = float(main_job_block()[-1].split("test_accuracy=")[1])
    assert seeds[0] == round(100 * accuracy, 2)  # seed 0 is the run shown above


def test_the_extras_of_all_are_named():
    pyproject = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^all = \[(.*?)\]", pyproject, re.S | re.M).group(1)  # no tomllib in 3.10
    names = re.findall(r'"([A-Za-z0-9_-]+)', block)
    assert len(names) >= 7
    for name in names:
        assert f"`{name}`" in README, name


def test_the_augmentations_shown_parse(capsys):
    from zennet.data.augment import parse_augmentation

    specs = re.findall(r'--augment "([^"]+)"', README)
    assert specs
    for spec in specs:
        parse_augmentation(spec, num_classes=10, image_shape=(1, 8, 8))


def test_the_cnn_parameter_counts():
    from zennet.models import build_model

    for shape, count in [((1, 8, 8), "53,194"), ((1, 28, 28), "421,834")]:
        model = build_model("cnn", shape, 10)
        assert f"{sum(p.data.size for p in model.parameters()):,}" == count
        assert count in README
