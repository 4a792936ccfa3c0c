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

from zennet.nn.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from zennet.nn.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    Upsample,
)

from zennet.nn.transfer import freeze, param_groups, replace_head, shrink_weights, unfreeze

import sys

from zennet import functional
from zennet.nn.containers import ParameterDict, ParameterList
from zennet.nn.activation_extra import (
    CELU,
    GLU,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    RReLU,
    SELU,
    Softmax2d,
    Softmin,
    Softshrink,
    Softsign,
    Tanhshrink,
    Threshold,
)
from zennet.nn.distance import CosineSimilarity, PairwiseDistance
from zennet.nn.dropout import AlphaDropout, Dropout1d, Dropout3d, FeatureAlphaDropout
from zennet.nn.embedding_bag import EmbeddingBag
from zennet.nn.fold import Fold, Unfold
from zennet.nn.linear_extra import Bilinear, LazyLinear
from zennet.nn.losses_more import (
    CosineEmbeddingLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    MarginRankingLoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SoftMarginLoss,
    TripletMarginLoss,
    TripletMarginWithDistanceLoss,
)
from zennet.nn.norm import BatchNorm3d
from zennet.nn.norm_extra import (
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LocalResponseNorm,
    RMSNorm,
)
from zennet.nn.padding import (
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
from zennet.nn.pooling_extra import (
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    LPPool1d,
    LPPool2d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
)
from zennet.nn.shuffle import ChannelShuffle, PixelShuffle, PixelUnshuffle
from zennet.nn.upsampling import UpsamplingBilinear2d, UpsamplingNearest2d
from zennet.nn.transformer_decoder import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
)

from zennet.nn.ctc import CTCLoss

sys.modules[__name__ + ".functional"] = functional  # import zennet.nn.functional as F
