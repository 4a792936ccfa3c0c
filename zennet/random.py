"""The one seeded random generator behind initialization, dropout and shuffling.

zennet never draws from NumPy's global state: ``zn.manual_seed(s)`` makes every
later draw (weights, dropout masks, DataLoader order, augmentation) repeatable.
"""

import numpy as np

_rng = None  # made on first use: an unseeded generator draws OS entropy, which costs import time


def manual_seed(seed):
    """Seed zennet's generator; the same seed gives the same run."""
    global _rng
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: expected a non-negative int, got {seed!r}.")
    _rng = np.random.default_rng(int(seed))
    return _rng


def get_rng():
    """The generator ops and modules draw from."""
    global _rng
    if _rng is None:
        _rng = np.random.default_rng()
    return _rng


def get_rng_state():
    """The generator's state as a JSON-serialisable dict (for checkpoints)."""
    return get_rng().bit_generator.state


def set_rng_state(state):
    """Restore a state from :func:`get_rng_state`."""
    get_rng().bit_generator.state = state
