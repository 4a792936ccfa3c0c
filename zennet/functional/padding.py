"""F.pad with PyTorch's four modes and negative padding.

``pad`` lists (before, after) pairs from the LAST dimension back. A negative width
crops. constant: a fill value; reflect: mirror without repeating the edge (abc|ba);
replicate: repeat the edge (abc|cc); circular: wrap around (abc|ab). The non-constant
modes are gathers along each padded axis (x[..., idx]), so the gradient of a source
element is the sum over the positions it was copied to.
"""

import numpy as np

from zennet.functional._util import as_tensor, module_of
from zennet.functional.shape import getitem
from zennet.functional.shape import pad as constant_pad

MODES = ("constant", "reflect", "replicate", "circular")


def _reflect(i, n):
    period = 2 * (n - 1)
    i = i % period
    return period - i if i >= n else i


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative widths, crop) the last len(pad)/2 dimensions.

    >>> F.pad(x, (1, 1, 2, 0), mode="reflect")   # last dim by 1 and 1, the one before by 2 and 0
    """
    x = as_tensor(input)
    if mode not in MODES:
        raise ValueError(f"pad: mode must be one of {MODES}, got {mode!r}.")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(
            f"pad: expected (before, after) pairs for at most {x.ndim} dimensions of input "
            f"{x.shape}, got {pad}."
        )
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: value={value} only applies to mode='constant', not {mode!r}.")
    pairs = [(x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    if mode == "replicate":  # out[j] = x[clamp(j - before, 0, n - 1)], negative widths too
        xp = module_of(x)
        for axis, before, after in pairs:
            index = [
                min(max(i, 0), x.shape[axis] - 1) for i in range(-before, x.shape[axis] + after)
            ]
            x = getitem(x, (slice(None),) * axis + (xp.asarray(index, dtype=np.int64),))
        return x
    crop = [slice(None)] * x.ndim
    for axis, before, after in pairs:  # negative widths crop first
        crop[axis] = slice(max(-before, 0), x.shape[axis] - max(-after, 0))
    if any(b < 0 or a < 0 for _, b, a in pairs):
        x = getitem(x, tuple(crop))
    pairs = [(axis, max(b, 0), max(a, 0)) for axis, b, a in pairs]
    if mode == "constant":
        widths = [p for _, b, a in pairs for p in (b, a)]
        return constant_pad(x, widths, value=0.0 if value is None else value) if any(widths) else x
    xp = module_of(x)
    for axis, before, after in pairs:
        if not before and not after:
            continue
        n = x.shape[axis]
        if mode == "reflect" and (before >= n or after >= n):
            raise ValueError(
                f"pad: reflect padding ({before}, {after}) must be smaller than dimension "
                f"{axis} of input {x.shape} (size {n})."
            )
        if mode == "circular" and (before > n or after > n):
            raise ValueError(
                f"pad: circular padding ({before}, {after}) must be at most the size {n} of "
                f"dimension {axis} of input {x.shape}."
            )
        positions = range(-before, n + after)
        if mode == "reflect":
            index = [_reflect(i, n) for i in positions]
        else:
            index = [i % n for i in positions]
        x = getitem(x, (slice(None),) * axis + (xp.asarray(index),))
    return x
