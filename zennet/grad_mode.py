"""The engine's switches: grad mode (``no_grad``) and anomaly detection.

They sit below :mod:`zennet.tensor` so the backward pass and every op can read them
without importing anything above. Both are per thread, as in PyTorch.
"""

import contextlib
import threading

import numpy as np


class _GradMode(threading.local):
    enabled = True
    anomaly = False


mode = _GradMode()


def is_grad_enabled():
    """True unless inside ``no_grad()``."""
    return mode.enabled


class _GradModeSwitch(contextlib.ContextDecorator):
    """Set grad mode for a ``with`` block or a decorated function, then restore it.

    A class rather than ``@contextlib.contextmanager``: entering and leaving cost a
    fraction of a generator's, and inference runs one per call."""

    enabled = True

    def __enter__(self):
        self.previous, mode.enabled = mode.enabled, self.enabled

    def __exit__(self, *exc_info):
        mode.enabled = self.previous

    def _recreate_cm(self):  # a decorated function gets a fresh switch per call (recursion)
        return type(self)()


class no_grad(_GradModeSwitch):  # noqa: N801 (PyTorch's name)
    """Run ops without recording a graph: inference and parameter updates."""

    enabled = False


class enable_grad(_GradModeSwitch):  # noqa: N801
    """Record a graph again inside ``no_grad()``."""


@contextlib.contextmanager
def detect_anomaly():
    """Check every op's forward and backward for NaN/Inf and name the first op that made one.

    Off by default; when off it costs one attribute look-up per op.
    """
    previous, mode.anomaly = mode.anomaly, True
    try:
        yield
    finally:
        mode.anomaly = previous


def is_anomaly_enabled():
    return mode.anomaly


def check_finite(fn, phase, arrays):
    """Raise naming ``fn`` when one of ``arrays`` holds NaN or Inf (detect_anomaly)."""
    for i, a in enumerate(arrays):
        dtype = getattr(a, "dtype", None)
        if dtype is None or getattr(a, "ndim", None) is None or dtype.kind not in "fc":
            continue
        if not bool(np.all(np.isfinite(a))):
            what = "output" if phase == "forward" else f"gradient of input {i}"
            raise FloatingPointError(
                f"detect_anomaly: {type(fn).__name__}.{phase} produced NaN or Inf in its {what} "
                f"(shape {a.shape}). Look at the inputs of this op: a log of 0, a division by 0, "
                f"an overflowing exp or a learning rate that is too high are the usual causes."
            )
