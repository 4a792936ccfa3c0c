"""Scaled dot-product attention, MultiheadAttention and the transformer encoder against
PyTorch with the same weights (float32, rtol 1e-4 / atol 1e-5: attention sums long
products in a different order than PyTorch)."""

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.helpers import compare

RTOL, ATOL = 1e-4, 1e-5


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def sdpa_pair(**kwargs):
    """The same call through zennet and PyTorch (masks given as arrays in kwargs)."""
    mask = kwargs.pop("attn_mask", None)

    def ours(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)

    def theirs(q, k, v):
        torch_mask = None if mask is None else torch.tensor(mask)
        return torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=torch_mask, **kwargs
        )

    return ours, theirs


SDPA_CASES = {  # name -> (q shape, k shape, v shape, kwargs builder)
    "plain_2d": ((3, 4), (5, 4), (5, 2), lambda rng: {}),
    "batched_heads": ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 3), lambda rng: {}),
    "broadcast_kv": ((2, 3, 4, 5), (2, 1, 6, 5), (2, 1, 6, 5), lambda rng: {}),
    "one_query_one_key": ((1, 1, 1, 3), (1, 1, 1, 3), (1, 1, 1, 3), lambda rng: {}),
    "causal": ((2, 5, 4), (2, 5, 4), (2, 5, 4), lambda rng: {"is_causal": True}),
    "causal_rectangular": ((2, 3, 4), (2, 5, 4), (2, 5, 4), lambda rng: {"is_causal": True}),
    "scale": ((2, 3, 4), (2, 5, 4), (2, 5, 4), lambda rng: {"scale": 0.3}),
    "bool_mask": (
        (2, 4, 3),
        (2, 5, 3),
        (2, 5, 3),
        lambda rng: {"attn_mask": (rng.random((4, 5)) > 0.4) | np.eye(4, 5, dtype=bool)},
    ),
    "bool_mask_fully_masked_row": (
        (2, 3, 3),
        (2, 4, 3),
        (2, 4, 3),
        lambda rng: {"attn_mask": np.array([[1, 0, 1, 0], [0, 0, 0, 0], [1, 1, 1, 1]], bool)},
    ),
    "float_mask": (
        (2, 4, 3),
        (2, 5, 3),
        (2, 5, 3),
        lambda rng: {"attn_mask": randn(rng, 2, 4, 5)},
    ),
}


@pytest.mark.parametrize("case", SDPA_CASES)
def test_sdpa_against_pytorch(case, rng):
    q_shape, k_shape, v_shape, build = SDPA_CASES[case]
    ours, theirs = sdpa_pair(**build(rng))
    compare(
        ours,
        randn(rng, *q_shape),
        randn(rng, *k_shape),
        randn(rng, *v_shape),
        torch_fn=theirs,
        rtol=RTOL,
        atol=ATOL,
    )


def test_sdpa_fully_masked_query_gives_zero(rng):
    mask = np.array([[True, True], [False, False]])
    q, k, v = (zn.tensor(randn(rng, 2, 3), requires_grad=True) for _ in range(3))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert np.all(out.numpy()[1] == 0) and np.isfinite(out.numpy()).all()
    out.sum().backward()
    assert np.isfinite(q.grad.numpy()).all() and np.all(q.grad.numpy()[1] == 0)


def test_sdpa_dropout_uses_zennet_generator(rng):
    q, k, v = randn(rng, 2, 4, 3), randn(rng, 2, 5, 3), randn(rng, 2, 5, 3)
    zn.manual_seed(7)
    dropped = F.scaled_dot_product_attention(q, k, v, dropout_p=0.4).numpy()
    zn.manual_seed(7)
    keep = zn.random.get_rng().random((2, 4, 5), dtype=np.float32) >= 0.4
    weights = torch.softmax(torch.tensor(q) @ torch.tensor(k).mT / np.sqrt(3), -1).numpy()
    expected = (weights * keep / 0.6) @ v
    np.testing.assert_allclose(dropped, expected, rtol=RTOL, atol=ATOL)
    assert np.all(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0)


def test_sdpa_bad_input_messages(rng):
    q = randn(rng, 2, 3, 4)
    with pytest.raises(ValueError, match=r"query \(2, 3, 4\), key \(2, 5, 3\) .* do not fit"):
        F.scaled_dot_product_attention(q, randn(rng, 2, 5, 3), randn(rng, 2, 5, 3))
    with pytest.raises(ValueError, match="either attn_mask or is_causal=True, not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((3, 3), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 4\) does not broadcast"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((4, 4), bool))
    with pytest.raises(ValueError, match="need at least 2 dims"):
        F.scaled_dot_product_attention(q[0, 0], q[0, 0], q[0, 0])


