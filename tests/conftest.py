import os

import numpy as np
import pytest

import zennet as zn


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Every test runs in its own temporary directory: a command that writes to a relative
    path (``runs/``, ``heatmap.png``) writes there, never into the checkout."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def rng():
    """A seeded NumPy generator for test data; zennet's own generator is seeded too."""
    zn.manual_seed(0)
    return np.random.default_rng(0)


@pytest.fixture
def figures(monkeypatch):
    """Every matplotlib figure saved during the test, kept for inspection."""
    figure = pytest.importorskip("matplotlib.figure")
    saved, real = [], figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        saved.append(fig)
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(figure.Figure, "savefig", spy)
    return saved


def pytest_addoption(parser):
    parser.addoption(
        "--device",
        default="cpu",
        help="the zennet device the op comparisons (tests/helpers.py) run on: cpu (default), "
        "cuda (needs CuPy and a GPU; skipped cleanly without), or tracked (a stand-in "
        "device that catches any op computing with NumPy instead of its inputs' module)",
    )
    parser.addoption(
        "--compiled-kernels",
        action="store_true",
        help="run with zennet.kernels' compiled kernels on (needs numba); default: NumPy path",
    )


def pytest_configure(config):
    from tests import helpers, stand_in_device

    # The suite tests the NumPy path (here and in every subprocess a test starts) unless
    # --compiled-kernels; tests/test_kernels.py switches the compiled kernels on itself.
    compiled = config.getoption("--compiled-kernels")
    os.environ["ZENNET_KERNELS"] = "numba" if compiled else "numpy"
    zn.kernels.use_compiled_kernels(compiled)

    helpers.DEVICE = config.getoption("--device")
    if helpers.DEVICE == stand_in_device.NAME:
        stand_in_device.register()
