"""Model definitions written for PyTorch (tests/models/*.py) run on zennet with only
their import lines changed (harness.PORT): the same loss and gradients from the same
state dict, and the same losses and weights after a few optimizer steps."""

import pytest

from tests.models.harness import compare, compare_training, source

# (file, train mode for the gradient check, float32 tolerance (rtol, atol))
MODELS = [
    ("word_lm", False, (1e-5, 1e-6)),
    ("vae", True, (1e-5, 1e-5)),
    ("dcgan", True, (1e-4, 1e-5)),
    ("style_transfer", True, (1e-4, 1e-5)),
    ("gpt", True, (1e-4, 1e-6)),
    ("super_resolution", True, (1e-4, 1e-6)),
    ("time_sequence", True, (1e-9, 1e-12)),
    ("gcn", False, (1e-5, 1e-6)),
    ("translator", False, (1e-4, 1e-5)),
    ("mnist_cnn", False, (1e-5, 1e-6)),
]


@pytest.mark.parametrize("name, train, tolerance", MODELS, ids=[m[0] for m in MODELS])
def test_same_loss_and_gradients_as_pytorch(name, train, tolerance):
    rtol, atol = tolerance
    compare(name, train=train, rtol=rtol, atol=atol)


@pytest.mark.parametrize(
    "name, tolerance",
    [
        ("gpt", (1e-4, 1e-5)),
        ("super_resolution", (1e-4, 1e-5)),
        ("time_sequence", (1e-7, 1e-9)),
        ("mnist_cnn", (1e-5, 1e-6)),
    ],
)
def test_same_training_steps_as_pytorch(name, tolerance):
    losses = compare_training(name, rtol=tolerance[0], atol=tolerance[1])
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name", [m[0] for m in MODELS])
def test_only_the_imports_change(name):
    ours, theirs = source(name, "zennet").splitlines(), source(name, "torch").splitlines()
    changed = [(a, b) for a, b in zip(ours, theirs) if a != b]
    assert changed and all(b.startswith(("import torch", "from torch")) for _, b in changed)