# ------------------------------------------------------------- MultiheadAttention


def copy_weights(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def assert_close(got, expected, what):
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def assert_same_gradients(ours, theirs, inputs):
    """Gradients of the inputs (pairs of zennet and torch tensors) and of every parameter."""
    for k, (x_ours, x_theirs) in enumerate(inputs):
        assert_close(x_ours.grad.numpy(), x_theirs.grad.numpy(), f"gradient of input {k}")
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad.numpy(), theirs_params[name].grad.numpy(), f"gradient of {name}")


def backward_both(outputs, refs, rng):
    """Back-propagate the same random output weights through both libraries."""
    loss_ours, loss_theirs = 0, 0
    for o, r in zip(outputs, refs):
        seed = rng.standard_normal(o.shape).astype(np.float32)
        loss_ours = (o * seed).sum() + loss_ours
        loss_theirs = (r * torch.tensor(seed)).sum() + loss_theirs
    loss_ours.backward()
    loss_theirs.backward()


def pair_inputs(*arrays):
    return [(zn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)) for a in arrays]


MHA_CASES = {  # name -> (constructor kwargs, forward kwargs, self-attention, L, S)
    "self": ({}, {}, True, 4, 4),
    "self_batch_first_no_weights": ({"batch_first": True}, {"need_weights": False}, True, 4, 4),
    "cross_per_head_weights": ({}, {"average_attn_weights": False}, False, 3, 5),
    "kdim_vdim_no_bias": ({"kdim": 3, "vdim": 5, "bias": False}, {}, False, 3, 4),
    "bool_attn_mask": ({}, {"attn_mask": "bool2d"}, True, 4, 4),
    "float_3d_mask": ({"batch_first": True}, {"attn_mask": "float3d"}, False, 3, 5),
    "key_padding": ({}, {"key_padding_mask": "padding"}, False, 3, 5),
    "padding_and_causal": ({}, {"key_padding_mask": "padding", "attn_mask": "causal"}, True, 5, 5),
    "causal_no_weights": (
        {},
        {"attn_mask": "causal", "is_causal": True, "need_weights": False},
        True,
        4,
        4,
    ),
}


def make_mask(kind, rng, N, heads, L, S):
    if kind == "bool2d":  # True = may not attend; keep the diagonal open
        return (rng.random((L, S)) > 0.6) & ~np.eye(L, S, dtype=bool)
    if kind == "float3d":
        return randn(rng, N * heads, L, S)
    if kind == "causal":
        return np.triu(np.ones((L, S), bool), k=1)
    lengths = rng.integers(1, S + 1, N)  # key padding: True past each length
    return np.arange(S)[None, :] >= lengths[:, None]


