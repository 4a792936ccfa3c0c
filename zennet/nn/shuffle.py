"""PixelShuffle, PixelUnshuffle and ChannelShuffle (functional/shuffle.py)."""

from zennet.functional import shuffle
from zennet.nn.activation import _Activation


class PixelShuffle(_Activation):
    """(*, C·r², H, W) -> (*, C, H·r, W·r), r = upscale_factor (sub-pixel convolution)."""

    function, arguments = shuffle.pixel_shuffle, ("upscale_factor",)

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor


class PixelUnshuffle(_Activation):
    """(*, C, H·r, W·r) -> (*, C·r², H, W), r = downscale_factor."""

    function, arguments = shuffle.pixel_unshuffle, ("downscale_factor",)

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor


class ChannelShuffle(_Activation):
    """Interleave the channels of ``groups`` groups."""

    function, arguments = shuffle.channel_shuffle, ("groups",)

    def __init__(self, groups):
        super().__init__()
        self.groups = groups
