"""UpsamplingNearest2d and UpsamplingBilinear2d: nn.Upsample with a fixed mode (PyTorch's
older names; bilinear with align_corners=True, as theirs)."""

from zennet.nn.pooling import Upsample


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour resize of (N, C, H, W) by ``size`` or ``scale_factor``."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear resize of (N, C, H, W) with align_corners=True."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
