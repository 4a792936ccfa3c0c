"""What RNN, LSTM and GRU (nn/recurrent.py) share: their parameters, the checks of their
input and states, and the loop over layers and directions that runs one fused op
(ops/recurrent.py) per layer and direction; and the same for the one-step cells.

Parameter names, shapes, order and the gate order are PyTorch's, so a PyTorch state
dict loads directly.
"""

import math

import numpy as np

from zennet import creation
from zennet import functional as F
from zennet.functional._util import array_of, as_tensor, module_of
from zennet.nn import init
from zennet.nn.checks import check_input
from zennet.nn.lstm_projection import projected_lstm
from zennet.nn.module import Module, Parameter
from zennet.nn.utils.rnn import PackedSequence
from zennet.ops import recurrent as ops

_OPS = {"RNN": ops.RNN, "LSTM": ops.LSTM, "GRU": ops.GRU}


def _uniform_parameter(shape, hidden_size, device=None, dtype=None):
    """PyTorch's recurrent init: U(-1/√H, 1/√H), drawn from zennet's generator."""
    p = Parameter(creation.empty(shape, device=device, dtype=dtype))
    _reset_uniform([p], hidden_size)
    return p


def _reset_uniform(params, hidden_size):
    """Every parameter of a recurrent layer ~ U(-1/√H, 1/√H) (PyTorch's reset_parameters)."""
    bound = 1 / math.sqrt(hidden_size)
    for p in params:
        init.uniform_(p, -bound, bound)


def _check_proj_size(name, mode, proj_size, hidden_size):
    if not isinstance(proj_size, (int, np.integer)) or proj_size < 0:
        raise ValueError(f"{name}: proj_size must be a non-negative int, got {proj_size!r}.")
    if proj_size and mode != "LSTM":
        raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or GRU.")
    if proj_size >= hidden_size:
        raise ValueError(
            f"{name}: proj_size has to be smaller than hidden_size, got proj_size={proj_size} "
            f"and hidden_size={hidden_size}."
        )


def check_sizes(name, **sizes):
    """Raise a ValueError naming the layer unless every size is a positive int."""
    for key, value in sizes.items():
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name}: {key} must be a positive int, got {value!r}.")


def _check_nonlinearity(name, nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}.")


