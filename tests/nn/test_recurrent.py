"""RNN, LSTM, GRU and their cells against PyTorch with the same weights.

Tolerances: float32 with rtol 1e-4 / atol 1e-5, since a sequence sums many products
and the two libraries sum them in different orders.
"""

import numpy as np
import pytest
import torch

import zennet as zn
from zennet import nn
from zennet.ops import recurrent as ops

RTOL, ATOL = 1e-4, 1e-5
KINDS = {  # name -> (zennet class, torch class, extra constructor arguments)
    "rnn_tanh": (nn.RNN, torch.nn.RNN, {}),
    "rnn_relu": (nn.RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTM, torch.nn.LSTM, {}),
    "gru": (nn.GRU, torch.nn.GRU, {}),
}


def make_pair(kind, *args, **kwargs):
    """A PyTorch module and a zennet one loaded with its state dict."""
    ours_cls, torch_cls, extra = KINDS[kind]
    theirs = torch_cls(*args, **kwargs, **extra)
    ours = ours_cls(*args, **kwargs, **extra)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def assert_close(got, expected, what):
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def as_list(states):
    return list(states) if isinstance(states, tuple) else [states]


def run_both(ours, theirs, x, hx=None, lengths=None, rng=None):
    """Forward and backward through both; compare outputs, final states and all gradients."""
    rng = rng or np.random.default_rng(1)
    x_ours, x_theirs = zn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hx_ours = hx_theirs = None
    if hx is not None:
        hx_ours = [zn.tensor(h, requires_grad=True) for h in hx]
        hx_theirs = [torch.tensor(h, requires_grad=True) for h in hx]
    lstm = isinstance(ours, nn.LSTM)
    pick = (lambda s: tuple(s)) if lstm else (lambda s: s[0])
    out, states = ours(x_ours, None if hx is None else pick(hx_ours), lengths=lengths)
    if lengths is None:
        ref, ref_states = theirs(x_theirs, None if hx is None else pick(hx_theirs))
    else:
        packed = torch.nn.utils.rnn.pack_padded_sequence(
            x_theirs, torch.tensor(lengths), batch_first=theirs.batch_first, enforce_sorted=False
        )
        ref, ref_states = theirs(packed, None if hx is None else pick(hx_theirs))
        ref, _ = torch.nn.utils.rnn.pad_packed_sequence(
            ref,
            batch_first=theirs.batch_first,
            total_length=x.shape[1 if theirs.batch_first else 0],
        )
    assert out.shape == tuple(ref.shape)
    assert_close(out.numpy(), ref.detach().numpy(), "output")
    loss_ours, loss_theirs = 0, 0
    for ours_t, ref_t in zip([out] + as_list(states), [ref] + as_list(ref_states)):
        assert_close(ours_t.numpy(), ref_t.detach().numpy(), "final state")
        seed = rng.standard_normal(ours_t.shape).astype(np.float32)
        loss_ours = (ours_t * seed).sum() + loss_ours
        loss_theirs = (ref_t * torch.tensor(seed)).sum() + loss_theirs
    loss_ours.backward()
    loss_theirs.backward()
    assert_close(x_ours.grad.numpy(), x_theirs.grad.numpy(), "input gradient")
    for h_ours, h_theirs in zip(hx_ours or [], hx_theirs or []):
        assert_close(h_ours.grad.numpy(), h_theirs.grad.numpy(), "initial-state gradient")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad.numpy(), theirs_params[name].grad.numpy(), f"gradient of {name}")
    return out, states


