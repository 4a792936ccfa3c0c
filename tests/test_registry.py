"""Registries: the generic Registry, and each registry beside what it names."""

import pytest

import zennet as zn
from zennet.data.datasets import DATASETS
from zennet.jobs import METHODS
from zennet.models import MODELS, build_model
from zennet.nn import LOSSES
from zennet.optim import OPTIMIZERS
from zennet.registry import Registry


def test_register_as_call_and_decorator_get_names_iteration():
    colours = Registry("colour")
    assert colours.register("red", 1, help="warm") == 1

    @colours.register("blue")
    def blue():
        """The sky's colour.

        More text that is not the help line."""

    assert colours.get("red") == 1 and colours.get("blue") is blue
    assert colours.names() == ["red", "blue"] == list(colours)
    assert "red" in colours and "green" not in colours and len(colours) == 2
    assert colours.help("blue") == "The sky's colour."
    assert colours.describe() == "red   warm\nblue  The sky's colour."


def test_unknown_name_lists_the_names_and_suggests_the_closest():
    colours = Registry("colour")
    for name in ("red", "green", "blue"):
        colours.register(name, name)
    with pytest.raises(
        ValueError,
        match=r"Unknown colour 'gren'; choose one of red, green, blue\. Did you mean 'green'\?",
    ):  # noqa: E501
        colours.get("gren")
    with pytest.raises(ValueError) as error:
        colours.get("zzzzzz")
    assert "Did you mean" not in str(error.value)


def test_a_name_is_registered_once():
    colours = Registry("colour")
    colours.register("red", 1)
    colours.register("red", 1)  # the same object again (a module imported twice) is fine
    with pytest.raises(ValueError, match="'red' is already registered"):
        colours.register("red", 2)
    with pytest.raises(TypeError, match="a name must be a non-empty str"):
        colours.register("", 3)


def test_the_registries_hold_what_their_layers_define():
    assert {"sgd", "adam", "adamw", "rmsprop", "adagrad"} <= set(OPTIMIZERS)
    assert OPTIMIZERS.get("adam") is zn.optim.Adam
    assert {"cross_entropy", "mse", "bce_with_logits"} <= set(LOSSES)
    assert {"digits", "fashion-mnist"} <= set(DATASETS)
    assert {"logistic", "mlp", "cnn"} <= set(MODELS)
    assert {"saliency", "gxi", "smoothgrad", "ig", "occlusion", "gradcam"} <= set(METHODS)
    assert all(DATASETS.help(name) for name in DATASETS)  # a line for --help each


def test_optim_get_builds_by_name_and_suggests_on_a_typo():
    model = zn.nn.Linear(3, 2)
    optimizer = zn.optim.get("adam", model.parameters(), lr=0.01)
    assert isinstance(optimizer, zn.optim.Adam) and optimizer.param_groups[0]["lr"] == 0.01
    assert zn.optim.get("SGD", model.parameters(), lr=None).param_groups[0]["lr"] > 0
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'.*Did you mean 'adam'"):
        zn.optim.get("adamm", model.parameters())
    with pytest.raises(ValueError, match="Unknown loss 'crossentropy'.*'cross_entropy'"):
        zn.nn.get_loss("crossentropy")
    with pytest.raises(ValueError, match="Unknown model 'mpl'.*Did you mean 'mlp'"):
        build_model("mpl", (4,), 2)
    with pytest.raises(ValueError, match="Unknown data set 'digit'.*Did you mean 'digits'"):
        zn.datasets.load("digit")


@pytest.mark.parametrize("command", ["train", "explain"])
def test_cli_help_lists_what_the_registries_hold(command, capsys):
    from zennet.cli import main

    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    registries = [DATASETS, MODELS, OPTIMIZERS] if command == "train" else [METHODS]
    for registry in registries:
        for name in registry:
            assert name in text and registry.help(name) in text, name
