"""Neural-network building blocks: ``from zennet import nn``."""

from zennet.nn.containers import Identity, ModuleDict, ModuleList, Sequential
from zennet.nn.module import Module, Parameter

from zennet.nn import init
from zennet.nn.activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from zennet.nn.dropout import Dropout, Dropout2d
from zennet.nn.embedding import Embedding
from zennet.nn.flatten import Flatten, Unflatten
from zennet.nn.linear import Dense, Linear
from zennet.nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm

from zennet.nn.losses import (
    LOSSES,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    get_loss,
)
from zennet.nn import utils

from zennet.nn.recurrent import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell
from zennet.nn.attention import MultiheadAttention
from zennet.nn.transformer import (
    LearnedPositionalEncoding,
    SinusoidalPositionalEncoding,
    TransformerEncoder,
    TransformerEncoderLayer,
)

from zennet.nn.preprocessing import Standardize

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

from zennet.nn.transfer import freeze, param_groups, replace_head, unfreeze
from zennet.nn.ctc import CTCLoss
