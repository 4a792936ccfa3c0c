"""The command line's own words: help with defaults, --version, the primer explained."""

import re

import pytest

from zennet.cli import main
from zennet.version import __version__


def help_of(capsys, *argv):
    with pytest.raises(SystemExit) as done:
        main([*argv, "--help"])
    assert done.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines anywhere


def test_every_train_option_says_what_it_does_and_its_default(capsys):
    """Issue 14.9: --epochs, --batch-size, --lr and --seed had neither."""
    text = help_of(capsys, "train")
    for option, default in [
        ("--epochs N", "(default: digits 40, fashion-mnist 10, spoken-digits 8, "),
        ("--batch-size N", "(default: 32)"),
        ("--lr X", "(default: the optimizer's own: adagrad 0.01, adam 0.001"),
        ("--seed N", "(default: 0)"),
        ("--label-smoothing X", "(default: 0.1)"),
        ("--checkpoint-every SECONDS", "(default: 60;"),
    ]:
        described = re.search(re.escape(option) + r" (.*?)\(default", text)
        assert described and described.group(1).strip(), option  # words before the default
        assert default in text, option
    assert "config.json" in text  # what a run writes, listed


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"zennet {__version__}"


def test_the_primer_is_explained_where_it_is_used(capsys):
    text = help_of(capsys, "explain")
    assert "the primer's (the textbook course's: one sample per column)" in text
