"""TransformerDecoderLayer, TransformerDecoder and Transformer against PyTorch's, with
causal and key-padding masks, post-norm and norm_first, float32 and float64."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.nn.torch_parity import same_as_torch_inputs
from zennet import nn

E, H, FF = 8, 2, 16


def _inputs(rng, dtype, batch_first, T=4, S=5, N=3):
    tgt = rng.standard_normal((N, T, E) if batch_first else (T, N, E)).astype(dtype)
    memory = rng.standard_normal((N, S, E) if batch_first else (S, N, E)).astype(dtype)
    return tgt, memory


def _padding(rng, N, S):
    mask = np.zeros((N, S), dtype=bool)
    mask[0, -2:] = True  # the first sequence is 2 shorter
    return mask


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_decoder_layer_matches_torch(rng, norm_first, batch_first, dtype):
    args = dict(dim_feedforward=FF, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    ours = nn.TransformerDecoderLayer(E, H, **args)
    theirs = torch.nn.TransformerDecoderLayer(E, H, **args)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    tgt, memory = _inputs(rng, dtype, batch_first)
    causal = nn.Transformer.generate_square_subsequent_mask(4).numpy().astype(dtype)
    rtol, atol = (1e-5, 1e-5) if dtype == np.float32 else (1e-10, 1e-12)
    same_as_torch_inputs(
        ours,
        theirs,
        (tgt, memory),
        rtol=rtol,
        atol=atol,
        tgt_mask=causal,
        tgt_key_padding_mask=_padding(rng, 3, 4),
        memory_key_padding_mask=_padding(rng, 3, 5),
    )


def test_decoder_with_norm_and_is_causal_matches_torch(rng):
    ours_layer = nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, activation="gelu")
    theirs_layer = torch.nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, activation="gelu")
    ours = nn.TransformerDecoder(ours_layer, 2, norm=nn.LayerNorm(E))
    theirs = torch.nn.TransformerDecoder(theirs_layer, 2, norm=torch.nn.LayerNorm(E))
    tgt, memory = _inputs(rng, np.float32, False)
    causal = np.triu(np.ones((4, 4), dtype=bool), 1)  # boolean: True = may not attend
    same_as_torch_inputs(
        ours, theirs, (tgt, memory), atol=1e-5, tgt_mask=causal, tgt_is_causal=True
    )


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_matches_torch(rng, batch_first):
    args = dict(
        d_model=E,
        nhead=H,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dim_feedforward=FF,
        dropout=0.0,
        batch_first=batch_first,
    )
    ours, theirs = nn.Transformer(**args), torch.nn.Transformer(**args)
    tgt, src = _inputs(rng, np.float32, batch_first)
    mask = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    np.testing.assert_array_equal(
        mask, torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()
    )
    out = same_as_torch_inputs(
        ours,
        theirs,
        (src, tgt),
        atol=2e-5,
        tgt_mask=mask,
        src_key_padding_mask=_padding(rng, 3, 5),
        memory_key_padding_mask=_padding(rng, 3, 5),
    )
    assert out.shape == tgt.shape


def test_transformer_state_dict_keys_are_pytorchs():
    ours = nn.Transformer(E, H, 1, 1, FF)
    theirs = torch.nn.Transformer(E, H, 1, 1, FF)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    weights = [p for p in ours.parameters() if p.ndim > 1]
    assert all(np.abs(p.numpy()).max() <= np.sqrt(6 / sum(p.shape[:2])) + 1e-6 for p in weights)


def test_transformer_checks_batch_and_width():
    model = nn.Transformer(E, H, 1, 1, FF)
    with pytest.raises(ValueError, match="same batch size"):
        model(zn.ones(5, 2, E), zn.ones(4, 3, E))
    with pytest.raises(ValueError, match="must be d_model"):
        model(zn.ones(5, 2, E + 1), zn.ones(4, 2, E))
