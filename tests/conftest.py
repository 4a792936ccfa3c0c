import numpy as np
import pytest

import zennet as zn


@pytest.fixture
def rng():
    """A seeded NumPy generator for test data; zennet's own generator is seeded too."""
    zn.manual_seed(0)
    return np.random.default_rng(0)
