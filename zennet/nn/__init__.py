"""Neural-network building blocks: ``from zennet import nn``."""

from zennet.nn.containers import Identity, ModuleDict, ModuleList, Sequential
from zennet.nn.module import Module, Parameter

# --- convolution, pooling and resizing layers (branch conv) ---
from zennet.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from zennet.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
    Upsample,
)
# --- end conv ---