CONFIGS = {  # name -> (constructor kwargs, (T, N), hx given, lengths)
    "base": ({}, (4, 3), False, None),
    "batch1_seq1_hx": ({}, (1, 1), True, None),
    "two_layer_bidirectional_hx": ({"num_layers": 2, "bidirectional": True}, (4, 2), True, None),
    "batch_first_no_bias": ({"batch_first": True, "bias": False}, (3, 2), False, None),
    "lengths": ({"num_layers": 2, "bidirectional": True}, (5, 3), True, [5, 2, 3]),
    "lengths_batch_first_1": ({"batch_first": True}, (4, 3), False, [1, 4, 2]),
    "lengths_shorter_than_input": ({"bidirectional": True}, (4, 2), False, [3, 2]),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("config", CONFIGS)
def test_against_pytorch(kind, config, rng):
    kwargs, (T, N), with_hx, lengths = CONFIGS[config]
    I, H = 3, 4
    ours, theirs = make_pair(kind, I, H, **kwargs)
    shape = (N, T, I) if kwargs.get("batch_first") else (T, N, I)
    x = rng.standard_normal(shape).astype(np.float32)
    hx = None
    if with_hx:
        layers = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
        n_states = 2 if kind == "lstm" else 1
        hx = [rng.standard_normal((layers, N, H)).astype(np.float32) for _ in range(n_states)]
    run_both(ours, theirs, x, hx, None if lengths is None else np.array(lengths), rng)


@pytest.mark.parametrize("kind", KINDS)
def test_unbatched_input(kind, rng):
    ours, theirs = make_pair(kind, 3, 4, num_layers=2)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    n_states = 2 if kind == "lstm" else 1
    hx = [rng.standard_normal((2, 4)).astype(np.float32) for _ in range(n_states)]
    out, states = run_both(ours, theirs, x, hx, rng=rng)
    assert out.shape == (5, 4) and as_list(states)[0].shape == (2, 4)


def test_lengths_zero_padding_and_final_states(rng):
    """Outputs past each length are exactly 0; h_n is the state at the last valid step."""
    lstm = nn.LSTM(3, 4)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    out, (h_n, c_n) = lstm(zn.tensor(x), lengths=zn.tensor(np.array([2, 5])))
    assert np.all(out.numpy()[2:, 0] == 0)
    short, (h_short, _) = lstm(zn.tensor(x[:2, :1]))
    np.testing.assert_allclose(h_n.numpy()[0, 0], h_short.numpy()[0, 0], rtol=1e-6)
    np.testing.assert_allclose(out.numpy()[:2, 0], short.numpy()[:, 0], rtol=1e-6)


# ----------------------------------------------------------------------- cells

CELLS = {
    "rnn_tanh": (nn.RNNCell, torch.nn.RNNCell, {}),
    "rnn_relu": (nn.RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (nn.LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (nn.GRUCell, torch.nn.GRUCell, {}),
}


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_cell_against_pytorch(kind, batched, with_hx, rng):
    ours_cls, torch_cls, extra = CELLS[kind]
    theirs = torch_cls(3, 4, **extra)
    ours = ours_cls(3, 4, **extra)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    lead = (2,) if batched else ()
    x = rng.standard_normal(lead + (3,)).astype(np.float32)
    n_states = 2 if kind == "lstm" else 1
    hx = [rng.standard_normal(lead + (4,)).astype(np.float32) for _ in range(n_states)]
    x_ours, x_theirs = zn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    hx_ours = [zn.tensor(h, requires_grad=True) for h in hx]
    hx_theirs = [torch.tensor(h, requires_grad=True) for h in hx]
    pick = tuple if kind == "lstm" else (lambda s: s[0])
    out = as_list(ours(x_ours, pick(hx_ours) if with_hx else None))
    ref = as_list(theirs(x_theirs, pick(hx_theirs) if with_hx else None))
    loss_ours, loss_theirs = 0, 0
    for k, (o, r) in enumerate(zip(out, ref)):
        assert_close(o.numpy(), r.detach().numpy(), "cell output")
        loss_ours = o.sum() * (k + 1) + loss_ours
        loss_theirs = r.sum() * (k + 1) + loss_theirs
    loss_ours.backward()
    loss_theirs.backward()
    assert_close(x_ours.grad.numpy(), x_theirs.grad.numpy(), "cell input gradient")
    if with_hx:
        for h_ours, h_theirs in zip(hx_ours, hx_theirs):
            assert_close(h_ours.grad.numpy(), h_theirs.grad.numpy(), "cell state gradient")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad.numpy(), theirs_params[name].grad.numpy(), f"gradient of {name}")


# ------------------------------------------------------------ float64 gradcheck

OPS = {
    "rnn_tanh": (ops.RNN, 1, 1, {}),
    "rnn_relu": (ops.RNN, 1, 1, {"nonlinearity": "relu"}),
    "lstm": (ops.LSTM, 4, 2, {}),
    "gru": (ops.GRU, 3, 1, {}),
}


def _op_arrays(rng, gates, n_states, T=3, N=2, I=2, H=3):
    """x, w_ih, w_hh, b_ih, b_hh and the initial states of a fused op, float64."""
    return [
        rng.standard_normal((T, N, I)),
        rng.standard_normal((gates * H, I)) * 0.6,
        rng.standard_normal((gates * H, H)) * 0.6,
        rng.standard_normal(gates * H) * 0.3,
        rng.standard_normal(gates * H) * 0.3,
    ] + [rng.standard_normal((N, H)) for _ in range(n_states)]


@pytest.mark.parametrize("kind", OPS)
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [None, (3, 1)])
def test_fused_op_gradcheck(kind, reverse, lengths, rng):
    op, gates, n_states, opts = OPS[kind]
    inputs = [zn.tensor(a, requires_grad=True) for a in _op_arrays(rng, gates, n_states)]
    lengths = None if lengths is None else np.array(lengths)
    assert zn.gradcheck(lambda *xs: op.apply(*xs, lengths=lengths, reverse=reverse, **opts), inputs)


@pytest.mark.parametrize("kind", OPS)
def test_fused_op_gradcheck_without_bias(kind, rng):
    """bias=False: the input projection's constant-1 column gets a zero weight."""
    op, gates, n_states, opts = OPS[kind]
    arrays = _op_arrays(rng, gates, n_states)
    inputs = [zn.tensor(a, requires_grad=True) for a in arrays[:3] + arrays[5:]]

    def run(x, w_ih, w_hh, *states):
        return op.apply(x, w_ih, w_hh, None, None, *states, **opts)

    assert zn.gradcheck(run, inputs)


@pytest.mark.parametrize("kind", OPS)
def test_fused_op_frozen_weights_give_input_gradients_only(kind, rng):
    op, gates, n_states, opts = OPS[kind]
    arrays = _op_arrays(rng, gates, n_states)
    inputs = [zn.tensor(a, requires_grad=i in (0, 5)) for i, a in enumerate(arrays)]
    assert zn.gradcheck(lambda *xs: op.apply(*xs, **opts), inputs)
    op.apply(*inputs, **opts).sum().backward()
    assert [t.grad is None for t in inputs[1:5]] == [True] * 4


@pytest.mark.parametrize("kind", OPS)
@pytest.mark.parametrize("H", [1, 3])
def test_fused_op_leaves_its_weights_untouched(kind, H, rng):
    """The LSTM scales copies of its weights (σ through tanh); H = 1 is where a transposed
    weight is already contiguous and a careless in-place scale would reach the parameter."""
    op, gates, n_states, opts = OPS[kind]
    inputs = [zn.tensor(a.astype(np.float32)) for a in _op_arrays(rng, gates, n_states, H=H)]
    before = [t.numpy().copy() for t in inputs]
    op.apply(*inputs, **opts)
    for got, expected in zip(inputs, before):
        np.testing.assert_array_equal(got.numpy(), expected)


# ------------------------------------------------------------------ the module


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
def test_parameter_names_shapes_and_init(kind):
    theirs = KINDS[kind][1](5, 7, num_layers=2, bidirectional=True)
    zn.manual_seed(0)
    fresh = KINDS[kind][0](5, 7, num_layers=2, bidirectional=True)
    ours_sd, theirs_sd = fresh.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    for k in ours_sd:
        assert ours_sd[k].shape == tuple(theirs_sd[k].shape) and ours_sd[k].dtype == np.float32
    values = np.concatenate([v.ravel() for v in ours_sd.values()])
    bound = 1 / np.sqrt(7)  # U(-1/√H, 1/√H)
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    assert abs(values.mean()) < 0.05 and abs(values.std() - bound / np.sqrt(3)) < 0.02
    zn.manual_seed(0)
    again = KINDS[kind][0](5, 7, num_layers=2, bidirectional=True).state_dict()
    assert all(np.array_equal(again[k], ours_sd[k]) for k in ours_sd)


def test_no_bias_has_no_bias_parameters():
    names = [n for n, _ in nn.GRU(3, 4, bias=False, bidirectional=True).named_parameters()]
    assert names == ["weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse"]


def test_dropout_between_layers_only_in_training(rng):
    zn.manual_seed(3)
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = zn.tensor(rng.standard_normal((4, 2, 3)).astype(np.float32))
    lstm.eval()
    plain = lstm(x)[0].numpy()
    lstm.train()
    zn.manual_seed(1)
    first = lstm(x)[0].numpy()
    zn.manual_seed(1)
    assert np.array_equal(first, lstm(x)[0].numpy())  # the mask comes from zennet's generator
    assert not np.allclose(first, plain)
    lstm.dropout = 1.0  # layer 2 then sees only zeros
    dropped = lstm(x)[0].numpy()
    second = nn.LSTM(4, 4)
    second.load_state_dict({k[:-1] + "0": v for k, v in lstm.state_dict().items() if "l1" in k})
    zero_input = second(zn.zeros(4, 2, 4))[0].numpy()
    np.testing.assert_allclose(dropped, zero_input, rtol=1e-6)
    lstm.eval()
    np.testing.assert_array_equal(lstm(x)[0].numpy(), plain)


def test_pytorch_trained_weights_give_same_predictions(tmp_path, rng):
    """Train a PyTorch LSTM a little, then load its state dict into ours as arrays."""
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True)
    head = torch.nn.Linear(5, 2)
    params = list(theirs.parameters()) + list(head.parameters())
    x = torch.randn(8, 6, 3)
    y = (x.sum(dim=(1, 2)) > 0).long()
    for _ in range(5):  # plain gradient descent
        loss = torch.nn.functional.cross_entropy(head(theirs(x)[0][:, -1]), y)
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads):
                p -= 0.5 * g
    ours = nn.LSTM(3, 5, num_layers=2, batch_first=True)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    with zn.no_grad():
        got = ours(zn.tensor(x.numpy()))[0].numpy()
    assert_close(got, theirs(x)[0].detach().numpy(), "predictions")


