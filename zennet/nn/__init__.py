"""Neural-network building blocks: ``from zennet import nn``."""

from zennet.nn.containers import Identity, ModuleDict, ModuleList, Sequential
from zennet.nn.module import Module, Parameter

# --- nn-layers: layers, initialization ---
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
# --- end nn-layers ---

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
# --- end losses ---

# --- recurrent and attention layers (branch rnn-attn) ---
from zennet.nn.recurrent import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell
from zennet.nn.attention import MultiheadAttention
from zennet.nn.transformer import (
    LearnedPositionalEncoding,
    SinusoidalPositionalEncoding,
    TransformerEncoder,
    TransformerEncoderLayer,
)
# --- end rnn-attn ---

# --- preprocessing inside the model (branch training) ---
from zennet.nn.preprocessing import Standardize
# --- end training ---

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

# --- transfer learning (branch transfer) ---
from zennet.nn.transfer import freeze, param_groups, replace_head, shrink_weights, unfreeze

# --- end transfer ---
from zennet.nn.ctc import CTCLoss
