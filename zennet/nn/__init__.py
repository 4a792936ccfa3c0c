"""Neural-network building blocks: ``from zennet import nn``."""

from zennet.nn.containers import Identity, ModuleDict, ModuleList, Sequential
from zennet.nn.module import Module, Parameter

# --- losses (nn/losses.py) and nn.utils (clip_grad_norm_, clip_grad_value_) ---
from zennet.nn.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from zennet.nn import utils
