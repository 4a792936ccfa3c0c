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
    compare(ours, randn(rng, *q_shape), randn(rng, *k_shape), randn(rng, *v_shape),
            torch_fn=theirs, rtol=RTOL, atol=ATOL)  # fmt: skip


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
