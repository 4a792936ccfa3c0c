"""Band-limited resampling by a rational factor (polyphase FIR), as SciPy's ``resample_poly``
and librosa's ``res_type="polyphase"``.

With ``up/down = new_freq/orig_freq`` in lowest terms, the signal is (conceptually) upsampled
by inserting ``up - 1`` zeros, low-pass filtered and kept every ``down``-th sample::

    y[m] = Σ_n x[n] · h[(m + r)·down - p - n·up]

``h`` is a Kaiser-windowed sinc (β = 5) with cut-off ``1/max(up, down)`` of Nyquist,
``2·10·max(up, down) + 1`` taps, normalized to unit DC gain and scaled by ``up``; ``p`` and
``r`` centre it so that ``y`` has ``ceil(len(x)·up/down)`` samples aligned with ``x``.
Only the ``~20`` taps of ``h`` that meet a real input sample are ever multiplied.
"""

import math

import numpy as np

from zennet.backend import array_module


def lowpass_filter(up, down):
    """The polyphase filter ``h`` above (SciPy's ``firwin(2L+1, 1/max, ('kaiser', 5))·up``)."""
    max_rate = max(up, down)
    half_len = 10 * max_rate
    m = np.arange(2 * half_len + 1) - half_len
    h = np.sinc(m / max_rate) / max_rate * np.kaiser(2 * half_len + 1, 5.0)
    return h / h.sum() * up, half_len


def resample(waveform, orig_freq, new_freq):
    """Resample the last axis of ``waveform`` from ``orig_freq`` to ``new_freq`` (integers)."""
    for name, f in (("orig_freq", orig_freq), ("new_freq", new_freq)):
        if int(f) != f or f <= 0:
            raise ValueError(f"Resample: {name}={f!r}; expected a positive integer rate in Hz.")
    g = math.gcd(int(orig_freq), int(new_freq))
    up, down = int(new_freq) // g, int(orig_freq) // g
    x = waveform
    if up == down:
        return x
    xp = array_module(x)
    h, half_len = lowpass_filter(up, down)
    h = xp.asarray(h, dtype=x.dtype if x.dtype.kind == "f" else np.float32)
    pre_pad = down - half_len % down
    shift = (half_len + pre_pad) // down * down - pre_pad  # (m + r)·down - p = m·down + shift
    n_in, n_out = x.shape[-1], -(-x.shape[-1] * up // down)
    taps = -(-len(h) // up) + 1
    c = xp.arange(n_out) * down + shift  # (M,) the filter index at input sample 0
    n = (c // up)[:, None] - xp.arange(taps)  # (M, taps) input samples that can meet h
    k = c[:, None] - n * up  # (M, taps) their filter index
    valid = (n >= 0) & (n < n_in) & (k >= 0) & (k < len(h))
    weights = xp.where(valid, h[xp.clip(k, 0, len(h) - 1)], 0)  # (M, taps)
    samples = x[..., xp.clip(n, 0, n_in - 1)]  # (..., M, taps)
    return (samples * weights).sum(axis=-1).astype(h.dtype, copy=False)


class Resample:
    """``Resample(orig_freq, new_freq)(waveform)``: band-limited resampling of the last axis
    (see the module docstring); ``(..., T) -> (..., ceil(T·new/orig))``."""

    def __init__(self, orig_freq=16000, new_freq=16000):
        self.orig_freq, self.new_freq = orig_freq, new_freq

    def __call__(self, waveform):
        return resample(waveform, self.orig_freq, self.new_freq)

    def __repr__(self):
        return f"Resample(orig_freq={self.orig_freq}, new_freq={self.new_freq})"
