"""Occlusion (Zeiler & Fergus, 2014): cover a patch, see how much the target score drops.

    drop_p = f_c(x) − f_c(x with patch p set to the baseline)
    attribution_i = mean of drop_p over the patches p that cover feature i

No gradients: it works for any model, and costs one forward pass per patch position
(batched: as many occluded copies as fit ``batch_size`` rows go through in one pass).
"""

import itertools

import numpy as np

from zennet.explain._common import as_batch, as_targets, check_scores, inspecting, scores_of


def occlusion(model, x, target, window=3, stride=1, baseline=0.0, batch_size=256):
    """Occlusion attributions shaped like ``x`` (N, ...).

    ``window`` and ``stride`` apply to the last dimensions of a sample: an int means a
    square patch over the last two (one for flat (N, D) inputs), a tuple of k sizes the last
    k; the dimensions before them (channels) are covered whole. Patches start every
    ``stride`` and one more is added at the end so that every feature is covered.
    ``baseline`` fills the patch: a number or an array shaped like one sample or like x.
    """
    with inspecting(model):
        x = as_batch("occlusion", x)
        base_scores = scores_of(model, x, batch_size)
        targets = as_targets("occlusion", target, len(x), base_scores)
        check_scores("occlusion", base_scores, targets)
        rows = np.arange(len(x))
        reference = base_scores[rows, targets]  # (N,)
        fill = np.broadcast_to(np.asarray(baseline, dtype=x.dtype), x.shape)
        patches = patch_slices(x.shape[1:], window, stride)
        total = np.zeros(x.shape, dtype=np.float64)
        counts = np.zeros(x.shape[1:], dtype=np.float64)
        per_pass = max(1, batch_size // len(x))
        for start in range(0, len(patches), per_pass):
            mask = _masks(patches[start : start + per_pass], x.shape[1:])  # (p, *S)
            occluded = np.where(mask[:, None], fill[None], x[None])  # (p, N, *S)
            scores = scores_of(model, occluded.reshape(-1, *x.shape[1:]), batch_size)
            drop = reference - scores.reshape(len(mask), len(x), -1)[:, rows, targets]  # (p, N)
            total += np.tensordot(drop, mask, axes=(0, 0))  # (N, *S)
            counts += mask.sum(axis=0)
    return (total / np.maximum(counts, 1)).astype(x.dtype)


def patch_slices(sample_shape, window, stride):
    """The index of every patch position in a sample (see :func:`occlusion`)."""
    window = _sizes("window", window, sample_shape)
    stride = _sizes("stride", stride, sample_shape, len(window))
    dims = sample_shape[len(sample_shape) - len(window) :]
    if any(w > n or w < 1 or s < 1 for w, s, n in zip(window, stride, dims)):
        raise ValueError(
            f"occlusion: window {window} with stride {stride} does not fit samples of shape "
            f"{tuple(sample_shape)}; each window size must be 1..{tuple(dims)} and each "
            f"stride >= 1."
        )
    starts = [_starts(n, w, s) for n, w, s in zip(dims, window, stride)]
    return [
        (Ellipsis, *(slice(c, c + w) for c, w in zip(corner, window)))
        for corner in itertools.product(*starts)
    ]


def _masks(patches, sample_shape):
    """(len(patches), *sample_shape) booleans, True inside each patch."""
    masks = np.zeros((len(patches), *sample_shape), dtype=bool)
    for mask, patch in zip(masks, patches):
        mask[patch] = True
    return masks


def _starts(n, w, s):
    """Patch starts 0, s, 2s, ... and n − w at the end, so the last feature is covered."""
    starts = list(range(0, n - w + 1, s))
    if starts[-1] != n - w:
        starts.append(n - w)
    return starts


def _sizes(name, value, sample_shape, k=None):
    """``value`` as a tuple of k ints (k: given, or 2 for an int on 2+ dims, else its length)."""
    if isinstance(value, (int, np.integer)):
        k = k if k is not None else min(2, len(sample_shape))
        return (int(value),) * k
    value = tuple(int(v) for v in value)
    if not 1 <= len(value) <= len(sample_shape) or (k is not None and len(value) != k):
        expected = k if k is not None else f"1..{len(sample_shape)}"
        raise ValueError(
            f"occlusion: {name} {value} needs {expected} sizes for samples of shape "
            f"{tuple(sample_shape)} (it applies to the last dimensions)."
        )
    return value
