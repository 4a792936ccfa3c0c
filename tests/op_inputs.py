"""Inputs for the op tests, and ``both``: one function written once for zennet and PyTorch.

The makers return float32 arrays kept where the op is smooth, so that the float64
gradient check in ``compare`` never straddles a kink (|x| at 0, max at a tie, ...).
"""

import math

import numpy as np
import torch
import torch.nn.functional as TF

import zennet as zn
import zennet.functional as F
from tests.helpers import compare


def randn(rng, shape):
    """Standard normal values."""
    return rng.standard_normal(shape).astype(np.float32)


def positive(rng, shape):
    """Values in [0.5, 2]: inputs of log, sqrt, x ** p and denominators."""
    return rng.uniform(0.5, 2.0, shape).astype(np.float32)


def away_from(*kinks, gap=0.1):
    """A maker of uniform values in [-2, 2] kept at least ``gap`` from every kink."""

    def make(rng, shape):
        x = rng.uniform(-2.0, 2.0, shape)
        for k in kinks:
            near = np.abs(x - k) < gap
            x[near] = k + np.where(x[near] < k, -gap, gap) * 2
        return x.astype(np.float32)

    return make


nonzero = away_from(0.0)


def distinct(rng, shape):
    """All values different by at least 0.37: max, min and sort never meet a tie."""
    n = math.prod(shape)
    return ((rng.permutation(n) - n / 2) * 0.37).reshape(shape).astype(np.float32)


def both(f, *arrays, **kwargs):
    """compare ``f(zn, ...)`` with ``f(torch, ...)``: for module functions (zn.cat, torch.cat)."""
    return compare(lambda *xs: f(zn, *xs), *arrays, torch_fn=lambda *xs: f(torch, *xs), **kwargs)


def both_functional(f, *arrays, **kwargs):
    """compare ``f(F, ...)`` (zennet.functional) with ``f(torch.nn.functional, ...)``."""
    return compare(lambda *xs: f(F, *xs), *arrays, torch_fn=lambda *xs: f(TF, *xs), **kwargs)