@pytest.mark.parametrize("case", MHA_CASES)
def test_multihead_attention_against_pytorch(case, rng):
    init_kwargs, call_kwargs, self_attention, L, S = MHA_CASES[case]
    E, heads, N = 6, 2, 3
    theirs = torch.nn.MultiheadAttention(E, heads, **init_kwargs)
    ours = zn.nn.MultiheadAttention(E, heads, **init_kwargs)
    copy_weights(ours, theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    kdim, vdim = init_kwargs.get("kdim", E), init_kwargs.get("vdim", E)
    layout = (
        (lambda n, d: (N, n, d)) if init_kwargs.get("batch_first") else (lambda n, d: (n, N, d))
    )
    masks = {
        k: make_mask(v, rng, N, heads, L, S) for k, v in call_kwargs.items() if k.endswith("mask")
    }
    kwargs = {**call_kwargs, **masks}
    if self_attention:
        inputs = pair_inputs(randn(rng, *layout(L, E)))
        args_ours, args_theirs = [inputs[0][0]] * 3, [inputs[0][1]] * 3
    else:
        inputs = pair_inputs(
            randn(rng, *layout(L, E)), randn(rng, *layout(S, kdim)), randn(rng, *layout(S, vdim))
        )
        args_ours, args_theirs = [a for a, _ in inputs], [b for _, b in inputs]
    out, weights = ours(*args_ours, **kwargs)
    torch_kwargs = {
        k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()
    }
    ref, ref_weights = theirs(*args_theirs, **torch_kwargs)
    assert_close(out.numpy(), ref.detach().numpy(), "output")
    if call_kwargs.get("need_weights", True):
        assert_close(weights.numpy(), ref_weights.detach().numpy(), "attention weights")
        backward_both([out, weights], [ref, ref_weights], rng)
    else:
        assert weights is None and ref_weights is None
        backward_both([out], [ref], rng)
    assert_same_gradients(ours, theirs, inputs)


def test_multihead_attention_unbatched_and_is_causal_alone(rng):
    theirs = torch.nn.MultiheadAttention(4, 2)
    ours = zn.nn.MultiheadAttention(4, 2)
    copy_weights(ours, theirs)
    x = randn(rng, 5, 4)
    causal = torch.tensor(np.triu(np.ones((5, 5), bool), k=1))
    out, weights = ours(x, x, x, is_causal=True)  # zennet builds the causal mask itself
    ref, ref_weights = theirs(*(torch.tensor(x),) * 3, attn_mask=causal, is_causal=True)
    assert out.shape == (5, 4) and weights.shape == (5, 5)
    assert_close(out.numpy(), ref.detach().numpy(), "output")
    assert_close(weights.numpy(), ref_weights.detach().numpy(), "weights")


def test_multihead_attention_init_and_dropout(rng):
    zn.manual_seed(0)
    mha = zn.nn.MultiheadAttention(8, 4, dropout=0.5)
    bound = np.sqrt(6 / (8 + 24))  # xavier_uniform_ on (3E, E)
    w = mha.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(mha.in_proj_bias.numpy() == 0) and np.all(mha.out_proj.bias.numpy() == 0)
    x = zn.tensor(randn(rng, 3, 2, 8))
    mha.eval()
    out_eval, weights_eval = mha(x, x, x)
    np.testing.assert_allclose(weights_eval.numpy().sum(-1), 1, rtol=1e-5)
    mha.train()
    out_train, weights_train = mha(x, x, x, average_attn_weights=False)
    assert np.any(weights_train.numpy() == 0)  # weights are returned after dropout
    assert not np.allclose(out_train.numpy(), out_eval.numpy())


def test_multihead_attention_bad_input_messages(rng):
    with pytest.raises(ValueError, match=r"embed_dim=10 is not divisible by num_heads=3"):
        zn.nn.MultiheadAttention(10, 3)
    mha = zn.nn.MultiheadAttention(8, 2)
    x = zn.zeros(5, 3, 8)
    with pytest.raises(
        ValueError, match=r"got query of shape \(5, 3, 6\); expected \(seq, batch, 8\)"
    ):
        mha(zn.zeros(5, 3, 6), x, x)
    with pytest.raises(
        ValueError, match=r"attn_mask has shape \(4, 5\); expected \(L, S\) = \(5, 5\)"
    ):
        mha(x, x, x, attn_mask=np.zeros((4, 5), bool))
    with pytest.raises(
        ValueError, match=r"key_padding_mask has shape \(5, 3\); expected \(batch, S\)"
    ):
        mha(x, x, x, key_padding_mask=np.zeros((5, 3), bool))
    with pytest.raises(ValueError, match="must all be 3-D batches or all 2-D"):
        mha(x, zn.zeros(5, 8), zn.zeros(5, 8))


# ------------------------------------------------------------ transformer encoder

ENCODER_CASES = {  # name -> (layer kwargs, with padding mask, with causal mask)
    "post_norm_relu": ({}, False, False),
    "pre_norm_gelu_batch_first": (
        {"norm_first": True, "activation": "gelu", "batch_first": True},
        True,
        False,
    ),
    "post_norm_gelu_masks": ({"activation": "gelu"}, True, True),
    "pre_norm_relu_causal_batch_first": ({"norm_first": True, "batch_first": True}, False, True),
}


@pytest.mark.parametrize("case", ENCODER_CASES)
def test_transformer_encoder_against_pytorch(case, rng):
    kwargs, padding, causal = ENCODER_CASES[case]
    E, heads, N, S = 8, 2, 3, 5
    torch_layer = torch.nn.TransformerEncoderLayer(E, heads, 16, dropout=0.0, **kwargs)
    theirs = torch.nn.TransformerEncoder(
        torch_layer, 2, norm=torch.nn.LayerNorm(E), enable_nested_tensor=False
    )
    layer = zn.nn.TransformerEncoderLayer(E, heads, 16, dropout=0.0, **kwargs)
    ours = zn.nn.TransformerEncoder(layer, 2, norm=zn.nn.LayerNorm(E))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_weights(ours, theirs)
    shape = (N, S, E) if kwargs.get("batch_first") else (S, N, E)
    inputs = pair_inputs(randn(rng, *shape))
    masks = {}
    if padding:
        masks["src_key_padding_mask"] = make_mask("padding", rng, N, heads, S, S)
    if causal:
        masks["mask"] = make_mask("causal", rng, N, heads, S, S)
    out = ours(inputs[0][0], **masks)
    ref = theirs(inputs[0][1], **{k: torch.tensor(v) for k, v in masks.items()})
    assert_close(out.numpy(), ref.detach().numpy(), "encoder output")
    backward_both([out], [ref], rng)
    assert_same_gradients(ours, theirs, inputs)


def test_encoder_layer_eval_mode_matches_pytorch_fast_path(rng):
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True).eval()
    ours = zn.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True).eval()
    copy_weights(ours, theirs)
    x = randn(rng, 2, 4, 8)
    with torch.no_grad():
        ref = theirs(torch.tensor(x)).numpy()
    assert_close(ours(x).numpy(), ref, "eval output")