def test_pytorch_state_dict_through_safetensors(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 5, bidirectional=True)
    path = tmp_path / "lstm.safetensors"
    safetensors_torch.save_file({k: v.contiguous() for k, v in theirs.state_dict().items()}, path)
    ours = nn.LSTM(3, 5, bidirectional=True)
    ours.load_state_dict(zn.load(str(path)))
    x = torch.randn(4, 2, 3)
    with zn.no_grad():
        got = ours(zn.tensor(x.numpy()))[0].numpy()
    assert_close(got, theirs(x)[0].detach().numpy(), "predictions")


# ------------------------------------------------------------------ bad input


def test_wrong_feature_size_message():
    lstm = nn.LSTM(64, 8)
    with pytest.raises(
        ValueError,
        match=r"LSTM\(input_size=64\) got input of shape \(50, 8, 32\)"
        r"; expected \(seq, batch, 64\)\. Set input_size=32",
    ):
        lstm(zn.zeros(50, 8, 32))
    with pytest.raises(ValueError, match=r"expected \(batch, seq, 64\)"):
        nn.GRU(64, 8, batch_first=True)(zn.zeros(8, 50, 32))


def test_wrong_rank_message():
    with pytest.raises(ValueError, match=r"RNN\(input_size=4\) got input of rank 4"):
        nn.RNN(4, 8)(zn.zeros(2, 3, 5, 4))


