"""Rearranging channels and pixels: F.pixel_shuffle, F.pixel_unshuffle,
F.channel_shuffle (reshapes and one permutation each)."""

from zennet.functional._util import as_tensor
from zennet.functional.shape import permute, reshape


def _check(op, x, channels_divisor, r):
    x = as_tensor(x)
    if x.ndim < 3:
        raise ValueError(f"{op}: expected an input (*, C, H, W), got shape {x.shape}.")
    if channels_divisor and x.shape[-3] % channels_divisor:
        raise ValueError(
            f"{op}: the channels ({x.shape[-3]}) of input {x.shape} must be divisible by "
            f"{channels_divisor} (upscale_factor² = {r}²)."
        )
    return x, x.shape[:-3], x.ndim - 3


def pixel_shuffle(input, upscale_factor):
    """(*, C·r², H, W) -> (*, C, H·r, W·r): each group of r² channels becomes an r×r block."""
    r = upscale_factor
    x, batch, b = _check("pixel_shuffle", input, r * r, r)
    C, H, W = x.shape[-3] // (r * r), x.shape[-2], x.shape[-1]
    x = reshape(x, batch + (C, r, r, H, W))
    x = permute(x, tuple(range(b)) + tuple(b + d for d in (0, 3, 1, 4, 2)))  # (*, C, H, r, W, r)
    return reshape(x, batch + (C, H * r, W * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H·r, W·r) -> (*, C·r², H, W): the inverse of pixel_shuffle."""
    r = downscale_factor
    x, batch, b = _check("pixel_unshuffle", input, 0, r)
    C, H, W = x.shape[-3], x.shape[-2] // r, x.shape[-1] // r
    if x.shape[-2] % r or x.shape[-1] % r:
        raise ValueError(
            f"pixel_unshuffle: height and width of input {x.shape} must be divisible by "
            f"downscale_factor {r}."
        )
    x = reshape(x, batch + (C, H, r, W, r))
    x = permute(x, tuple(range(b)) + tuple(b + d for d in (0, 2, 4, 1, 3)))  # (*, C, r, r, H, W)
    return reshape(x, batch + (C * r * r, H, W))


def channel_shuffle(input, groups):
    """(N, g·k, *) -> (N, k·g, *): channel c = i·k + j moves to j·g + i (ShuffleNet)."""
    x = as_tensor(input)
    N, C, rest = x.shape[0], x.shape[1], x.shape[2:]
    if C % groups:
        raise ValueError(f"channel_shuffle: {C} channels are not divisible by groups={groups}.")
    x = reshape(x, (N, groups, C // groups) + rest)
    return reshape(permute(x, (0, 2, 1) + tuple(range(3, x.ndim))), (N, C) + rest)
