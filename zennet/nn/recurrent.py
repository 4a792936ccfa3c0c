"""Recurrent layers: RNN, LSTM, GRU over whole sequences, and their one-step cells.

Parameter names, shapes, order and the gate order are PyTorch's, so a PyTorch state
dict loads directly. What the layers share (parameters, checks, the loop over layers and
directions) is in nn/recurrent_base.py; the math of each cell, forward and backward, in
ops/recurrent.py.
"""

from zennet.nn.recurrent_base import _CellBase, _RNNBase, check_sizes

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "check_sizes"]


_FORWARD_DOC = """
    forward(input, hx=None, lengths=None) -> {returns}

    input: (seq, batch, input_size), or (batch, seq, input_size) with batch_first, or an
    unbatched (seq, input_size). hx: initial state{hx}, zeros when None.
    lengths: optional (batch,) ints in [1, seq], the true length of each sequence in a
    zero-padded batch. Outputs past a sequence's length are zero and the final states are
    those at its last valid step, in both directions: the same as PyTorch's
    pack_padded_sequence(input, lengths, enforce_sorted=False) followed by
    pad_packed_sequence(..., total_length=seq). Sorting is not needed.
"""


class RNN(_RNNBase):
    """Elman RNN, h_t = g(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh), g = tanh or relu.

    Stacks ``num_layers`` layers (with ``dropout`` between them while training); with
    ``bidirectional`` each layer also runs backwards in time and the two outputs are
    concatenated. Parameters (per layer l, "_reverse" for the backward direction):
    weight_ih_l{l} (H, in), weight_hh_l{l} (H, H), bias_ih_l{l}, bias_hh_l{l} (H,).
    """

    mode = "RNN"
    __doc__ += _FORWARD_DOC.format(
        returns="(output, h_n)",
        hx=" h0 (num_layers·num_directions, batch, hidden_size)",
    )

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        nonlinearity="tanh",
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        device=None,
        dtype=None,
    ):
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device=device,
            dtype=dtype,
            nonlinearity=nonlinearity,
        )

    def forward(self, input, hx=None, lengths=None):
        output, (h_n,) = self._run(input, hx, lengths)
        return output, h_n


class LSTM(_RNNBase):
    """Long short-term memory (gates i, f, g, o as PyTorch):

        i, f, o = σ(·), g = tanh(·) of x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh
        c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

    weight_ih_l{l} (4H, in), weight_hh_l{l} (4H, H), biases (4H,); see RNN for layers,
    dropout and directions. With ``proj_size`` P > 0, h_t = (o ⊙ tanh c_t)·W_hrᵀ with
    weight_hr_l{l} (P, H), so h, the output and weight_hh's columns have size P
    (nn/lstm_projection.py).
    """

    mode = "LSTM"
    __doc__ += _FORWARD_DOC.format(
        returns="(output, (h_n, c_n))",
        hx="s (h0, c0), each (num_layers·num_directions, batch, hidden_size)",
    )

    def forward(self, input, hx=None, lengths=None):
        hx = (None, None) if hx is None else hx
        output, (h_n, c_n) = self._run(input, hx, lengths)
        return output, (h_n, c_n)


class GRU(_RNNBase):
    """Gated recurrent unit (gates r, z, n as PyTorch; r multiplies W_hn·h + b_hn):

        r, z = σ(x_t·W_iᵀ + b_i + h_{t-1}·W_hᵀ + b_h) for their rows
        n = tanh(x_t·W_inᵀ + b_in + r ⊙ (h_{t-1}·W_hnᵀ + b_hn))
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    weight_ih_l{l} (3H, in), weight_hh_l{l} (3H, H), biases (3H,).
    """

    mode = "GRU"
    __doc__ += _FORWARD_DOC.format(
        returns="(output, h_n)",
        hx=" h0 (num_layers·num_directions, batch, hidden_size)",
    )

    def forward(self, input, hx=None, lengths=None):
        output, (h_n,) = self._run(input, hx, lengths)
        return output, h_n


class RNNCell(_CellBase):
    """h' = g(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), g = tanh or relu. forward(input, hx=None) -> h'."""

    def forward(self, input, hx=None):
        return self._step(input, (hx,))[0]


class LSTMCell(_CellBase):
    """One LSTM step (see LSTM). forward(input, hx=None) with hx = (h, c) -> (h', c')."""

    mode = "LSTM"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(input, (None, None) if hx is None else hx)


class GRUCell(_CellBase):
    """One GRU step (see GRU). forward(input, hx=None) -> h'."""

    mode = "GRU"

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step(input, (hx,))[0]