class _RNNBase(Module):
    """Shared by RNN, LSTM and GRU: parameters, checks and the layer/direction loop."""

    mode = "RNN"

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        bias=True,
        batch_first=False,
        dropout=0.0,
        bidirectional=False,
        proj_size=0,
        device=None,
        dtype=None,
        *,
        nonlinearity="tanh",
    ):
        super().__init__()
        name = type(self).__name__
        made = dict(device=device, dtype=dtype)
        check_sizes(name, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        _check_proj_size(name, self.mode, proj_size, hidden_size)
        if not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout!r}.")
        _check_nonlinearity(name, nonlinearity)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.nonlinearity = bidirectional, nonlinearity
        self.num_directions = 2 if bidirectional else 1
        self.proj_size = int(proj_size)
        gates, out = _OPS[self.mode].n_gates, self.proj_size or hidden_size  # h's size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out * self.num_directions
            for direction in range(self.num_directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {
                    "weight_ih": (gates * hidden_size, layer_input),
                    "weight_hh": (gates * hidden_size, out),
                }
                if bias:
                    shapes.update(bias_ih=(gates * hidden_size,), bias_hh=(gates * hidden_size,))
                if self.proj_size:
                    shapes.update(weight_hr=(self.proj_size, hidden_size))
                for key, shape in shapes.items():
                    setattr(self, key + suffix, _uniform_parameter(shape, hidden_size, **made))

    def reset_parameters(self):
        _reset_uniform(self.parameters(), self.hidden_size)

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        for key, default in (
            ("bias", True),
            ("batch_first", False),
            ("dropout", 0.0),
            ("bidirectional", False),
        ):
            if getattr(self, key) != default:
                text += f", {key}={getattr(self, key)}"
        return text

    def _weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
        weights = [getattr(self, n + suffix) for n in names]
        weights += [None] * (4 - len(weights))
        return weights + [getattr(self, "weight_hr" + suffix)] if self.proj_size else weights

    # ---------------------------------------------------------------- checks

    def _describe(self, batched):
        if not batched:
            return f"(seq, {self.input_size})"
        order = "batch, seq" if self.batch_first else "seq, batch"
        return f"({order}, {self.input_size})"

    def _check_input(self, x):
        name = f"{type(self).__name__}(input_size={self.input_size})"
        x = check_input(name, x)
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{name} got input of rank {x.ndim}, shape {x.shape}; expected a 3-D "
                f"{self._describe(True)} batch or a 2-D {self._describe(False)} sequence."
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name} got input of shape {x.shape}; expected {self._describe(x.ndim == 3)}. "
                f"Set input_size={x.shape[-1]} or project the features to {self.input_size}."
            )
        seq_axis = 1 if self.batch_first and x.ndim == 3 else 0
        if x.shape[seq_axis] == 0:
            raise ValueError(
                f"{name} got input of shape {x.shape}, a sequence of length 0; every sequence "
                f"needs at least one step."
            )
        return x

    def _initial_state(self, state, key, batch, batched, like):
        """The (layers·dirs, N, H) initial state (zeros when not given), checked; h0 is
        (layers·dirs, N, proj_size) with projections."""
        size = self.proj_size if self.proj_size and key == "h0" else self.hidden_size
        expected = (self.num_layers * self.num_directions, batch, size)
        if state is None:
            return module_of(like).zeros(expected, dtype=like.dtype)
        state = as_tensor(state)
        want = expected if batched else (expected[0], expected[2])
        if state.shape != want:
            layout = "(num_layers * num_directions, batch, hidden_size)"
            if not batched:
                layout = "(num_layers * num_directions, hidden_size)"
            raise ValueError(
                f"{type(self).__name__}: {key} has shape {state.shape}; expected {layout} = {want}."
            )
        return state if batched else F.unsqueeze(state, 1)

    def _check_lengths(self, lengths, T, N):
        lengths = np.asarray(array_of(lengths))
        ok = lengths.shape == (N,) and np.issubdtype(lengths.dtype, np.integer)
        if not ok or lengths.min(initial=1) < 1 or lengths.max(initial=1) > T:
            raise ValueError(
                f"{type(self).__name__}: lengths must be {N} integers (one per sequence in "
                f"the batch) between 1 and the sequence length {T}; got {lengths.tolist()}."
            )
        return lengths

    # ---------------------------------------------------------------- forward

    def _run(self, x, hx, lengths):
        """input -> output (T, N, D·H) in the input's layout, final states [(L·D, N, H)].
        A PackedSequence (nn.utils.rnn) runs with its lengths and comes back packed."""
        if isinstance(x, PackedSequence):
            padded = F.transpose(x.padded, 0, 1) if self.batch_first else x.padded
            output, final = self._run(padded, hx, x.lengths)
            output = F.transpose(output, 0, 1) if self.batch_first else output
            return PackedSequence(output, x.lengths), final
        x = self._check_input(x)
        batched = x.ndim == 3
        if not batched:
            x = F.unsqueeze(x, 1)  # (T, 1, I)
        elif self.batch_first:
            x = F.transpose(x, 0, 1)  # (T, N, I)
        T, N = x.shape[:2]
        keys = ("h0", "c0") if self.mode == "LSTM" else ("h0",)
        hx = hx if isinstance(hx, (tuple, list)) else (hx,)
        if len(hx) != len(keys):
            raise ValueError(f"{type(self).__name__}: expected hx = {keys}, got {len(hx)} states.")
        initial = [self._initial_state(s, k, N, batched, x) for s, k in zip(hx, keys)]
        if lengths is not None:
            lengths = self._check_lengths(lengths, T, N)
        output, final = self._layers(x, initial, lengths)  # (T, N, D·H), S × (L·D, N, H)
        if lengths is not None:  # zero past each sequence's end
            output = output * (np.arange(T)[:, None, None] < lengths[:, None]).astype(x.dtype)
        if not batched:
            return F.squeeze(output, 1), [f[:, 0] for f in final]
        if self.batch_first:
            output = F.transpose(output, 0, 1)
        return output, final

    def _layers(self, x, initial, lengths):
        """Every layer and direction: one fused op each (a composite with projections).
        x (T, N, I) -> (T, N, D·H) and the final states, each (L·D, N, H)."""
        T, op = x.shape[0], _OPS[self.mode]
        finals, layer_input = [], x  # finals: the final states of each layer and direction
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                weights, start = self._weights(layer, direction), [s[index] for s in initial]
                if self.proj_size:
                    out, *final = projected_lstm(
                        layer_input, weights, *start, lengths, reverse=bool(direction)
                    )
                else:
                    states = op.apply(
                        layer_input, *weights, *start, lengths=lengths,
                        reverse=bool(direction), nonlinearity=self.nonlinearity,
                    )  # (S, T, N, H)  # fmt: skip
                    out, final = states[0], states[:, 0 if direction else T - 1]  # (S, N, H)
                outputs.append(out)
                finals.append(final)
            layer_input = outputs[0] if len(outputs) == 1 else F.cat(outputs, dim=2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout)
        if not self.proj_size:
            stacked = F.stack(finals, dim=1)  # (S, L·D, N, H): one op
            return layer_input, [stacked[s] for s in range(len(initial))]
        return layer_input, [F.stack([f[s] for f in finals], 0) for s in range(len(initial))]


