"""Neural-network building blocks: ``from zennet import nn``."""

from zennet.nn.containers import Identity, ModuleDict, ModuleList, Sequential
from zennet.nn.module import Module, Parameter

# --- recurrent and attention layers (branch rnn-attn) ---
from zennet.nn.recurrent import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell
# --- end rnn-attn ---
