import numpy as np
import pytest

import zennet as zn


@pytest.fixture
def rng():
    """A seeded NumPy generator for test data; zennet's own generator is seeded too."""
    zn.manual_seed(0)
    return np.random.default_rng(0)


def pytest_addoption(parser):
    parser.addoption(
        "--device",
        default="cpu",
        help="the zennet device the op comparisons (tests/helpers.py) run on: cpu (default), "
        "cuda (needs CuPy and a GPU; skipped cleanly without), or tracked (a stand-in "
        "device that catches any op computing with NumPy instead of its inputs' module)",
    )


def pytest_configure(config):
    from tests import helpers, stand_in_device

    helpers.DEVICE = config.getoption("--device")
    if helpers.DEVICE == stand_in_device.NAME:
        stand_in_device.register()