class _CellBase(Module):
    """One time step: the sequence op run on a sequence of length 1."""

    mode = "RNN"

    def __init__(
        self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None
    ):
        super().__init__()
        name = type(self).__name__
        check_sizes(name, input_size=input_size, hidden_size=hidden_size)
        _check_nonlinearity(name, nonlinearity)
        self.input_size, self.hidden_size = input_size, hidden_size
        self.bias, self.nonlinearity = bias, nonlinearity
        G, H, made = (
            _OPS[self.mode].n_gates * hidden_size,
            hidden_size,
            dict(device=device, dtype=dtype),
        )
        self.weight_ih = _uniform_parameter((G, input_size), H, **made)
        self.weight_hh = _uniform_parameter((G, H), H, **made)
        self.bias_ih = _uniform_parameter((G,), H, **made) if bias else None
        self.bias_hh = _uniform_parameter((G,), H, **made) if bias else None

    def reset_parameters(self):
        _reset_uniform(self.parameters(), self.hidden_size)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def _step(self, x, hx):
        name = f"{type(self).__name__}(input_size={self.input_size})"
        x = check_input(name, x)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name} got input of shape {x.shape}; expected (batch, {self.input_size}) "
                f"or ({self.input_size},)."
            )
        batched = x.ndim == 2
        N = x.shape[0] if batched else 1
        keys = ("h", "c") if self.mode == "LSTM" else ("h",)
        states = []
        for s, key in zip(hx, keys):
            if s is None:
                states.append(module_of(x).zeros((N, self.hidden_size), dtype=x.dtype))
                continue
            s, want = as_tensor(s), (N, self.hidden_size) if batched else (self.hidden_size,)
            if s.shape != want:
                raise ValueError(
                    f"{type(self).__name__}: {key} has shape {s.shape}; expected {want}."
                )
            states.append(s if batched else F.unsqueeze(s, 0))
        x = F.unsqueeze(x if batched else F.unsqueeze(x, 0), 0)  # (1, N, I)
        weights = (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        op = _OPS[self.mode]
        out = op.apply(x, *weights, *states, nonlinearity=self.nonlinearity)  # (S, 1, N, H)
        out = out[:, 0] if batched else out[:, 0, 0]
        return tuple(out[s] for s in range(len(keys)))