def test_wrong_initial_state_messages():
    lstm = nn.LSTM(4, 8, num_layers=2)
    x = zn.zeros(5, 3, 4)
    with pytest.raises(
        ValueError, match=r"LSTM: h0 has shape \(1, 3, 8\); expected .* = \(2, 3, 8\)"
    ):
        lstm(x, (zn.zeros(1, 3, 8), zn.zeros(2, 3, 8)))
    with pytest.raises(ValueError, match=r"LSTM: c0 has shape \(2, 3, 7\)"):
        lstm(x, (zn.zeros(2, 3, 8), zn.zeros(2, 3, 7)))
    with pytest.raises(ValueError, match=r"LSTM: expected hx = \('h0', 'c0'\), got 1"):
        lstm(x, zn.zeros(2, 3, 8))
    with pytest.raises(ValueError, match=r"LSTMCell: c has shape \(3, 7\); expected \(3, 8\)"):
        nn.LSTMCell(4, 8)(zn.zeros(3, 4), (zn.zeros(3, 8), zn.zeros(3, 7)))


def test_bad_lengths_and_constructor_messages():
    with pytest.raises(ValueError, match=r"GRU: lengths must be 3 integers .* between 1 and .* 5"):
        nn.GRU(4, 8)(zn.zeros(5, 3, 4), lengths=[5, 6, 1])
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        nn.LSTM(4, 0)
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        nn.RNN(4, 8, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout must be a probability"):
        nn.GRU(4, 8, dropout=1.5)
    with pytest.raises(ValueError, match=r"GRUCell\(input_size=4\) got input of shape \(3, 5\)"):
        nn.GRUCell(4, 8)(zn.zeros(3, 5))