def test_encoder_layers_are_independent_copies():
    layer = zn.nn.TransformerEncoderLayer(4, 2, 8)
    encoder = zn.nn.TransformerEncoder(layer, 3)
    weights = [m.linear1.weight for m in encoder.layers]
    assert len({id(w) for w in weights}) == 3 and all(
        w is not layer.linear1.weight for w in weights
    )
    assert np.array_equal(weights[0].numpy(), weights[2].numpy())  # copies start equal
    with pytest.raises(ValueError, match="activation must be 'relu', 'gelu' or a callable"):
        zn.nn.TransformerEncoderLayer(4, 2, activation="tanh")


# ----------------------------------------------------------- positional encodings


def test_sinusoidal_positional_encoding(rng):
    d, max_len = 6, 10
    pe = zn.nn.SinusoidalPositionalEncoding(d, max_len, dropout=0.0)
    position = torch.arange(max_len).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2) * (-np.log(10000.0) / d))
    table = torch.zeros(max_len, d)  # the PyTorch tutorial's table
    table[:, 0::2] = torch.sin(position * div_term)
    table[:, 1::2] = torch.cos(position * div_term)
    x = randn(rng, 4, 2, d)
    np.testing.assert_allclose(pe(x).numpy(), x + table[:4, None].numpy(), rtol=1e-5, atol=1e-6)
    assert "pe" not in pe.state_dict() and pe.pe.shape == (max_len, d)
    first = zn.nn.SinusoidalPositionalEncoding(d, max_len, dropout=0.0, batch_first=True)
    xb = randn(rng, 2, 4, d)
    np.testing.assert_allclose(
        first(xb).numpy(), xb + table[None, :4].numpy(), rtol=1e-5, atol=1e-6
    )
    odd = zn.nn.SinusoidalPositionalEncoding(5, 8, dropout=0.0)
    assert np.isfinite(odd.pe.numpy()).all() and odd.pe.shape == (8, 5)
    with pytest.raises(ValueError, match=r"max_len=10\) got a sequence of length 11"):
        pe(zn.zeros(11, 2, d))
    with pytest.raises(ValueError, match=r"d_model=6\) got input of shape \(4, 2, 5\)"):
        pe(zn.zeros(4, 2, 5))


def test_learned_positional_encoding(rng):
    pe = zn.nn.LearnedPositionalEncoding(10, 4, batch_first=True)
    assert list(pe.state_dict()) == ["weight"] and pe.weight.shape == (10, 4)
    assert 0.005 < pe.weight.numpy().std() < 0.05
    x = zn.tensor(randn(rng, 3, 6, 4), requires_grad=True)
    out = pe(x)
    np.testing.assert_allclose(out.numpy(), x.numpy() + pe.weight.numpy()[None, :6], rtol=1e-6)
    seed = randn(rng, 3, 6, 4)
    (out * seed).sum().backward()
    np.testing.assert_allclose(pe.weight.grad.numpy()[:6], seed.sum(0), rtol=1e-5)
    assert np.all(pe.weight.grad.numpy()[6:] == 0)
    np.testing.assert_allclose(x.grad.numpy(), seed)
